import Foundation
import Testing

/// The HVM guest's CD-ROM drive and USB controllers (issue 13), on the end-to-end test's guest
/// (HVMLabTests.swift), which is created with disc 1 in drive hdc (an HVM boot of its own cost
/// 200 to 500 s): its init reads the label of each disc put in (Scripts/lab/lib/guest-init), and
/// xk and xl change and list the devices in turn. A drive left empty when a device model starts
/// crashes Debian's QEMU 7.2 (lab notes), so the guest keeps a disc through every save, restore
/// and migration.
extension HVMLabTests {
    typealias D = DeviceLabTests
    static let discs = ["/tmp/xk-disc1.iso", "/tmp/xk-disc2.iso"]

    /// lab-hvm.cfg with a CD-ROM drive holding disc 1; and the discs, labelled XKDISC1 and XKDISC2.
    static func configWithDisc() throws -> String {
        for (index, disc) in discs.enumerated() {
            let directory = "/tmp/xk-disc\(index + 1)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try "disc \(index + 1)\n".write(toFile: directory + "/README", atomically: true, encoding: .utf8)
            Lab.must(try Lab.run("genisoimage", ["-quiet", "-V", "XKDISC\(index + 1)", "-o", disc, directory]))
        }
        let path = "/tmp/lab-hvm-disc.cfg"
        let text = try String(contentsOfFile: config, encoding: .utf8)
            + "disk = [ 'format=raw, vdev=hdc, access=ro, devtype=cdrom, target=\(discs[0])' ]\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The labels the guest has read from its drive ("-": no disc), from its console logs: in
    /// order within each log, and a migrated guest logs under its incoming name, so count them
    /// rather than rely on the order across logs.
    static var discLabels: [String] {
        let log = L.console(name)
        let prefix = "XENKIT-GUEST-CD sr0 label="
        return log.split(whereSeparator: \.isNewline).compactMap { line in
            line.hasPrefix(prefix) ? String(line.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces) : nil
        }
    }

    /// Runs a tool's cd-insert or cd-eject; the device model holds `target` after it ("" when
    /// empty), and the guest reads `label` once more.
    static func changeDisc(_ tool: String, _ arguments: String..., holds target: String, reads label: String,
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
        let seen = discLabels.filter { $0 == label }.count
        // xk asks again while the guest keeps the tray locked (it reads the drive every 2 s);
        // xl fails at once, so here it is asked again as an operator would.
        var result = try Lab.run(tool == "xk" ? Lab.xk : "xl", arguments, timeout: 60)
        for _ in 0..<10 where tool == "xl" && result.status != 0 && result.stderr.contains("is locked") {
            Thread.sleep(forTimeInterval: 1)
            result = try Lab.run("xl", arguments, timeout: 60)
        }
        Lab.must(result, sourceLocation: sourceLocation)
        #expect(try driveTarget() == target, "\(tool) \(arguments)", sourceLocation: sourceLocation)
        // Known, intermittent, under TCG: in 1 of 4 lab runs the guest went on reading an empty
        // drive after a disc was put in (its kernel saw no media change), and its init then
        // started again; the device model held the new disc (xl list -l) all along.
        withKnownIssue("HVM guest under TCG: the guest's CD driver misses a media change", isIntermittent: true) {
            #expect(L.eventually(60) { discLabels.filter { $0 == label }.count > seen },
                    "\(tool) \(arguments): the guest did not read \(label): \(discLabels)\n\(L.console(name).suffix(2000))",
                    sourceLocation: sourceLocation)
        }
    }

    /// What xl list -l says drive hdc holds.
    static func driveTarget() throws -> String? {
        let listed = try Lab.json(Lab.must(try Lab.xl("list", "-l", name)).stdout) as? [[String: Any]]
        let disks = (listed?.first?["config"] as? [String: Any])?["disks"] as? [[String: Any]]
        return disks?.first { $0["vdev"] as? String == "hdc" }?["pdev_path"] as? String
    }

