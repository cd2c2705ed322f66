import Foundation
import Synchronization
import Testing

/// `xk create` and the lifecycle commands on the real hypervisor, checked with xl.
@Suite(.serialized, .enabled(if: Lab.isXenHost, "needs the lab's dom0 (Scripts/lab/run)"))
struct LifecycleLabTests {
    static let consoleDir = "/var/log/xen/console"

    /// The guest's console log so far (all files xenconsoled wrote for this name).
    static func console(_ name: String) -> String {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: consoleDir)) ?? []
        return files.filter { $0.hasPrefix("guest-\(name)") }
            .compactMap { try? String(contentsOfFile: consoleDir + "/" + $0, encoding: .utf8) }
            .joined(separator: "\n")
    }

    /// Waits up to `seconds` for `condition`.
    static func eventually(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.5)
        }
        return try condition()
    }

    static func xlNames() throws -> [String] {
        ListRow.rows(Lab.must(try Lab.xl("list"))).map(\.name)
    }

    /// Destroys the domains and empties their console logs (xenconsoled appends to them), so
    /// that a test sees only its own guest's output.
    static func cleanUp(_ names: String...) {
        for name in names {
            _ = try? Lab.xl("destroy", name)
            let files = (try? FileManager.default.contentsOfDirectory(atPath: consoleDir)) ?? []
            for file in files where file.hasPrefix("guest-\(name)") {
                truncate(consoleDir + "/" + file, 0)
            }
        }
    }

    @Test(arguments: ["lab-pv", "lab-pvh"])
    func guestRunsPausesAndStops(name: String) throws {
        Self.cleanUp(name)
        defer { Self.cleanUp(name) }
        let created = try Lab.run(Lab.xk, ["create", Lab.domainConfigs + "/\(name).cfg"], timeout: 180)
        #expect(created.status == 0, "\(created)")
        #expect(created.stdout.contains("Created domain '\(name)'"))

        // The guest itself runs: its console shows the marker, then its report lines.
        #expect(Self.eventually(60) { Self.console(name).contains("XENKIT-GUEST-READY") },
                "console: \(Self.console(name))")
        #expect(try Lab.xk("domid", name).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            == Lab.xl("domid", name).stdout.trimmingCharacters(in: .whitespacesAndNewlines))

        Lab.must(try Lab.xk("pause", name))
        // Paused: 'p'. The r/b letters are left out: a vCPU blocked when the pause came stays
        // blocked ("-bp---") until an event wakes it, which can fall between two listings.
        let pausedXk = ListRow.rows(try Lab.xk("list", name)).first
        let pausedXl = ListRow.rows(try Lab.xl("list", name)).first
        #expect(pausedXk?.stableState == "p---", "xk: \(String(describing: pausedXk))")
        #expect(pausedXl?.stableState == "p---", "xl: \(String(describing: pausedXl))")
        #expect(pausedXk?.state.first == "-", "a paused domain runs no vCPU: \(String(describing: pausedXk))")
        Lab.must(try Lab.xk("unpause", name))
        #expect(ListRow.rows(try Lab.xl("list", name)).first?.stableState == "----")

        // A clean shutdown: the guest powers off; -w returns once it has.
        let shutdown = try Lab.run(Lab.xk, ["shutdown", "-w", "--timeout", "120", name], timeout: 150)
        #expect(shutdown.status == 0, "\(shutdown)")
        #expect(shutdown.stderr.contains("has shut down (poweroff)") || shutdown.stderr.contains("destroyed"),
                "\(shutdown)")

        // on_poweroff = "destroy": the watcher xk create left removes it.
        #expect(try Self.eventually(30) { try !Self.xlNames().contains(name) })
    }

    /// `xk reboot -w`: the guest's kernel reboots. Created with -e (no watcher to restart it),
    /// the domain is left shut down with reason reboot, which xk list --json shows.
    @Test func rebootReachesTheGuest() throws {
        Self.cleanUp("lab-pv")
        defer { Self.cleanUp("lab-pv") }
        Lab.must(try Lab.run(Lab.xk, ["create", "-e", "-q", Lab.domainConfigs + "/lab-pv.cfg"], timeout: 180))
        #expect(Self.eventually(60) { Self.console("lab-pv").contains("XENKIT-GUEST-READY") })
        let reboot = try Lab.run(Lab.xk, ["reboot", "-w", "--timeout", "120", "lab-pv"], timeout: 150)
        #expect(reboot.status == 0, "\(reboot)")
        // The guest's kernel restarts itself at the request (its ctrl-alt-del path).
        #expect(Self.console("lab-pv").contains("reboot: Restarting system"), "console: \(Self.console("lab-pv"))")
        let json = try Lab.items(Lab.must(try Lab.xk("list", "--json", "lab-pv")).stdout, "domains")
        #expect(json?.first?["shutdown_reason"] as? String == "reboot", "\(String(describing: json))")
        // list -v's reason code column (1: reboot) and the rest of its row, as xl's.
        let xk = ListRow.stableTable(Lab.must(try Lab.xk("list", "-v", "lab-pv")).stdout)
        let xl = ListRow.stableTable(Lab.must(try Lab.xl("list", "-v", "lab-pv")).stdout)
        #expect(xk == xl && xk.contains("sr-  T"), "xk:\n\(xk)\nxl:\n\(xl)")
    }

    /// `xk console` attaches to the guest's console as `xl console` does (under a pty, as a
    /// person would use it): the guest's report lines come through.
    @Test func consoleShowsTheGuest() throws {
        Self.cleanUp("lab-pv")
        defer { Self.cleanUp("lab-pv") }
        Lab.must(try Lab.run(Lab.xk, ["create", "-q", Lab.domainConfigs + "/lab-pv.cfg"], timeout: 180))
        #expect(Self.eventually(60) { Self.console("lab-pv").contains("XENKIT-GUEST-READY") })
        for tool in [Lab.xk, "xl"] {
            let attached = try Lab.console(tool, "lab-pv")
            #expect(attached.stdout.contains("XENKIT-GUEST uptime="), "\(tool) console: \(attached)")
        }
    }

    @Test func renameDomnameAndDestroy() throws {
        Self.cleanUp("lab-pv", "lab-renamed")
        defer { Self.cleanUp("lab-pv", "lab-renamed") }
        Lab.must(try Lab.run(Lab.xk, ["create", "-p", "-q", Lab.domainConfigs + "/lab-pv.cfg"], timeout: 180))
        let id = try Lab.xl("domid", "lab-pv").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        Lab.must(try Lab.xk("rename", "lab-pv", "lab-renamed"))
        #expect(try Lab.xl("domname", id).stdout == "lab-renamed\n")
        #expect(try Lab.xk("domname", id).stdout == "lab-renamed\n")
        let clash = try Lab.xk("rename", id, "Domain-0")
        #expect(clash.status == 1 && clash.stderr.contains("already named 'Domain-0'"), "\(clash)")
        Lab.must(try Lab.xk("destroy", id))
        #expect(try !Self.xlNames().contains("lab-renamed"))
    }

    /// The lab's own configs and a third of the corpus, live against this host's xl (about 1 s
    /// per xl or xk run under TCG, so all 69 took 154 s of CI): the unit tests compare every
    /// config with the JSON xl printed in this lab (Fixtures/xl-json); this catches fixtures
    /// gone stale, and xk's checks against the real host's files.
    @Test func dryRunMatchesXlsJSON() throws {
        let fm = FileManager.default
        func cfgs(_ dir: String) -> [String] {
            ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".cfg") }.sorted()
                .map { dir + "/" + $0 }
        }
        let corpus = cfgs(Lab.domainConfigs + "/corpus")
        #expect(corpus.count >= 40)
        // Every third corpus config (PV, PVH and HVM ones, spread over the alphabet), and the
        // one whose known difference the check below must keep allowing.
        let sample = corpus.enumerated().filter { $0.offset % 3 == 0 || $0.element.hasSuffix("/hvm-gfx-passthru-bool.cfg") }
        let configs = cfgs(Lab.domainConfigs) + sample.map(\.element)
        #expect(configs.contains { $0.contains("/corpus/hvm") } && configs.contains { $0.contains("/corpus/pvh") })
        var differing: [String] = []
        for config in configs {
            let xl = Lab.must(try Lab.xl("-N", "create", config))
            let xk = Lab.must(try Lab.xk("create", "-n", config))
            if Self.normalised(xk.stdout) != Self.normalised(xl.stdout) { differing.append(config) }
        }
        // One known, documented difference: xl's uninitialised rdm policy (see README), which
        // may or may not show, depending on what was on xl's stack.
        let unexpected = differing.filter { !$0.hasSuffix("/hvm-gfx-passthru-bool.cfg") }
        #expect(unexpected.isEmpty, "xk create -n differs from xl -N create for \(unexpected)")
    }

    /// The JSON with its generated uuid blanked.
    static func normalised(_ json: String) -> String {
        json.replacingOccurrences(of: #""uuid": "[0-9a-f-]{36}""#, with: "\"uuid\": \"-\"",
                                  options: .regularExpression)
            .replacingOccurrences(of: #""ms_vm_genid": "[0-9a-f]+""#, with: "\"ms_vm_genid\": \"-\"",
                                  options: .regularExpression)
    }

    // MARK: - failures leave nothing behind

    @Test func badKernelLeavesNoDomain() throws {
        let before = try Self.xlNames()
        let dir = FileManager.default.temporaryDirectory.path
        let kernel = dir + "/not-a-kernel"
        try Data("this is not an ELF image".utf8).write(to: URL(fileURLWithPath: kernel))
        let config = dir + "/bad-kernel.cfg"
        try "name = \"lab-bad-kernel\"\nkernel = \"\(kernel)\"\nmemory = 64\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let output = try Lab.run(Lab.xk, ["create", config], timeout: 120)
        #expect(output.status == 1, "\(output)")
        #expect(output.stderr.contains("cannot create domain 'lab-bad-kernel'"), "\(output)")
        #expect(try Self.xlNames() == before)
    }

    /// Devices that cannot be attached (libxl would fail halfway through the build, in the
    /// hotplug scripts): xk's host check refuses them first, naming the device, and no domain
    /// is left behind.
    @Test(arguments: [
        "disk=['/nonexistent/lab-disk.img,raw,xvda,w']",
        "vif=['bridge=no-such-bridge']",
    ])
    func unattachableDeviceLeavesNoDomain(device: String) throws {
        let before = try Self.xlNames()
        let output = try Lab.run(Lab.xk, ["create", Lab.domainConfigs + "/lab-pv.cfg",
                                          "name=\"lab-bad-device\"", device], timeout: 180)
        #expect(output.status == 1, "\(output)")
        #expect(output.stderr.contains("domain 'lab-bad-device' does not fit this host"), "\(output)")
        #expect(output.stderr.contains("/nonexistent/lab-disk.img does not exist") || output.stderr.contains("bridge no-such-bridge does not exist"), "\(output)")
        let after = try Self.xlNames()
        #expect(try Self.eventually(20) { try Self.xlNames() == before }, "xl list: \(after)")
    }

    @Test func tooMuchMemoryIsRefusedBeforeBuilding() throws {
        let before = try Self.xlNames()
        let output = try Lab.run(Lab.xk, ["create", Lab.domainConfigs + "/lab-pv.cfg",
                                          "name=\"lab-huge\"", "memory=200000", "maxmem=200000"])
        #expect(output.status == 1, "\(output)")
        // Refused by the host check before anything is built, with the figures.
        #expect(output.stderr.contains("domain 'lab-huge' does not fit this host: memory: the domain needs 200"), "\(output)")
        #expect(try Self.xlNames() == before)
    }

    @Test func duplicateNameIsRefused() throws {
        Self.cleanUp("lab-pv")
        defer { Self.cleanUp("lab-pv") }
        Lab.must(try Lab.run(Lab.xk, ["create", "-p", "-q", Lab.domainConfigs + "/lab-pv.cfg"], timeout: 180))
        let before = try Self.xlNames()
        let again = try Lab.run(Lab.xk, ["create", Lab.domainConfigs + "/lab-pv.cfg"], timeout: 180)
        #expect(again.status == 1)
        #expect(again.stderr.contains("a domain named 'lab-pv' already exists"), "\(again)")
        #expect(try Self.xlNames() == before)
    }

    @Test func concurrentCreatesOfOneNameMakeOneDomain() throws {
        Self.cleanUp("lab-pv")
        defer { Self.cleanUp("lab-pv") }
        let config = Lab.domainConfigs + "/lab-pv.cfg"
        let results = Mutex<[Lab.Output]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            let output = (try? Lab.run(Lab.xk, ["create", "-p", config], timeout: 180))
                ?? Lab.Output(status: -1, stdout: "", stderr: "did not run")
            results.withLock { $0.append(output) }
        }
        let outputs = results.withLock { $0 }
        #expect(outputs.filter { $0.status == 0 }.count == 1, "\(outputs)")
        let loser = outputs.first { $0.status != 0 }
        #expect(loser?.stderr.contains("lab-pv") == true, "\(outputs)")
        #expect(try Self.xlNames().filter { $0 == "lab-pv" }.count == 1)
    }

    @Test func unknownDomainsAreNamed() throws {
        for command in [["pause"], ["unpause"], ["destroy"], ["shutdown"], ["reboot"], ["rename"], ["domid"]] {
            let arguments = command + (command == ["rename"] ? ["no-such-domain", "x"] : ["no-such-domain"])
            let output = try Lab.run(Lab.xk, arguments)
            #expect(output.status == 1)
            #expect(output.stderr == "xk: domain 'no-such-domain' does not exist\n", "\(command): \(output)")
        }
    }
}
