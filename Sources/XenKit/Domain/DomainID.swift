/// A Xen domain id: 0 is the control domain (dom0), guests get ids from 1 up.
public struct DomainID: RawRepresentable, Hashable, Comparable, Sendable, Codable,
    CustomStringConvertible
{
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    /// The control domain.
    public static let dom0 = DomainID(0)

    /// The highest id Xen gives a normal domain (`DOMID_FIRST_RESERVED - 1`).
    public static let maxNormal = DomainID(0x7FEF)

    public var description: String { String(rawValue) }

    public static func < (lhs: DomainID, rhs: DomainID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(UInt32.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// How an operator names a domain on the command line: by id or by name, as xl takes them.
///
/// A string of decimal digits is an id (so a domain whose name is all digits can only be
/// reached by id, as with xl); anything else is a name.
public enum DomainQualifier: Hashable, Sendable, CustomStringConvertible {
    case id(DomainID)
    case name(String)

    /// Parses a command-line argument. Returns nil for an empty string.
    public init?(_ text: String) {
        guard !text.isEmpty else { return nil }
        if text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            guard let value = UInt32(text) else { return nil }
            self = .id(DomainID(value))
        } else {
            self = .name(text)
        }
    }

    public var description: String {
        switch self {
        case .id(let id): id.description
        case .name(let name): name
        }
    }
}
