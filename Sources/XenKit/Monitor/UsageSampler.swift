/// One domain's use of the host, as `xk top` shows it.
public struct DomainUsage: Sendable, Equatable {
    /// The domain as libxl listed it.
    public var info: DomainInfo
    /// Its name (xl's placeholder for a domain that has none).
    public var name: String
    /// CPU time used since the previous sample, as a percentage of one physical CPU (so a
    /// domain busy on two vCPUs shows 200, as with xentop); nil on the first sample.
    public var cpuPercent: Double?
    /// The memory the domain holds, as a percentage of the host's.
    public var memoryPercent: Double
    /// The balloon target (xenstore's memory/target), when it has one.
    public var targetKiB: UInt64?
}

/// Turns successive domain lists into per-domain usage: CPU % comes from the difference of
/// each domain's CPU time between two samples over the wall time between them.
///
/// A domain is matched across samples by id and UUID, so a new domain that got a freed id
/// starts afresh.
public struct UsageSampler: Sendable {
    private var previous: [DomainID: (uuid: String, cpuNanoseconds: UInt64, at: Double)] = [:]

    public init() {}

    /// The usage at `time` (seconds, monotonic).
    ///
    /// - Parameters:
    ///   - hostMemoryKiB: the host's total memory, for the memory percentage.
    ///   - targets: each domain's balloon target in KiB, where known.
    public mutating func sample(_ infos: [DomainInfo], at time: Double, hostMemoryKiB: UInt64,
                                targets: [DomainID: UInt64] = [:]) -> [DomainUsage] {
        var next: [DomainID: (uuid: String, cpuNanoseconds: UInt64, at: Double)] = [:]
        let usage = infos.map { info -> DomainUsage in
            next[info.id] = (info.uuid, info.cpuTimeNanoseconds, time)
            var percent: Double?
            if let last = previous[info.id], last.uuid == info.uuid, time > last.at {
                let used = info.cpuTimeNanoseconds >= last.cpuNanoseconds ? info.cpuTimeNanoseconds - last.cpuNanoseconds : 0
                percent = Double(used) / ((time - last.at) * 1e9) * 100
            }
            let memory = info.totalMemory.kibibytes
            return DomainUsage(
                info: info,
                name: info.name ?? (info.id == .dom0 ? "Domain-0" : "(null)"),
                cpuPercent: percent,
                memoryPercent: hostMemoryKiB == 0 ? 0 : Double(memory) / Double(hostMemoryKiB) * 100,
                targetKiB: targets[info.id])
        }
        previous = next
        return usage
    }
}

/// What `xk top` sorts by.
public enum UsageOrder: String, CaseIterable, Sendable {
    case name, id, cpu, memory, vcpus, state

    /// Sorts `rows`: names and ids ascending, the figures descending (the busiest first),
    /// ties broken by id.
    public func sorted(_ rows: [DomainUsage]) -> [DomainUsage] {
        rows.sorted { a, b in
            func tie() -> Bool { a.info.id < b.info.id }
            switch self {
            case .name: return a.name != b.name ? a.name < b.name : tie()
            case .id: return tie()
            case .cpu:
                let (x, y) = (a.cpuPercent ?? -1, b.cpuPercent ?? -1)
                return x != y ? x > y : tie()
            case .memory:
                return a.info.totalMemory != b.info.totalMemory ? a.info.totalMemory > b.info.totalMemory : tie()
            case .vcpus:
                return a.info.onlineVCPUs != b.info.onlineVCPUs ? a.info.onlineVCPUs > b.info.onlineVCPUs : tie()
            case .state:
                return a.info.stateFlags != b.info.stateFlags ? a.info.stateFlags < b.info.stateFlags : tie()
            }
        }
    }
}
