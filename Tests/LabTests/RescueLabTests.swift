import Foundation
import Testing

/// xl's diagnostic and rescue verbs (issue 14) on the real hypervisor, beside xl: the
/// hypervisor's log and debug keys, a guest's SysRq key, triggers, its core and uptimes. One PV
/// guest.
@Suite(.serialized, .enabled(if: Lab.isXenHost, "needs the lab's dom0 (Scripts/lab/run)"))
struct RescueLabTests {
    typealias L = LifecycleLabTests
    typealias S = ShutdownActionsLabTests
    static let name = "lab-pv"

    /// `xl uptime`'s rows as (name, id, seconds).
    static func uptimes(_ output: String) -> [(name: String, id: Int, seconds: Int)] {
        output.split(separator: "\n").dropFirst().compactMap { line in
            let words = line.split(separator: " ", maxSplits: 2)
            guard words.count == 3, let id = Int(words[1]) else { return nil }
            var days = 0
            var clock = Substring(words[2])
            if let comma = clock.firstIndex(of: ",") {
                days = Int(clock.prefix { $0 != " " }) ?? 0
                clock = clock[clock.index(after: comma)...]
            }
            let parts = clock.split(separator: ":").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 3 else { return nil }
            return (String(words[0]), id, days * 86400 + parts[0] * 3600 + parts[1] * 60 + parts[2])
        }
    }

