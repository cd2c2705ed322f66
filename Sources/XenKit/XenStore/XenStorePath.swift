/// A path in xenstore, checked when it is made.
///
/// xenstored takes absolute paths (`/local/domain/3/name`), paths relative to the caller's
/// own domain home (`name`, which is `/local/domain/0/name` in dom0), and the special watch
/// paths `@introduceDomain` and `@releaseDomain`. A path is made of letters, digits and
/// `-/_@`, has no empty component (no `//`, no trailing `/` except the root itself) and is at
/// most 3072 bytes (xenstored's `XENSTORE_ABS_PATH_MAX`).
public struct XenStorePath: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The path as xenstored reads it.
    public let rawValue: String

    /// The longest path xenstored accepts.
    public static let maximumLength = 3072

    /// Checks `text`; nil when it is not a path xenstored would accept.
    public init?(_ text: String) {
        guard Self.isValid(text) else { return nil }
        rawValue = text
    }

    /// A literal path; it must be valid (a wrong literal is a programming error).
    public init(stringLiteral value: String) {
        precondition(Self.isValid(value), "not a xenstore path: \(value)")
        rawValue = value
    }

    /// The root of the tree.
    public static let root: XenStorePath = "/"
    /// Fires when a domain is introduced to xenstore (created, restored, migrated in).
    public static let introduceDomain: XenStorePath = "@introduceDomain"
    /// Fires when a domain shuts down or is destroyed.
    public static let releaseDomain: XenStorePath = "@releaseDomain"

    /// `/local/domain/ID`: a domain's home.
    public static func domainHome(_ id: DomainID) -> XenStorePath {
        XenStorePath(checked: "/local/domain/\(id.rawValue)")
    }

    /// This path with `component` (one or more names joined by `/`) appended.
    public func appending(_ component: String) -> XenStorePath? {
        let joined = rawValue == "/" ? "/" + component : rawValue + "/" + component
        return XenStorePath(joined)
    }

    /// Whether the path starts with `/`.
    public var isAbsolute: Bool { rawValue.hasPrefix("/") }

    /// Whether this is `@introduceDomain`, `@releaseDomain` or another `@` path.
    public var isSpecial: Bool { rawValue.hasPrefix("@") }

    /// The path's components (`/local/domain/3` gives `local`, `domain`, `3`).
    public var components: [Substring] { rawValue.split(separator: "/") }

    /// The last component, or `/` for the root.
    public var lastComponent: String { components.last.map(String.init) ?? "/" }

    /// Whether `other` is this path or lies below it.
    public func contains(_ other: XenStorePath) -> Bool {
        if rawValue == "/" { return other.isAbsolute }
        return other.rawValue == rawValue || other.rawValue.hasPrefix(rawValue + "/")
    }

    public var description: String { rawValue }

    init(checked: String) { rawValue = checked }

    static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumLength else { return false }
        if bytes == [UInt8(ascii: "/")] { return true }
        guard bytes.last != UInt8(ascii: "/") else { return false }
        var previousSlash = false
        for byte in bytes {
            let allowed = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A)
                || (byte >= 0x61 && byte <= 0x7A) || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "@") || byte == UInt8(ascii: "/")
            guard allowed else { return false }
            let slash = byte == UInt8(ascii: "/")
            if slash && previousSlash { return false }
            previousSlash = slash
        }
        return true
    }
}

/// Who may do what with a xenstore node: the owner (who may do anything) and what every
/// other domain may do, then exceptions for given domains. xenstore-utils write it as
/// `n0 r3`: the first entry's domain is the owner and its letter applies to everyone else.
public struct XenStorePermissions: Hashable, Sendable, CustomStringConvertible {
    /// What one entry grants.
    public enum Access: String, Hashable, Sendable {
        case none = "n", read = "r", write = "w", both = "b"

        init(bits: UInt32) {
            switch bits & 3 { case 1: self = .read; case 2: self = .write; case 3: self = .both; default: self = .none }
        }

        var bits: UInt32 {
            switch self { case .none: 0; case .read: 1; case .write: 2; case .both: 3 }
        }
    }

    /// One domain and its access.
    public struct Entry: Hashable, Sendable {
        public var domain: DomainID
        public var access: Access
        public init(domain: DomainID, access: Access) { self.domain = domain; self.access = access }
    }

    /// The node's owner, and what domains not listed in ``exceptions`` may do.
    public var owner: Entry
    /// Domains granted something other than the default.
    public var exceptions: [Entry]

    public init(owner: Entry, exceptions: [Entry] = []) {
        self.owner = owner
        self.exceptions = exceptions
    }

    /// Reads xenstore-utils' notation: `n0`, `n0 r3 w5`, `b0,r3` (space or comma separated).
    public init?(parsing text: String) {
        var entries: [Entry] = []
        for word in text.split(whereSeparator: { $0 == " " || $0 == "," }) {
            guard let letter = word.first, let access = Access(rawValue: String(letter)),
                  let id = UInt32(word.dropFirst()) else { return nil }
            entries.append(Entry(domain: DomainID(id), access: access))
        }
        guard let first = entries.first else { return nil }
        self.init(owner: first, exceptions: Array(entries.dropFirst()))
    }

    /// In xenstore-utils' notation.
    public var description: String {
        ([owner] + exceptions).map { "\($0.access.rawValue)\($0.domain.rawValue)" }.joined(separator: " ")
    }

    var raw: [(UInt32, UInt32)] {
        ([owner] + exceptions).map { ($0.domain.rawValue, $0.access.bits) }
    }

    init?(raw: [(UInt32, UInt32)]) {
        let entries = raw.map { Entry(domain: DomainID($0.0), access: Access(bits: $0.1)) }
        guard let owner = entries.first else { return nil }
        self.init(owner: owner, exceptions: Array(entries.dropFirst()))
    }
}
