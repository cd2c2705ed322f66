#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension XenContext {
    /// The host's CPU count and NUMA layout, as a config's `cpus = "node:1"` needs them.
    public func hostTopology() throws(XenError) -> HostTopology {
        try perform("read the host's CPU topology") { Libxl.topology($0) }
    }

    /// How many NUMA nodes the host has (libxl_physinfo's nr_nodes), nodes without CPUs too.
    public func hostNodeCount() throws(XenError) -> Int {
        Int(try perform("read the host's physical info") { Libxl.physicalInfo($0) }.nodeCount)
    }

    /// The host facts `xl info` prints.
    ///
    /// The corresponding libxl functions are `libxl_get_physinfo`, `libxl_get_version_info`,
    /// `libxl_get_scheduler` and `libxl_get_freecpus`.
    public func hostInfo() throws(XenError) -> HostInfo {
        let physical = try perform("read the host's physical info") { Libxl.physicalInfo($0) }
        let version = try perform("read the hypervisor's version") { Libxl.versionInfo($0) }
        let scheduler = try perform("read the host's scheduler") { Libxl.schedulerName($0) }
        // xl prints free_cpus only when it can get them; so do we.
        let freeCPUs = try? perform("read the free CPUs") { Libxl.freeCPUCount($0) }
        let node = UnameInfo()
        // Pages to MiB, as xl does: divide by the number of pages in a MiB.
        let pagesPerMiB = UInt64((1 << 20) / max(version.pageSize, 1))
        func mib(_ pages: UInt64) -> Memory { .mebibytes(pages / pagesPerMiB) }
        return HostInfo(
            host: node.nodename, release: node.release, version: node.version,
            machine: node.machine,
            cpuCount: physical.cpuCount, maxCPUID: physical.maxCPUID,
            nodeCount: physical.nodeCount, coresPerSocket: physical.coresPerSocket,
            threadsPerCore: physical.threadsPerCore, cpuKHz: physical.cpuKHz,
            hardwareCapabilities: physical.hardwareCapabilities,
            virtualizationCapabilities: physical.virtualizationCapabilities,
            totalMemory: mib(physical.totalPages),
            freeMemory: mib(physical.freePages &- physical.outstandingPages),
            sharingFreedMemory: mib(physical.sharingFreedPages),
            sharingUsedMemory: mib(physical.sharingUsedFrames),
            outstandingClaims: mib(physical.outstandingPages),
            freeCPUs: freeCPUs,
            xenMajor: version.major, xenMinor: version.minor, xenExtra: version.extra,
            xenCapabilities: version.capabilities, scheduler: scheduler,
            pageSize: version.pageSize, virtStart: version.virtStart,
            changeset: version.changeset, commandLine: version.commandLine,
            compiler: version.compiler, compileBy: version.compileBy,
            compileDomain: version.compileDomain, compileDate: version.compileDate,
            buildID: version.buildID)
    }
}

/// uname(2), copied into Strings.
private struct UnameInfo {
    var nodename = "", release = "", version = "", machine = ""

    init() {
        var raw = utsname()
        guard uname(&raw) == 0 else { return }
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        nodename = text(raw.nodename)
        release = text(raw.release)
        version = text(raw.version)
        machine = text(raw.machine)
    }
}
