// Raw libxl calls that resize a running domain: its memory target and maximum, its online
// vCPUs and their CPU affinity; and the per-vCPU listing. Synchronous (NULL ao_how).
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension Libxl {
    /// The balloon target. enforce: the hypervisor's limit follows, as xl mem-set does; xl's
    /// autoballoon moves dom0's target alone (enforce = 0).
    static func setMemoryTarget(_ ctx: OpaquePointer, _ id: DomainID, _ memory: Memory, enforce: Bool = true) -> Result<Void, LibxlFailure> {
        check(libxl_set_memory_target(ctx, id.rawValue, Int64(memory.kibibytes), 0, enforce ? 1 : 0))
    }

    /// Waits until the domain's balloon reaches its target, failing when it makes no progress
    /// for `seconds` (libxl_wait_for_memory_target, as xl's autoballoon waits on dom0).
    static func waitForMemoryTarget(_ ctx: OpaquePointer, _ id: DomainID, seconds: Int32) -> Result<Void, LibxlFailure> {
        check(libxl_wait_for_memory_target(ctx, id.rawValue, seconds))
    }

    static func setMaximumMemory(_ ctx: OpaquePointer, _ id: DomainID, _ memory: Memory) -> Result<Void, LibxlFailure> {
        check(libxl_domain_setmaxmem(ctx, id.rawValue, memory.kibibytes))
    }

    /// The target in xenstore (memory/target), which is what the guest's balloon follows.
    static func memoryTarget(_ ctx: OpaquePointer, _ id: DomainID) -> Result<Memory, LibxlFailure> {
        var target: UInt64 = 0
        let rc = libxl_get_memory_target(ctx, id.rawValue, &target)
        guard rc == 0 else { return .failure(LibxlFailure(code: rc)) }
        return .success(.kibibytes(target))
    }

    /// Brings vCPUs 0..<count online and the others offline.
    static func setOnlineVCPUs(_ ctx: OpaquePointer, _ id: DomainID, count: Int, maximum: Int) -> Result<Void, LibxlFailure> {
        var map = libxl_bitmap()
        libxl_bitmap_init(&map)
        defer { libxl_bitmap_dispose(&map) }
        let rc = libxl_bitmap_alloc(ctx, &map, Int32(max(maximum, count)))
        guard rc == 0 else { return .failure(LibxlFailure(code: rc)) }
        for vcpu in 0..<count { libxl_bitmap_set(&map, Int32(vcpu)) }
        return check(libxl_set_vcpuonline(ctx, id.rawValue, &map, nil))
    }

    static func listVCPUs(_ ctx: OpaquePointer, _ id: DomainID) -> Result<[VCPUInfo], LibxlFailure> {
        var count: Int32 = 0, hostCPUs: Int32 = 0
        guard let list = libxl_list_vcpu(ctx, id.rawValue, &count, &hostCPUs) else {
            return .failure(LibxlFailure(code: -3))
        }
        defer { libxl_vcpuinfo_list_free(list, count) }
        return .success((0..<Int(count)).map { index in
            let raw = list[index]
            return VCPUInfo(
                domain: id, vcpu: Int(raw.vcpuid), cpu: raw.online ? Int(raw.cpu) : nil,
                isOnline: raw.online, isRunning: raw.running, isBlocked: raw.blocked,
                cpuTimeNanoseconds: raw.vcpu_time,
                hardAffinity: bits(raw.cpumap, limit: Int(hostCPUs)),
                softAffinity: bits(raw.cpumap_soft, limit: Int(hostCPUs)),
                hostCPUCount: Int(hostCPUs))
        })
    }

    /// Sets a vCPU's hard and/or soft affinity (nil leaves that one as it is).
    /// force: libxl_set_vcpuaffinity_force, which also ends a temporary pinning the guest's
    /// kernel made (Xen's XEN_VCPUAFFINITY_FORCE).
    static func pinVCPU(_ ctx: OpaquePointer, _ id: DomainID, vcpu: Int, hard: Set<Int>?, soft: Set<Int>?, force: Bool = false) -> Result<Void, LibxlFailure> {
        let hostCPUs = libxl_get_max_cpus(ctx)
        guard hostCPUs > 0 else { return .failure(LibxlFailure(code: hostCPUs == 0 ? -3 : hostCPUs)) }
        // Two bitmaps with one owner here, disposed once below.
        let maps = UnsafeMutablePointer<libxl_bitmap>.allocate(capacity: 2)
        libxl_bitmap_init(maps)
        libxl_bitmap_init(maps + 1)
        defer {
            libxl_bitmap_dispose(maps)
            libxl_bitmap_dispose(maps + 1)
            maps.deallocate()
        }
        for (slot, set) in [hard, soft].enumerated() {
            guard let set else { continue }
            let rc = libxl_bitmap_alloc(ctx, maps + slot, hostCPUs)
            guard rc == 0 else { return .failure(LibxlFailure(code: rc)) }
            for cpu in set { libxl_bitmap_set(maps + slot, Int32(cpu)) }
        }
        if force {
            return check(libxl_set_vcpuaffinity_force(ctx, id.rawValue, UInt32(vcpu),
                                                      hard == nil ? nil : maps, soft == nil ? nil : maps + 1))
        }
        return check(libxl_set_vcpuaffinity(ctx, id.rawValue, UInt32(vcpu),
                                            hard == nil ? nil : maps, soft == nil ? nil : maps + 1))
    }

    private static func bits(_ map: libxl_bitmap, limit: Int) -> Set<Int> {
        guard let bytes = map.map else { return [] }
        var set = Set<Int>()
        for bit in 0..<min(Int(map.size) * 8, max(limit, 0)) where bytes[bit / 8] & (1 << UInt8(bit % 8)) != 0 {
            set.insert(bit)
        }
        return set
    }

    /// The NUMA nodes a domain's memory is placed on (libxl_domain_get_nodeaffinity), of the
    /// host's first `nodeCount` nodes.
    static func nodeAffinity(_ ctx: OpaquePointer, _ id: DomainID, nodeCount: Int) -> Result<Set<Int>, LibxlFailure> {
        var map = libxl_bitmap()
        libxl_bitmap_init(&map)
        defer { libxl_bitmap_dispose(&map) }
        let allocated = libxl_node_bitmap_alloc(ctx, &map, 0)
        guard allocated == 0 else { return .failure(LibxlFailure(code: allocated)) }
        let rc = libxl_domain_get_nodeaffinity(ctx, id.rawValue, &map)
        guard rc == 0 else { return .failure(LibxlFailure(code: rc)) }
        return .success(bits(map, limit: nodeCount))
    }

    static func onlineHostCPUs(_ ctx: OpaquePointer) -> Result<Int, LibxlFailure> {
        let count = libxl_get_online_cpus(ctx)
        return count > 0 ? .success(Int(count)) : .failure(LibxlFailure(code: count == 0 ? -3 : count))
    }
}
