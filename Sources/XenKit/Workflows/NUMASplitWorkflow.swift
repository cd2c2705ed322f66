// `xk cpupool-numa-split` as a pure state machine: one CPU pool per NUMA node, as xl's
// main_cpupoolnumasplit (tools/xl/xl_cpupool.c). Pool-0 keeps the node of CPU 0 (its free
// CPUs added first, so it never has none) and is renamed Pool-nodeN; dom0 is brought down to
// as many online vCPUs as that node has CPUs, as xl does; then each other node's CPUs leave
// Pool-0 for a new pool Pool-nodeM under Pool-0's scheduler.
//
// Unlike xl, which stops where a call fails and leaves the host half split, every step done
// is undone in reverse order when a later one fails (a new pool destroyed, CPUs moved back,
// the name and dom0's vCPUs restored); an undo that fails too is named in the error, with the
// command that finishes it by hand. NUMASplitDriver runs it over PoolControl, which the unit
// tests fake to fail any call (Tests/XenKitTests/Workflows/NUMASplitFaultMatrixTests.swift).

/// A pool a step acts on: its id, and its name for messages.
struct PoolReference: Equatable, Sendable {
    var id: UInt32
    var name: String
}

enum NUMASplitStep: Equatable, Sendable {
    /// libxl_cpupool_cpuadd_cpumap.
    case addCPUs(PoolReference, [Int])
    /// libxl_cpupool_cpuremove_cpumap.
    case removeCPUs(PoolReference, [Int])
    /// libxl_cpupool_rename.
    case rename(PoolReference, to: String)
    /// libxl_set_vcpuonline on dom0 (vCPUs 0..<to), then up to 10 s for dom0 to follow.
    case setDom0VCPUs(from: Int, to: Int)
    /// libxl_cpupool_create.
    case create(name: String, scheduler: String, cpus: [Int])
    /// libxl_cpupool_destroy (its CPUs go back to the free ones).
    case destroy(PoolReference)

    /// What the step does, for messages.
    var summary: String {
        switch self {
        case .addCPUs(let pool, let cpus): "add CPUs \(CPUList.commaSeparated(cpus)) to CPU pool '\(pool.name)'"
        case .removeCPUs(let pool, let cpus): "remove CPUs \(CPUList.commaSeparated(cpus)) from CPU pool '\(pool.name)'"
        case .rename(let pool, let name): "rename CPU pool '\(pool.name)' to '\(name)'"
        case .setDom0VCPUs(_, let count): "bring Domain-0 to \(count) online vCPU(s)"
        case .create(let name, let scheduler, let cpus): "create CPU pool '\(name)' (\(scheduler), CPUs \(CPUList.commaSeparated(cpus)))"
        case .destroy(let pool): "destroy CPU pool '\(pool.name)'"
        }
    }

    /// The xk command that does this step by hand.
    var command: String {
        switch self {
        case .addCPUs(let pool, let cpus): "xk cpupool-cpu-add \(pool.name) \(CPUList.commaSeparated(cpus))"
        case .removeCPUs(let pool, let cpus): "xk cpupool-cpu-remove \(pool.name) \(CPUList.commaSeparated(cpus))"
        case .rename(let pool, let name): "xk cpupool-rename \(pool.name) \(name)"
        case .setDom0VCPUs(_, let count): "xk vcpu-set 0 \(count)"
        case .create(let name, let scheduler, let cpus): "xk cpupool-create 'name=\"\(name)\"' 'sched=\"\(scheduler)\"' 'cpus=\"\(CPUList.commaSeparated(cpus))\"'"
        case .destroy(let pool): "xk cpupool-destroy \(pool.name)"
        }
    }
}

enum NUMASplitResult: Equatable, Sendable {
    case done
    case created(UInt32)
    case failed(StepFailure)
}

enum NUMASplitOutcome: Equatable, Sendable {
    /// The pools made, Pool-0 (renamed) first.
    case split([String])
    case failed(XenError)
}

struct NUMASplitWorkflow: Sendable {
    typealias Next = WorkflowNext<NUMASplitStep, NUMASplitOutcome>

    /// What the split starts from.
    struct Host: Equatable, Sendable {
        var pools: [CPUPool]
        var freeCPUs: Set<Int>
        var topology: HostTopology
        var dom0OnlineVCPUs: Int
    }

