/// The host's NUMA layout, as `xl info -n` shows it.
public struct HostNUMA: Sendable, Equatable {
    public struct CPU: Sendable, Equatable {
        public var cpu, core, socket, node: Int
    }

    public struct Device: Sendable, Equatable {
        public var segment, bus, device, function, node: Int
    }

    public struct Node: Sendable, Equatable {
        public var node: Int
        public var size: Memory
        public var free: Memory
        /// The distance to each node, by node id.
        public var distances: [Int]
    }

    public var cpus: [CPU]
    /// nil when libxl cannot list them (xl then says "libxl_get_pci_topology failed.").
    public var devices: [Device]?
    public var nodes: [Node]
}

extension XenContext {
    /// Each CPU's place, each PCI device's node, each node's memory and distances.
    ///
    /// - The corresponding libxl functions are `libxl_get_cpu_topology`,
    ///   `libxl_get_pci_topology` and `libxl_get_numainfo`.
    public func numa() throws(XenError) -> HostNUMA {
        let cpus = try perform("read the host's CPU topology") { Libxl.cpuTopology($0) }
        let devices = try? perform("read the host's PCI topology") { Libxl.pciTopology($0) }
        let nodes = try perform("read the host's NUMA nodes") { Libxl.numaNodes($0) }
        return HostNUMA(cpus: cpus, devices: devices, nodes: nodes)
    }
}
