// xl.conf's global CPU masks (vm.cpumask, vm.pv.cpumask, vm.hvm.cpumask): every domain's
// hard affinity is narrowed to vm.cpumask and to its type's mask (PV, or HVM and PVH), as
// xl's apply_global_affinity_masks does at create, restore and incoming migration, and at
// vcpu-pin unless -i. A mask that is unset or "all" leaves every CPU, and a domain that names
// no CPUs then keeps libxl's default (no hard affinity), as in xl. Unlike xl, which hands
// libxl an empty affinity, a vCPU left with no CPU at all is refused, naming the masks.
internal import CXen

/// One mask as xl.conf wrote it.
public struct CPUMaskSetting: Sendable, Equatable {
    public var key: String
    public var text: String
    /// "/etc/xen/xl.conf:12: ".
    public var location: String
}

/// The masks, resolved on this host.
public struct AffinityMasks: Sendable, Equatable {
    /// vm.cpumask and vm.pv.cpumask together, for PV domains; nil leaves every CPU.
    public var pv: Set<Int>?
    /// vm.cpumask and vm.hvm.cpumask together, for HVM and PVH domains.
    public var hvm: Set<Int>?
    /// The settings that narrow each, for messages.
    var pvSources: [CPUMaskSetting] = []
    var hvmSources: [CPUMaskSetting] = []

    /// No masks (xl.conf sets none, or `-i`).
    public static let none = AffinityMasks(pv: nil, hvm: nil)

    /// The CPUs a domain of `type` may be pinned to, and the settings that say so; nil
    /// cpus: every CPU.
    func mask(for type: DomainType) -> (cpus: Set<Int>?, sources: [CPUMaskSetting]) {
        type == .pv ? (pv, pvSources) : (hvm, hvmSources)
    }

    /// "/etc/xen/xl.conf:3: vm.cpumask=\"0-1\" and /etc/xen/xl.conf:4: vm.pv.cpumask=\"1\"".
    static func describe(_ sources: [CPUMaskSetting]) -> String {
        sources.map { "\($0.location)\($0.key)=\"\($0.text)\"" }.joined(separator: " and ")
    }

    /// Narrows `cpus` (a vCPU's hard affinity, or a vcpu-pin's) to the mask of `type`.
    /// - Throws: when nothing is left, naming `what` and the masks.
    public func narrow(_ cpus: Set<Int>, for type: DomainType, what: String) throws(XenError) -> Set<Int> {
        let (mask, sources) = mask(for: type)
        guard let mask else { return cpus }
        let left = cpus.intersection(mask)
        guard !left.isEmpty else {
            throw XenError(code: .invalidArgument,
                           message: "\(what) (CPUs \(CPUList.commaSeparated(cpus))) has no CPU in xl.conf's mask: \(Self.describe(sources)) leaves CPUs \(CPUList.commaSeparated(mask))",
                           hint: "pin to CPUs the mask allows, change the mask, or ignore it (-i / --ignore-global-affinity-masks)")
        }
        return left
    }
}

extension XLConf {
    /// The masks resolved on `host`; a CPU list that does not parse there names the file,
    /// line and key.
    public func affinityMasks(host: HostTopology) throws(XenError) -> AffinityMasks {
        var resolved: [String: (Set<Int>, CPUMaskSetting)] = [:]
        for setting in cpuMasks where setting.text != "all" {
            do throws(CPUList.Problem) {
                let cpus = try CPUList.parse(setting.text, host: host)
                if let beyond = cpus.filter({ $0 >= host.cpuCount }).min() {
                    throw CPUList.Problem(message: "CPU \(beyond) does not exist (the host has \(host.cpuCount))", hint: nil)
                }
                resolved[setting.key] = (cpus, setting)
            } catch {
                throw XenError(code: .invalidConfig, message: "\(setting.location)\(setting.key): \(error.message)", hint: error.hint)
            }
        }
        func combine(_ keys: [String]) -> (Set<Int>?, [CPUMaskSetting]) {
            let found = keys.compactMap { resolved[$0] }
            guard let first = found.first else { return (nil, []) }
            return (found.dropFirst().reduce(first.0) { $0.intersection($1.0) }, found.map(\.1))
        }
        let (pv, pvSources) = combine(["vm.cpumask", "vm.pv.cpumask"])
        let (hvm, hvmSources) = combine(["vm.cpumask", "vm.hvm.cpumask"])
        return AffinityMasks(pv: pv, hvm: hvm, pvSources: pvSources, hvmSources: hvmSources)
    }
}

extension DomainConfiguration {
    /// Narrows every vCPU's hard affinity to the masks for this domain's type, as xl does
    /// before a build: a config without hard affinity first gets one map of every CPU per
    /// vCPU (sized to the host, as libxl_cpu_bitmap_alloc), then each map is narrowed.
    func applyGlobalMasks(_ masks: AffinityMasks, hostCPUs: Int) throws(XenError) {
        try Self.applyGlobalMasks(raw, masks, hostCPUs: hostCPUs, source: source)
    }

    static func applyGlobalMasks(_ raw: UnsafeMutablePointer<libxl_domain_config>, _ masks: AffinityMasks,
                                 hostCPUs: Int, source: String) throws(XenError) {
        let type: DomainType = switch raw.pointee.b_info.type {
        case LIBXL_DOMAIN_TYPE_PV: .pv
        case LIBXL_DOMAIN_TYPE_PVH: .pvh
        default: .hvm
        }
        let (mask, _) = masks.mask(for: type)
        guard mask != nil else { return }
        let b = withUnsafeMutablePointer(to: &raw.pointee.b_info) { $0 }
        if b.pointee.num_vcpu_hard_affinity == 0 {
            let count = Int(b.pointee.max_vcpus)
            let maps = calloc(max(count, 1), MemoryLayout<libxl_bitmap>.stride)!.assumingMemoryBound(to: libxl_bitmap.self)
            for index in 0..<count {
                libxl_bitmap_init(maps + index)
                ConfigMapper.setBitmap(maps + index, bits: hostCPUs, set: 0..<0)
                for byte in 0..<Int(maps[index].size) { maps[index].map[byte] = 0xFF }   // libxl_bitmap_set_any
            }
            b.pointee.vcpu_hard_affinity = maps
            b.pointee.num_vcpu_hard_affinity = Int32(count)
        }
        for index in 0..<Int(b.pointee.num_vcpu_hard_affinity) {
            let map = b.pointee.vcpu_hard_affinity + index
            var cpus = Set<Int>()
            for bit in 0..<(Int(map.pointee.size) * 8) where map.pointee.map[bit / 8] & (UInt8(1) << UInt8(bit % 8)) != 0 { cpus.insert(bit) }
            let left = try masks.narrow(cpus, for: type, what: "\(source): vCPU \(index)'s hard affinity")
            for byte in 0..<Int(map.pointee.size) { map.pointee.map[byte] = 0 }
            for cpu in left where cpu < Int(map.pointee.size) * 8 { map.pointee.map[cpu / 8] |= UInt8(1) << UInt8(cpu % 8) }
        }
    }

    /// Asks libxl for a random domain id (xl.conf's domid_policy="random") unless the config
    /// names a guest id already, as xl.
    func requestRandomDomid() {
        guard libxl_domid_valid_guest(raw.pointee.c_info.domid) == 0 else { return }
        raw.pointee.c_info.domid = cxen_random_domid
    }
}
