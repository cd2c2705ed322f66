// The only file that makes raw libxl calls for host and domain queries (swift-system's
// Syscalls.swift is the model). Each function turns libxl's return code into a `Result`
// once, and copies what libxl returns into Swift values at once, freeing the C memory in a
// `defer` with the matching `_dispose` / `_list_free`. Public API lives in XenContext.
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failed libxl call: its return code (negative `ERROR_*`), and what libxl logged at
/// error level while it ran, when the caller collected it (the seam's live side does).
struct LibxlFailure: Error, Equatable {
    var code: Int32
    var messages: [String] = []
}

enum LibxlCode {
    /// `ERROR_DOMAIN_NOTFOUND` and friends, for messages ("rc -21 DOMAIN_NOTFOUND").
    static func name(_ code: Int32) -> String {
        guard let cName = libxl_error_to_string(libxl_error(rawValue: code)) else {
            return "rc \(code)"
        }
        return "rc \(code) " + String(cString: cName).uppercased()
    }

    static let domainNotFound: Int32 = ERROR_DOMAIN_NOTFOUND.rawValue
    static let fail: Int32 = ERROR_FAIL.rawValue
    static let guestTimedOut: Int32 = ERROR_GUEST_TIMEDOUT.rawValue
    static let timedOut: Int32 = ERROR_TIMEDOUT.rawValue
    static let deviceExists: Int32 = ERROR_DEVICE_EXISTS.rawValue
    static let lockFail: Int32 = ERROR_LOCK_FAIL.rawValue
}

enum Libxl {
    static func allocateContext(logger: ToolLogger) -> Result<OpaquePointer, LibxlFailure> {
        var ctx: OpaquePointer?
        let rc = libxl_ctx_alloc(&ctx, LIBXL_VERSION, 0, logger.xtl)
        guard rc == 0, let ctx else {
            libxl_ctx_free(ctx)
            return .failure(LibxlFailure(code: rc == 0 ? LibxlCode.fail : rc))
        }
        cxen_childproc_setmode(ctx)   // before anything can fork: see shim.h
        return .success(ctx)
    }

    /// The fork libxl uses for every process it starts (shim.h: the child begins with no
    /// signal blocked); for tests.
    static func forkAsLibxlDoes() -> pid_t { cxen_fork_with_clean_signals(nil) }

    static func freeContext(_ ctx: OpaquePointer) {
        libxl_ctx_free(ctx)
    }

    /// - Parameter names: look up each domain's name (one xenstore read each); without,
    ///   `name` is nil and the list costs one hypercall.
    static func listDomains(_ ctx: OpaquePointer, names: Bool = true) -> Result<[DomainInfo], LibxlFailure> {
        var count: Int32 = 0
        guard let list = libxl_list_domain(ctx, &count) else {
            return .failure(LibxlFailure(code: LibxlCode.fail))
        }
        defer { libxl_dominfo_list_free(list, count) }
        let buffer = UnsafeBufferPointer(start: list, count: Int(count))
        return .success(buffer.map { domainInfo(ctx, $0, name: names) })
    }

    /// - Parameter name: look up the name too (a xenstore read); without, `name` is nil.
    static func domainInfo(_ ctx: OpaquePointer, _ id: DomainID, name: Bool = true) -> Result<DomainInfo, LibxlFailure> {
        var raw = libxl_dominfo()
        libxl_dominfo_init(&raw)
        defer { libxl_dominfo_dispose(&raw) }
        let rc = libxl_domain_info(ctx, &raw, id.rawValue)
        guard rc == 0 else { return .failure(LibxlFailure(code: rc)) }
        return .success(domainInfo(ctx, raw, name: name))
    }

    static func domainID(_ ctx: OpaquePointer, name: String) -> Result<DomainID, LibxlFailure> {
        var id: UInt32 = 0
        let rc = libxl_name_to_domid(ctx, name, &id)
        guard rc == 0 else { return .failure(LibxlFailure(code: rc)) }
        return .success(DomainID(id))
    }

    static func domainName(_ ctx: OpaquePointer, _ id: DomainID) -> String? {
        guard let cName = libxl_domid_to_name(ctx, id.rawValue) else { return nil }
        defer { free(cName) }
        return String(cString: cName)
    }

