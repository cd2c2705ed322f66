// Raw libxl calls on the schedulers: a domain's parameters (weight and cap under credit and
// credit2), and a pool's (credit's time slice, rate limit and migration delay; credit2's
// rate limit). Synchronous.
internal import CXen

extension Libxl {
    /// The scheduler a domain runs under, its weight and its cap (credit, credit2), and its
    /// period and budget (RTDS: Xen's defaults for the domain, not any vCPU's).
    static func domainSchedule(_ ctx: OpaquePointer, _ id: DomainID) -> Result<(scheduler: String, weight: Int, cap: Int, periodUs: Int, budgetUs: Int), LibxlFailure> {
        var params = libxl_domain_sched_params()
        libxl_domain_sched_params_init(&params)
        defer { libxl_domain_sched_params_dispose(&params) }
        let rc = libxl_domain_sched_params_get(ctx, id.rawValue, &params)
        guard rc == 0 else { return .failure(LibxlFailure(code: rc)) }
        let name = libxl_scheduler_to_string(params.sched).map { String(cString: $0) } ?? "unknown"
        return .success((name, Int(params.weight), Int(params.cap), Int(params.period), Int(params.budget)))
    }

    /// Sets what is given (nil leaves it: libxl's "default" marker).
    static func setDomainSchedule(_ ctx: OpaquePointer, _ id: DomainID, scheduler: String, weight: Int?, cap: Int?) -> Result<Void, LibxlFailure> {
        var params = libxl_domain_sched_params()
        libxl_domain_sched_params_init(&params)
        defer { libxl_domain_sched_params_dispose(&params) }
        guard libxl_scheduler_from_string(scheduler, &params.sched) == 0 else { return .failure(LibxlFailure(code: ERROR_INVAL.rawValue)) }
        if let weight { params.weight = Int32(weight) }
        if let cap { params.cap = Int32(cap) }
        return check(libxl_domain_sched_params_set(ctx, id.rawValue, &params))
    }

    static func creditParameters(_ ctx: OpaquePointer, pool: UInt32) -> Result<(timeSliceMs: Int, rateLimitUs: Int, migrationDelayUs: Int), LibxlFailure> {
        var params = libxl_sched_credit_params()
        libxl_sched_credit_params_init(&params)
        let rc = libxl_sched_credit_params_get(ctx, pool, &params)
        guard rc == 0 else { return .failure(LibxlFailure(code: rc)) }
        return .success((Int(params.tslice_ms), Int(params.ratelimit_us), Int(params.vcpu_migr_delay_us)))
    }

    static func setCreditParameters(_ ctx: OpaquePointer, pool: UInt32, timeSliceMs: Int, rateLimitUs: Int, migrationDelayUs: Int) -> Result<Void, LibxlFailure> {
        var params = libxl_sched_credit_params()
        libxl_sched_credit_params_init(&params)
        params.tslice_ms = Int32(timeSliceMs)
        params.ratelimit_us = Int32(rateLimitUs)
        params.vcpu_migr_delay_us = Int32(migrationDelayUs)
        return check(libxl_sched_credit_params_set(ctx, pool, &params))
    }

    static func credit2RateLimit(_ ctx: OpaquePointer, pool: UInt32) -> Result<Int, LibxlFailure> {
        var params = libxl_sched_credit2_params()
        libxl_sched_credit2_params_init(&params)
        let rc = libxl_sched_credit2_params_get(ctx, pool, &params)
        return rc == 0 ? .success(Int(params.ratelimit_us)) : .failure(LibxlFailure(code: rc))
    }

    static func setCredit2RateLimit(_ ctx: OpaquePointer, pool: UInt32, rateLimitUs: Int) -> Result<Void, LibxlFailure> {
        var params = libxl_sched_credit2_params()
        libxl_sched_credit2_params_init(&params)
        params.ratelimit_us = Int32(rateLimitUs)
        return check(libxl_sched_credit2_params_set(ctx, pool, &params))
    }
}