    static func cdromAndUSB() throws {
        #expect(try D.sameTable("block-list", name).contains("/backend/qdisk/"))

        // Refused, and the drive keeps its disc.
        for (arguments, words) in [(["hdc", "/tmp/xk-no-such.iso"], "/tmp/xk-no-such.iso: No such file or directory"),
                                   (["hdd", discs[1]], "it has no drive hdd")] {
            let refused = try Lab.run(Lab.xk, ["cd-insert", name] + arguments)
            #expect(refused.status == 1 && refused.stderr.contains(words), "\(refused)")
        }
        #expect(try Lab.xk("cd-insert", name, "hdd", discs[1]).stderr.contains("its CD-ROM drives: hdc"))
        #expect(try driveTarget() == discs[0])

        // Each tool changes the disc the other put in; by vdev or by number; the lists agree.
        try changeDisc("xk", "cd-insert", name, "hdc", discs[1], holds: discs[1], reads: "XKDISC2")
        #expect(Lab.must(try Lab.xk("list", "-l", name)).stdout == Lab.must(try Lab.xl("list", "-l", name)).stdout)
        try changeDisc("xl", "cd-eject", name, "hdc", holds: "", reads: "-")
        let listed = try Lab.items(Lab.must(try Lab.xk("block-list", "--json", name)).stdout, "disks")
        #expect(listed?.first?["target"] as? String == "" && listed?.first?["cdrom"] as? Bool == true, "\(String(describing: listed))")
        try changeDisc("xk", "cd-insert", name, "5632", discs[0], holds: discs[0], reads: "XKDISC1")
        try changeDisc("xk", "cd-eject", name, "hdc", holds: "", reads: "-")
        try changeDisc("xl", "cd-insert", name, "hdc", discs[1], holds: discs[1], reads: "XKDISC2")
        try changeDisc("xk", "cd-insert", name, "hdc", discs[0], holds: discs[0], reads: "XKDISC1")
        _ = try D.sameTable("block-list", name)

        // USB controllers of the device model's: each tool attaches one and the other takes it
        // away; the lists agree. A controller libxl refuses (version 2 has 6 ports) leaves none.
        let refused = try Lab.xk("usbctrl-attach", name, "type=devicemodel", "version=2", "ports=4")
        #expect(refused.status == 1 && refused.stderr.contains("always 6"), "\(refused)")
        #expect(try D.sameTable("usb-list", name).isEmpty)
        let state = "ls -la /var/lib/xen; xl list -v; xenstore-ls -f /libxl | head -40"
        for (attacher, detacher) in [("xk", "xl"), ("xl", "xk")] {
            let attached = try Lab.run(attacher == "xk" ? Lab.xk : "xl", ["-v", "usbctrl-attach", name, "type=devicemodel", "version=2", "ports=6"])
            #expect(attached.status == 0, "\(attacher): \(attached)\n\((try? Lab.run("sh", ["-c", state]))?.stdout ?? "")")
            let usb = try D.sameTable("usb-list", name)
            #expect(usb.contains("devicemodel") && usb.contains("  Port 6:"), "\(attacher): \(usb)")
            let controllers = try Lab.items(Lab.must(try Lab.xk("usb-list", "--json", name)).stdout, "controllers")
            #expect((controllers?.first?["ports"] as? [Any])?.count == 6, "\(String(describing: controllers))")
            guard let devid = controllers?.first?["devid"] as? Int else { continue }
            let missing = try Lab.xk("usbctrl-detach", name, "\(devid + 5)")
            #expect(missing.status == 1 && missing.stderr.contains("has no USB controller \(devid + 5)"), "\(missing)")
            Lab.must(try Lab.run(detacher == "xk" ? Lab.xk : "xl", ["usbctrl-detach", name, "\(devid)"]))
            #expect(try D.sameTable("usb-list", name).isEmpty, "\(detacher) usbctrl-detach")
        }
        // No channels or vTPMs: the same header from both.
        _ = try D.sameTable("channel-list", name)
        _ = try D.sameTable("vtpm-list", name)
    }
}