    private static func domainInfo(_ ctx: OpaquePointer, _ raw: libxl_dominfo, name: Bool = true) -> DomainInfo {
        var uuid = raw.uuid
        let reason = raw.shutdown ? shutdownReason(raw.shutdown_reason) : nil
        return DomainInfo(
            id: DomainID(raw.domid),
            name: name ? domainName(ctx, DomainID(raw.domid)) : nil,
            uuid: uuidString(&uuid),
            type: domainType(raw.domain_type),
            isRunning: raw.running,
            isBlocked: raw.blocked,
            isPaused: raw.paused,
            isShutdown: raw.shutdown,
            isDying: raw.dying,
            shutdownReason: reason,
            unnamedShutdownCode: reason == .unknown ? Int32(truncatingIfNeeded: raw.shutdown_reason.rawValue) : nil,
            currentMemory: .kibibytes(raw.current_memkb),
            outstandingMemory: .kibibytes(raw.outstanding_memkb),
            maxMemory: .kibibytes(raw.max_memkb),
            sharedMemory: .kibibytes(raw.shared_memkb),
            pagedMemory: .kibibytes(raw.paged_memkb),
            cpuTimeNanoseconds: raw.cpu_time,
            onlineVCPUs: raw.vcpu_online,
            maxVCPUID: raw.vcpu_max_id,
            cpupool: raw.cpupool,
            securityLabel: raw.ssid_label.map { String(cString: $0) }
        )
    }

    static func physicalInfo(_ ctx: OpaquePointer) -> Result<PhysicalInfo, LibxlFailure> {
        var raw = libxl_physinfo()
        libxl_physinfo_init(&raw)
        defer { libxl_physinfo_dispose(&raw) }
        let rc = libxl_get_physinfo(ctx, &raw)
        guard rc == 0 else { return .failure(LibxlFailure(code: rc)) }
        var caps: [String] = []
        if raw.cap_pv { caps.append("pv") }
        if raw.cap_hvm { caps.append("hvm") }
        if raw.cap_hvm && raw.cap_hvm_directio { caps.append("hvm_directio") }
        if raw.cap_pv && raw.cap_hvm_directio { caps.append("pv_directio") }
        if raw.cap_hap { caps.append("hap") }
        if raw.cap_shadow { caps.append("shadow") }
        if raw.cap_iommu_hap_pt_share { caps.append("iommu_hap_pt_share") }
        if raw.cap_vmtrace { caps.append("vmtrace") }
        if raw.cap_vpmu { caps.append("vpmu") }
        if raw.cap_gnttab_v1 { caps.append("gnttab-v1") }
        if raw.cap_gnttab_v2 { caps.append("gnttab-v2") }
        let hw = withUnsafeBytes(of: raw.hw_cap) { Array($0.bindMemory(to: UInt32.self)) }
        return .success(PhysicalInfo(
            threadsPerCore: raw.threads_per_core, coresPerSocket: raw.cores_per_socket,
            maxCPUID: raw.max_cpu_id, cpuCount: raw.nr_cpus, cpuKHz: raw.cpu_khz,
            totalPages: raw.total_pages, freePages: raw.free_pages,
            outstandingPages: raw.outstanding_pages,
            sharingFreedPages: raw.sharing_freed_pages, sharingUsedFrames: raw.sharing_used_frames,
            nodeCount: raw.nr_nodes, hardwareCapabilities: hw, virtualizationCapabilities: caps))
    }

    static func versionInfo(_ ctx: OpaquePointer) -> Result<VersionInfo, LibxlFailure> {
        // > "The result is cached in ctx and must not be freed" (libxl_get_version_info).
        guard let raw = libxl_get_version_info(ctx)?.pointee else {
            return .failure(LibxlFailure(code: LibxlCode.fail))
        }
        func text(_ p: UnsafeMutablePointer<CChar>?) -> String { p.map { String(cString: $0) } ?? "" }
        return .success(VersionInfo(
            major: Int(raw.xen_version_major), minor: Int(raw.xen_version_minor),
            extra: text(raw.xen_version_extra), compiler: text(raw.compiler),
            compileBy: text(raw.compile_by), compileDomain: text(raw.compile_domain),
            compileDate: text(raw.compile_date), capabilities: text(raw.capabilities),
            changeset: text(raw.changeset), virtStart: raw.virt_start,
            pageSize: Int(raw.pagesize), commandLine: text(raw.commandline),
            buildID: text(raw.build_id)))
    }

