import Foundation
import Testing

/// Disks and network interfaces added to and taken from running guests on the real hypervisor,
/// checked with xl and from inside the guests: the lab guest's init marks each new disk and gives
/// each new interface 169.254.A.B from its MAC (Scripts/lab/lib/guest-init).
/// One PV and one PVH guest boot once and serve every check.
@Suite(.serialized, .enabled(if: Lab.isXenHost, "needs the lab's dom0 (Scripts/lab/run)"))
struct DeviceLabTests {
    static let bridge = "xkbr0"

    /// A dom0 bridge on 169.254.0.0/16 for the guests' interfaces (idempotent).
    static func makeBridge() throws {
        if FileManager.default.fileExists(atPath: "/sys/class/net/\(bridge)") { return }
        Lab.must(try Lab.run("ip", ["link", "add", bridge, "type", "bridge"]))
        Lab.must(try Lab.run("ip", ["addr", "add", "169.254.200.1/16", "dev", bridge]))
        Lab.must(try Lab.run("ip", ["link", "set", bridge, "up"]))
    }

    /// An 8 MiB backing file of zeros in dom0's tmpfs.
    static func backingFile(_ name: String) throws -> String {
        let path = "/dev/shm/xk-\(name).img"
        Lab.must(try Lab.run("dd", ["if=/dev/zero", "of=\(path)", "bs=1M", "count=8", "status=none"]))
        return path
    }

    /// Both tools' tables, which must be the same bytes; returned once they are (a frontend
    /// may still be changing state between the two calls).
    static func sameTable(_ verb: String, _ guest: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        var xk = "", xl = ""
        _ = try LifecycleLabTests.eventually(20) {
            xk = Lab.must(try Lab.xk(verb, guest), sourceLocation: sourceLocation).stdout
            xl = Lab.must(try Lab.xl(verb, guest), sourceLocation: sourceLocation).stdout
            return xk == xl
        }
        #expect(xk == xl, "xk \(verb):\n\(xk)\nxl \(verb):\n\(xl)", sourceLocation: sourceLocation)
        return xl
    }

    /// An xk command that must fail with `words` in its message and change nothing xl sees.
    static func refused(_ guest: String, _ words: String, _ arguments: String...,
                        sourceLocation: SourceLocation = #_sourceLocation) throws {
        let disks = try Lab.xl("block-list", guest).stdout, nics = try Lab.xl("network-list", guest).stdout
        let output = try Lab.run(Lab.xk, arguments)
        #expect(output.status == 1 && output.stderr.contains(words), "\(arguments): \(output)", sourceLocation: sourceLocation)
        #expect(try Lab.xl("block-list", guest).stdout == disks, "\(arguments) changed the disks", sourceLocation: sourceLocation)
        #expect(try Lab.xl("network-list", guest).stdout == nics, "\(arguments) changed the interfaces", sourceLocation: sourceLocation)
    }

    static func guestSays(_ guest: String, _ line: String, within seconds: Double = 90,
                          sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(LifecycleLabTests.eventually(seconds) { LifecycleLabTests.console(guest).contains(line) },
                "\(guest) never printed \(line): \(LifecycleLabTests.console(guest).suffix(1500))", sourceLocation: sourceLocation)
    }

    static func pings(_ address: String) throws -> Bool {
        try Lab.run("busybox", ["ping", "-c", "1", "-W", "2", address], timeout: 10).status == 0
    }

