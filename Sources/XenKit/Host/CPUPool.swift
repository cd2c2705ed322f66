// CPU pools (xl's cpupool-* verbs): each pool has its own CPUs and scheduler, and each domain
// runs in one pool. Every refusal is decided here, before libxl is asked, and names the pool,
// the CPU or the domain: libxl and Xen answer "Device or resource busy" for a CPU that is in
// another pool and for a pool that still has domains, and xl exits 0 after "some cpus may not
// have been added".
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One CPU pool.
public struct CPUPool: Sendable, Equatable {
    public var id: UInt32
    public var name: String
    /// "credit", "credit2", "rtds", "arinc653", "null".
    public var scheduler: String
    public var cpus: [Int]
    public var domainCount: Int

    init(_ record: CPUPoolRecord) {
        id = record.id
        name = record.name
        scheduler = record.scheduler
        cpus = record.cpus
        domainCount = record.domainCount
    }

    /// The schedulers a pool can run (libxl's names).
    public static let schedulers = ["credit", "credit2", "rtds", "arinc653", "null"]
}

extension XenContext {
    /// Every CPU pool, Pool-0 first. `libxl_list_cpupool`.
    public func cpupools() throws(XenError) -> [CPUPool] {
        try perform("list the CPU pools") { Libxl.cpupools($0) }.map(CPUPool.init)
    }

    /// The pool a command names, by name or id (as xl's libxl_cpupool_qualifier_to_cpupoolid).
    public func cpupool(_ qualifier: String) throws(XenError) -> CPUPool {
        let pools = try cpupools()
        if let pool = pools.first(where: { $0.name == qualifier }) { return pool }
        if let id = UInt32(qualifier), let pool = pools.first(where: { $0.id == id }) { return pool }
        throw XenError(code: .invalidArgument, message: "there is no CPU pool '\(DomainConfiguration.printable(qualifier))'",
                       hint: "pools: " + pools.map(\.name).joined(separator: ", "))
    }

    /// The CPUs in no pool. `libxl_get_freecpus`.
    public func freeCPUs() throws(XenError) -> Set<Int> {
        try perform("read the free CPUs") { Libxl.freeCPUs($0) }
    }

    /// Creates a pool from a specification; with `dryRun`, only resolves it.
    ///
    /// - Returns: the resolved pool (its id is 0 for a dry run).
    /// - Throws: ``XenError`` naming the pool, the scheduler or the CPU that is refused.
    public func createCpupool(_ spec: CPUPoolSpecification, dryRun: Bool = false) throws(XenError) -> CPUPool {
        let pools = try cpupools()
        if let taken = pools.first(where: { $0.name == spec.name }) {
            throw XenError(code: .alreadyExists, message: "\(spec.source): a CPU pool named '\(spec.name)' already exists (id \(taken.id))")
        }
        var scheduler = spec.scheduler ?? ""
        if spec.scheduler == nil { scheduler = try perform("read the host's scheduler") { Libxl.defaultScheduler($0) } }
        let free = try freeCPUs()
        let cpus = try spec.resolveCPUs(free: free, pools: pools, host: hostTopology())
        let record = CPUPoolRecord(id: 0, name: spec.name, scheduler: scheduler, cpus: cpus.sorted(), domainCount: 0)
        if dryRun { return CPUPool(record) }
        let id: UInt32
        do throws(XenError) {
            id = try perform("create CPU pool '\(spec.name)'") {
                Libxl.createCpupool($0, name: spec.name, scheduler: scheduler, cpus: cpus)
            }
        } catch {
            // Xen says only EINVAL for a scheduler it was built without, and libxl "Could not
            // create cpupool".
            var error = error
            if !["credit", "credit2"].contains(scheduler) {
                error.hint = "Xen may have no \(scheduler) scheduler: builds without CONFIG_UNSUPPORTED, Debian's among them, have only credit and credit2 (xl dmesg names the one in use)"
            }
            throw error
        }
        return try cpupools().first { $0.id == id } ?? CPUPool(record)
    }

