import Foundation
import Testing

/// Issue 5's live migration on the real hypervisor, to the same host through a pipe: xk to
/// xk, xk to xl and xl to xk with a PVH guest; a PV guest fails cleanly (Debian's Xen has no
/// shadow paging); and the transport broken at each point of the protocol never leaves two
/// running copies, and leaves the source running whenever the receiver was not told to go.
@Suite(.serialized, .enabled(if: Lab.isXenHost, "needs the lab's dom0 (Scripts/lab/run)"))
struct MigrationLabTests {
    typealias L = LifecycleLabTests
    typealias S = ShutdownActionsLabTests
    static let pvh = Lab.domainConfigs + "/lab-pvh.cfg"
    /// Puts the xk under test first on PATH for the receiver (`-s env DOMAIN PATH=...`).
    static let path = "PATH=" + (Lab.xk as NSString).deletingLastPathComponent + ":/usr/sbin:/usr/bin:/sbin:/bin"
    static let receive = "env \(path) xk -v migrate-receive"   // -v: libxl's own words on failure

    static func rows() throws -> [ListRow] { ListRow.rows(Lab.must(try Lab.xl("list"))) }

    /// Names of the running (not shut down, not paused) domains other than dom0.
    static func running() throws -> [String] {
        try rows().filter { $0.name != "Domain-0" && !$0.stableState.contains("s") && !$0.stableState.contains("p") }.map(\.name)
    }

    static func cleanUp() {
        _ = try? Lab.killAll("[x]k watch")
        for row in (try? rows()) ?? [] where row.name.hasPrefix("lab-") { _ = try? Lab.xl("destroy", row.name) }
        for name in ["lab-pvh", "lab-pv"] { L.cleanUp(name) }
    }

    static func uptimes(_ name: String) -> [Double] {
        L.console(name).split(whereSeparator: \.isNewline).compactMap { line in
            guard let range = line.range(of: "XENKIT-GUEST uptime=") else { return nil }
            return Double(line[range.upperBound...].prefix { $0 != " " })
        }
    }