    static func schedulerName(_ ctx: OpaquePointer) -> Result<String, LibxlFailure> {
        let rc = libxl_get_scheduler(ctx)
        guard rc >= 0 else { return .failure(LibxlFailure(code: rc)) }
        guard let name = libxl_scheduler_to_string(libxl_scheduler(rawValue: UInt32(rc))) else {
            return .success("unknown")
        }
        return .success(String(cString: name))
    }

    static func freeCPUCount(_ ctx: OpaquePointer) -> Result<Int, LibxlFailure> {
        var map = libxl_bitmap()
        libxl_bitmap_init(&map)
        defer { libxl_bitmap_dispose(&map) }
        let rc = libxl_get_freecpus(ctx, &map)
        guard rc == 0 else { return .failure(LibxlFailure(code: rc)) }
        guard let bits = map.map else { return .success(0) }
        let bytes = UnsafeBufferPointer(start: bits, count: Int(map.size))
        return .success(bytes.reduce(0) { $0 + $1.nonzeroBitCount })
    }

    /// libxl_get_max_cpus and libxl_get_cpu_topology: CPUs by NUMA node.
    static func topology(_ ctx: OpaquePointer) -> Result<HostTopology, LibxlFailure> {
        let maxCPUs = libxl_get_max_cpus(ctx)
        guard maxCPUs > 0 else { return .failure(LibxlFailure(code: maxCPUs == 0 ? -3 : maxCPUs)) }
        var count: Int32 = 0
        guard let topology = libxl_get_cpu_topology(ctx, &count) else { return .failure(LibxlFailure(code: -3)) }
        defer { libxl_cputopology_list_free(topology, count) }
        var nodes: [[Int]] = []
        for cpu in 0..<Int(count) {
            let node = Int(topology[cpu].node)
            guard topology[cpu].node != UInt32.max, node < 4096 else { continue }   // LIBXL_CPUTOPOLOGY_INVALID_ENTRY
            while nodes.count <= node { nodes.append([]) }
            nodes[node].append(cpu)
        }
        return .success(HostTopology(cpuCount: Int(maxCPUs), nodeCPUs: nodes))
    }

    /// libxl's uuid in its usual text form, 8-4-4-4-12 lowercase hex digits. Written byte by
    /// byte: `joined()` over strings is generic in the standard library, and its first use makes
    /// the runtime scan every protocol-conformance record (`xk list` calls this per domain).
    static func uuidString(_ uuid: inout libxl_uuid) -> String {
        withUnsafeBytes(of: &uuid) { uuidText($0.prefix(16)) }
    }

    /// The text form of a uuid's 16 bytes.
    static func uuidText(_ bytes: some Collection<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { text.append(UInt8(ascii: "-")) }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static func domainType(_ raw: libxl_domain_type) -> DomainType {
        switch raw {
        case LIBXL_DOMAIN_TYPE_PV: .pv
        case LIBXL_DOMAIN_TYPE_PVH: .pvh
        case LIBXL_DOMAIN_TYPE_HVM: .hvm
        default: .unknown
        }
    }

    private static func shutdownReason(_ raw: libxl_shutdown_reason) -> ShutdownReason {
        switch raw {
        case LIBXL_SHUTDOWN_REASON_POWEROFF: .poweroff
        case LIBXL_SHUTDOWN_REASON_REBOOT: .reboot
        case LIBXL_SHUTDOWN_REASON_SUSPEND: .suspend
        case LIBXL_SHUTDOWN_REASON_CRASH: .crash
        case LIBXL_SHUTDOWN_REASON_WATCHDOG: .watchdog
        case LIBXL_SHUTDOWN_REASON_SOFT_RESET: .softReset
        default: .unknown
        }
    }
}

/// `libxl_physinfo`, copied.
struct PhysicalInfo {
    var threadsPerCore, coresPerSocket, maxCPUID, cpuCount, cpuKHz: UInt32
    var totalPages, freePages, outstandingPages, sharingFreedPages, sharingUsedFrames: UInt64
    var nodeCount: UInt32
    var hardwareCapabilities: [UInt32]
    var virtualizationCapabilities: [String]
}

/// `libxl_version_info`, copied.
struct VersionInfo {
    var major, minor: Int
    var extra, compiler, compileBy, compileDomain, compileDate, capabilities, changeset: String
    var virtStart: UInt64
    var pageSize: Int
    var commandLine, buildID: String
}
