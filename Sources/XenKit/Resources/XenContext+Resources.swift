// Resizing a running domain: its balloon target and maximum memory, its online vCPUs and
// where they may run; with the checks that make a bad request fail before libxl is asked.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension XenContext {
    /// The smallest balloon target xk sets without `force`: below it a Linux guest is likely
    /// to run out of memory and kill its own processes.
    public static let memoryFloor = Memory.mebibytes(32)

    /// Sets the domain's balloon target, as `xl mem-set` does.
    ///
    /// Refuses a target above the domain's maximum (raise it with ``setMaximumMemory(_:_:)``
    /// first) and, unless `force`, one below ``memoryFloor``. The guest's balloon driver then
    /// moves towards the target; see ``waitForMemory(_:target:timeout:progress:)``.
    /// The corresponding libxl function is `libxl_set_memory_target`.
    public func setMemoryTarget(_ id: DomainID, _ target: Memory, force: Bool = false) throws(XenError) {
        let info = try domain(id)
        let label = describe(id)
        // The limit is the domain's static maximum (xenstore's memory/static-max, what libxl
        // checks), not Xen's current max_pages, which follows the last target.
        if let maximum = staticMaximum(id), target > maximum {
            throw XenError(code: .invalidArgument,
                           message: "cannot set \(label) to \(target): its maximum is \(maximum)",
                           hint: "raise the maximum first: xk mem-max \(info.name ?? "\(id)") \(target.mebibytes)m")
        }
        if target < Self.memoryFloor && !force {
            throw XenError(code: .invalidArgument,
                           message: "cannot set \(label) to \(target): below \(Self.memoryFloor) the guest is likely to fail",
                           hint: "use --force if the guest really can live with it")
        }
        try act("set the memory target of", id) { Libxl.setMemoryTarget($0, $1, target) }
    }

    /// Sets the most memory the domain may have, as `xl mem-max` does. Refuses a maximum below
    /// the current balloon target. The corresponding libxl function is `libxl_domain_setmaxmem`.
    public func setMaximumMemory(_ id: DomainID, _ maximum: Memory) throws(XenError) {
        let target = try perform("read the memory target of \(describe(id))") { Libxl.memoryTarget($0, id) }
        if maximum < target {
            throw XenError(code: .invalidArgument,
                           message: "cannot set the maximum of \(describe(id)) to \(maximum): its target is \(target)",
                           hint: "lower the target first with xk mem-set")
        }
        try act("set the maximum memory of", id) { Libxl.setMaximumMemory($0, $1, maximum) }
    }

    /// The most memory the domain may balloon up to (xenstore's memory/static-max), if known.
    public func staticMaximum(_ id: DomainID) -> Memory? {
        guard let store = try? XenStore(readOnly: true),
              let path = XenStorePath.domainHome(id).appending("memory/static-max"),
              let text = try? store.read(path),
              let kib = UInt64(text) else { return nil }
        return .kibibytes(kib)
    }

    /// The balloon target the guest is asked to reach (xenstore's memory/target).
    public func memoryTarget(_ id: DomainID) throws(XenError) -> Memory {
        try perform("read the memory target of \(describe(id))") { Libxl.memoryTarget($0, id) }
    }

    /// Brings vCPUs 0..<count online and the rest offline, as `xl vcpu-set` does. Refuses a
    /// count above the domain's maximum and, unless `force`, above the host's online CPUs.
    /// The corresponding libxl function is `libxl_set_vcpuonline`.
    public func setOnlineVCPUs(_ id: DomainID, count: Int, force: Bool = false) throws(XenError) {
        let info = try domain(id)
        let maximum = Int(info.vcpuCount)   // 0 while the domain is being built
        let label = describe(id)
        guard count >= 1 else {
            throw XenError(code: .invalidArgument, message: "\(label) needs at least one vCPU online")
        }
        guard count <= maximum else {
            throw XenError(code: .invalidArgument, message: "\(label) has at most \(maximum) vCPUs (its maxvcpus); \(count) asked",
                           hint: "maxvcpus is fixed when the domain is created")
        }
        let hostCPUs = try perform("count the host's online CPUs") { Libxl.onlineHostCPUs($0) }
        if count > hostCPUs && !force {
            throw XenError(code: .invalidArgument,
                           message: "\(count) vCPUs for \(label) is more than the host's \(hostCPUs) online CPUs",
                           hint: "use --force to overcommit")
        }
        try act("set the online vCPUs of", id) { Libxl.setOnlineVCPUs($0, $1, count: count, maximum: maximum) }
    }

    /// The domain's vCPUs, as `xl vcpu-list` lists them. The corresponding libxl function is
    /// `libxl_list_vcpu`.
    public func vcpus(of id: DomainID) throws(XenError) -> [VCPUInfo] {
        let label = describe(id)
        let mark = logger.mark()
        switch Libxl.listVCPUs(ctx, id) {
        case .success(let list): return list
        case .failure(let failure):
            if (try? domain(id)) == nil { throw XenError.domainNotFound(.id(id)) }
            throw XenError.libxl(failure, operation: "list the vCPUs of \(label)", messages: logger.errors(since: mark))
        }
    }

    /// Sets where a vCPU may (hard) and prefers to (soft) run; nil leaves that one unchanged.
    /// `force` also ends a temporary pinning made by the guest's kernel.
    /// The corresponding libxl functions are `libxl_set_vcpuaffinity` and
    /// `libxl_set_vcpuaffinity_force`.
    public func pinVCPU(_ id: DomainID, vcpu: Int, hard: Set<Int>?, soft: Set<Int>?, force: Bool = false,
                        masks: AffinityMasks = .none) throws(XenError) {
        let info = try domain(id)
        // xl.conf's vm.*cpumask narrow the hard affinity, as xl's vcpu-pin without -i.
        let hard = try hard.map { cpus throws(XenError) in try masks.narrow(cpus, for: info.type, what: "vCPU \(vcpu)'s hard affinity") }
        guard vcpu >= 0, vcpu < Int(info.vcpuCount) else {
            throw XenError(code: .invalidArgument, message: "\(describe(id)) has no vCPU \(vcpu) ("
                           + (info.vcpuCount == 0 ? "it has none yet" : "it has 0-\(info.vcpuCount - 1)") + ")")
        }
        try act("pin vCPU \(vcpu) of", id) { Libxl.pinVCPU($0, $1, vcpu: vcpu, hard: hard, soft: soft, force: force) }
    }
}
