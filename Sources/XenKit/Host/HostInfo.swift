/// What the Xen hypervisor reports about its host: the facts `xl info` prints.
///
/// Built from `libxl_get_physinfo`, `libxl_get_version_info`, `libxl_get_scheduler`,
/// `libxl_get_freecpus` and uname(2), as xl does.
public struct HostInfo: Hashable, Sendable {
    // uname(2) of the control domain
    public var host: String
    public var release: String
    public var version: String
    public var machine: String
    // physical facts
    public var cpuCount: UInt32
    public var maxCPUID: UInt32
    public var nodeCount: UInt32
    public var coresPerSocket: UInt32
    public var threadsPerCore: UInt32
    public var cpuKHz: UInt32
    public var hardwareCapabilities: [UInt32]
    /// Capability words in the order and spelling of xl's `virt_caps` line.
    public var virtualizationCapabilities: [String]
    public var totalMemory: Memory
    /// Free memory less outstanding claims, as xl computes it.
    public var freeMemory: Memory
    public var sharingFreedMemory: Memory
    public var sharingUsedMemory: Memory
    public var outstandingClaims: Memory
    /// CPUs in no cpupool; nil when libxl could not tell.
    public var freeCPUs: Int?
    // the hypervisor build
    public var xenMajor: Int
    public var xenMinor: Int
    public var xenExtra: String
    /// Space-separated guest ABIs, e.g. `xen-3.0-x86_64 hvm-3.0-x86_32 ...`.
    public var xenCapabilities: String
    public var scheduler: String
    public var pageSize: Int
    public var virtStart: UInt64
    public var changeset: String
    public var commandLine: String
    public var compiler: String
    public var compileBy: String
    public var compileDomain: String
    public var compileDate: String
    public var buildID: String

    /// `major.minor` followed by the extra version, e.g. `4.17.6-pre`.
    public var xenVersion: String { "\(xenMajor).\(xenMinor)\(xenExtra)" }

    /// CPU speed as xl prints it: MHz with three decimals.
    public var cpuMHz: String {
        let fraction = String(cpuKHz % 1000)
        return "\(cpuKHz / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
