import Foundation
import Testing

/// An HVM guest end to end on the real hypervisor (issue 17), beside xl. HVM boots are slow
/// under TCG (its init runs about 70 s after the create, 300 s when the other lab host is busy),
/// so one test drives one guest through everything that needs it running, its CD-ROM drive and
/// USB controllers included (HVMLabTests+Devices.swift), and boots it a second time only for
/// `reboot -w`; xk monitor follows it throughout. HVMServiceLabTests has the guest without PV drivers (`shutdown -F`)
/// under the host service.
@Suite(.serialized, .enabled(if: Lab.isXenHost, "needs the lab's dom0 (Scripts/lab/run)"))
struct HVMLabTests {
    typealias L = LifecycleLabTests
    typealias M = MigrationLabTests
    typealias S = ShutdownActionsLabTests
    static let config = Lab.domainConfigs + "/lab-hvm.cfg"
    static let name = "lab-hvm"

    static func cleanUp() {
        _ = try? Lab.killAll("[x]k watch")
        for row in (try? M.rows()) ?? [] where row.name.hasPrefix(name) { _ = try? Lab.xl("destroy", row.name) }
        L.cleanUp(name)
    }

    /// The device models running for domain `id` (Debian's qemu-system-xen).
    static func deviceModels(_ id: Int) -> [String] {
        let output = (try? Lab.run("sh", ["-c", "ps -eo args | grep '^/usr/libexec/xen-qemu-system-i386 -xen-domid \(id) ' || true"]).stdout) ?? ""
        return output.split(separator: "\n").map(String.init)
    }

    /// The guest's last uptime line (the PV console's log, whatever names the guest had).
    static var uptime: Double { M.uptimes(name).max() ?? 0 }

    /// How many times the guest's init started (one per boot).
    static var boots: Int { L.console(name).components(separatedBy: "XENKIT-GUEST-READY").count - 1 }

