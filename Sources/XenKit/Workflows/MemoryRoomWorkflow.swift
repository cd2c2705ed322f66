// Making room in the host's memory for a domain about to be built (create, restore, an
// incoming migration, a restart), as a pure state machine; BuildDriver and
// MigrationReceiveDriver run it within their check step.
//
// As xl's freemem (tools/xl/xl_vmcontrol.c): work out what the domain needs; while the host
// has less free, and xl.conf's autoballoon is on, ask dom0 to give the difference and wait
// until it has, with 30 s of waiting in all. Unlike xl, which goes on to a build libxl then
// refuses, xk says before anything is built what does not fit, with the figures: the need,
// what is free, what dom0 could give without going under libxl's 128 MiB floor for dom0.
// What dom0 gave is reported in the outcome, so that a build that then fails gives it back.

enum MemoryRoomStep: Equatable, Sendable {
    /// libxl_domain_need_memory.
    case measureNeed
    /// libxl_get_free_memory.
    case readFree
    /// dom0's balloon target, read once before it first gives memory.
    case readDom0Target
    /// dom0's new target (libxl_set_memory_target on domain 0, enforce 0 as xl).
    case shrinkDom0(to: Memory)
    /// libxl_wait_for_memory_target(0, 10 s without progress).
    case waitForDom0
}

enum MemoryRoomResult: Equatable, Sendable {
    case done
    case amount(Memory)
    /// How long the wait took.
    case waited(seconds: Double)
    case failed(StepFailure)
}

enum MemoryRoomOutcome: Equatable, Sendable {
    /// The host has the room. `dom0Before`: dom0's target before it gave memory, if it gave.
    case fits(need: Memory, dom0Before: Memory?)
    case noRoom(XenError, dom0Before: Memory?)
}

struct MemoryRoomWorkflow: Sendable {
    typealias Next = WorkflowNext<MemoryRoomStep, MemoryRoomOutcome>

    /// libxl refuses a dom0 target below this (LIBXL_MIN_DOM0_MEM).
    static let dom0Floor = Memory.mebibytes(128)
    /// xl's credit: seconds of waiting for dom0 before giving up.
    static let waitCredit = 30.0

    /// What dom0, at `target`, can give without going under the floor.
    static func dom0CanGive(from target: Memory) -> Memory {
        .kibibytes(target > dom0Floor ? target.kibibytes - dom0Floor.kibibytes : 0)
    }

    /// "domain 'web'".
    let what: String
    /// xl.conf's autoballoon, resolved.
    let ballooning: Bool
    private(set) var need: Memory?
    private(set) var free: Memory?
    private(set) var dom0Before: Memory?
    private var dom0Target: Memory?
    private var credit = MemoryRoomWorkflow.waitCredit

    /// - Parameter need: the need, when a check measured it just before (it depends on the
    ///   config alone); nil measures it first.
    init(what: String, ballooning: Bool, need: Memory? = nil) {
        self.what = what
        self.ballooning = ballooning
        self.need = need
    }

    func start() -> Next { need == nil ? .perform(.measureNeed) : .perform(.readFree) }

    mutating func completed(_ step: MemoryRoomStep, _ result: MemoryRoomResult) -> Next {
        if case .failed(let failure) = result { return fail(step, failure) }
        switch (step, result) {
        case (.measureNeed, .amount(let amount)):
            need = amount
            return .perform(.readFree)
        case (.readFree, .amount(let amount)):
            free = amount
            return afterFree()
        case (.readDom0Target, .amount(let amount)):
            dom0Before = amount
            dom0Target = amount
            return shrink()
        case (.shrinkDom0(let target), .done):
            dom0Target = target
            return .perform(.waitForDom0)
        case (.waitForDom0, .waited(let seconds)):
            credit -= max(seconds, 0)
            return .perform(.readFree)
        default:
            return fail(step, StepFailure(problem: "unexpected result \(result) of \(step)"))
        }
    }

    private func afterFree() -> Next {
        guard let need, let free else { return .perform(.measureNeed) }
        if free >= need { return .finish(.fits(need: need, dom0Before: dom0Before)) }
        guard ballooning else {
            return refuse("autoballoon is off (xl.conf, or dom0_mem= on Xen's command line with autoballoon=\"auto\"), so dom0 gives none: free memory (xk mem-set 0 ..., or destroy a domain), or lower the domain's memory =")
        }
        guard credit > 0 else {
            return refuse("dom0 was asked for the difference but the memory was not free after \(Int(Self.waitCredit)) s of waiting; dom0's target is now \(dom0Target.map { "\($0.mebibytes) MiB" } ?? "unknown")")
        }
        return dom0Target == nil ? .perform(.readDom0Target) : shrink()
    }