    /// A folder whose `xl` is xk, as on a host where xk is installed as xl.
    static func xkAsXl() throws -> String {
        let folder = "/tmp/xk-as-xl"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder + "/xl", withDestinationPath: Lab.xk)
        return folder
    }

    static func startGuest(_ config: String = pvh, _ name: String = "lab-pvh") throws -> (domid: Int, uptime: Double) {
        Lab.must(try Lab.run(Lab.xk, ["create", "-q", config], timeout: 180))
        #expect(L.eventually(120) { (uptimes(name).last ?? 0) >= 6 }, "\(name) did not come up: \(L.console(name))")
        return (try #require(try S.domid(name)), uptimes(name).last ?? 0)
    }

    /// One guest, migrated three times in a row: xk to xk, xk to xl, xl to xk (one boot for
    /// the three, where each had its own; CI's time). After each, the guest runs on in a new
    /// domain under its name, alone, without booting again.
    @Test func localMigrationEachWay() throws {
        Self.cleanUp()
        defer { Self.cleanUp() }
        var (domid, _) = try Self.startGuest()
        for (sender, receiver) in [("xk", "xk"), ("xk", "xl"), ("xl", "xk")] {
            let uptime = Self.uptimes("lab-pvh").max() ?? 0
            let arguments: [String] = switch (sender, receiver) {
            // Compressed as between two hosts (to this same host xk sends it plain unless asked).
            case ("xk", "xk"): ["migrate", "--compress", "1", "-s", "env", "lab-pvh", Self.path]
            case ("xk", _): ["migrate", "--receiver", "xl", "-s", "env", "lab-pvh", "X=1"]
            // xl's own rune, with xk installed as xl on the receiving side: "xl -t -v
            // migrate-receive" (xl's global options before the subcommand).
            default: ["-t", "-v", "migrate", "-s", "env", "lab-pvh", "PATH=\(try Self.xkAsXl()):/usr/sbin:/usr/bin:/sbin:/bin"]
            }
            let result = try Lab.run(sender == "xk" ? Lab.xk : "xl", arguments, timeout: 600)
            #expect(result.status == 0, "\(sender) -> \(receiver): \(result)")
            if sender == "xk" { #expect(result.stdout.contains("downtime"), "\(result)") }
            // Between xk ends the stream is compressed (zstd, level 1 by default), and says
            // so; to xl's receiver it is xl's plain wire.
            if (sender, receiver) == ("xk", "xk") {
                let numbers = result.stdout.firstMatch(of: /(\d+) MiB sent as (\d+) MiB \(zstd level 1\)/)
                let (raw, wire) = (Int(numbers?.1 ?? "") ?? 0, Int(numbers?.2 ?? "") ?? 0)
                #expect(raw >= 100 && wire > 0 && wire * 2 < raw, "\(result)")
            }
            if (sender, receiver) == ("xk", "xl") { #expect(!result.stdout.contains("zstd"), "\(result)") }
            #expect(try Self.running() == ["lab-pvh"], "\(sender) -> \(receiver): \((try? Self.rows()) ?? [])")
            let now = try #require(try S.domid("lab-pvh"))
            #expect(now != domid, "\(sender) -> \(receiver): still domain \(domid)")
            domid = now
            #expect(L.eventually(60) { (Self.uptimes("lab-pvh").max() ?? 0) > uptime + 2 },
                    "\(sender) -> \(receiver): the guest does not run on: \(L.console("lab-pvh"))")
            #expect(L.console("lab-pvh").components(separatedBy: "XENKIT-GUEST-READY").count == 2, "the guest booted again")
        }
    }

    /// A PV guest cannot be migrated live here: the source keeps running, under its name.
    @Test func pvMigrationFailsCleanly() throws {
        Self.cleanUp()
        defer { Self.cleanUp() }
        let (before, uptime) = try Self.startGuest(S.config, "lab-pv")
        let result = try Lab.run(Lab.xk, ["migrate", "-s", "env", "lab-pv", Self.path], timeout: 300)
        #expect(result.status == 1 && result.stderr.contains("runs here") && result.stderr.contains("log-dirty"), "\(result)")
        #expect(try Self.running() == ["lab-pv"], "\((try? Self.rows()) ?? [])")
        #expect(try S.domid("lab-pv") == before)
        #expect(L.eventually(30) { (Self.uptimes("lab-pv").last ?? 0) > uptime + 2 })
    }

    /// The transport fails before GO, at several points: the source runs again, alone, each
    /// time. One guest serves all the cases (after each, it is the source that runs on).
    @Test func faultBeforeGoLeavesTheSourceRunning() throws {
        Self.cleanUp()
        defer { Self.cleanUp() }
        let (before, _) = try Self.startGuest()
        let cases = [
            ("no receiver", "true"),
            ("receiver killed", "sh -c '\(Self.receive) & p=$!; sleep 4; kill -9 $p'"),
            ("stream cut", "head -c 20000000 | \(Self.receive)"),
            ("stream corrupt", "\(Lab.repository)/Scripts/lab/lib/corrupt-stream | \(Self.receive)"),
            ("ready lost", "\(Self.receive) | dd bs=1 count=54 status=none"),
            // xk to xk, compressed: bits flipped inside the compressed stream.
            ("compressed stream garbled", "\(Lab.repository)/Scripts/lab/lib/corrupt-compressed | \(Self.receive) --compressed"),
        ]
        for (label, transport) in cases {
            let uptime = Self.uptimes("lab-pvh").last ?? 0
            let compress = transport.hasSuffix("--compressed") ? ["--compress", "1"] : []
            let result = try Lab.run(Lab.xk, ["migrate", "-s", ""] + compress + ["lab-pvh", transport], timeout: 600)
            #expect(result.status == 1 && result.stderr.contains("runs here"), "\(label): \(result)")
            #expect(try L.eventually(30) { try Self.running() == ["lab-pvh"] }, "\(label): \((try? Self.rows()) ?? [])")
            #expect(try S.domid("lab-pvh") == before, "\(label): the source is not the one running")
            #expect(try L.eventually(30) { try !L.xlNames().contains("lab-pvh--incoming") }, "\(label): the receiver left its copy: \((try? Self.rows()) ?? [])")
            #expect(L.eventually(30) { (Self.uptimes("lab-pvh").last ?? 0) > uptime + 2 }, "\(label): the source did not run on")
        }
    }

    // `dd bs=1` and not `head -c`: head holds what it read in its stdio buffer until it has
    // all of it, which would keep the banner from the sender.

    /// GO was sent but the report never came back: the receiver runs the domain, the source
    /// stays suspended as NAME--migratedaway, and xk says so instead of guessing.
    @Test func reportLostAfterGoLeavesOneCopy() throws {
        Self.cleanUp()
        defer { Self.cleanUp() }
        _ = try Self.startGuest()
        let result = try Lab.run(Lab.xk, ["migrate", "-s", "", "lab-pvh", "\(Self.receive) | dd bs=1 count=88 status=none"], timeout: 600)
        #expect(result.status == 1 && result.stderr.contains("final handshake") && result.stderr.contains("lab-pvh--migratedaway"), "\(result)")
        #expect(try L.eventually(30) { try Self.running() == ["lab-pvh"] }, "\((try? Self.rows()) ?? [])")
        let away = try #require(try Self.rows().first { $0.name == "lab-pvh--migratedaway" })
        #expect(away.stableState.contains("s"), "the source copy is not suspended: \(away)")
    }

    /// Issue 12 on one guest: a receiver that takes the stream and never answers runs the
    /// sender out of time (finding 11); SIGTERM during the stream rolls the migration back
    /// (finding 12); after each the source runs under its own name, alone, and its watcher
    /// follows it again (finding 13).
    @Test func silentReceiverAndSignalLeaveTheSourceRunning() throws {
        Self.cleanUp()
        defer { Self.cleanUp() }
        let (before, _) = try Self.startGuest()
        let uuid = try #require(try S.domain("lab-pvh")?["uuid"] as? String)
        func runsHereAlone(_ label: String) throws {
            #expect(try L.eventually(30) { try Self.running() == ["lab-pvh"] }, "\(label): \((try? Self.rows()) ?? [])")
            #expect(try S.domid("lab-pvh") == before, "\(label): the source is not the one running")
            #expect(try L.eventually(60) { try !L.xlNames().contains("lab-pvh--incoming") }, "\(label): \((try? Self.rows()) ?? [])")
            let uptime = Self.uptimes("lab-pvh").last ?? 0
            #expect(L.eventually(30) { (Self.uptimes("lab-pvh").last ?? 0) > uptime + 2 }, "\(label): the source did not run on")
            #expect(L.eventually(20) { ((try? Lab.run("flock", ["-n", "/run/xenkit/watch/\(uuid).lock", "true"]))?.status ?? 0) != 0 },
                    "\(label): the source has no watcher")
        }
        let banner = "printf 'xl migration receiver ready, send binary domain data.\\n'"
        let silent = try Lab.run(Lab.xk, ["migrate", "--timeout", "15", "-s", "", "lab-pvh", "sh -c \"\(banner); exec cat >/dev/null\""], timeout: 600)
        #expect(silent.status == 1 && silent.stderr.contains("timed out waiting for the receiver's \"ready\"")
                && silent.stderr.contains("runs here"), "\(silent)")
        try runsHereAlone("silent receiver")

        // The signal comes once the migration is under way (the receiver has built its copy):
        // a fixed sleep let a slow lab host deliver it before xk had started, which the default
        // action then ended ("Terminated"), proving nothing.
        let signalled = try Lab.run("sh", ["-c", "\(Lab.xk) migrate -s env lab-pvh \(Self.path) & p=$!; "
            + "for i in $(seq 240); do xl list lab-pvh--incoming >/dev/null 2>&1 && break; sleep 0.5; done; "
            + "kill -TERM $p; wait $p"], timeout: 600)
        #expect(signalled.status == 1 && signalled.stderr.contains("interrupted by a signal") && signalled.stderr.contains("runs here"), "\(signalled)")
        try runsHereAlone("SIGTERM")
    }
}
