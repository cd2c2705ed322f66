/// Why a domain stopped running, as the guest (or Xen) reported it.
///
/// The corresponding libxl type is `libxl_shutdown_reason`.
public enum ShutdownReason: String, Hashable, Sendable, Codable, CaseIterable {
    case poweroff, reboot, suspend, crash, watchdog
    case softReset = "soft_reset"
    case unknown

    /// Xen's number for it (SHUTDOWN_poweroff ...); -1, libxl's, when unknown.
    public var code: Int32 {
        switch self {
        case .poweroff: 0
        case .reboot: 1
        case .suspend: 2
        case .crash: 3
        case .watchdog: 4
        case .softReset: 5
        case .unknown: -1
        }
    }

    /// The letter xl prints in the fifth state column ("-rscwS"; '?' when unknown).
    public var stateLetter: Character {
        switch self {
        case .poweroff: "-"
        case .reboot: "r"
        case .suspend: "s"
        case .crash: "c"
        case .watchdog: "w"
        case .softReset: "S"
        case .unknown: "?"
        }
    }
}

/// The kind of guest: paravirtualised, PVH, or fully virtualised (HVM).
public enum DomainType: String, Hashable, Sendable, Codable {
    case pv, pvh, hvm
    case unknown
}

/// A snapshot of one domain as the hypervisor reports it.
///
/// The corresponding libxl type is `libxl_dominfo` (from `libxl_list_domain` and
/// `libxl_domain_info`); the name comes from xenstore (`libxl_domid_to_name`).
public struct DomainInfo: Hashable, Sendable {
    public var id: DomainID
    /// The domain's name, or nil when xenstore has none (a dying domain, say).
    public var name: String?
    /// The domain's UUID in its usual 8-4-4-4-12 text form.
    public var uuid: String
    public var type: DomainType
    public var isRunning: Bool
    public var isBlocked: Bool
    public var isPaused: Bool
    public var isShutdown: Bool
    public var isDying: Bool
    /// Set only while ``isShutdown`` is true.
    public var shutdownReason: ShutdownReason?
    /// The reason's number when it is one xk has no name for (a guest may give any byte).
    public var unnamedShutdownCode: Int32?
    /// Memory the domain has now.
    public var currentMemory: Memory
    /// Memory claimed for the domain but not yet allocated (outstanding claims).
    public var outstandingMemory: Memory
    /// The most the domain may have (its maxmem).
    public var maxMemory: Memory
    public var sharedMemory: Memory
    public var pagedMemory: Memory
    /// CPU time used, in nanoseconds.
    public var cpuTimeNanoseconds: UInt64
    public var onlineVCPUs: UInt32
    /// The highest vCPU id, or `UInt32.max` while the domain has no vCPU; see ``vcpuCount``.
    public var maxVCPUID: UInt32
    public var cpupool: UInt32
    public var securityLabel: String?

    public init(
        id: DomainID, name: String?, uuid: String, type: DomainType,
        isRunning: Bool = false, isBlocked: Bool = false, isPaused: Bool = false,
        isShutdown: Bool = false, isDying: Bool = false, shutdownReason: ShutdownReason? = nil,
        unnamedShutdownCode: Int32? = nil,
        currentMemory: Memory, outstandingMemory: Memory = .kibibytes(0), maxMemory: Memory,
        sharedMemory: Memory = .kibibytes(0), pagedMemory: Memory = .kibibytes(0),
        cpuTimeNanoseconds: UInt64 = 0, onlineVCPUs: UInt32, maxVCPUID: UInt32,
        cpupool: UInt32 = 0, securityLabel: String? = nil
    ) {
        self.id = id
        self.name = name
        self.uuid = uuid
        self.type = type
        self.isRunning = isRunning
        self.isBlocked = isBlocked
        self.isPaused = isPaused
        self.isShutdown = isShutdown
        self.isDying = isDying
        self.shutdownReason = shutdownReason
        self.unnamedShutdownCode = unnamedShutdownCode
        self.currentMemory = currentMemory
        self.outstandingMemory = outstandingMemory
        self.maxMemory = maxMemory
        self.sharedMemory = sharedMemory
        self.pagedMemory = pagedMemory
        self.cpuTimeNanoseconds = cpuTimeNanoseconds
        self.onlineVCPUs = onlineVCPUs
        self.maxVCPUID = maxVCPUID
        self.cpupool = cpupool
        self.securityLabel = securityLabel
    }

    /// The memory xl shows in its Mem column: current plus outstanding claims (saturating,
    /// as ``Memory`` adds).
    public var totalMemory: Memory { currentMemory + outstandingMemory }

    /// The shutdown reason's number as Xen reports it (0 poweroff ... 5 soft reset), which
    /// `xl list -v` prints in hex.
    public var shutdownCode: Int32 { unnamedShutdownCode ?? shutdownReason?.code ?? 0 }

    /// How many vCPUs the domain has: `maxVCPUID + 1`, or 0 while it has none. Xen reports
    /// the highest id as ~0 (XEN_INVALID_MAX_VCPU_ID) until a domain being built has its
    /// vCPUs, so `maxVCPUID + 1` would overflow then.
    public var vcpuCount: UInt32 { maxVCPUID == .max ? 0 : maxVCPUID + 1 }

    /// The six state letters of `xl list`: r b p s c d, with '-' for a flag that is off and
    /// the shutdown reason's letter in the fifth place.
    public var stateFlags: String {
        var flags = ""
        flags.append(isRunning ? "r" : "-")
        flags.append(isBlocked ? "b" : "-")
        flags.append(isPaused ? "p" : "-")
        flags.append(isShutdown ? "s" : "-")
        flags.append(isShutdown ? (shutdownReason ?? .unknown).stateLetter : "-")
        flags.append(isDying ? "d" : "-")
        return flags
    }
}
