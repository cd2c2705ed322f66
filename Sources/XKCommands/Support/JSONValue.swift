// Why our own JSON writer: xk's JSON is an interface that scripts depend on, so its keys come
// out in a fixed, documented order (the order xl prints them), its numbers exactly as
// counted, and nulls explicitly for absent values. A tiny value tree gives all three without
// pulling Foundation into a binary that must run on bare Xen hosts.

/// A JSON document, with object keys kept in the order they were given.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        lhs.serialized(pretty: false) == rhs.serialized(pretty: false)
    }

    /// `nil` becomes `null`.
    static func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }

    /// The version of xk's JSON vocabulary (docs/json.md). Every document xk prints of its own
    /// (not libxl's JSON, which `list -l` and `create -n` print as xl does) carries it first.
    static let schemaVersion: Int64 = 1

    /// One of xk's documents: `schema` first, then `members`.
    static func document(_ members: [(String, JSONValue)]) -> JSONValue {
        .object([("schema", .int(schemaVersion))] + members)
    }

    /// A document that lists things: `{"schema": 1, "<key>": [...]}`.
    static func document(_ key: String, _ items: [JSONValue]) -> JSONValue {
        document([(key, .array(items))])
    }

    /// A count or figure that may be absent.
    static func optional(_ value: UInt64?) -> JSONValue { value.map(JSONValue.uint) ?? .null }

    /// The document as text: two-space indented when `pretty`, else on one line.
    public func serialized(pretty: Bool = true) -> String {
        var out = ""
        write(to: &out, pretty: pretty, indent: 0)
        return out
    }

    private func write(to out: inout String, pretty: Bool, indent: Int) {
        let newline = pretty ? "\n" : ""
        let pad = pretty ? String(repeating: "  ", count: indent + 1) : ""
        let closePad = pretty ? String(repeating: "  ", count: indent) : ""
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .int(let value): out += String(value)
        case .uint(let value): out += String(value)
        case .double(let value): out += value.isFinite ? String(value) : "null"
        case .string(let value): Self.writeString(value, to: &out)
        case .array(let items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "[" + newline
            for (index, item) in items.enumerated() {
                out += pad
                item.write(to: &out, pretty: pretty, indent: indent + 1)
                out += (index == items.count - 1 ? "" : ",") + newline
            }
            out += closePad + "]"
        case .object(let members):
            guard !members.isEmpty else { out += "{}"; return }
            out += "{" + newline
            for (index, (key, value)) in members.enumerated() {
                out += pad
                Self.writeString(key, to: &out)
                out += pretty ? ": " : ":"
                value.write(to: &out, pretty: pretty, indent: indent + 1)
                out += (index == members.count - 1 ? "" : ",") + newline
            }
            out += closePad + "}"
        }
    }

    private static func writeString(_ value: String, to out: inout String) {
        out += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            // C0 controls must be escaped in JSON; DEL and the C1 controls (U+009B is CSI)
            // may not be, but are, so that JSON shown on a terminal cannot drive it.
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value):
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
