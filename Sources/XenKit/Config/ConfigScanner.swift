// Why a scanner of our own beside libxlutil: libxlutil parses xl.cfg and answers "what is the
// value of key K", but it cannot list the keys a file sets, nor say on which line. xk must
// name the line of every bad key and warn about keys xl does not know (xl ignores them
// silently, which hides typos). This scanner follows libxlu_cfg_l.l's tokens (identifiers
// `[a-z][._0-9a-z]*`, numbers, quoted strings with backslash escapes, `#` comments, nested
// `[...]` lists over several lines) just far enough to find each `key =` / `key +=` and its
// line. It runs after libxlutil accepted the file, so it never has to explain syntax errors.

/// One assignment in an xl.cfg file.
public struct ConfigStatement: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// A quoted string.
        case string
        /// An unquoted number (xl.cfg has no other bare values).
        case number
        /// A `[...]` list.
        case list
    }

    public var key: String
    /// 1-based line of the key.
    public var line: Int
    /// True for `key += value`.
    public var isAddition: Bool
    public var kind: Kind
}

enum ConfigScanner {
    /// The assignments of `text`, in file order.
    static func statements(in text: String) -> [ConfigStatement] {
        var result: [ConfigStatement] = []
        let bytes = Array(text.utf8)
        var index = 0, line = 1
        var atStatementStart = true
        var depth = 0  // list nesting
        var pendingKey: (String, Int)?
        var pendingOperator: Bool?  // isAddition, once '=' or '+=' was seen

        func isIdentStart(_ c: UInt8) -> Bool { c >= 0x61 && c <= 0x7A }
        func isIdentBody(_ c: UInt8) -> Bool {
            isIdentStart(c) || (c >= 0x30 && c <= 0x39) || c == 0x2E || c == 0x5F
        }

        while index < bytes.count {
            let c = bytes[index]
            switch c {
            case UInt8(ascii: "\n"):
                line += 1
                index += 1
                if depth == 0 { atStatementStart = true; pendingKey = nil; pendingOperator = nil }
            case UInt8(ascii: ";"):
                index += 1
                if depth == 0 { atStatementStart = true; pendingKey = nil; pendingOperator = nil }
            case UInt8(ascii: "#"):
                while index < bytes.count && bytes[index] != UInt8(ascii: "\n") { index += 1 }
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: ","):
                index += 1
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                emit(.string)
                index += 1
                while index < bytes.count && bytes[index] != c && bytes[index] != UInt8(ascii: "\n") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                index += 1
            case UInt8(ascii: "["):
                emit(.list)
                depth += 1
                index += 1
            case UInt8(ascii: "]"):
                depth = max(0, depth - 1)
                index += 1
            case UInt8(ascii: "+") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "="):
                if depth == 0, pendingKey != nil { pendingOperator = true }
                index += 2
            case UInt8(ascii: "="):
                if depth == 0, pendingKey != nil { pendingOperator = false }
                index += 1
            case _ where isIdentStart(c) && atStatementStart && depth == 0:
                let start = index
                while index < bytes.count && isIdentBody(bytes[index]) { index += 1 }
                pendingKey = (String(decoding: bytes[start..<index], as: UTF8.self), line)
                atStatementStart = false
            default:
                if c >= 0x30 && c <= 0x39 {
                    emit(.number)
                    while index < bytes.count && isIdentBody(bytes[index]) { index += 1 }
                } else if isIdentStart(c) {
                    while index < bytes.count && isIdentBody(bytes[index]) { index += 1 }
                } else {
                    index += 1
                }
            }
        }
        return result

        func emit(_ kind: ConfigStatement.Kind) {
            guard depth == 0, let (key, keyLine) = pendingKey, let isAddition = pendingOperator else { return }
            result.append(ConfigStatement(key: key, line: keyLine, isAddition: isAddition, kind: kind))
            pendingKey = nil
            pendingOperator = nil
        }
    }
}
