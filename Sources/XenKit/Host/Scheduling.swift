// The credit and credit2 schedulers' parameters (xl sched-credit, sched-credit2): a domain's
// weight and cap, a pool's time slice, rate limit and migration delay. A domain runs under
// its pool's scheduler; asking for another is refused here naming both (libxl would say
// only "returned credit2 not credit"), as is a pool under another scheduler. libxl checks
// the ranges and its message is the error's reason.

/// A domain's share of its pool's CPUs.
public struct DomainSchedule: Sendable, Equatable {
    public var id: DomainID
    public var name: String
    /// The pool's scheduler.
    public var scheduler: String
    /// Relative weight (default 256).
    public var weight: Int
    /// Most CPU it may use, in percent of one CPU; 0 is no cap.
    public var cap: Int
}

/// A credit or credit2 pool's parameters (credit2 has only the rate limit).
public struct PoolSchedule: Sendable, Equatable {
    public var pool: CPUPool
    public var timeSliceMs: Int?
    public var rateLimitUs: Int
    public var migrationDelayUs: Int?
}

extension XenContext {
    /// The domain's schedule, checked to run under `scheduler`.
    public func schedule(of id: DomainID, under scheduler: String) throws(XenError) -> DomainSchedule {
        let info = try domain(id)
        let raw = try perform("read the scheduling of domain \(id)") { Libxl.domainSchedule($0, id) }
        try requireScheduler(scheduler, of: info, runs: raw.scheduler)
        return DomainSchedule(id: id, name: info.name ?? "", scheduler: raw.scheduler, weight: raw.weight, cap: raw.cap)
    }

    /// Refuses a domain that runs under another scheduler than `wanted`, naming it and its pool
    /// (libxl would say only "returned credit2 not credit").
    func requireScheduler(_ wanted: String, of info: DomainInfo, runs actual: String) throws(XenError) {
        guard actual != wanted else { return }
        let pool = (try? cpupools().first { $0.id == info.cpupool })?.map(\.name) ?? String(info.cpupool)
        throw XenError(code: .invalidArgument,
                       message: "domain '\(info.name ?? String(info.id.rawValue))' runs under \(actual) (CPU pool '\(pool)'), not \(wanted)",
                       hint: "use xk sched-\(actual)")
    }

    /// Sets a domain's weight and/or cap under `scheduler` (nil leaves one as it is).
    public func setSchedule(of id: DomainID, under scheduler: String, weight: Int?, cap: Int?) throws(XenError) {
        let current = try schedule(of: id, under: scheduler)
        try perform("set the \(scheduler) weight and cap of domain '\(current.name)' (\(id))") {
            Libxl.setDomainSchedule($0, id, scheduler: scheduler, weight: weight, cap: cap)
        }
    }

    /// Every domain of every pool under `scheduler` (or of the named pool), pool by pool.
    public func schedules(under scheduler: String, pool qualifier: String? = nil) throws(XenError) -> [(PoolSchedule, [DomainSchedule])] {
        var pools = try cpupools().filter { $0.scheduler == scheduler }
        if let qualifier {
            let named = try schedulerPool(qualifier, under: scheduler)
            pools = pools.filter { $0.id == named.id }
        }
        let all = try domains()
        var result: [(PoolSchedule, [DomainSchedule])] = []
        for pool in pools {
            let members = try all.filter { $0.cpupool == pool.id }.map { info throws(XenError) in
                try schedule(of: info.id, under: scheduler)
            }
            result.append((try poolSchedule(pool), members))
        }
        return result
    }

    /// A pool's parameters; the pool must run credit or credit2.
    public func poolSchedule(_ pool: CPUPool) throws(XenError) -> PoolSchedule {
        switch pool.scheduler {
        case "credit":
            let p = try perform("read CPU pool '\(pool.name)''s credit parameters") { Libxl.creditParameters($0, pool: pool.id) }
            return PoolSchedule(pool: pool, timeSliceMs: p.timeSliceMs, rateLimitUs: p.rateLimitUs, migrationDelayUs: p.migrationDelayUs)
        case "credit2":
            let rate = try perform("read CPU pool '\(pool.name)''s credit2 parameters") { Libxl.credit2RateLimit($0, pool: pool.id) }
            return PoolSchedule(pool: pool, timeSliceMs: nil, rateLimitUs: rate, migrationDelayUs: nil)
        default:
            throw XenError(code: .invalidArgument, message: "CPU pool '\(pool.name)' runs \(pool.scheduler), which has no credit parameters")
        }
    }

    /// A pool under `scheduler`, by name or id (Pool-0 when nil), refused when it runs another.
    public func schedulerPool(_ qualifier: String?, under scheduler: String) throws(XenError) -> CPUPool {
        let pool = try cpupool(qualifier ?? "0")
        guard pool.scheduler == scheduler else {
            throw XenError(code: .invalidArgument, message: "CPU pool '\(pool.name)' runs \(pool.scheduler), not \(scheduler)",
                           hint: "use xk sched-\(pool.scheduler)")
        }
        return pool
    }

    /// Sets a credit pool's parameters; nil leaves one as it is.
    public func setCreditParameters(pool qualifier: String?, timeSliceMs: Int?, rateLimitUs: Int?, migrationDelayUs: Int?) throws(XenError) {
        let pool = try schedulerPool(qualifier, under: "credit")
        let now = try poolSchedule(pool)
        try perform("set CPU pool '\(pool.name)''s credit parameters") {
            Libxl.setCreditParameters($0, pool: pool.id, timeSliceMs: timeSliceMs ?? now.timeSliceMs ?? 30,
                                      rateLimitUs: rateLimitUs ?? now.rateLimitUs,
                                      migrationDelayUs: migrationDelayUs ?? now.migrationDelayUs ?? 0)
        }
    }

    public func setCredit2RateLimit(pool qualifier: String?, rateLimitUs: Int) throws(XenError) {
        let pool = try schedulerPool(qualifier, under: "credit2")
        try perform("set CPU pool '\(pool.name)''s credit2 rate limit") { Libxl.setCredit2RateLimit($0, pool: pool.id, rateLimitUs: rateLimitUs) }
    }
}
