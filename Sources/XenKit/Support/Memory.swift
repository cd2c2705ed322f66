/// An amount of memory, kept in KiB as libxl counts it.
///
/// Its arithmetic saturates at `UInt64.max` KiB (which libxl also uses for "no limit")
/// instead of trapping: the figures come from the hypervisor and from configs, and a
/// command that shows them must not crash on any of them.
public struct Memory: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var kibibytes: UInt64

    public init(kibibytes: UInt64) { self.kibibytes = kibibytes }
    public static func kibibytes(_ value: UInt64) -> Memory { Memory(kibibytes: value) }
    public static func mebibytes(_ value: UInt64) -> Memory { Memory(kibibytes: saturating(value, times: 1024)) }
    public static func gibibytes(_ value: UInt64) -> Memory { Memory(kibibytes: saturating(value, times: 1024 * 1024)) }

    /// Whole MiB, rounded down (as xl prints memory).
    public var mebibytes: UInt64 { kibibytes / 1024 }

    public static func < (lhs: Memory, rhs: Memory) -> Bool { lhs.kibibytes < rhs.kibibytes }
    /// The sum, or `UInt64.max` KiB when it would not fit.
    public static func + (lhs: Memory, rhs: Memory) -> Memory {
        let (sum, overflow) = lhs.kibibytes.addingReportingOverflow(rhs.kibibytes)
        return Memory(kibibytes: overflow ? .max : sum)
    }

    private static func saturating(_ value: UInt64, times factor: UInt64) -> UInt64 {
        let (product, overflow) = value.multipliedReportingOverflow(by: factor)
        return overflow ? .max : product
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
