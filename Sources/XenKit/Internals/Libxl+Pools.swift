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

extension Libxl {
    /// A CPU map of the host's size with `cpus` set, handed to `body`, then disposed.
    static func withCPUMap<T>(_ ctx: OpaquePointer, _ cpus: Set<Int>,
                              _ body: (UnsafeMutablePointer<libxl_bitmap>) -> Result<T, LibxlFailure>) -> Result<T, LibxlFailure> {
        let map = UnsafeMutablePointer<libxl_bitmap>.allocate(capacity: 1)
        libxl_bitmap_init(map)
        defer {
            libxl_bitmap_dispose(map)
            map.deallocate()
        }
        let rc = libxl_cpu_bitmap_alloc(ctx, map, 0)
        guard rc == 0 else { return .failure(LibxlFailure(code: rc)) }
        for cpu in cpus where cpu < Int(map.pointee.size) * 8 { libxl_bitmap_set(map, Int32(cpu)) }
        return body(map)
    }

    /// The CPUs in no pool (libxl_get_freecpus).
    static func freeCPUs(_ ctx: OpaquePointer) -> Result<Set<Int>, LibxlFailure> {
        var map = libxl_bitmap()
        libxl_bitmap_init(&map)
        defer { libxl_bitmap_dispose(&map) }
        let rc = libxl_get_freecpus(ctx, &map)
        guard rc == 0 else { return .failure(LibxlFailure(code: rc)) }
        var cpus = Set<Int>()
        if let bytes = map.map {
            for bit in 0..<(Int(map.size) * 8) where bytes[bit / 8] & (1 << UInt8(bit % 8)) != 0 { cpus.insert(bit) }
        }
        return .success(cpus)
    }

    /// libxl's name of the host's default scheduler (libxl_get_scheduler).
    static func defaultScheduler(_ ctx: OpaquePointer) -> Result<String, LibxlFailure> {
        let rc = libxl_get_scheduler(ctx)
        guard rc >= 0 else { return .failure(LibxlFailure(code: rc)) }
        return .success(libxl_scheduler_to_string(libxl_scheduler(UInt32(rc))).map { String(cString: $0) } ?? "unknown")
    }

    /// A new pool (libxl_cpupool_create, Xen picks its id); returns the id.
    static func createCpupool(_ ctx: OpaquePointer, name: String, scheduler: String, cpus: Set<Int>) -> Result<UInt32, LibxlFailure> {
        var sched = LIBXL_SCHEDULER_UNKNOWN
        guard libxl_scheduler_from_string(scheduler, &sched) == 0 else { return .failure(LibxlFailure(code: ERROR_INVAL.rawValue)) }
        return withCPUMap(ctx, cpus) { map in
            var uuid = libxl_uuid()
            libxl_uuid_generate(&uuid)
            var poolid: UInt32 = 0xFFFF_FFFF   // LIBXL_CPUPOOL_POOLID_ANY
            let rc = libxl_cpupool_create(ctx, name, sched, map.pointee, &uuid, &poolid)
            return rc == 0 ? .success(poolid) : .failure(LibxlFailure(code: rc))
        }
    }

    static func destroyCpupool(_ ctx: OpaquePointer, _ id: UInt32) -> Result<Void, LibxlFailure> {
        check(libxl_cpupool_destroy(ctx, id))
    }

    static func renameCpupool(_ ctx: OpaquePointer, _ id: UInt32, to name: String) -> Result<Void, LibxlFailure> {
        check(libxl_cpupool_rename(ctx, name, id))
    }

    static func addCPUs(_ ctx: OpaquePointer, _ id: UInt32, _ cpus: Set<Int>) -> Result<Void, LibxlFailure> {
        withCPUMap(ctx, cpus) { check(libxl_cpupool_cpuadd_cpumap(ctx, id, $0)) }
    }

    static func removeCPUs(_ ctx: OpaquePointer, _ id: UInt32, _ cpus: Set<Int>) -> Result<Void, LibxlFailure> {
        withCPUMap(ctx, cpus) { check(libxl_cpupool_cpuremove_cpumap(ctx, id, $0)) }
    }

    static func moveDomain(_ ctx: OpaquePointer, _ id: DomainID, toPool pool: UInt32) -> Result<Void, LibxlFailure> {
        check(libxl_cpupool_movedomain(ctx, pool, id.rawValue))
    }

    /// Whether libxl knows `name` as a scheduler.
    static func isScheduler(_ name: String) -> Bool {
        var sched = LIBXL_SCHEDULER_UNKNOWN
        return libxl_scheduler_from_string(name, &sched) == 0 && sched != LIBXL_SCHEDULER_UNKNOWN
    }
}
