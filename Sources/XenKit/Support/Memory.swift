/// An amount of memory, kept in KiB as libxl counts it.
public struct Memory: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var kibibytes: UInt64

    public init(kibibytes: UInt64) { self.kibibytes = kibibytes }
    public static func kibibytes(_ value: UInt64) -> Memory { Memory(kibibytes: value) }
    public static func mebibytes(_ value: UInt64) -> Memory { Memory(kibibytes: value * 1024) }
    public static func gibibytes(_ value: UInt64) -> Memory { Memory(kibibytes: value * 1024 * 1024) }

    /// Whole MiB, rounded down (as xl prints memory).
    public var mebibytes: UInt64 { kibibytes / 1024 }

    public static func < (lhs: Memory, rhs: Memory) -> Bool { lhs.kibibytes < rhs.kibibytes }
    public static func + (lhs: Memory, rhs: Memory) -> Memory {
        Memory(kibibytes: lhs.kibibytes + rhs.kibibytes)
    }

    public var description: String {
        if kibibytes % (1024 * 1024) == 0, kibibytes > 0 { return "\(kibibytes / (1024 * 1024)) GiB" }
        if kibibytes % 1024 == 0 { return "\(kibibytes / 1024) MiB" }
        return "\(kibibytes) KiB"
    }

    public init(from decoder: any Decoder) throws {
        kibibytes = try decoder.singleValueContainer().decode(UInt64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(kibibytes)
    }
}
