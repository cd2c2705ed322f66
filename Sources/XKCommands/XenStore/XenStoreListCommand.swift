import ArgumentParser
import XenKit

/// `xk xenstore-ls`: a xenstore subtree, as xenstore-ls prints it.
struct XenStoreListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xenstore-ls",
        abstract: "Print the xenstore tree below a path (default /).",
        discussion: """
            As xenstore-ls: each node below PATH as `name = "value"`, indented one space per level; -f prints full paths instead, -p adds each node's permissions (owner first, as n0 r3). Values are escaped as xenstore-ls escapes them (\\\\, \\t, \\n, \\r, \\000 to \\007, else \\xNN for every byte outside printable ASCII), so what a guest wrote cannot garble the terminal. With --json, each node's path, value and permissions (the keys are in docs/json.md (/usr/share/doc/xenkit/docs/json.md.gz)), values as stored (JSON-escaped; bytes that are not UTF-8 become U+FFFD).
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customShort("f"), help: "Print full paths.")
    var fullPaths = false

    @Flag(name: .customShort("p"), help: "Print each node's permissions.")
    var permissions = false

    @Flag(help: "Print a JSON array of {path, value, permissions}.")
    var json = false

    @Argument(help: "The subtree's root (default /).")
    var path: String = "/"

    func run() throws {
        let root = try XenStorePath.argument(path)
        let store = try XenStore(readOnly: true)
        guard try store.exists(root) else {
            throw XenError(code: .invalidArgument, message: "xenstore has no node \(root)")
        }
        let nodes = try store.tree(root).dropFirst()   // xenstore-ls prints below PATH, not PATH
        if json {
            let items = try nodes.map { (node) throws(XenError) in
                (node.path.rawValue, node.value, try store.permissions(node.path)?.description)
            }
            print(Self.document(items).serialized())
            return
        }
        for node in nodes {
            let name = fullPaths ? node.path.rawValue : String(repeating: " ", count: node.depth - 1) + node.path.lastComponent
            var line = Self.line(name: name, value: node.value)
            if permissions, let perms = try store.permissions(node.path) { line += "  (\(perms))" }
            print(line)
        }
    }

    /// `name = "value"`, the value escaped as xenstore-ls escapes it.
    static func line(name: String, value: [UInt8]?) -> String {
        name + " = \"" + XenStore.sanitised(value ?? []) + "\""
    }
}

extension XenStoreListCommand {
    /// `xk xenstore-ls --json` (docs/json.md).
    static func document(_ nodes: [(path: String, value: [UInt8]?, permissions: String?)]) -> JSONValue {
        .document("nodes", nodes.map { node in
            .object([
                ("path", .string(node.path)),
                ("value", .optional(node.value.map { String(decoding: $0, as: UTF8.self) })),
                ("permissions", .optional(node.permissions)),
            ])
        })
    }
}
