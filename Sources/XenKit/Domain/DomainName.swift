// Which domain names xk accepts, in one place: at create and define (the config's `name`), at
// rename, and for the definitions' files.
//
// Why: xl and libxl take any name that is not already in use, but xk makes file names of it:
// core dumps /var/lib/xen/dump/NAME, watcher logs /var/log/xen/xk-NAME.log, definitions
// /var/lib/xenkit/domains/NAME.cfg. A name with '/' or one that is '..' reaches outside those
// folders, one that starts with '.' is hidden there (definitions are listed without hidden
// files), and control characters reach the operator's terminal through `xk list`. What
// remains is every name people give domains ("web-01", "db.prod", "lab-pv--incoming", even
// "ubuntu 22.04"), up to a length that keeps NAME plus xk's suffixes within a file name's
// 255 bytes.

/// A domain name that is safe to use as a file name and to print.
public struct DomainName: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// The longest name, in bytes of UTF-8.
    public static let maximumLength = 128

    /// Checks `name`.
    ///
    /// - Throws: ``XenError`` with ``XenError/Code/invalidArgument`` saying why it is refused.
    public init(_ name: String) throws(XenError) {
        if let problem = Self.problem(with: name) {
            throw XenError(code: .invalidArgument, message: "'\(Self.printable(name))' cannot be a domain name: \(problem)")
        }
        rawValue = name
    }

    public var description: String { rawValue }

    /// Why `name` cannot name a domain, or nil when it can.
    public static func problem(with name: String) -> String? {
        if name.isEmpty { return "it is empty" }
        if name.utf8.count > maximumLength {
            return "it is \(name.utf8.count) bytes long, and a name has at most \(maximumLength) bytes"
        }
        if name.contains("/") { return "it contains '/', which would make its files' names paths" }
        if name.hasPrefix(".") { return "it starts with '.' (the names '.' and '..' are folders, and '.NAME' files are hidden)" }
        if let bad = name.unicodeScalars.first(where: isControl) {
            return "it contains the control character U+" + hex4(bad.value)
        }
        return nil
    }

    /// C0 controls, DEL and the C1 controls: what a terminal may act on.
    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    private static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// `name` for an error message: control characters as U+XXXX, so that the message
    /// itself cannot drive the terminal.
    static func printable(_ name: String) -> String {
        var out = ""
        for scalar in name.unicodeScalars {
            if isControl(scalar) { out += "<U+" + hex4(scalar.value) + ">" } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }
}