    /// The steps for `host`, or why it cannot be split (xl's refusals, with names).
    static func plan(_ host: Host) throws(XenError) -> [NUMASplitStep] {
        guard let pool0 = host.pools.first(where: { $0.id == 0 }) else {
            throw XenError(code: .operationFailed, message: "the host has no CPU pool 0")
        }
        let others = host.pools.filter { $0.id != 0 }
        guard others.isEmpty else {
            throw XenError(code: .operationFailed,
                           message: "splitting not possible: CPU pools other than \(pool0.name) are in use: " + others.map { "'\($0.name)'" }.joined(separator: ", "),
                           hint: "destroy them first (xk cpupool-destroy), as the split makes every pool itself")
        }
        let nodes = host.topology.nodeCPUs.enumerated().filter { !$0.element.isEmpty }.sorted { $0.element.min()! < $1.element.min()! }
        guard let first = nodes.first(where: { $0.element.contains(0) }) ?? nodes.first else {
            throw XenError(code: .operationFailed, message: "the host reports no NUMA node for its CPUs")
        }
        let reference = PoolReference(id: 0, name: pool0.name)
        var steps: [NUMASplitStep] = []
        let addable = host.freeCPUs.intersection(first.element).sorted()
        if !addable.isEmpty { steps.append(.addCPUs(reference, addable)) }
        let name = "Pool-node\(first.offset)"
        if name != pool0.name { steps.append(.rename(reference, to: name)) }
        let renamed = PoolReference(id: 0, name: name)
        if host.dom0OnlineVCPUs > first.element.count {
            steps.append(.setDom0VCPUs(from: host.dom0OnlineVCPUs, to: first.element.count))
        }
        for (node, cpus) in nodes where node != first.offset {
            let leaving = Set(pool0.cpus).intersection(cpus).sorted()
            if !leaving.isEmpty { steps.append(.removeCPUs(renamed, leaving)) }
            let members = Set(cpus).intersection(host.freeCPUs.union(pool0.cpus)).sorted()
            steps.append(.create(name: "Pool-node\(node)", scheduler: pool0.scheduler, cpus: members))
        }
        return steps
    }

    private let steps: [NUMASplitStep]
    private var index = 0
    /// The inverse of every step done so far, last first when popped.
    private var undo: [NUMASplitStep] = []
    private var undoing: (failed: NUMASplitStep, failure: StepFailure)?
    private var notUndone: [(NUMASplitStep, StepFailure)] = []

    init(steps: [NUMASplitStep]) { self.steps = steps }

    mutating func start() -> Next { next() }

    mutating func completed(_ step: NUMASplitStep, _ result: NUMASplitResult) -> Next {
        if undoing != nil {
            if case .failed(let failure) = result { notUndone.append((step, failure)) }
            return next()
        }
        switch (step, result) {
        case (_, .failed(let failure)):
            undoing = (step, failure)
        case (.create(let name, _, _), .created(let id)):
            undo.append(.destroy(PoolReference(id: id, name: name)))
            index += 1
        case (_, .done):
            if let inverse = Self.inverse(of: step) { undo.append(inverse) }
            index += 1
        default:
            undoing = (step, StepFailure(problem: "unexpected result \(result)"))
        }
        return next()
    }

    private mutating func next() -> Next {
        if let undoing {
            if let inverse = undo.popLast() { return .perform(inverse) }
            return .finish(.failed(report(undoing.failed, undoing.failure)))
        }
        if index < steps.count { return .perform(steps[index]) }
        var names = ["Pool-0"]
        for step in steps {
            if case .rename(_, let name) = step { names[0] = name }
            if case .create(let name, _, _) = step { names.append(name) }
        }
        return .finish(.split(names))
    }

    static func inverse(of step: NUMASplitStep) -> NUMASplitStep? {
        switch step {
        case .addCPUs(let pool, let cpus): .removeCPUs(pool, cpus)
        case .removeCPUs(let pool, let cpus): .addCPUs(pool, cpus)
        case .rename(let pool, let name): .rename(PoolReference(id: pool.id, name: name), to: pool.name)
        case .setDom0VCPUs(let from, let to): .setDom0VCPUs(from: to, to: from)
        case .create, .destroy: nil   // a create's inverse needs its id: completed(_:_:) adds it
        }
    }

    private func report(_ step: NUMASplitStep, _ failure: StepFailure) -> XenError {
        let hint = notUndone.isEmpty
            ? "nothing was left changed: every step done before was undone"
            : "not undone, do it by hand: " + notUndone.map { "\($0.0.command) (\($0.1.problem))" }.joined(separator: "; ")
        return XenError(code: .operationFailed, message: "cpupool-numa-split: cannot \(step.summary): \(failure.problem)",
                        hint: hint, libxlCode: failure.libxlCode, libxlMessages: failure.messages, errno: failure.errno)
    }
}
