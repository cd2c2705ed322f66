// Raw libxl calls for the RTDS scheduler's per-vCPU parameters (period, budget, extratime):
// libxl_vcpu_sched_params_get/_get_all/_set/_set_all. The domain-level call is in
// Libxl+Scheduling.swift. Synchronous.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
internal import CXen

/// One vCPU's RTDS parameters as libxl holds them.
struct RTDSVCPURecord: Sendable, Equatable {
    var vcpu: Int
    var periodUs: Int
    var budgetUs: Int
    var extratime: Bool
}

extension Libxl {
    /// The scheduler a domain runs under and the RTDS parameters of the given vCPUs (every
    /// vCPU when nil). The scheduler is checked by the caller: libxl answers for any.
    static func rtdsVCPUs(_ ctx: OpaquePointer, _ id: DomainID, _ vcpus: [Int]?) -> Result<(scheduler: String, vcpus: [RTDSVCPURecord]), LibxlFailure> {
        var params = libxl_vcpu_sched_params()
        libxl_vcpu_sched_params_init(&params)
        defer { libxl_vcpu_sched_params_dispose(&params) }
        let rc: Int32
        if let vcpus {
            guard !vcpus.isEmpty,
                  let array = calloc(vcpus.count, MemoryLayout<libxl_sched_params>.stride)?.assumingMemoryBound(to: libxl_sched_params.self)
            else { return .failure(LibxlFailure(code: ERROR_INVAL.rawValue)) }
            for (index, vcpu) in vcpus.enumerated() {
                libxl_sched_params_init(&array[index])
                array[index].vcpuid = Int32(vcpu)
            }
            params.vcpus = array   // freed by the dispose above
            params.num_vcpus = Int32(vcpus.count)
            rc = libxl_vcpu_sched_params_get(ctx, id.rawValue, &params)
        } else {
            rc = libxl_vcpu_sched_params_get_all(ctx, id.rawValue, &params)
        }
        guard rc == 0 else { return .failure(LibxlFailure(code: rc)) }
        let name = libxl_scheduler_to_string(params.sched).map { String(cString: $0) } ?? "unknown"
        let records = (0..<Int(max(params.num_vcpus, 0))).map { index in
            let raw = params.vcpus[index]
            return RTDSVCPURecord(vcpu: Int(raw.vcpuid), periodUs: Int(raw.period), budgetUs: Int(raw.budget), extratime: raw.extratime != 0)
        }
        return .success((name, records))
    }

    /// Sets the listed vCPUs' parameters (`libxl_vcpu_sched_params_set`), or every vCPU's to
    /// the one record given when `all` (`_set_all`).
    static func setRTDSVCPUs(_ ctx: OpaquePointer, _ id: DomainID, _ records: [RTDSVCPURecord], all: Bool) -> Result<Void, LibxlFailure> {
        var params = libxl_vcpu_sched_params()
        libxl_vcpu_sched_params_init(&params)
        defer { libxl_vcpu_sched_params_dispose(&params) }
        guard !records.isEmpty,
              let array = calloc(records.count, MemoryLayout<libxl_sched_params>.stride)?.assumingMemoryBound(to: libxl_sched_params.self)
        else { return .failure(LibxlFailure(code: ERROR_INVAL.rawValue)) }
        for (index, record) in records.enumerated() {
            libxl_sched_params_init(&array[index])
            array[index].vcpuid = Int32(record.vcpu)
            array[index].period = Int32(record.periodUs)
            array[index].budget = Int32(record.budgetUs)
            array[index].extratime = record.extratime ? 1 : 0
        }
        params.vcpus = array
        params.num_vcpus = Int32(records.count)
        params.sched = LIBXL_SCHEDULER_RTDS
        return check(all ? libxl_vcpu_sched_params_set_all(ctx, id.rawValue, &params)
                         : libxl_vcpu_sched_params_set(ctx, id.rawValue, &params))
    }
}