    @Test func disksAndInterfacesComeAndGoOnRunningGuests() throws {
        let guests = ["lab-pv", "lab-pvh"]
        LifecycleLabTests.cleanUp(guests[0], guests[1])
        defer { LifecycleLabTests.cleanUp(guests[0], guests[1]) }
        try Self.makeBridge()
        // lab-pv is also defined, for --persist; lab-pvh is not.
        let definition = "/var/lib/xenkit/domains/lab-pv"
        Lab.must(try Lab.xk("define", Lab.domainConfigs + "/lab-pv.cfg"))
        defer { _ = try? Lab.xk("undefine", "lab-pv") }
        for guest in guests { Lab.must(try Lab.run(Lab.xk, ["create", Lab.domainConfigs + "/\(guest).cfg"], timeout: 180)) }
        for guest in guests { Self.guestSays(guest, "XENKIT-GUEST uptime=") }

        // Refused before anything changes, each naming what is wrong.
        try Self.refused("lab-pv", "does not exist", "block-attach", "no-such-guest", "/dev/shm/x.img,raw,xvdb,w")
        for (index, guest) in guests.enumerated() {
            let n = index + 1
            try Self.refused(guest, "/dev/shm/missing.img: No such file or directory", "block-attach", guest, "/dev/shm/missing.img,raw,xvdb,w")
            try Self.refused(guest, "no vdev specified", "block-attach", guest, "/dev/shm/missing.img,raw")
            try Self.refused(guest, "dom0 has no bridge 'nosuchbr0'", "network-attach", guest, "bridge=nosuchbr0")
            try Self.refused(guest, "has no disk xvdz", "block-detach", guest, "xvdz")
            try Self.refused(guest, "has no network interface", "network-detach", guest, "7")
            if index == 1 {
                try Self.refused(guest, "is not defined", "block-attach", "--persist", guest, "/dev/shm/xk-lab-pv-b.img,raw,xvdb,w")
            }

            // A disk from xk: the guest writes its marker to it; both tools list it alike.
            let b = try Self.backingFile("\(guest)-b"), c = try Self.backingFile("\(guest)-c")
            Lab.must(index == 0 ? try Lab.xk("block-attach", "--persist", guest, "\(b),raw,xvdb,w")
                                : try Lab.xk("block-attach", guest, "\(b),raw,xvdb,w"))
            if index == 0 {   // kept in the definition too: its xl.cfg and its resolved config
                #expect(try String(contentsOfFile: definition + ".cfg", encoding: .utf8).contains("\"\(b),raw,xvdb,w\""))
                #expect(try String(contentsOfFile: definition + ".json", encoding: .utf8).contains("\"pdev_path\": \"\(b)\""))
            }
            Self.guestSays(guest, "XENKIT-GUEST-DISK xvdb marked")
            let table = try Self.sameTable("block-list", guest)
            #expect(table.split(separator: "\n").count == 2 && table.contains("51728"), "\(table)")
            let listed = try #require(try Lab.items(Lab.must(try Lab.xk("block-list", "--json", guest)).stdout, "disks"))
            #expect(listed.count == 1 && listed.first?["vdev"] as? String == "xvdb" && listed.first?["target"] as? String == b, "\(listed)")
            try Self.refused(guest, "already has a disk xvdb", "block-attach", guest, "\(c),raw,xvdb,w")
            // The running domain's config shows the disk, in xl list -l's bytes.
            let long = Lab.must(try Lab.xk("list", "-l", guest)).stdout
            #expect(long == (try Lab.xl("list", "-l", guest).stdout), "xk list -l:\n\(long)")
            #expect(long.contains("\"pdev_path\": \"\(b)\""), "\(long)")

            // A disk from xl, then a detach the guest cannot agree to (it is paused): it fails
            // after libxl's 10 s and the disk stays; -f takes it. (Linux 6.1's blkfront lets go
            // of a disk even while a process holds it open, so a paused guest stands in for a
            // guest that refuses.)
            Lab.must(try Lab.xl("block-attach", guest, "\(c),raw,xvdc,w"))
            Self.guestSays(guest, "XENKIT-GUEST-DISK xvdc marked")
            #expect(try Self.sameTable("block-list", guest).split(separator: "\n").count == 3)
            Lab.must(try Lab.xk("pause", guest))
            let refused = try Lab.xk("block-detach", guest, "xvdc")
            #expect(refused.status == 1 && refused.stderr.contains("did not release disk xvdc"), "\(refused)")
            #expect(try Lab.xl("block-list", guest).stdout.contains("51744"), "xvdc went although the guest did not let go")
            Lab.must(try Lab.xk("block-detach", "-f", guest, "xvdc"))
            #expect(try !Lab.xl("block-list", guest).stdout.contains("51744"))
            Lab.must(try Lab.xk("unpause", guest))
            Self.guestSays(guest, "XENKIT-GUEST-DISK-GONE xvdc")

            // xvdb goes (by xk from the PV guest, by xl from the PVH one): the guest lets go,
            // and the backing file holds what the guest wrote.
            Lab.must(index == 0 ? try Lab.xk("block-detach", "--persist", guest, "xvdb") : try Lab.xl("block-detach", guest, "xvdb"))
            if index == 0 {
                #expect(try !String(contentsOfFile: definition + ".json", encoding: .utf8).contains(b), "the definition kept \(b)")
            }
            Self.guestSays(guest, "XENKIT-GUEST-DISK-GONE xvdb")
            let head = try Lab.run("head", ["-c", "16", b]).stdout
            #expect(head.hasPrefix("XENKIT-MARK xvdb"), "\(b) begins with \(head.debugDescription)")
            #expect(try Self.sameTable("block-list", guest).split(separator: "\n").count == 1)
            #expect(try !Lab.xk("list", "-l", guest).stdout.contains(b), "the detached disk is still in xk list -l")

            // An interface on the bridge (from xk on PV, from xl on PVH): the guest brings it
            // up and dom0 reaches it; the other tool takes it away by MAC.
            let host = 10 + n   // 169.254.200.1 is dom0's; the guest takes the MAC's last two bytes
            let mac = "00:16:3e:00:c8:" + (host < 16 ? "0" : "") + String(host, radix: 16), address = "169.254.200.\(host)"
            Lab.must(index == 0 ? try Lab.xk("network-attach", guest, "bridge=\(Self.bridge),mac=\(mac)")
                                : try Lab.xl("network-attach", guest, "bridge=\(Self.bridge)", "mac=\(mac)"))
            Self.guestSays(guest, "XENKIT-GUEST-NET eth0 mac=\(mac) ip=\(address)")
            #expect(try LifecycleLabTests.eventually(30) { try Self.pings(address) }, "dom0 cannot ping \(guest) at \(address)")
            let nics = try Self.sameTable("network-list", guest)
            #expect(nics.contains(mac), "\(nics)")
            try Self.refused(guest, "already has an interface with MAC \(mac)", "network-attach", guest, "bridge=\(Self.bridge)", "mac=\(mac)")
            Lab.must(index == 0 ? try Lab.xl("network-detach", guest, mac) : try Lab.xk("network-detach", guest, mac))
            Self.guestSays(guest, "XENKIT-GUEST-NET-GONE eth0")
            #expect(try !Self.pings(address))
            #expect(try Self.sameTable("network-list", guest).split(separator: "\n").count == 1)
        }
        // The guests lived through it all.
        for guest in guests {
            #expect(ListRow.rows(try Lab.xl("list", guest)).first?.stableState == "----", "\(guest)")
        }
        // A disk kept with --persist is there at the defined domain's next start, from boot.
        let d = try Self.backingFile("lab-pv-d")
        Lab.must(try Lab.xk("block-attach", "--persist", "lab-pv", "\(d),raw,xvdd,w"))
        Self.guestSays("lab-pv", "XENKIT-GUEST-DISK xvdd marked")
        LifecycleLabTests.cleanUp("lab-pv")
        Lab.must(try Lab.run("dd", ["if=/dev/zero", "of=\(d)", "bs=512", "count=1", "conv=notrunc", "status=none"]))
        Lab.must(try Lab.run(Lab.xk, ["start", "lab-pv"], timeout: 180))
        Self.guestSays("lab-pv", "XENKIT-GUEST-DISK xvdd marked")
        #expect(try Self.sameTable("block-list", "lab-pv").contains("51760"))
        #expect(try Lab.run("head", ["-c", "16", d]).stdout.hasPrefix("XENKIT-MARK xvdd"))
    }
}
