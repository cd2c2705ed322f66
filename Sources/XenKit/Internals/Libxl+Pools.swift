// Raw libxl calls on CPU pools. Synchronous (NULL ao_how). The list is copied out and freed
// here (libxl_cpupoolinfo_list_free), so no libxl memory escapes.
internal import CXen

/// One CPU pool as libxl lists it.
struct CPUPoolRecord: Sendable, Equatable {
    var id: UInt32
    var name: String
    /// "credit", "credit2", "rtds", "arinc653", "null".
    var scheduler: String
    var cpus: [Int]
    var domainCount: Int
}

extension Libxl {
    /// Every CPU pool (libxl_list_cpupool).
    static func cpupools(_ ctx: OpaquePointer) -> Result<[CPUPoolRecord], LibxlFailure> {
        var count: Int32 = 0
        guard let list = libxl_list_cpupool(ctx, &count) else { return .failure(LibxlFailure(code: LibxlCode.fail)) }
        defer { libxl_cpupoolinfo_list_free(list, count) }
        var pools: [CPUPoolRecord] = []
        for index in 0..<Int(max(count, 0)) {
            let info = list[index]
            let name = info.pool_name.map { String(cString: $0) } ?? ""
            let scheduler = libxl_scheduler_to_string(info.sched).map { String(cString: $0) } ?? "unknown"
            var cpus: [Int] = []
            if let bytes = info.cpumap.map {
                for bit in 0..<(Int(info.cpumap.size) * 8) where bytes[bit / 8] & (1 << UInt8(bit % 8)) != 0 { cpus.append(bit) }
            }
            pools.append(CPUPoolRecord(id: info.poolid, name: name, scheduler: scheduler, cpus: cpus, domainCount: Int(info.n_dom)))
        }
        return .success(pools)
    }

    /// How many CPUs the pool named `name` has; ERROR_INVAL when there is no such pool.
    static func cpupoolCPUCount(_ ctx: OpaquePointer, name: String) -> Result<Int, LibxlFailure> {
        cpupools(ctx).flatMap { pools in
            guard let pool = pools.first(where: { $0.name == name }) else { return .failure(LibxlFailure(code: ERROR_INVAL.rawValue)) }
            return .success(pool.cpus.count)
        }
    }
}
