import ArgumentParser
import XenKit

/// `xk xenstore-read`: the values of xenstore nodes, as xenstore-read prints them.
struct XenStoreReadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xenstore-read",
        abstract: "Print the values of xenstore nodes, one per line.",
        discussion: """
            As xenstore-read, values are escaped so that what a guest wrote cannot garble the terminal: a backslash as \\\\, tab, newline and return as \\t, \\n, \\r, bytes 0 to 7 as \\000 to \\007, every other byte outside printable ASCII as \\xNN. -R prints the bytes as stored instead, with no newline after them (as xenstore-read -R). A node that does not exist is an error naming it (exit 1), as with xenstore-read. With --json, prints each path and its value, null for a node that does not exist, and exits 0 (the keys are in docs/json.md (/usr/share/doc/xenkit/docs/json.md.gz)).
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print a JSON object {path: value or null}.")
    var json = false

    @Flag(name: .customShort("R"), help: "Print the values' bytes as stored, unescaped, with no newline (as xenstore-read -R).")
    var raw = false

    @Argument(help: "Paths to read: absolute, or relative to dom0's home /local/domain/0.")
    var paths: [String]

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one PATH") }
        if raw && json { throw ValidationError("-R and --json exclude each other") }
    }

    func run() throws {
        let parsed = try paths.map(XenStorePath.argument)
        let store = try XenStore(readOnly: true)
        var nodes: [(String, [UInt8]?)] = []
        for path in parsed {
            let value = try store.readBytes(path)
            if json {
                nodes.append((path.rawValue, value))
            } else if let value, raw {
                writeStandardOutput(value)
            } else if let value {
                print(XenStore.sanitised(value))
            } else {
                throw XenError(code: .invalidArgument, message: "xenstore has no node \(path)")
            }
        }
        if json { print(Self.document(nodes).serialized()) }
    }

    /// `xk xenstore-read --json` (docs/json.md): each path asked for and its value (null: no such node).
    static func document(_ nodes: [(path: String, value: [UInt8]?)]) -> JSONValue {
        .document("nodes", nodes.map { node in
            .object([("path", .string(node.path)), ("value", .optional(node.value.map { String(decoding: $0, as: UTF8.self) }))])
        })
    }
}

extension XenStorePath {
    /// A path given on the command line, or an error that names it and says what is allowed.
    static func argument(_ text: String) throws(XenError) -> XenStorePath {
        guard let path = XenStorePath(text) else {
            throw XenError(code: .invalidArgument, message: "'\(text)' is not a xenstore path",
                           hint: "use letters, digits and -/_@, with no trailing or double / (at most \(XenStorePath.maximumLength) bytes)")
        }
        return path
    }
}