    /// Destroys an empty pool. Refused for Pool-0 and for a pool that has domains (named).
    public func destroyCpupool(_ qualifier: String) throws(XenError) {
        let pool = try cpupool(qualifier)
        if pool.id == 0 { throw XenError(code: .invalidArgument, message: "\(pool.name) is the host's first pool; it cannot be destroyed") }
        let members = try domains().filter { $0.cpupool == pool.id }
        if !members.isEmpty {
            throw XenError(code: .operationFailed,
                           message: "CPU pool '\(pool.name)' still has domains: " + members.map { "'\($0.name ?? "?")' (\($0.id))" }.joined(separator: ", "),
                           hint: "move them out first (xk cpupool-migrate DOMAIN Pool-0) or destroy them")
        }
        try perform("destroy CPU pool '\(pool.name)'") { Libxl.destroyCpupool($0, pool.id) }
    }

    public func renameCpupool(_ qualifier: String, to name: String) throws(XenError) {
        let pool = try cpupool(qualifier)
        try CPUPoolSpecification.checkName(name, source: "the new name")
        if let taken = try cpupools().first(where: { $0.name == name }), taken.id != pool.id {
            throw XenError(code: .alreadyExists, message: "a CPU pool named '\(name)' already exists (id \(taken.id))")
        }
        try perform("rename CPU pool '\(pool.name)'") { Libxl.renameCpupool($0, pool.id, to: name) }
    }

    /// Adds free CPUs to a pool; a CPU that is in another pool is refused, naming that pool.
    public func addCPUs(_ cpus: Set<Int>, toPool qualifier: String) throws(XenError) {
        let pool = try cpupool(qualifier)
        let pools = try cpupools()
        let wanted = cpus.subtracting(pool.cpus)
        for cpu in wanted.sorted() {
            if let owner = pools.first(where: { $0.cpus.contains(cpu) }) {
                throw XenError(code: .operationFailed, message: "CPU \(cpu) is in CPU pool '\(owner.name)'",
                               hint: "free it first: xk cpupool-cpu-remove \(owner.name) \(cpu)")
            }
        }
        let host = try hostTopology()
        if let missing = wanted.sorted().first(where: { $0 >= host.cpuCount }) {
            throw XenError(code: .invalidArgument, message: "CPU \(missing) does not exist (the host has \(host.cpuCount))")
        }
        guard !wanted.isEmpty else { return }
        try perform("add CPUs \(CPUList.commaSeparated(wanted)) to CPU pool '\(pool.name)'") { Libxl.addCPUs($0, pool.id, wanted) }
    }

    /// Frees CPUs of a pool; a pool keeps at least one CPU while it has domains.
    public func removeCPUs(_ cpus: Set<Int>, fromPool qualifier: String) throws(XenError) {
        let pool = try cpupool(qualifier)
        let notThere = cpus.subtracting(pool.cpus)
        if let cpu = notThere.sorted().first {
            throw XenError(code: .invalidArgument, message: "CPU \(cpu) is not in CPU pool '\(pool.name)' (it has \(CPUList.commaSeparated(pool.cpus)))")
        }
        if cpus.count == pool.cpus.count && pool.domainCount > 0 {
            throw XenError(code: .operationFailed, message: "CPU pool '\(pool.name)' would have no CPU left for its \(pool.domainCount) domain(s)",
                           hint: "move its domains out first (xk cpupool-migrate)")
        }
        try perform("remove CPUs \(CPUList.commaSeparated(cpus)) from CPU pool '\(pool.name)'") { Libxl.removeCPUs($0, pool.id, cpus) }
    }

    /// Moves a domain into a pool. `libxl_cpupool_movedomain`.
    public func moveDomain(_ id: DomainID, toPool qualifier: String) throws(XenError) {
        let pool = try cpupool(qualifier)
        // Xen moves only remote domains (rcu_lock_remote_domain_by_id): dom0 cannot move itself.
        if id == .dom0 { throw XenError(code: .invalidArgument, message: "Xen does not let Domain-0 move itself to another CPU pool") }
        if pool.cpus.isEmpty {
            throw XenError(code: .operationFailed, message: "CPU pool '\(pool.name)' has no CPU to run domain \(id) on",
                           hint: "add one first: xk cpupool-cpu-add \(pool.name) CPU")
        }
        try perform("move domain \(id) to CPU pool '\(pool.name)'") { Libxl.moveDomain($0, id, toPool: pool.id) }
    }
}
