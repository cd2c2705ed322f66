import Foundation
import Testing

/// The shutdown actions of issue 7 on the real hypervisor: the guest itself reboots, powers
/// off or panics (its init reads xenkit.reboot_after / xenkit.crash_after from the kernel
/// command line), and the watcher `xk create` leaves behind carries out the config's action.
@Suite(.serialized, .enabled(if: Lab.isXenHost, "needs the lab's dom0 (Scripts/lab/run)"))
struct ShutdownActionsLabTests {
    typealias L = LifecycleLabTests
    static let config = Lab.domainConfigs + "/lab-pv.cfg"

    /// `extra=` for the lab guest with one of its test behaviours.
    static func extra(_ behaviour: String) -> String {
        "extra=\"console=hvc0 quiet \(behaviour)\""
    }

    /// The domain's `xk list --json` object, or nil when there is no such domain.
    static func domain(_ name: String) throws -> [String: Any]? {
        let output = try Lab.xk("list", "--json", name)
        guard output.status == 0 else { return nil }
        return try Lab.items(output.stdout, "domains")?.first
    }

    static func domid(_ name: String) throws -> Int? { try domain(name)?["domid"] as? Int }

    static func watcherLog(_ name: String) -> String {
        (try? String(contentsOfFile: "/var/log/xen/xk-\(name).log", encoding: .utf8)) ?? ""
    }

