// The seam under cpupool-numa-split: the pool calls it makes, as a protocol. `LivePoolControl`
// is libxl; the unit tests put a model of the host's pools in its place that can fail any
// call. Every call blocks.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

protocol PoolControl {
    func addCPUs(_ pool: UInt32, _ cpus: Set<Int>) -> Result<Void, LibxlFailure>
    func removeCPUs(_ pool: UInt32, _ cpus: Set<Int>) -> Result<Void, LibxlFailure>
    func rename(_ pool: UInt32, to name: String) -> Result<Void, LibxlFailure>
    func create(name: String, scheduler: String, cpus: Set<Int>) -> Result<UInt32, LibxlFailure>
    func destroy(_ pool: UInt32) -> Result<Void, LibxlFailure>
    /// Brings dom0 to `count` online vCPUs and waits up to 10 s until it has no more.
    func setDom0VCPUs(_ count: Int) -> Result<Void, LibxlFailure>
}

struct LivePoolControl: PoolControl {
    let context: XenContext

    private func call<T>(_ body: (OpaquePointer) -> Result<T, LibxlFailure>) -> Result<T, LibxlFailure> {
        context.withLibxlMessages(body)
    }

    func addCPUs(_ pool: UInt32, _ cpus: Set<Int>) -> Result<Void, LibxlFailure> { call { Libxl.addCPUs($0, pool, cpus) } }
    func removeCPUs(_ pool: UInt32, _ cpus: Set<Int>) -> Result<Void, LibxlFailure> { call { Libxl.removeCPUs($0, pool, cpus) } }
    func rename(_ pool: UInt32, to name: String) -> Result<Void, LibxlFailure> { call { Libxl.renameCpupool($0, pool, to: name) } }
    func create(name: String, scheduler: String, cpus: Set<Int>) -> Result<UInt32, LibxlFailure> {
        call { Libxl.createCpupool($0, name: name, scheduler: scheduler, cpus: cpus) }
    }
    func destroy(_ pool: UInt32) -> Result<Void, LibxlFailure> { call { Libxl.destroyCpupool($0, pool) } }

    func setDom0VCPUs(_ count: Int) -> Result<Void, LibxlFailure> {
        let info: DomainInfo
        switch call({ Libxl.domainInfo($0, .dom0) }) {
        case .success(let found): info = found
        case .failure(let failure): return .failure(failure)
        }
        if case .failure(let failure) = call({ Libxl.setOnlineVCPUs($0, .dom0, count: count, maximum: Int(info.vcpuCount)) }) {
            return .failure(failure)
        }
        // As xl: dom0's kernel takes its vCPUs offline itself; give it 10 s.
        for _ in 0..<10 {
            if case .success(let now) = call({ Libxl.domainInfo($0, .dom0) }), Int(now.onlineVCPUs) <= count { return .success(()) }
            sleep(1)
        }
        return .failure(LibxlFailure(code: LibxlCode.fail, messages: ["Domain-0 still has more than \(count) online vCPUs after 10 s"]))
    }
}

/// Runs NUMASplitWorkflow: one seam call per step.
struct NUMASplitDriver {
    let control: any PoolControl

    func run(_ steps: [NUMASplitStep]) -> NUMASplitOutcome {
        var machine = NUMASplitWorkflow(steps: steps)
        return driveWorkflow(from: machine.start()) { step in
            machine.completed(step, perform(step))
        }
    }

    private func perform(_ step: NUMASplitStep) -> NUMASplitResult {
        let result: Result<UInt32?, LibxlFailure> = switch step {
        case .addCPUs(let pool, let cpus): control.addCPUs(pool.id, Set(cpus)).map { nil }
        case .removeCPUs(let pool, let cpus): control.removeCPUs(pool.id, Set(cpus)).map { nil }
        case .rename(let pool, let name): control.rename(pool.id, to: name).map { nil }
        case .setDom0VCPUs(_, let count): control.setDom0VCPUs(count).map { nil }
        case .create(let name, let scheduler, let cpus): control.create(name: name, scheduler: scheduler, cpus: Set(cpus)).map { $0 }
        case .destroy(let pool): control.destroy(pool.id).map { nil }
        }
        switch result {
        case .success(let id?): return .created(id)
        case .success(nil): return .done
        case .failure(let failure): return .failed(StepFailure(failure, step.summary))
        }
    }
}

extension XenContext {
    /// Splits the host into one CPU pool per NUMA node, as `xl cpupool-numa-split`; a step
    /// that fails undoes every step before it.
    ///
    /// - Returns: the pools' names, the renamed Pool-0 first.
    public func numaSplit() throws(XenError) -> [String] {
        let host = NUMASplitWorkflow.Host(pools: try cpupools(), freeCPUs: try freeCPUs(), topology: try hostTopology(),
                                          dom0OnlineVCPUs: Int(try domain(.dom0).onlineVCPUs))
        let steps = try NUMASplitWorkflow.plan(host)
        switch NUMASplitDriver(control: LivePoolControl(context: self)).run(steps) {
        case .split(let names): return names
        case .failed(let error): throw error
        }
    }
}