    /// The guest runs on after a step that moved or stopped it: a new domain, under its name,
    /// running alone, its init's uptime going on from before, not booted again.
    /// `booted` is how many times its init had started before the step.
    static func runsOn(after step: String, from domid: Int, uptime: Double, booted: Int,
                       sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        let now = try #require(try S.domid(name), "\(step): no domain \(name): \((try? M.rows()) ?? []), watcher: \(S.watcherLog(name))",
                               sourceLocation: sourceLocation)
        #expect(now != domid, "\(step): still domain \(domid)", sourceLocation: sourceLocation)
        #expect(try M.running() == [name], "\(step): \((try? M.rows()) ?? [])", sourceLocation: sourceLocation)
        #expect(L.eventually(60) { Self.uptime > uptime + 2 }, "\(step): the guest does not run on: \(L.console(name))",
                sourceLocation: sourceLocation)
        #expect(boots == booted, "\(step): the guest booted again", sourceLocation: sourceLocation)
        #expect(L.eventually(30) { deviceModels(domid).isEmpty }, "\(step): the old domain's device model is left",
                sourceLocation: sourceLocation)
        #expect(deviceModels(now).count == 1, "\(step): no device model for domain \(now)", sourceLocation: sourceLocation)
        return now
    }

    @Test func hvmGuestEndToEnd() throws {
        Self.cleanUp()
        defer { Self.cleanUp() }
        let clock = ContinuousClock()
        let started = clock.now
        // Created with disc 1 in its CD-ROM drive, hdc.
        Lab.must(try Lab.run(Lab.xk, ["create", "-q", try Self.configWithDisc()], timeout: 180))
        var domid = try #require(try S.domid(Self.name))
        let created = clock.now
        // xk monitor follows the guest through everything below, as it does PV guests.
        let monitor = try MonitorLabTests.Monitor(["--domain", Self.name])
        let listed = try Lab.json(Lab.must(try Lab.xl("list", "-l", Self.name)).stdout) as? [[String: Any]]
        let cInfo = (listed?.first?["config"] as? [String: Any])?["c_info"] as? [String: Any]
        #expect(cInfo?["type"] as? String == "hvm", "xl list -l: \(String(describing: listed))")
        #expect(Self.deviceModels(domid).count == 1, "no device model for domain \(domid)")
        try #require(L.eventually(600) { Self.uptime >= 6 }, "the HVM guest did not come up: \(L.console(Self.name))")
        print("HVM guest: created in \(started.duration(to: created)), init running \(started.duration(to: clock.now)) after the create")

        // Its consoles: the serial port (a pty; the guest's init copies its lines there) and the
        // PV console, both through xenconsole.
        for type in ["serial", "pv"] {
            let attached = try Lab.console(Lab.xk, "-t", type, Self.name)
            #expect(attached.stdout.contains("XENKIT-GUEST uptime="), "console -t \(type): \(attached)")
        }

        // xk list as xl list; pause and unpause.
        func row(_ tool: String) throws -> ListRow? {
            ListRow.rows(Lab.must(try Lab.run(tool == "xk" ? Lab.xk : "xl", ["list", Self.name]))).first
        }
        #expect(try row("xk")?.stableColumns == row("xl")?.stableColumns)
        Lab.must(try Lab.xk("pause", Self.name))
        #expect(try row("xl")?.state.contains("p") == true)
        #expect(try row("xk")?.stableColumns == row("xl")?.stableColumns)
        Lab.must(try Lab.xk("unpause", Self.name))
        #expect(try row("xl")?.state.contains("p") == false)

        // The balloon and vCPU hot-plug through the guest's PV drivers and ACPI.
        Lab.must(try Lab.run(Lab.xk, ["mem-set", "--wait", Self.name, "160m"], timeout: 90))
        #expect(try row("xl").map { $0.mem <= 160 } == true, "\(String(describing: try? row("xl")))")
        Lab.must(try Lab.run(Lab.xk, ["vcpu-set", "--wait", Self.name, "2"], timeout: 90))
        #expect(L.eventually(30) { L.console(Self.name).contains("cpus=2") }, "the guest does not see its second vCPU")
        #expect(try row("xk")?.stableColumns == row("xl")?.stableColumns)

        // The CD-ROM drive and USB controllers, changed by each tool in turn; it ends with disc 1
        // in the drive (a device model started with an empty drive crashes: lab notes). A guest
        // that missed a media change may have started its init again (a known issue there), so
        // the steps below count boots from here.
        #expect(L.eventually(60) { Self.discLabels.last == "XKDISC1" }, "the guest does not read disc 1: \(Self.discLabels)")
        try Self.cdromAndUSB()
        let booted = Self.boots

        // save/restore, xk and xl each way; then live migration on this host, each way.
        let file = "/tmp/lab-hvm.save"
        for (saver, restorer) in [("xk", "xk"), ("xk", "xl"), ("xl", "xk")] {
            let uptime = Self.uptime
            Lab.must(try Lab.run(saver == "xk" ? Lab.xk : "xl", ["save", Self.name, file], timeout: 300))
            #expect(try S.domid(Self.name) == nil, "\(saver) save left the domain")
            Lab.must(try Lab.run(restorer == "xk" ? Lab.xk : "xl", ["restore", file], timeout: 300))
            guard (saver, restorer) == ("xl", "xk") else {
                domid = try Self.runsOn(after: "\(saver) save, \(restorer) restore", from: domid, uptime: uptime, booted: booted)
                if restorer == "xk" && saver == "xk" {
                    // The new device model has disc 1, and its drive still changes.
                    #expect(try Self.driveTarget() == Self.discs[0], "the restored domain lost its disc")
                    try Self.changeDisc("xk", "cd-insert", Self.name, "hdc", Self.discs[1], holds: Self.discs[1], reads: "XKDISC2")
                }
                continue
            }
            // Known, intermittent, and so far a lab problem: in 2 of 5 lab runs a dom0 process
            // segfaulted at this step, about 220 s into the boot (an xk in one run, leaving no
            // domain; `ps` in the other, so the device model looked missing), with a jump to a
            // garbage address. The lab notes already record dom0 and guest processes dying under
            // QEMU 7.2's TCG with AVX offered (see DomainConfigs/lab-hvm.cfg); masking AVX from
            // the lab's CPU is the candidate fix, to be measured across the whole lab first.
            // Recorded as a known issue so that the rest of the test still runs and reports.
            var restored: Int?
            withKnownIssue("HVM: xl save then xk restore goes wrong intermittently", isIntermittent: true) {
                restored = try Self.runsOn(after: "\(saver) save, \(restorer) restore", from: domid, uptime: uptime, booted: booted)
            }
            guard let next = try restored ?? S.domid(Self.name) else { return }
            domid = next
        }
        unlink(file)
        // A receiver not told to trust its sender (a bare socket) refuses this guest before
        // building anything: its device model would read the dom0 files kernel= and ramdisk=
        // name, and the guest could read them back. xl's source runs on.
        let refused = try Lab.run("xl", ["migrate", "-s", "", Self.name, M.receive], timeout: 300)
        #expect(refused.status != 0 && refused.stderr.contains("kernel /var/lib/xenkit-lab/vmlinuz read by the device model")
                && refused.stderr.contains("--trust-sender"), "\(refused)")
        #expect(try S.domid(Self.name) == domid && M.running() == [Self.name], "\((try? M.rows()) ?? [])")
        for (sender, receiver) in [("xk", "xk"), ("xk", "xl"), ("xl", "xk")] {
            let uptime = Self.uptime
            let arguments: [String] = switch (sender, receiver) {
            case ("xk", "xk"): ["migrate", "-s", "env", Self.name, M.path]
            case ("xk", _): ["migrate", "--receiver", "xl", "-s", "env", Self.name, "X=1"]
            default: ["migrate", "-s", "", Self.name, M.receive + " --trust-sender"]
            }
            let result = try Lab.run(sender == "xk" ? Lab.xk : "xl", arguments, timeout: 600)
            #expect(result.status == 0, "\(sender) -> \(receiver): \(result)")
            if sender == "xk" { print("HVM migration \(sender) -> \(receiver): \(result.stdout.split(separator: "\n").last ?? "")") }
            domid = try Self.runsOn(after: "migration \(sender) -> \(receiver)", from: domid, uptime: uptime, booted: booted)
        }

        // reboot -w: the watcher the last receiver left builds it again (on_reboot=restart),
        // with a device model of its own, and the old one goes.
        Lab.must(try Lab.run(Lab.xk, ["reboot", "-w", Self.name], timeout: 180))
        #expect(L.eventually(600) { Self.boots == booted + 1 }, "the guest did not boot again: \(S.watcherLog(Self.name))")
        let rebooted = try #require(try S.domid(Self.name))
        #expect(rebooted != domid)
        #expect(L.eventually(30) { Self.deviceModels(domid).isEmpty }, "the device model of the domain before the reboot is left")
        #expect(Self.deviceModels(rebooted).count == 1)
        domid = rebooted

        // shutdown -w through the PV control node; then destroy: no device model left.
        let shutdown = Lab.must(try Lab.run(Lab.xk, ["shutdown", "-w", "--timeout", "120", Self.name], timeout: 180))
        let rows = (try? M.rows()) ?? []
        #expect(try M.running().isEmpty, "\(rows)")
        let destroyed = try Lab.xk("destroy", Self.name)   // gone already when a watcher carried out on_poweroff
        #expect(L.eventually(30) { Self.deviceModels(domid).isEmpty }, "the device model outlived shutdown and destroy")
        // (Once, in a lab run of stop 30, a domain lab-hvm was left here, not running, its device
        // model gone; cause not found. What each step saw, for when it happens again.)
        #expect(L.eventually(30) { (try? S.domid(Self.name)) == nil },
                """
                a domain \(Self.name) is left after shutdown -w and destroy: \((try? M.rows()) ?? []); after shutdown \(domid): \(rows); \
                shutdown: \(shutdown); destroy: \(destroyed); watcher: \(S.watcherLog(Self.name)); monitor: \(monitor.log)
                """)

        // What the monitor saw: each step, as for a PV guest.
        let seen = Set(monitor.kinds)
        let expected: Set<String> = ["paused", "unpaused", "memory-target-changed", "vcpus-changed", "shutdown-requested", "shutdown",
                                     "destroyed", "created", "started", "migration-out", "migration-in-started", "migration-in-completed"]
        #expect(expected.isSubset(of: seen), "missing \(expected.subtracting(seen)): \(monitor.log)")
        #expect(monitor.stop())

        // destroy of a paused, never-run copy: its device model goes with it.
        Lab.must(try Lab.run(Lab.xk, ["create", "-p", "-e", "-q", Self.config], timeout: 180))
        let paused = try #require(try S.domid(Self.name))
        #expect(Self.deviceModels(paused).count == 1)
        Lab.must(try Lab.xk("destroy", Self.name))
        #expect(try S.domid(Self.name) == nil)
        #expect(L.eventually(30) { Self.deviceModels(paused).isEmpty }, "the device model outlived destroy")
    }
}