    /// A process's nice value, from /proc (field 19 of its stat line).
    static func niceness(_ pid: Int32) -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        return fields.count > 16 ? Int(fields[16]) : nil
    }

    /// The pid in a watcher's lock, once it has written it.
    static func watcherPID(uuid: String) -> Int32? {
        let text = (try? String(contentsOfFile: "/run/xenkit/watch/\(uuid).lock", encoding: .utf8)) ?? ""
        return text.hasSuffix("\n") ? Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) : nil
    }

    static func cleanUp() {
        // A watcher left by an earlier test (xl's daemon or xk's) could rebuild lab-pv after
        // the destroy below, if that guest was rebooting: stop them first.
        _ = try? Lab.killAll("[x]l create", "[x]k watch")
        L.cleanUp("lab-pv")
        for name in (try? L.xlNames()) ?? [] where name.hasPrefix("lab-pv-") { _ = try? Lab.xl("destroy", name) }
        try? FileManager.default.removeItem(atPath: "/var/log/xen/xk-lab-pv.log")
        try? FileManager.default.removeItem(atPath: "/var/lib/xen/dump/lab-pv")
    }

    /// on_reboot = "restart", with xk's watcher and, for reference, with xl's: the guest comes
    /// back under its name and UUID with a new domid, and boots again.
    @Test(arguments: ["xk", "xl"])
    func rebootRestartsTheGuest(tool: String) throws {
        Self.cleanUp()
        defer { Self.cleanUp() }
        let program = tool == "xk" ? Lab.xk : "xl"
        Lab.must(try Lab.run(program, ["create", "-q", Self.config, Self.extra("xenkit.reboot_after=4")], timeout: 180))
        let first = try #require(try Self.domain("lab-pv"))
        #expect(try L.eventually(120) { (try Self.domid("lab-pv")).map { $0 != first["domid"] as? Int } ?? false },
                "\(tool): the domain was not restarted; log: \(Self.watcherLog("lab-pv"))")
        let second = try #require(try Self.domain("lab-pv"))
        #expect(second["uuid"] as? String == first["uuid"] as? String)
        #expect(L.eventually(60) { L.console("lab-pv").components(separatedBy: "XENKIT-GUEST-READY").count >= 3 },
                "\(tool): the restarted guest did not boot; console: \(L.console("lab-pv"))")
        if tool == "xk" {
            let log = Self.watcherLog("lab-pv")
            #expect(log.contains("shut down (reboot): action restart") && log.contains("restarted: id \(first["domid"]!) -> "), "\(log)")
            // It started niced and acts at the create's priority.
            let pid = try #require(Self.watcherPID(uuid: first["uuid"] as? String ?? ""))
            #expect(Self.niceness(pid) == 0)
        }
        // Destroyed by the operator: the watcher notices and ends. The guest reboots every few
        // seconds, so the destroy may land while the watcher rebuilds it (no domain to destroy
        // for a moment, or a new one just after): the operator destroys again until it stays
        // gone, as a script would.
        // Gone means gone for 3 s: in a gap of the watcher's rebuild the name is briefly absent.
        #expect(try L.eventually(60) {
            _ = try Lab.xl("destroy", "lab-pv")
            Thread.sleep(forTimeInterval: 1)
            guard try !L.xlNames().contains("lab-pv") else { return false }
            Thread.sleep(forTimeInterval: 3)
            return try !L.xlNames().contains("lab-pv") && (tool == "xl" || Self.watcherLog("lab-pv").contains("done: the domain is gone"))
        }, "\(Self.watcherLog("lab-pv"))")
    }

    /// on_poweroff = "destroy": a guest that powers off is removed.
    @Test func poweroffDestroysTheDomain() throws {
        Self.cleanUp()
        defer { Self.cleanUp() }
        Lab.must(try Lab.run(Lab.xk, ["create", "-q", Self.config], timeout: 180))
        #expect(L.eventually(60) { L.console("lab-pv").contains("XENKIT-GUEST-READY") })
        Lab.must(try Lab.run(Lab.xk, ["shutdown", "-w", "--timeout", "120", "lab-pv"], timeout: 150))
        #expect(try L.eventually(30) { try !L.xlNames().contains("lab-pv") }, "\(Self.watcherLog("lab-pv"))")
        #expect(Self.watcherLog("lab-pv").contains("shut down (poweroff): action destroy"))
    }

    /// on_crash = "preserve": a guest whose kernel panics stays, shut down with reason crash.
    @Test func crashIsPreserved() throws {
        Self.cleanUp()
        defer { Self.cleanUp() }
        Lab.must(try Lab.run(Lab.xk, ["create", "-q", Self.config, Self.extra("xenkit.crash_after=4")], timeout: 180))
        #expect(try L.eventually(90) { try Self.domain("lab-pv")?["shutdown_reason"] as? String == "crash" },
                "\(Self.watcherLog("lab-pv"))")
        #expect(L.eventually(20) { Self.watcherLog("lab-pv").contains("is left as it is") }, "\(Self.watcherLog("lab-pv"))")
        let row = ListRow.rows(try Lab.xl("list", "lab-pv")).first
        #expect(row?.stableState == "-sc-", "\(String(describing: row))")
    }

    /// on_crash = "rename-restart": the crashed domain stays as NAME-<UTC time> and a new copy
    /// runs under the name.
    @Test func crashRenameRestart() throws {
        Self.cleanUp()
        defer { Self.cleanUp() }
        Lab.must(try Lab.run(Lab.xk, ["create", "-q", Self.config, Self.extra("xenkit.crash_after=4"),
                                      "on_crash=\"rename-restart\""], timeout: 180))
        let first = try #require(try Self.domid("lab-pv"))
        #expect(try L.eventually(120) { try L.xlNames().contains { $0.hasPrefix("lab-pv-") } },
                "\(Self.watcherLog("lab-pv"))")
        let preserved = try #require(try L.xlNames().first { $0.hasPrefix("lab-pv-") })
        #expect(preserved.wholeMatch(of: /lab-pv-\d{8}T\d{4}Z/) != nil, "\(preserved)")
        #expect(try Self.domid(preserved) == first)
        #expect(try L.eventually(60) { (try Self.domid("lab-pv")).map { $0 != first } ?? false })
        // Destroy the new copy first: it crashes again after a few seconds.
        Lab.must(try Lab.xl("destroy", "lab-pv"))
    }

    /// on_crash = "coredump-destroy": the core is written where xl writes it, then the
    /// domain is destroyed.
    @Test func crashCoredumpDestroy() throws {
        Self.cleanUp()
        defer { Self.cleanUp() }
        Lab.must(try Lab.run(Lab.xk, ["create", "-q", Self.config, Self.extra("xenkit.crash_after=4"),
                                      "on_crash=\"coredump-destroy\""], timeout: 180))
        #expect(try L.eventually(120) { try !L.xlNames().contains("lab-pv") }, "\(Self.watcherLog("lab-pv"))")
        let size = (try? FileManager.default.attributesOfItem(atPath: "/var/lib/xen/dump/lab-pv"))?[.size] as? Int ?? 0
        #expect(size > 64 << 20, "core dump of \(size) bytes; log: \(Self.watcherLog("lab-pv"))")
        #expect(Self.watcherLog("lab-pv").contains("core dumped to /var/lib/xen/dump/lab-pv"))
    }

    /// One watcher per domain: a second `xk watch` declines, naming the first. Killing the
    /// watcher loses no policy: a new `xk watch` carries out the action the guest asked for
    /// while nobody watched.
    @Test func oneWatcherAndNothingLostWhenItDies() throws {
        Self.cleanUp()
        defer { Self.cleanUp() }
        Lab.must(try Lab.run(Lab.xk, ["create", "-q", Self.config, Self.extra("xenkit.reboot_after=20")], timeout: 180))
        let first = try #require(try Self.domain("lab-pv"))
        let lock = "/run/xenkit/watch/\(first["uuid"] as? String ?? "").lock"
        #expect(L.eventually(20) { ((try? String(contentsOfFile: lock, encoding: .utf8)) ?? "").hasSuffix("\n") })
        let pid = try #require(Int32(try String(contentsOfFile: lock, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        // The watcher xk create started niced waits at the create's priority.
        #expect(L.eventually(20) { Self.watcherLog("lab-pv").contains("watching domain") })
        #expect(Self.niceness(pid) == 0)

        let second = try Lab.xk("watch", "lab-pv")
        #expect(second.status == 0 && second.stdout.contains("not watching: process \(pid)"), "\(second)")

        kill(pid, SIGKILL)
        // The guest reboots with nobody watching: it stays shut down.
        #expect(try L.eventually(90) { try Self.domain("lab-pv")?["shutdown_reason"] as? String == "reboot" })
        // A new watcher finds it so and restarts it, once.
        Lab.must(try Lab.run("sh", ["-c", "setsid \(Lab.xk) watch lab-pv >>/var/log/xen/xk-lab-pv.log 2>&1 &"]))
        #expect(try L.eventually(90) { (try Self.domid("lab-pv")).map { $0 != first["domid"] as? Int } ?? false },
                "\(Self.watcherLog("lab-pv"))")
        // The new domain shows before the watcher logs the restart.
        #expect(L.eventually(20) { Self.watcherLog("lab-pv").contains("restarted: id") })
        #expect(Self.watcherLog("lab-pv").components(separatedBy: "restarted: id").count == 2, "\(Self.watcherLog("lab-pv"))")
    }

    /// `xk create -e` leaves no watcher, as `xl create -e`: the powered-off guest stays.
    @Test func noWatcherWithE() throws {
        Self.cleanUp()
        defer { Self.cleanUp() }
        Lab.must(try Lab.run(Lab.xk, ["create", "-e", "-q", Self.config], timeout: 180))
        #expect(L.eventually(60) { L.console("lab-pv").contains("XENKIT-GUEST-READY") })
        Lab.must(try Lab.run(Lab.xk, ["shutdown", "-w", "--timeout", "120", "lab-pv"], timeout: 150))
        Thread.sleep(forTimeInterval: 3)
        #expect(try Self.domain("lab-pv")?["shutdown_reason"] as? String == "poweroff")
        #expect(Self.watcherLog("lab-pv").isEmpty)
    }
}
