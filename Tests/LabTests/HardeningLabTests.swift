// The safety review's findings (issue 12) on the real host: what a guest or an operator's
// argument could do through xk, shown not to happen. None of these tests boots a guest.
import Foundation
import Testing

@Suite(.serialized, .enabled(if: Lab.isXenHost, "needs the lab's dom0 (Scripts/lab/run)"))
struct HardeningLabTests {
    /// The bytes a command prints, as `od` shows them (Lab.run reads output as UTF-8 text,
    /// which raw values need not be).
    static func hexOutput(_ command: String) throws -> String {
        Lab.must(try Lab.run("sh", ["-c", command + " | od -An -tx1 -v"])).stdout
    }

    /// Finding 6: a value holding a terminal escape, control bytes, a backslash and bytes that
    /// are not UTF-8 reads exactly as xenstore-read prints it, and with -R as stored.
    @Test func xenstoreReadEscapesAsXenstoreReadDoes() throws {
        let path = "/local/domain/0/xk-test"
        defer { _ = try? Lab.run("xenstore-rm", [path]) }
        // ESC raw from printf; xenstore-write turns its own escapes (\001 \xff \\ \t) into bytes.
        Lab.must(try Lab.run("sh", ["-c", #"xenstore-write \#(path) "$(printf '\033[31mX')"'\001\xff\\q\t"\r'"#]))
        let stored = try Self.hexOutput("xenstore-read -R \(path)")
        #expect(stored.split(separator: " ").first == "1b" && stored.contains("ff"), "\(stored)")

        let theirs = try Self.hexOutput("xenstore-read \(path)")
        let ours = try Self.hexOutput("\(Lab.xk) xenstore-read \(path)")
        #expect(ours == theirs, "xk:\n\(ours)\nxenstore-read:\n\(theirs)")
        #expect(!ours.contains("1b"), "no ESC reaches the terminal: \(ours)")
        let text = Lab.must(try Lab.xk("xenstore-read", path)).stdout
        #expect(text == #"\x1b[31mX\001\xff\\q\t"\r"# + "\n", "\(text)")

        #expect(try Self.hexOutput("\(Lab.xk) xenstore-read -R \(path)") == stored)

        // xenstore-ls sanitises values the same way.
        let lsOurs = try Self.hexOutput("\(Lab.xk) xenstore-ls -f /local/domain/0 | grep xk-test")
        let lsTheirs = try Self.hexOutput("xenstore-ls -f /local/domain/0 | grep xk-test")
        #expect(lsOurs == lsTheirs, "xk:\n\(lsOurs)\nxenstore-ls:\n\(lsTheirs)")

        // JSON stays JSON, with the escape escaped.
        let json = Lab.must(try Lab.xk("xenstore-read", "--json", path)).stdout
        #expect(json.contains(#"\u001b[31mX"#) && !json.contains("\u{1B}"), "\(json)")
        #expect(try Lab.json(json) is [String: Any])
    }

    /// Finding 9: HOST never reaches a shell as shell text, nor ssh as an option. Domain-0
    /// is never suspended: the migration fails at once, waiting for the receiver's banner.
    @Test func migrateHostCannotRunCommands() throws {
        let marker = "/tmp/xk-pwned"
        try? FileManager.default.removeItem(atPath: marker)
        defer { try? FileManager.default.removeItem(atPath: marker) }
        // Through `--` the argument parser takes it as HOST, and xk's own check refuses it;
        // without, the parser refuses it as an unknown option.
        let refused = try Lab.run(Lab.xk, ["migrate", "-s", "ssh", "--", "Domain-0", "-oProxyCommand=touch \(marker)"], timeout: 60)
        #expect(refused.status != 0 && refused.stderr.contains("starts with '-'"), "\(refused)")
        let unknown = try Lab.run(Lab.xk, ["migrate", "-s", "ssh", "Domain-0", "-oProxyCommand=touch \(marker)"], timeout: 60)
        #expect(unknown.status != 0, "\(unknown)")
        #expect(!FileManager.default.fileExists(atPath: marker))
        for host in ["h; touch \(marker)", "h & touch \(marker)", "h $(touch \(marker))", "`touch \(marker)`"] {
            let failed = try Lab.run(Lab.xk, ["migrate", "-s", "ssh", "Domain-0", host], timeout: 60)
            #expect(failed.status != 0, "\(failed)")
            #expect(!FileManager.default.fileExists(atPath: marker), "HOST \(host) ran a command: \(failed)")
        }
        #expect(Lab.must(try Lab.xl("list")).lines.contains { $0.hasPrefix("Domain-0 ") })
    }

    /// Finding 10: a name that would be a path is refused at create, define and rename,
    /// naming the key, and nothing is built.
    @Test func domainNamesThatArePathsAreRefused() throws {
        let config = Lab.domainConfigs + "/lab-pv.cfg"
        let create = try Lab.xk("create", config, #"name="../evil""#)
        #expect(create.status != 0 && create.stderr.contains(#"command line override 'name="../evil"': name: "#), "\(create)")
        #expect(create.stderr.contains("'/'"), "\(create)")
        let names = ListRow.rows(Lab.must(try Lab.xl("list"))).map(\.name)
        #expect(names == ["Domain-0"], "only dom0 runs: \(names)")
        #expect(!FileManager.default.fileExists(atPath: "/var/log/xen/xk-../evil.log"))

        let define = try Lab.xk("define", config, #"name="../../tmp/xk-evil""#)
        #expect(define.status != 0 && define.stderr.contains("name: "), "\(define)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/xk-evil.cfg"))

        let rename = try Lab.xk("rename", "Domain-0", "../evil")
        #expect(rename.status != 0 && rename.stderr.contains("cannot be a domain name"), "\(rename)")
        #expect(Lab.must(try Lab.xl("domid", "Domain-0")).stdout == "0\n")
    }
}
