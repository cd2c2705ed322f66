/// One virtual CPU of a domain, as `xl vcpu-list` shows it.
public struct VCPUInfo: Sendable, Equatable {
    public var domain: DomainID
    /// The vCPU's number within its domain.
    public var vcpu: Int
    /// The physical CPU it runs on now; nil while it is offline.
    public var cpu: Int?
    public var isOnline: Bool
    public var isRunning: Bool
    public var isBlocked: Bool
    public var cpuTimeNanoseconds: UInt64
    /// The physical CPUs it may run on.
    public var hardAffinity: Set<Int>
    /// The physical CPUs it prefers.
    public var softAffinity: Set<Int>
    /// How many physical CPUs the host has (affinities are subsets of 0..<hostCPUCount).
    public var hostCPUCount: Int

    /// xl's state column: r (running), b (blocked) or - (runnable), then p if offline.
    public var stateFlags: String {
        guard isOnline else { return "--p" }
        return isRunning ? "r--" : isBlocked ? "-b-" : "---"
    }

    /// An affinity as xl prints it: "all", "none" or ranges such as "0-3,6".
    public static func describe(_ cpus: Set<Int>, hostCPUCount: Int) -> String {
        if cpus.isEmpty { return "none" }
        if hostCPUCount > 0, cpus.count >= hostCPUCount, (0..<hostCPUCount).allSatisfy(cpus.contains) { return "all" }
        var ranges: [String] = []
        var sorted = cpus.sorted()[...]
        while let start = sorted.first {
            var end = start
            sorted = sorted.dropFirst()
            while sorted.first == end + 1 { end += 1; sorted = sorted.dropFirst() }
            ranges.append(start == end ? "\(start)" : "\(start)-\(end)")
        }
        return ranges.joined(separator: ",")
    }
}

extension Memory {
    /// A size as xl's mem-set and mem-max take it: a whole number with an optional unit
    /// (b, k, m, g or t, either case); no unit means MiB. Nil when it is not such a size.
    public init?(parsing text: String) {
        var digits = Substring(text)
        var unit: Character = "m"
        if let last = digits.last, last.isLetter {
            unit = Character(last.lowercased())
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let value = UInt64(digits) else { return nil }
        let shift: Int
        switch unit {
        case "b": self = .kibibytes(value >> 10); return
        case "k": shift = 0
        case "m": shift = 10
        case "g": shift = 20
        case "t": shift = 30
        default: return nil
        }
        guard value <= UInt64.max >> (shift + 10) else { return nil }   // keep bytes within 64 bits
        self = .kibibytes(value << shift)
    }
}
