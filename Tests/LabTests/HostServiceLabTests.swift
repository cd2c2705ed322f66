import Foundation
import Testing

/// Issue 7's host service (`xk daemon`) and definitions on the real hypervisor: the service
/// carries out shutdown actions for all domains, adopts domains created before it, acts once
/// on a shutdown that happened while it was down, and starts autostart definitions.
@Suite(.serialized, .enabled(if: Lab.isXenHost, "needs the lab's dom0 (Scripts/lab/run)"))
struct HostServiceLabTests {
    typealias L = LifecycleLabTests
    typealias S = ShutdownActionsLabTests
    static let log = "/var/log/xen/xk-daemon.log"

    static func daemonLog() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    /// Starts `xk daemon` in the background; returns its pid once it follows domains.
    static func startDaemon() throws -> Int32 {
        let started = Lab.must(try Lab.run("sh", ["-c", "setsid \(Lab.xk) daemon --rescan 2 >>\(log) 2>&1 </dev/null & echo $!"]))
        let pid = try #require(Int32(started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(L.eventually(30) { daemonLog().contains("started: following") }, "\(daemonLog())")
        return pid
    }

    /// Whether some process holds the service's lock.
    static func daemonRuns() -> Bool {
        ((try? Lab.run("flock", ["-n", "/run/xenkit/daemon.lock", "true"]))?.status ?? 0) != 0
    }

    static func cleanUp() {
        if daemonRuns() { _ = try? Lab.killAll("[x]k daemon") }
        _ = try? Lab.killAll("[x]k watch")
        S.cleanUp()
        _ = try? Lab.xk("undefine", "lab-pv")
        try? FileManager.default.removeItem(atPath: log)
    }

    /// on_reboot = "restart" with the service running: xk create leaves no watcher of its
    /// own, the service restarts the guest; SIGTERM stops the service cleanly.
    @Test func serviceCarriesOutActions() throws {
        Self.cleanUp()
        defer { Self.cleanUp() }
        let daemon = try Self.startDaemon()
        Lab.must(try Lab.run(Lab.xk, ["create", "-q", S.config, S.extra("xenkit.reboot_after=4")], timeout: 180))
        let first = try #require(try S.domid("lab-pv"))
        #expect(try L.eventually(120) { (try S.domid("lab-pv")).map { $0 != first } ?? false }, "\(Self.daemonLog())")
        #expect(L.eventually(20) { Self.daemonLog().contains("restarted: id \(first) -> ") }, "\(Self.daemonLog())")
        #expect(S.watcherLog("lab-pv").isEmpty, "a per-domain watcher ran beside the service")
        Lab.must(try Lab.xl("destroy", "lab-pv"))

        kill(daemon, SIGTERM)
        #expect(L.eventually(30) { Self.daemonLog().contains("stopped") && !Self.daemonRuns() }, "\(Self.daemonLog())")
    }

    /// The service adopts a domain created before it started; killed, it loses nothing: the
    /// guest reboots while no one watches, and the next service restarts it, once.
    @Test func serviceAdoptsAndActsOnceAfterItsDeath() throws {
        Self.cleanUp()
        defer { Self.cleanUp() }
        Lab.must(try Lab.run(Lab.xk, ["create", "-q", S.config, S.extra("xenkit.reboot_after=25")], timeout: 180))
        let first = try #require(try S.domain("lab-pv"))
        let firstID = try #require(first["domid"] as? Int)
        // Its own watcher dies; the service takes the domain over.
        try Lab.killAll("[x]k watch")
        let daemon = try Self.startDaemon()
        #expect(L.eventually(20) { Self.daemonLog().contains("following domain 'lab-pv' (\(firstID))") }, "\(Self.daemonLog())")
        // The service dies too, before the guest reboots.
        kill(daemon, SIGKILL)
        #expect(L.eventually(10) { !Self.daemonRuns() })
        #expect(try L.eventually(90) { try S.domain("lab-pv")?["shutdown_reason"] as? String == "reboot" })
        // A new service finds the domain shut down and restarts it, once.
        let second = try Self.startDaemon()
        #expect(try L.eventually(90) { (try S.domid("lab-pv")).map { $0 != firstID } ?? false }, "\(Self.daemonLog())")
        // The log line follows the new domain's build and unpause: on a loaded lab host, the
        // new domid showed more than 6 s before it.
        func restarts() -> Int { Self.daemonLog().components(separatedBy: "restarted: id").count - 1 }
        #expect(L.eventually(60) { restarts() >= 1 }, "\(Self.daemonLog())")
        let restartedID = try S.domid("lab-pv")
        Thread.sleep(forTimeInterval: 6)   // three rescans
        #expect(try S.domid("lab-pv") == restartedID)
        #expect(try S.domain("lab-pv")?["uuid"] as? String == first["uuid"] as? String)
        #expect(restarts() == 1, "\(Self.daemonLog())")
        kill(second, SIGTERM)
        #expect(L.eventually(30) { !Self.daemonRuns() })
    }

    /// define / autostart / start / list --defined / undefine.
    @Test func definitionsAndAutostart() throws {
        Self.cleanUp()
        defer { Self.cleanUp() }
        Lab.must(try Lab.xk("define", S.config, "memory=96"))
        Lab.must(try Lab.xk("autostart", "lab-pv", "on", "--order", "3"))
        let listed = try #require(try Lab.items(Lab.must(try Lab.xk("list", "--defined", "--json")).stdout, "definitions"))
        #expect(listed.count == 1 && listed.first?["autostart"] as? Bool == true && listed.first?["domid"] is NSNull, "\(listed)")

        // The service starts it when it starts, and reports it.
        let daemon = try Self.startDaemon()
        #expect(L.eventually(60) { Self.daemonLog().contains("autostart: started 'lab-pv'") }, "\(Self.daemonLog())")
        let domain = try #require(try S.domain("lab-pv"))
        #expect((90...97).contains((domain["memory_kib"] as? Int ?? 0) / 1024), "the override memory=96 was lost: \(domain)")
        #expect(L.eventually(60) { L.console("lab-pv").contains("XENKIT-GUEST-READY") })
        let row = try #require(try Lab.items(Lab.must(try Lab.xk("list", "--defined", "--json", "lab-pv")).stdout, "definitions"))
        #expect(row.first?["domid"] as? Int == domain["domid"] as? Int)

        // A second start refuses: the domain runs.
        let again = try Lab.xk("start", "lab-pv")
        #expect(again.status == 1 && again.stderr.contains("already exists"), "\(again)")

        // Undefine leaves the running domain running.
        Lab.must(try Lab.xk("undefine", "lab-pv"))
        #expect(try S.domid("lab-pv") == domain["domid"] as? Int)
        #expect(try Lab.items(Lab.must(try Lab.xk("list", "--defined", "--json")).stdout, "definitions")?.isEmpty == true)
        kill(daemon, SIGTERM)
        #expect(L.eventually(30) { !Self.daemonRuns() })

        // xk start without the service: builds it from the definition, with its UUID.
        Lab.must(try Lab.xl("destroy", "lab-pv"))
        Lab.must(try Lab.xk("define", S.config))
        Lab.must(try Lab.run(Lab.xk, ["start", "lab-pv"], timeout: 180))
        let uuid = try S.domain("lab-pv")?["uuid"] as? String
        Lab.must(try Lab.xl("destroy", "lab-pv"))
        Lab.must(try Lab.run(Lab.xk, ["start", "lab-pv"], timeout: 180))
        #expect(try S.domain("lab-pv")?["uuid"] as? String == uuid)
    }
}