    private func shrink() -> Next {
        guard let need, let free, let current = dom0Target else { return .perform(.readDom0Target) }
        let shortfall = need.kibibytes - free.kibibytes
        let canGive = Self.dom0CanGive(from: current).kibibytes
        guard shortfall <= canGive else {
            return refuse("dom0 (target \(current.mebibytes) MiB) can give at most \(canGive / 1024) MiB without going under libxl's \(Self.dom0Floor.mebibytes) MiB floor for dom0: free memory (destroy a domain), or lower the domain's memory =")
        }
        return .perform(.shrinkDom0(to: .kibibytes(current.kibibytes - shortfall)))
    }

    private func figures() -> String {
        let needText = need.map { "it needs \($0.mebibytes) MiB" } ?? "its need is not known"
        let freeText = free.map { "the host has \($0.mebibytes) MiB free" } ?? "the host's free memory is not known"
        return "\(needText), \(freeText)"
    }

    private func refuse(_ hint: String) -> Next {
        .finish(.noRoom(XenError(code: .operationFailed, message: "not enough free memory for \(what): \(figures())", hint: hint),
                        dom0Before: dom0Before))
    }

    private func fail(_ step: MemoryRoomStep, _ failure: StepFailure) -> Next {
        let doing = switch step {
        case .measureNeed: "cannot work out the memory it needs"
        case .readFree: "cannot read the host's free memory"
        case .readDom0Target: "cannot read dom0's memory target"
        case .shrinkDom0(let target): "cannot set dom0's memory target to \(target.mebibytes) MiB"
        case .waitForDom0: "dom0 did not reach its new memory target (\(dom0Target.map { "\($0.mebibytes) MiB" } ?? "?"))"
        }
        let error = XenError(code: .operationFailed, message: "cannot make room in memory for \(what): \(doing) (\(figures()))", hint: failure.problem,
                             libxlCode: failure.libxlCode, libxlMessages: failure.messages, errno: failure.errno)
        return .finish(.noRoom(error, dom0Before: dom0Before))
    }
}

/// The thin driver under MemoryRoomWorkflow: one seam call per step.
struct MemoryRoomDriver {
    let control: any DomainControl
    let ballooning: Bool
    /// Measured already (MemoryRoomWorkflow.init); nil measures it.
    var need: Memory? = nil
    /// xl's wait: libxl gives up when dom0 makes no progress for this long.
    static let stallSeconds: Int32 = 10

    func run(_ config: borrowing DomainConfiguration, what: String) -> MemoryRoomOutcome {
        var machine = MemoryRoomWorkflow(what: what, ballooning: ballooning, need: need)
        return driveWorkflow(from: machine.start()) { step in
            machine.completed(step, perform(step, config))
        }
    }

    private func perform(_ step: MemoryRoomStep, _ config: borrowing DomainConfiguration) -> MemoryRoomResult {
        switch step {
        case .measureNeed: return Self.amount(control.memoryNeeded(config), "libxl cannot work it out")
        case .readFree: return Self.amount(control.freeMemory(), "libxl cannot read it")
        case .readDom0Target: return Self.amount(control.memoryTarget(.dom0), "libxl cannot read it")
        case .shrinkDom0(let target):
            switch control.setMemoryTarget(.dom0, target, enforce: false) {
            case .success: return .done
            case .failure(let failure): return .failed(StepFailure(failure, "libxl refused"))
            }
        case .waitForDom0:
            let clock = ContinuousClock()
            let start = clock.now
            switch control.waitForMemoryTarget(.dom0, seconds: Self.stallSeconds) {
            case .success: return .waited(seconds: (clock.now - start).inSeconds)
            case .failure(let failure): return .failed(StepFailure(failure, "dom0's balloon made no progress for \(Self.stallSeconds) s"))
            }
        }
    }

    private static func amount(_ result: Result<Memory, LibxlFailure>, _ what: String) -> MemoryRoomResult {
        switch result {
        case .success(let amount): .amount(amount)
        case .failure(let failure): .failed(StepFailure(failure, what))
        }
    }
}
