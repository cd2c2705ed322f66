// cpus and cpus_soft: which physical CPUs each vCPU may (hard) or prefers to (soft) run on.
//
// Why the host matters: xl sizes each affinity bitmap to the host's CPU count and resolves
// "node:N" through the host's NUMA layout, so the JSON depends on the machine. xk takes that
// layout from LoadOptions.host (read from the hypervisor when there is one); a dry run on a
// machine without Xen assumes 64 CPUs in one node and says so.
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension ConfigMapper {
    mutating func mapAffinity() throws(XenError) {
        for (key, hard) in [("cpus", true), ("cpus_soft", false)] {
            guard file.isSet(key) else { continue }
            let b = withUnsafeMutablePointer(to: &config.pointee.b_info) { $0 }
            let maxVCPUs = Int(b.pointee.max_vcpus)
            let isList = file.isList(key)
            let given = isList ? try file.list(key) ?? [] : [try file.string(key) ?? ""]
            let host = options.host ?? .assumed
            if options.host == nil {
                warnings.append(file.location(key) + "\(key): no Xen here; assuming a host of \(host.cpuCount) CPUs in one NUMA node")
            }
            // Every entry is checked, also those beyond maxvcpus that xl then drops.
            let sets = try given.map { text throws(XenError) in try cpuSet(text, key: key, host: host) }
            let entries = isList ? Array(sets.prefix(maxVCPUs)) : Array(repeating: sets[0], count: maxVCPUs)
            let maps = calloc(max(entries.count, 1), MemoryLayout<libxl_bitmap>.stride)!
                .assumingMemoryBound(to: libxl_bitmap.self)
            for index in 0..<entries.count { libxl_bitmap_init(maps + index) }
            if hard {
                b.pointee.num_vcpu_hard_affinity = Int32(entries.count)
                b.pointee.vcpu_hard_affinity = maps
            } else {
                b.pointee.num_vcpu_soft_affinity = Int32(entries.count)
                b.pointee.vcpu_soft_affinity = maps
            }
            for (index, cpus) in entries.enumerated() {
                Self.setBitmap(maps + index, bits: host.cpuCount, set: 0..<0)
                for cpu in cpus where cpu < Int(maps[index].size) * 8 {
                    maps[index].map[cpu / 8] |= UInt8(1) << UInt8(cpu % 8)
                }
            }
            // As xl: a list of maps, or any soft affinity, turns automatic NUMA placement off.
            if isList || !hard { libxl_defbool_set(&b.pointee.numa_placement, false) }
        }
    }

    /// xl's parse_cpurange (CPUList), a problem named by the key.
    func cpuSet(_ text: String, key: String, host: HostTopology) throws(XenError) -> Set<Int> {
        do throws(CPUList.Problem) {
            return try CPUList.parse(text, host: host)
        } catch {
            throw file.error(key, error.message, hint: error.hint)
        }
    }
}

/// The host's CPUs and NUMA nodes, as far as a config needs them.
public struct HostTopology: Sendable, Equatable {
    /// libxl_get_max_cpus: the highest CPU id plus one.
    public var cpuCount: Int
    /// The CPUs of each NUMA node, by node id.
    public var nodeCPUs: [[Int]]

    public init(cpuCount: Int, nodeCPUs: [[Int]]) {
        self.cpuCount = cpuCount
        self.nodeCPUs = nodeCPUs
    }

    /// What a dry run without Xen assumes.
    static let assumed = HostTopology(cpuCount: 64, nodeCPUs: [Array(0..<64)])
}
