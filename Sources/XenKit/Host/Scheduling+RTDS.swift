// The RTDS (real-time deferrable server) scheduler's parameters, as xl sched-rtds: each vCPU
// gets `budget` microseconds of CPU in every `period`, and with extratime it may also run
// when the pool has time to spare. Xen keeps them per vCPU; what it reports for the domain
// is only its defaults for new vCPUs (10000/4000 us, extratime on), which is what xl's
// domain listing shows. Every value is checked here against Xen's own limits (10 us at
// least, budget no more than period), for every vCPU before any is set: Xen sets vCPUs one
// by one and stops at the first bad one, leaving the earlier ones changed.

/// One vCPU's RTDS parameters.
public struct RTDSParameters: Sendable, Equatable {
    public var periodUs: Int
    public var budgetUs: Int
    public var extratime: Bool

    public init(periodUs: Int, budgetUs: Int, extratime: Bool) {
        self.periodUs = periodUs
        self.budgetUs = budgetUs
        self.extratime = extratime
    }

    /// What Xen gives a new vCPU.
    public static let xenDefaults = RTDSParameters(periodUs: 10_000, budgetUs: 4_000, extratime: true)

    /// Xen's shortest period and smallest budget (rt.c's RTDS_MIN_PERIOD, _MIN_BUDGET).
    public static let minimumUs = 10

    /// Refuses what Xen would refuse, naming the vCPU (`label`) and the figures.
    public func check(_ label: String) throws(XenError) {
        let limit = Int(Int32.max)
        if periodUs < Self.minimumUs || periodUs > limit {
            throw XenError(code: .invalidArgument, message: "\(label): period \(periodUs) us is out of range (\(Self.minimumUs) to \(limit) us)")
        }
        if budgetUs < Self.minimumUs {
            throw XenError(code: .invalidArgument, message: "\(label): budget \(budgetUs) us is below Xen's minimum of \(Self.minimumUs) us")
        }
        if budgetUs > periodUs {
            throw XenError(code: .invalidArgument, message: "\(label): budget \(budgetUs) us is more than its period \(periodUs) us")
        }
    }
}

/// A vCPU and its parameters.
public struct RTDSVCPUSchedule: Sendable, Equatable {
    public var vcpu: Int
    public var parameters: RTDSParameters

    public init(vcpu: Int, parameters: RTDSParameters) {
        self.vcpu = vcpu
        self.parameters = parameters
    }
}

/// A domain under RTDS: Xen's defaults for it, and its vCPUs when asked for.
public struct RTDSDomainSchedule: Sendable, Equatable {
    public var id: DomainID
    public var name: String
    public var defaults: RTDSParameters
    public var vcpus: [RTDSVCPUSchedule]

    public init(id: DomainID, name: String, defaults: RTDSParameters, vcpus: [RTDSVCPUSchedule]) {
        self.id = id
        self.name = name
        self.defaults = defaults
        self.vcpus = vcpus
    }
}

extension XenContext {
    /// The domain's RTDS defaults, and the given vCPUs' parameters (none when `vcpus` is
    /// empty, all when nil). Refused, naming it, for a domain under another scheduler or a
    /// vCPU it does not have.
    public func rtdsSchedule(of id: DomainID, vcpus: [Int]? = []) throws(XenError) -> RTDSDomainSchedule {
        let info = try domain(id)
        let name = info.name ?? String(id.rawValue)
        let raw = try perform("read the scheduling of domain '\(name)' (\(id))") { Libxl.domainSchedule($0, id) }
        try requireScheduler("rtds", of: info, runs: raw.scheduler)
        if let vcpus { try Self.checkVCPUs(vcpus, of: info) }
        var result = RTDSDomainSchedule(id: id, name: info.name ?? "",
                                        defaults: RTDSParameters(periodUs: raw.periodUs, budgetUs: raw.budgetUs, extratime: true),
                                        vcpus: [])
        if vcpus?.isEmpty == true { return result }
        let listed = try perform("read the RTDS parameters of domain '\(name)''s vCPUs") { Libxl.rtdsVCPUs($0, id, vcpus) }
        try requireScheduler("rtds", of: info, runs: listed.scheduler)
        result.vcpus = listed.vcpus.map {
            RTDSVCPUSchedule(vcpu: $0.vcpu, parameters: RTDSParameters(periodUs: $0.periodUs, budgetUs: $0.budgetUs, extratime: $0.extratime))
        }
        return result
    }

    /// Sets the listed vCPUs' parameters, or every vCPU's when `settings` holds one entry and
    /// `all`. Every value is checked before any vCPU is changed.
    public func setRTDS(of id: DomainID, _ settings: [RTDSVCPUSchedule], all: Bool) throws(XenError) {
        let current = try rtdsSchedule(of: id, vcpus: [])
        let info = try domain(id)
        guard !settings.isEmpty, !all || settings.count == 1 else {
            throw XenError(code: .invalidArgument, message: "give one period, budget and extratime for every vCPU named")
        }
        if !all { try Self.checkVCPUs(settings.map(\.vcpu), of: info) }
        if let twice = Dictionary(grouping: settings, by: \.vcpu).first(where: { $0.value.count > 1 })?.key, !all {
            throw XenError(code: .invalidArgument, message: "vCPU \(twice) of domain '\(current.name)' is given twice")
        }
        for setting in settings {
            try setting.parameters.check(all ? "domain '\(current.name)'" : "vCPU \(setting.vcpu) of domain '\(current.name)'")
        }
        let records = settings.map {
            RTDSVCPURecord(vcpu: all ? 0 : $0.vcpu, periodUs: $0.parameters.periodUs, budgetUs: $0.parameters.budgetUs, extratime: $0.parameters.extratime)
        }
        try perform("set the RTDS parameters of domain '\(current.name)' (\(id))") { Libxl.setRTDSVCPUs($0, id, records, all: all) }
    }

    /// Every domain of every RTDS pool (or of the named pool), pool by pool, with every vCPU
    /// when `perVCPU`.
    public func rtdsSchedules(pool qualifier: String? = nil, perVCPU: Bool) throws(XenError) -> [(CPUPool, [RTDSDomainSchedule])] {
        var pools = try cpupools().filter { $0.scheduler == "rtds" }
        if let qualifier {
            let named = try schedulerPool(qualifier, under: "rtds")
            pools = pools.filter { $0.id == named.id }
        }
        let all = try domains()
        var result: [(CPUPool, [RTDSDomainSchedule])] = []
        for pool in pools {
            let members = try all.filter { $0.cpupool == pool.id }.map { info throws(XenError) in
                try rtdsSchedule(of: info.id, vcpus: perVCPU ? nil : [])
            }
            result.append((pool, members))
        }
        return result
    }

    /// Refuses a vCPU the domain does not have, naming the domain and its range.
    static func checkVCPUs(_ vcpus: [Int], of info: DomainInfo) throws(XenError) {
        let count = Int(info.vcpuCount)
        if let bad = vcpus.first(where: { $0 < 0 || $0 >= count }) {
            throw XenError(code: .invalidArgument,
                           message: "domain '\(info.name ?? String(info.id.rawValue))' has no vCPU \(bad) (it has \(count): 0 to \(count - 1))")
        }
    }
}
