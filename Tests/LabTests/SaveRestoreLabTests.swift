import Foundation
import Testing

/// Issue 5's save and restore on the real hypervisor: round trips between xk and xl in both
/// directions, checkpoints, bad files that must leave nothing behind, and a save that fails
/// midway (a full disk) and must leave the domain running.
@Suite(.serialized, .enabled(if: Lab.isXenHost, "needs the lab's dom0 (Scripts/lab/run)"))
struct SaveRestoreLabTests {
    typealias L = LifecycleLabTests
    typealias S = ShutdownActionsLabTests
    static let folder = "/var/lib/xen/save"
    static let file = folder + "/lab-pv.save"

    /// The guest's uptimes so far, from its console.
    static func uptimes() -> [Double] {
        L.console("lab-pv").split(whereSeparator: \.isNewline).compactMap { line in
            guard let range = line.range(of: "XENKIT-GUEST uptime=") else { return nil }
            return Double(line[range.upperBound...].prefix { $0 != " " })
        }
    }

    static func readyCount() -> Int { L.console("lab-pv").components(separatedBy: "XENKIT-GUEST-READY").count - 1 }

    static func cleanUp() {
        _ = try? Lab.killAll("[x]k watch")
        S.cleanUp()
        try? FileManager.default.removeItem(atPath: folder)
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    /// A running lab-pv whose guest has printed uptimes; returns the latest.
    static func startGuest() throws -> Double {
        Lab.must(try Lab.run(Lab.xk, ["create", "-q", S.config], timeout: 180))
        #expect(L.eventually(90) { (uptimes().last ?? 0) >= 2 }, "the guest did not come up: \(L.console("lab-pv"))")
        return uptimes().last ?? 0
    }

    static func onlyDom0() throws -> Bool { try L.xlNames() == ["Domain-0"] }

    @Test(arguments: [("xk", "xk"), ("xk", "xl"), ("xl", "xk")])
    func roundTrip(saver: String, restorer: String) throws {
        Self.cleanUp()
        defer { Self.cleanUp() }
        let before = try Self.startGuest()
        let saved = try Lab.run(saver == "xk" ? Lab.xk : "xl", ["save", "lab-pv", Self.file], timeout: 300)
        #expect(saved.status == 0, "\(saver) save: \(saved)")
        #expect(try Self.onlyDom0(), "\(saver) save left the domain")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: Self.folder)
        #expect(leftovers == ["lab-pv.save"], "\(leftovers)")

        let restored = try Lab.run(restorer == "xk" ? Lab.xk : "xl", ["restore", Self.file], timeout: 300)
        #expect(restored.status == 0, "\(restorer) restore: \(restored)")
        #expect(try L.xlNames().contains("lab-pv"))
        // The same kernel goes on: its uptime keeps counting, and it did not boot again.
        #expect(L.eventually(60) { Self.uptimes().contains { $0 > before + 2 } }, "\(L.console("lab-pv"))")
        #expect(Self.readyCount() == 1, "the guest booted again: \(L.console("lab-pv"))")
        Lab.must(try Lab.xl("destroy", "lab-pv"))
    }

    /// -c leaves the domain running, -p leaves it paused; both files restore.
    @Test func checkpointAndPaused() throws {
        Self.cleanUp()
        defer { Self.cleanUp() }
        _ = try Self.startGuest()
        let checkpoint = try Lab.run(Lab.xk, ["save", "-c", "--json", "lab-pv", Self.file], timeout: 300)
        #expect(checkpoint.status == 0, "\(checkpoint)")
        let report = try Lab.json(checkpoint.stdout) as? [String: Any]
        #expect(report?["outcome"] as? String == "running" && (report?["bytes"] as? Int ?? 0) > 64 << 20, "\(checkpoint.stdout)")
        let after = Self.uptimes().last ?? 0
        #expect(L.eventually(30) { (Self.uptimes().last ?? 0) > after + 2 }, "the guest stopped after save -c")
        // The domain is followed again after the save: its watcher is back.
        let uuid = try #require(try S.domain("lab-pv")?["uuid"] as? String)
        #expect(L.eventually(20) { ((try? Lab.run("flock", ["-n", "/run/xenkit/watch/\(uuid).lock", "true"]))?.status ?? 0) != 0 })

        Lab.must(try Lab.run(Lab.xk, ["save", "-p", "lab-pv", Self.folder + "/paused.save"], timeout: 300))
        #expect(try S.domain("lab-pv")?["paused"] as? Bool == true)
        Lab.must(try Lab.xk("destroy", "lab-pv"))
        Lab.must(try Lab.run(Lab.xk, ["restore", "-p", Self.file], timeout: 300))
        #expect(try S.domain("lab-pv")?["paused"] as? Bool == true)
        Lab.must(try Lab.xk("unpause", "lab-pv"))
        #expect(L.eventually(60) { (Self.uptimes().last ?? 0) > after })
    }

    /// Truncated, corrupt and foreign files are refused with the reason, and leave no domain.
    @Test func badFilesLeaveNothing() throws {
        Self.cleanUp()
        defer { Self.cleanUp() }
        _ = try Self.startGuest()
        Lab.must(try Lab.run(Lab.xk, ["save", "lab-pv", Self.file], timeout: 300))
        // Each bad file is a copy of the good one, made and removed with shell tools: dom0's
        // files live in its memory, which has no room for several copies at once.
        let size = try #require(try FileManager.default.attributesOfItem(atPath: Self.file)[.size] as? Int)
        let header = try #require(FileHandle(forReadingAtPath: Self.file)?.readData(ofLength: 52))
        let streamStart = 48 + Int(header[44]) + Int(header[45]) << 8 + Int(header[46]) << 16
        let corrupt = Lab.repository + "/Scripts/lab/lib/corrupt-save"
        let cases: [(String, String, String)] = [
            ("truncated", "truncate -s \(size / 2) BAD", "truncated"),
            ("magic", "printf '!' | dd of=BAD bs=1 seek=5 conv=notrunc status=none", "not a Xen save file"),
            ("ident", "printf '!' | dd of=BAD bs=1 seek=\(streamStart) conv=notrunc status=none", "LibxlFmt"),
            ("zero-tail", "truncate -s \(size / 2) BAD && head -c 8 /dev/zero >>BAD", "truncated"),
            // libxl's header, checked before libxl reads it (issue 12, finding 8): a version 1
            // stream, and the big-endian option bit set.
            ("version", "printf '\\001' | dd of=BAD bs=1 seek=\(streamStart + 11) conv=notrunc status=none", "version 1"),
            ("big-endian", "printf '\\001' | dd of=BAD bs=1 seek=\(streamStart + 15) conv=notrunc status=none", "big-endian"),
            // Complete in shape, but a record in the middle is of a type libxc must refuse:
            // only libxl can tell, midway through building the domain.
            ("mid-stream", "\(corrupt) BAD 3", "cannot restore domain 'lab-pv'"),
        ]
        for (label, mangle, reason) in cases {
            let path = Self.folder + "/\(label).save"
            Lab.must(try Lab.run("sh", ["-c", "cp \(Self.file) \(path) && " + mangle.replacingOccurrences(of: "BAD", with: path)]))
            let result = try Lab.run(Lab.xk, ["restore", path], timeout: 300)
            #expect(result.status == 1 && result.stderr.contains(path) && result.stderr.contains(reason), "\(label): \(result)")
            #expect(try Self.onlyDom0(), "\(label) left a domain: \((try? L.xlNames()) ?? [])")
            try? FileManager.default.removeItem(atPath: path)
        }
        let foreign = Self.folder + "/foreign.save"
        try Data("name = \"x\"\n".utf8).write(to: URL(fileURLWithPath: foreign))
        let refused = try Lab.run(Lab.xk, ["restore", foreign], timeout: 60)
        #expect(refused.status == 1 && refused.stderr.contains("not a Xen save file"), "\(refused)")
        // The good file still restores.
        Lab.must(try Lab.run(Lab.xk, ["restore", Self.file], timeout: 300))
        Lab.must(try Lab.xl("destroy", "lab-pv"))
    }

    /// A save that fails midway (the disk fills up) leaves an earlier file at FILE as it was
    /// and nothing beside it, the domain running and followed by its watcher again (issue 12,
    /// findings 1 and 13); so does one to a folder that does not exist; and one that SIGTERM
    /// interrupts (finding 12). A save that works writes a file only root can read (finding 4).
    @Test func failedSaveLeavesTheDomainRunning() throws {
        Self.cleanUp()
        defer {
            _ = try? Lab.run("umount", ["/tmp/xk-tiny"])
            Self.cleanUp()
        }
        _ = try Self.startGuest()
        let uuid = try #require(try S.domain("lab-pv")?["uuid"] as? String)
        func watched() -> Bool {
            L.eventually(20) { ((try? Lab.run("flock", ["-n", "/run/xenkit/watch/\(uuid).lock", "true"]))?.status ?? 0) != 0 }
        }
        func runsOn(_ label: String) throws {
            let row = try #require(try S.domain("lab-pv"))
            #expect(row["shutdown"] as? Bool == false && row["paused"] as? Bool == false, "\(label): \(row)")
            let after = Self.uptimes().last ?? 0
            #expect(L.eventually(30) { (Self.uptimes().last ?? 0) > after + 2 }, "\(label): the guest did not run on: \(L.console("lab-pv"))")
        }
        Lab.must(try Lab.run("sh", ["-c", "mkdir -p /tmp/xk-tiny && mount -t tmpfs -o size=16m tmpfs /tmp/xk-tiny && printf earlier >/tmp/xk-tiny/lab-pv.save"]))
        let full = try Lab.run(Lab.xk, ["save", "lab-pv", "/tmp/xk-tiny/lab-pv.save"], timeout: 300)
        #expect(full.status == 1 && full.stderr.contains("cannot save domain 'lab-pv'") && full.stderr.contains("runs again")
                && full.stderr.contains("was not touched"), "\(full)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: "/tmp/xk-tiny") == ["lab-pv.save"])
        #expect(try String(contentsOfFile: "/tmp/xk-tiny/lab-pv.save", encoding: .utf8) == "earlier", "the earlier file was lost")
        try runsOn("full disk")
        #expect(watched(), "the domain has no watcher after the failed save")

        let nowhere = try Lab.run(Lab.xk, ["save", "lab-pv", "/nonexistent/lab-pv.save"], timeout: 60)
        #expect(nowhere.status == 1 && nowhere.stderr.contains("/nonexistent") && nowhere.stderr.contains("not touched"), "\(nowhere)")
        #expect(try S.domain("lab-pv")?["shutdown"] as? Bool == false)

        // SIGTERM into the save: it rolls back, whatever step it was at. Sent once xk has taken
        // SIGTERM over (caught, or blocked for its signal source: bit 0x4000 of SigCgt or
        // SigBlk), then half a second on. A blind "a second in" once hit an xk still starting
        // under load (CI, stop 21), which the default action killed before it touched anything.
        Lab.must(try Lab.run("sh", ["-c", "printf earlier >\(Self.file)"]))
        let takenOver = #"awk '/^Sig(Cgt|Blk):/ { d = substr($2, length($2) - 3, 1); v = index("0123456789abcdef", d) - 1; if (int(v / 4) % 2) t = 1 } END { exit !t }' /proc/$p/status"#
        let interrupted = try Lab.run("sh", ["-c", "\(Lab.xk) save lab-pv \(Self.file) & p=$!; i=0; until \(takenOver) || [ $i -ge 300 ]; do sleep 0.05; i=$((i + 1)); done; sleep 0.5; kill -TERM $p; wait $p"], timeout: 300)
        #expect(interrupted.status == 1 && interrupted.stderr.contains("interrupted by a signal"), "\(interrupted)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: Self.folder) == ["lab-pv.save"])
        #expect(try String(contentsOfFile: Self.file, encoding: .utf8) == "earlier", "the earlier file was lost")
        try runsOn("SIGTERM")
        #expect(watched(), "the domain has no watcher after the interrupted save")

        // umask 0 and still 0600: the file holds the guest's memory.
        Lab.must(try Lab.run("sh", ["-c", "umask 0; exec \(Lab.xk) save lab-pv \(Self.file)"], timeout: 300))
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: Self.file)[.posixPermissions] as? Int)
        #expect(mode == 0o600, "mode \(String(mode, radix: 8))")
    }
}