    /// The Xen header note of an ELF core (XEN_ELFNOTE_DUMPCORE_HEADER: magic, vCPUs, pages),
    /// found in its first MiB; nil when the file is not an ELF core or has none.
    static func coreHeader(_ path: String) throws -> (magic: UInt64, vcpus: UInt64, pages: UInt64)? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let bytes = [UInt8](try handle.read(upToCount: 1 << 20) ?? Data())
        // "\x7fELF", and e_type ET_CORE (4), little-endian.
        guard bytes.count > 64, bytes[0..<4] == [0x7f, 0x45, 0x4c, 0x46], bytes[16] == 4, bytes[17] == 0 else { return nil }
        // namesz 4, descsz 32, type 0x2000001, name "Xen\0".
        let note: [UInt8] = [4, 0, 0, 0, 32, 0, 0, 0, 1, 0, 0, 2, 0x58, 0x65, 0x6e, 0]
        guard let start = (0...(bytes.count - note.count - 32)).first(where: { bytes[$0..<($0 + note.count)].elementsEqual(note) }) else { return nil }
        func word(_ index: Int) -> UInt64 {
            (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[start + note.count + index * 8 + $1]) << (8 * UInt64($1)) }
        }
        return (word(0), word(1), word(2))
    }

    @Test func logKeysSysrqTriggersAndUptimesBesideXl() throws {
        L.cleanUp(Self.name)
        defer { L.cleanUp(Self.name) }

        // dmesg: the same bytes as xl's (read again when the log grew between the two reads).
        var xk = "", xl = ""
        #expect(try L.eventually(20) {
            xk = Lab.must(try Lab.xk("dmesg")).stdout
            xl = Lab.must(try Lab.xl("dmesg")).stdout
            return xk == xl
        }, "xk dmesg and xl dmesg differ:\n\(xk.suffix(600))\n---\n\(xl.suffix(600))")
        let lines = try #require((try Lab.json(Lab.must(try Lab.xk("dmesg", "--json")).stdout) as? [String: Any])?["lines"] as? [String])
        #expect(lines.count >= xl.split(separator: "\n").count, "\(lines.count)")

        // debug-keys: the hypervisor acts on xk's key; a bad key is refused.
        Lab.must(try Lab.xk("debug-keys", "q"))
        #expect(L.eventually(10) { ((try? Lab.xl("dmesg"))?.stdout ?? "").contains("'q' pressed -> dumping domain info") })
        let badKeys = try Lab.xk("debug-keys", "q h")
        #expect(badKeys.status == 1 && badKeys.stderr.contains("one printable ASCII character"), "\(badKeys)")
        // dmesg -c empties the log after printing it: xl reads it empty but for what came since.
        let cleared = Lab.must(try Lab.xk("dmesg", "-c")).stdout
        #expect(cleared.contains("'q' pressed"))
        #expect(!Lab.must(try Lab.xl("dmesg")).stdout.contains("'q' pressed"))

        // A PV guest.
        Lab.must(try Lab.run(Lab.xk, ["create", "-q", S.config], timeout: 180))
        #expect(L.eventually(120) { L.console(Self.name).contains("XENKIT-GUEST uptime=") }, "\(L.console(Self.name))")
        let domid = try #require(try S.domid(Self.name))

        // sysrq: the guest's kernel takes the key and prints its SysRq help on its console,
        // for xk's key as for xl's; a bad key is refused.
        func helps() -> Int { L.console(Self.name).components(separatedBy: "sysrq: HELP").count - 1 }
        Lab.must(try Lab.xk("sysrq", Self.name, "h"))
        #expect(L.eventually(20) { helps() == 1 }, "\(L.console(Self.name).suffix(800))")
        Lab.must(try Lab.xl("sysrq", Self.name, "h"))
        #expect(L.eventually(20) { helps() == 2 }, "\(L.console(Self.name).suffix(800))")
        let badKey = try Lab.xk("sysrq", Self.name, "hs")
        #expect(badKey.status == 1 && badKey.stderr.contains("one printable character"), "\(badKey)")

        // trigger: what does not reach the guest fails and says why, where xl exits 0.
        let power = try Lab.xk("trigger", Self.name, "power")
        #expect(power.status == 1 && power.stderr.contains("only HVM guests have ACPI buttons"), "\(power)")
        let noVCPU = try Lab.xk("trigger", Self.name, "nmi", "7")
        #expect(noVCPU.status == 1 && noVCPU.stderr.contains("has no vCPU 7"), "\(noVCPU)")
        let reset = try Lab.xk("trigger", Self.name, "reset")
        #expect(reset.status == 1 && reset.stderr.contains("does not implement it"), "\(reset)")
        #expect(try Lab.xl("trigger", Self.name, "reset").status == 0, "xl reports a refused trigger now")
        let nmi = try Lab.xk("trigger", Self.name, "nmi")
        #expect(nmi.status == 0, "\(nmi)")
        print("guest console after the NMI: \(L.console(Self.name).suffix(400))")
        let uptime = MigrationLabTests.uptimes(Self.name).last ?? 0
        #expect(L.eventually(30) { (MigrationLabTests.uptimes(Self.name).last ?? 0) > uptime + 2 }, "the guest stopped")
        #expect(try S.domid(Self.name) == domid)

        // dump-core: an ELF core, the owner's only, whose Xen header note counts the vCPUs and
        // pages as in xl's core of the same guest.
        defer { for file in ["/tmp/xk-lab.core", "/tmp/xl-lab.core"] { unlink(file) } }
        Lab.must(try Lab.run(Lab.xk, ["dump-core", Self.name, "/tmp/xk-lab.core"], timeout: 300))
        Lab.must(try Lab.run("xl", ["dump-core", Self.name, "/tmp/xl-lab.core"], timeout: 300))
        let mode = try FileManager.default.attributesOfItem(atPath: "/tmp/xk-lab.core")[.posixPermissions] as? Int
        #expect(mode == 0o600, "\(String(describing: mode))")
        let core = try #require(try Self.coreHeader("/tmp/xk-lab.core"), "no ELF core with a Xen header note")
        let reference = try #require(try Self.coreHeader("/tmp/xl-lab.core"))
        #expect(core.magic == 0xF00F_EBED && core.vcpus == reference.vcpus && core.vcpus >= 1, "\(core) vs \(reference)")
        #expect(core.pages > 0 && abs(Int(core.pages) - Int(reference.pages)) <= Int(reference.pages) / 20, "\(core) vs \(reference)")
        // A dump that cannot finish (its file system is full) fails, and leaves the earlier file
        // at that path as it was and nothing beside it; a folder that is not there is named.
        let small = "/tmp/xk-small"
        mkdir(small, 0o755)
        Lab.must(try Lab.run("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", small]))
        defer { _ = try? Lab.run("umount", [small]) }
        try "earlier\n".write(toFile: small + "/guest.core", atomically: false, encoding: .utf8)
        let full = try Lab.run(Lab.xk, ["dump-core", Self.name, small + "/guest.core"], timeout: 300)
        #expect(full.status == 1 && full.stderr.contains("cannot dump the core of domain 'lab-pv'"), "\(full)")
        #expect(try String(contentsOfFile: small + "/guest.core", encoding: .utf8) == "earlier\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: small) == ["guest.core"])
        // SIGTERM into the dump, as soon as xk has taken SIGTERM over (bit 14 of SigCgt): the
        // dump is thrown away, and the earlier file and its folder are as they were. (Not
        // SIGINT: a background job starts with it ignored, and xk keeps it ignored, as nohup.)
        Lab.must(try Lab.run("umount", [small]))
        Lab.must(try Lab.run("mount", ["-t", "tmpfs", "-o", "size=512m", "tmpfs", small]))
        try "earlier\n".write(toFile: small + "/guest.core", atomically: false, encoding: .utf8)
        // The dump of this small guest is quick: the wait for the takeover is a loop of bash
        // builtins (no awk to start), so the signal comes within the dump's run.
        let script = #"""
            "$@" & p=$!
            re=$'SigCgt:[[:space:]]+[0-9a-f]*[4567cdef][0-9a-f]{3}\n'
            until [[ "$(</proc/$p/status)" =~ $re ]]; do kill -0 $p 2>/dev/null || break; done
            kill -TERM $p; wait $p
            """#
        let interrupted = try Lab.run("bash", ["-c", script, "bash", Lab.xk, "dump-core", Self.name, small + "/guest.core"], timeout: 300)
        #expect(interrupted.status == 1 && interrupted.stderr.contains("interrupted by a signal"), "\(interrupted)")
        #expect(try String(contentsOfFile: small + "/guest.core", encoding: .utf8) == "earlier\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: small) == ["guest.core"])
        let nowhere = try Lab.xk("dump-core", Self.name, "/tmp/xk-no-such-folder/x.core")
        #expect(nowhere.status == 1 && nowhere.stderr.contains("no folder /tmp/xk-no-such-folder"), "\(nowhere)")

        // uptime: the same domains and ids as xl's, the times within 2 s of xl's.
        let mine = Self.uptimes(Lab.must(try Lab.xk("uptime")).stdout)
        let theirs = Self.uptimes(Lab.must(try Lab.xl("uptime")).stdout)
        #expect(mine.map(\.name) == theirs.map(\.name) && mine.map(\.id) == theirs.map(\.id), "\(mine) vs \(theirs)")
        for (a, b) in zip(mine, theirs) { #expect(abs(a.seconds - b.seconds) <= 2, "\(a) vs \(b)") }
        #expect(Lab.must(try Lab.xk("uptime")).stdout.hasPrefix(Lab.must(try Lab.xl("uptime")).stdout.prefix { $0 != "\n" } + "\n"))
        let short = Lab.must(try Lab.xk("uptime", "-s", Self.name)).stdout
        #expect(short.hasPrefix(" ") && short.contains(" up ") && short.hasSuffix(", \(Self.name) (\(domid))\n"), "\(short)")
        let json = try #require(try Lab.items(Lab.must(try Lab.xk("uptime", "--json", Self.name)).stdout, "domains"))
        #expect(json.first?["domid"] as? Int == domid && (json.first?["uptime_s"] as? Int ?? -1) >= 0, "\(json)")
    }
}
