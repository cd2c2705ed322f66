// Raw libxl calls for the host's NUMA layout (`xl info -n`): each CPU's core, socket and
// node, each PCI device's node, each node's memory and distances. The lists are copied out
// and freed here; entries libxl marks invalid (offline CPUs, absent nodes) are left out.
internal import CXen

extension Libxl {
    static func cpuTopology(_ ctx: OpaquePointer) -> Result<[HostNUMA.CPU], LibxlFailure> {
        var count: Int32 = 0
        guard let list = libxl_get_cpu_topology(ctx, &count) else { return .failure(LibxlFailure(code: LibxlCode.fail)) }
        defer { libxl_cputopology_list_free(list, count) }
        return .success((0..<Int(max(count, 0))).compactMap { index in
            let entry = list[index]
            guard entry.core != UInt32.max else { return nil }
            return HostNUMA.CPU(cpu: index, core: Int(entry.core), socket: Int(entry.socket), node: Int(entry.node))
        })
    }

    static func pciTopology(_ ctx: OpaquePointer) -> Result<[HostNUMA.Device], LibxlFailure> {
        var count: Int32 = 0
        guard let list = libxl_get_pci_topology(ctx, &count) else { return .failure(LibxlFailure(code: LibxlCode.fail)) }
        defer { libxl_pcitopology_list_free(list, count) }
        return .success((0..<Int(max(count, 0))).compactMap { index in
            let entry = list[index]
            guard entry.node != UInt32.max else { return nil }
            return HostNUMA.Device(segment: Int(entry.seg), bus: Int(entry.bus), device: Int(entry.devfn >> 3) & 0x1f,
                                   function: Int(entry.devfn & 7), node: Int(entry.node))
        })
    }

    static func numaNodes(_ ctx: OpaquePointer) -> Result<[HostNUMA.Node], LibxlFailure> {
        var count: Int32 = 0
        guard let list = libxl_get_numainfo(ctx, &count) else { return .failure(LibxlFailure(code: LibxlCode.fail)) }
        defer { libxl_numainfo_list_free(list, count) }
        return .success((0..<Int(max(count, 0))).compactMap { index in
            let entry = list[index]
            guard entry.size != UInt64(UInt32.max) else { return nil }
            let distances = (0..<Int(max(entry.num_dists, 0))).map { Int(entry.dists[$0]) }
            return HostNUMA.Node(node: index, size: .kibibytes(entry.size / 1024), free: .kibibytes(entry.free / 1024),
                                 distances: distances)
        })
    }
}
