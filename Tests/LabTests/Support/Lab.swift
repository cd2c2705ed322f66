// Helpers for the lab tests: run xk and xl side by side as subprocesses and compare.
//
// Why subprocesses: these tests check what an operator sees, the command-line tools' output
// and exit status, against xl's on the same host. They run inside the lab's dom0 (a real Xen
// 4.17 host in QEMU, see Scripts/lab), which sets XENKIT_LAB=1; elsewhere they are disabled.
import Foundation
import Testing
import XenKit
#if canImport(Glibc)
import Glibc
#endif

enum Lab {
    /// True inside the lab's dom0.
    static let isXenHost = ProcessInfo.processInfo.environment["XENKIT_LAB"] == "1"
        && FileManager.default.fileExists(atPath: "/proc/xen/privcmd")

    /// True when this machine is not a Xen host at all (the host side of the lab, a laptop).
    static let isPlainHost = !(
        (try? String(contentsOfFile: "/sys/hypervisor/type", encoding: .utf8))?.hasPrefix("xen") ?? false)

    /// The xk under test: $XK, else the one built beside this test binary.
    static let xk: String = {
        if let path = ProcessInfo.processInfo.environment["XK"] { return path }
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = me.deletingLastPathComponent()
        // macOS puts tests in a bundle; Linux runs the .xctest executable directly.
        while dir.pathExtension == "xctest" || dir.lastPathComponent == "Contents"
            || dir.lastPathComponent == "MacOS" { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("xk").path
    }()

    /// The repository's root folder (Tests/LabTests/Support/Lab.swift is four levels down).
    static let repository: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The repository's DomainConfigs folder.
    static let domainConfigs = repository + "/DomainConfigs"

    struct Output: CustomStringConvertible, Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
        var description: String { "status \(status)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
    }

    /// Kills (SIGKILL) every process whose command line matches one of `patterns`, as
    /// `pkill -f` matches; write the first letter in brackets ("[x]k watch") so that the
    /// pattern does not match the shell that runs pkill.
    @discardableResult
    static func killAll(_ patterns: String...) throws -> Output {
        try run("sh", ["-c", patterns.map { "pkill -KILL -f '\($0)'" }.joined(separator: " ; ")])
    }

    /// Runs a program (looked up on PATH) and waits for it, within a time limit.
    ///
    /// Why posix_spawn and not Foundation's Process: `xl create` leaves a daemon behind, and in
    /// the lab's dom0 Process then never reported the exit of the command itself. A blocking
    /// waitpid on the spawned pid has no such failure mode.
    static func run(_ program: String, _ arguments: [String], timeout: Int = 120) throws -> Output {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("xk-labtest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let outPath = dir.appendingPathComponent("out").path, errPath = dir.appendingPathComponent("err").path

        // -k: a command that ignores SIGTERM, or cannot act on it, is killed 10 s later, so
        // a stuck command fails its test instead of stopping the whole run.
        let argv = ["/usr/bin/timeout", "-k", "10", String(timeout), program] + arguments
        // XenKit's one spawn helper: the command starts as a shell would start it, with no
        // signal blocked and default actions (the test runner blocks some, and a blocked
        // SIGHUP would reach the device models xl starts, which then outlive their domains).
        let child: ChildProcess
        do {
            child = try ChildProcess(argv[0], argv, stdin: .null, stdout: .appending(outPath), stderr: .appending(errPath))
        } catch {
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "cannot run \(program): \(error)"])
        }
        let status: Int32 = switch child.wait(timeout: nil) {
        case .exited(let code): code
        case .killed(let signal): 128 + signal
        case nil: 128
        }
        return Output(
            status: status,
            stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    static func xk(_ arguments: String...) throws -> Output { try run(xk, arguments) }
    static func xl(_ arguments: String...) throws -> Output { try run("xl", arguments) }

    /// What `PROGRAM console ARGUMENTS` showed under a pseudo-terminal (Scripts/lib/ptyrun.py),
    /// read until the lab guests' report line appears, for at most 60 s: on a loaded lab host
    /// the guest's clock runs slow.
    static func console(_ program: String, _ arguments: String...) throws -> Output {
        try run("python3", [repository + "/Scripts/lib/ptyrun.py", "--until", "XENKIT-GUEST uptime=", "60", program, "console"] + arguments,
                timeout: 90)
    }

    /// Checks that a command succeeded, recording its output when it did not.
    @discardableResult
    static func must(_ output: Output, sourceLocation: SourceLocation = #_sourceLocation) -> Output {
        #expect(output.status == 0, "\(output)", sourceLocation: sourceLocation)
        return output
    }

    /// `key : value` lines, as xl info prints them.
    static func keyValues(_ text: String) -> [(key: String, value: String)] {
        text.split(separator: "\n").compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            return (key, value)
        }
    }

    static func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    /// The list under `key` of one of xk's JSON documents (docs/json.md), which must carry
    /// schema 1.
    static func items(_ text: String, _ key: String) throws -> [[String: Any]]? {
        guard let document = try json(text) as? [String: Any], document["schema"] as? Int == 1 else { return nil }
        return document[key] as? [[String: Any]]
    }
}

/// One row of `xl list`, split into its columns.
struct ListRow: Equatable, CustomStringConvertible {
    var name: String
    var id: Int
    var mem: Int
    var vcpus: Int
    var state: String
    var time: Double

    init?(_ line: String) {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count >= 6, let id = Int(fields[fields.count - 5]),
              let mem = Int(fields[fields.count - 4]), let vcpus = Int(fields[fields.count - 3]),
              let time = Double(fields[fields.count - 1]) else { return nil }
        name = fields[..<(fields.count - 5)].joined(separator: " ")
        self.id = id
        self.mem = mem
        self.vcpus = vcpus
        state = fields[fields.count - 2]
        self.time = time
    }

    /// The state without r and b, which change from one instant to the next.
    var stableState: String { String(state.dropFirst(2)) }

    /// Everything but the CPU time and the r/b letters: what must agree between two listings.
    var stableColumns: String { "\(name) \(id) \(mem) \(vcpus) \(stableState)" }

    var description: String { "\(name) \(id) \(mem) \(vcpus) \(state) \(time)" }

    static func rows(_ output: Lab.Output) -> [ListRow] {
        output.lines.dropFirst().compactMap(ListRow.init)
    }

    /// A whole `xl list` table, any columns, with each row's r/b letters and CPU time blanked
    /// (they change from one instant to the next): two tools' tables must then be equal bytes.
    static func stableTable(_ text: String) -> String {
        // name, id, mem, vcpus, five spaces | r b | p s reason d, two spaces | the time
        let row = try! Regex(#"^(.* +-?\d+ +\d+ +\d+     )[r-][b-]([p-][s-][-rscwS?][d-]  ) *-?[0-9.]+"#)
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            guard let match = try? row.prefixMatch(in: line),
                  let head = match.output[1].substring, let state = match.output[2].substring else { return String(line) }
            return head + ".." + state + "T" + line[match.range.upperBound...]
        }.joined(separator: "\n")
    }
}
