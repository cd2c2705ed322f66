import ArgumentParser
import XenKit

/// `xk xenstore-ls`: a xenstore subtree, as xenstore-ls prints it.
struct XenStoreListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xenstore-ls",
        abstract: "Print the xenstore tree below a path (default /).",
        discussion: """
            As xenstore-ls: each node below PATH as `name = "value"`, indented one space per level; -f prints full paths instead, -p adds each node's permissions (owner first, as n0 r3). Characters outside printable ASCII in values are escaped (\\n, \\t, \\xNN), so a guest's junk cannot garble the terminal. With --json, prints an array of {path, value, permissions} with values as stored.
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
            let items = try nodes.map { (node) throws(XenError) -> JSONValue in
                .object([
                    ("path", .string(node.path.rawValue)),
                    ("value", .optional(node.value)),
                    ("permissions", .optional(try store.permissions(node.path)?.description)),
                ])
            }
            print(JSONValue.array(items).serialized())
            return
        }
        for node in nodes {
            let name = fullPaths ? node.path.rawValue : String(repeating: " ", count: node.depth - 1) + node.path.lastComponent
            var line = name + " = \"" + Self.escaped(node.value ?? "") + "\""
            if permissions, let perms = try store.permissions(node.path) { line += "  (\(perms))" }
            print(line)
        }
    }

    /// Printable ASCII as is; quotes, backslashes and everything else escaped.
    static func escaped(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\n"): out += "\\n"
            case UInt8(ascii: "\t"): out += "\\t"
            case UInt8(ascii: "\""): out += "\\\""
            case UInt8(ascii: "\\"): out += "\\\\"
            case 0x20...0x7E: out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16)
                out += "\\x" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return out
    }
}
