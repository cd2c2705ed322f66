// Building a domain (`xk create`, `xk restore`, `xk start`, a restart by the watcher) as a
// pure state machine: check, build (paused), unpause. A build that fails, or a domain that
// cannot be started, is destroyed, so a failed create leaves nothing; and when that destroy
// fails too, the error says so and names the domain left behind (never `_ =` on a rollback).

enum BuildStep: Equatable, Sendable {
    /// No domain has the name.
    case check
    /// The host has the memory, or dom0 gives it (MemoryRoomWorkflow, as xl's autoballoon).
    case makeRoom
    /// libxl builds the domain, paused (from scratch, or from a save stream).
    case build
    case unpause
    /// Rollback: the domain libxl half built, or the built one that could not start.
    case destroy
    /// Rollback: dom0 gets back the memory it gave for a build that failed.
    case restoreDom0(Memory)
}

enum BuildResult: Equatable, Sendable {
    case done
    /// `.check` or `.makeRoom` refused, before anything was built; the error says why.
    case refused(XenError)
    /// `.makeRoom`: there is room; dom0's target before it gave memory, if it gave.
    case room(dom0Before: Memory?)
    /// `.makeRoom`: there is none, and dom0 may have given some already.
    case noRoom(XenError, dom0Before: Memory?)
    /// `.build` succeeded: the new domain.
    case built(DomainID)
    /// `.build` failed; libxl reported this half-built domain, still there.
    case halfBuilt(StepFailure, DomainID)
    case failed(StepFailure)
}

struct BuildWorkflow: Sendable {
    typealias Next = WorkflowNext<BuildStep, BuildOutcome>

    let name: String
    /// "create domain 'web' from web.cfg", "restore domain 'web' from web.save".
    let what: String
    let paused: Bool
    private(set) var id: DomainID?
    private var failure: StepFailure?
    private var failedAt: BuildStep?
    /// A refusal from the checks, kept whole (it says what to do, with figures).
    private(set) var refusal: XenError?
    /// Set while dom0 has given memory that a failed build must give back.
    private var dom0Before: Memory?
    private var destroyProblem: StepFailure?
    private var restoreProblem: StepFailure?
    private var restored: Memory?

    init(name: String, what: String, paused: Bool) {
        self.name = name
        self.what = what
        self.paused = paused
    }

    func start() -> Next { .perform(.check) }

    mutating func completed(_ step: BuildStep, _ result: BuildResult) -> Next {
        switch result {
        case .refused(let error):
            refusal = error
            return rollBack()
        case .noRoom(let error, let before):
            refusal = error
            dom0Before = before
            return rollBack()
        case .room(let before):
            dom0Before = before
            return .perform(.build)
        case .failed(let problem):
            if case .restoreDom0 = step {
                restoreProblem = problem
                return finish()
            }
            if failure == nil && refusal == nil {
                failure = problem
                failedAt = step
            }
            switch step {
            case .check, .makeRoom, .build: return rollBack()
            case .unpause: return .perform(.destroy)
            case .destroy:
                destroyProblem = problem
                return rollBack()
            case .restoreDom0: return finish()
            }
        case .halfBuilt(let problem, let half):
            failure = problem
            failedAt = step
            id = half
            return .perform(.destroy)
        case .built(let newID):
            id = newID
            return paused ? finish() : .perform(.unpause)
        case .done:
            switch step {
            case .check: return .perform(.makeRoom)
            case .makeRoom: return .perform(.build)
            case .build, .unpause: return finish()
            case .destroy:
                id = nil
                return rollBack()
            case .restoreDom0(let target):
                restored = target
                dom0Before = nil
                return finish()
            }
        }
    }

    /// After a failure: dom0's memory back, if it gave some, then the end.
    private mutating func rollBack() -> Next {
        // A domain left behind still holds its memory: dom0 could not have it back.
        if let before = dom0Before, destroyProblem == nil, restoreProblem == nil, restored == nil {
            return .perform(.restoreDom0(before))
        }
        return finish()
    }

    private func finish() -> Next {
        if failure == nil, refusal == nil { return .finish(.built(id!)) }
        var memoryNote = ""
        if let restored { memoryNote = "; dom0 got back the memory it gave (target \(restored.mebibytes) MiB)" }
        if destroyProblem != nil, let before = dom0Before {
            memoryNote = "; dom0 gave memory for it (its target was \(before.mebibytes) MiB): give it back with xk mem-set 0 \(before.mebibytes)m once that domain is gone"
        }
        if let restoreProblem, let before = dom0Before {
            memoryNote = "; dom0 gave memory for it and could not get it back (\(restoreProblem.problem)): set dom0's target again with xk mem-set 0 \(before.mebibytes)m"
        }
        if var refusal {
            refusal.hint = (refusal.hint ?? "nothing was built") + memoryNote
            return .finish(.failed(refusal, leftover: nil))
        }
        let failure = failure!
        var hint: String
        let leftover = destroyProblem == nil ? nil : id
        if let destroyProblem, let id {
            hint = "and destroying what was built failed too (\(destroyProblem.problem)): domain \(id) ('\(name)') is left on this host; destroy it (xk destroy \(id))"
        } else if failedAt == .check || failedAt == .makeRoom {
            hint = failure.problem
        } else {
            hint = "nothing was left behind" + (failedAt == .unpause ? " (it was built, then destroyed)" : "")
        }
        if failedAt == .build || failedAt == .unpause, destroyProblem == nil { hint = failure.problem + "; " + hint }
        let error = XenError(code: .operationFailed,
                             message: "cannot \(what)" + (failedAt == .unpause ? ": it could not be started" : ""),
                             hint: hint + memoryNote, libxlCode: failure.libxlCode, libxlMessages: failure.messages, errno: failure.errno)
        return .finish(.failed(error, leftover: leftover))
    }
}

enum BuildOutcome: Equatable, Sendable {
    case built(DomainID)
    /// `leftover`: a domain that could not be destroyed.
    case failed(XenError, leftover: DomainID?)
}

/// What to build from.
enum BuildSource {
    case new
    case stream(fd: Int32, version: UInt32)
}

/// What xl.conf says about every build on this host: how it makes room in memory
/// (autoballoon, resolved) under the lock xl takes around ballooning and building, so that
/// xk and xl on one host do not count the same free memory twice; who picks the domain's id
/// (domid_policy); and the global CPU masks, for configs that come from a save file or a
/// migration stream (a config file has them applied when it is read).
public struct BuildPolicy: Sendable, Equatable {
    public var ballooning: Bool
    /// Taken (fcntl, as xl) from the memory check until the build returns, when ballooning.
    public var lockfile: String?
    /// domid_policy="random": libxl picks a random id (RANDOM_DOMID).
    public var randomDomid: Bool
    /// vm.cpumask and friends, resolved on this host.
    public var affinityMasks: AffinityMasks
    /// The host's CPU count, which sizes the affinity maps the masks make.
    public var hostCPUs: Int

    public init(ballooning: Bool, lockfile: String? = nil, randomDomid: Bool = false,
                affinityMasks: AffinityMasks = .none, hostCPUs: Int = 64) {
        self.ballooning = ballooning
        self.lockfile = lockfile
        self.randomDomid = randomDomid
        self.affinityMasks = affinityMasks
        self.hostCPUs = hostCPUs
    }

    /// No ballooning: a domain that does not fit in free memory is refused.
    public static let fixed = BuildPolicy(ballooning: false)
}

struct BuildDriver {
    var machine: BuildWorkflow
    let control: any DomainControl
    let source: BuildSource
    let policy: BuildPolicy
    /// What a check of this config found just before (BuildCheck, which `xk create` runs to
    /// list every problem at once): it resolved the name and measured the need, so the check
    /// step does not list the domains again and the need is not measured again (each cost
    /// HVM creates about 20 ms in the lab). Free memory is still read here, under xl's lock.
    /// A name taken since is refused by libxl ("already exists"). Nil: the build checks all.
    let checked: BuildCheck?

    init(machine: BuildWorkflow, control: any DomainControl, source: BuildSource, policy: BuildPolicy = .fixed,
         checked: BuildCheck? = nil) {
        self.machine = machine
        self.control = control
        self.source = source
        self.policy = policy
        self.checked = checked
    }

    mutating func run(_ config: borrowing DomainConfiguration) -> BuildOutcome {
        // xl holds its lock from freemem until the build returns; so does xk.
        switch HostBuildLock.holding(for: policy, { drive(config) }) {
        case .success(let outcome): return outcome
        case .failure(let failure):
            return .failed(XenError(code: .operationFailed, message: "cannot \(machine.what): cannot take xl's lock \(policy.lockfile ?? ""): \(failure.reason)",
                                    hint: "nothing was built", errno: failure.errno), leftover: nil)
        }
    }

    private mutating func drive(_ config: borrowing DomainConfiguration) -> BuildOutcome {
        driveWorkflow(from: machine.start()) { step in
            let result = perform(step, config)
            return machine.completed(step, result)
        }
    }

    private mutating func perform(_ step: BuildStep, _ config: borrowing DomainConfiguration) -> BuildResult {
        switch step {
        case .check:
            if checked != nil { return .done }
            do throws(XenError) {
                try control.checkName(config)
                return .done
            } catch {
                return .refused(error)
            }
        case .makeRoom:
            switch MemoryRoomDriver(control: control, ballooning: policy.ballooning, need: checked?.memory?.need)
                .run(config, what: "domain '\(machine.name)'") {
            case .fits(_, let before): return .room(dom0Before: before)
            case .noRoom(let error, let before): return .noRoom(error, dom0Before: before)
            }
        case .build:
            if policy.randomDomid { config.requestRandomDomid() }
            let built: Result<DomainID, Libxl.CreateFailure> = switch source {
            case .new: control.createNew(config)
            case .stream(let fd, let version): control.createRestore(config, from: fd, streamVersion: version)
            }
            switch built {
            case .success(let id): return .built(id)
            case .failure(let failure):
                let problem = StepFailure(problem: failure.messages.last.map(XenContext.trimLibxlPrefix) ?? "libxl failed (\(LibxlCode.name(failure.code)))",
                                          libxlCode: failure.code, messages: failure.messages)
                // libxl destroys what it built; make sure, so a failed build leaves nothing.
                // Only a domain known to be gone is not destroyed: one whose state cannot be
                // read may still be there.
                guard let half = failure.domain else { return .failed(problem) }
                if case .failure(let gone) = control.info(half), gone.code == LibxlCode.domainNotFound { return .failed(problem) }
                return .halfBuilt(problem, half)
            }
        case .unpause:
            return Self.libxl(control.unpause(machine.id!))
        case .destroy:
            if case .failure(let failure) = control.destroy(machine.id!), failure.code != LibxlCode.domainNotFound {
                return Self.libxl(.failure(failure))
            }
            return .done
        case .restoreDom0(let target):
            return Self.libxl(control.setMemoryTarget(.dom0, target, enforce: false))
        }
    }

    private static func libxl(_ result: Result<Void, LibxlFailure>) -> BuildResult {
        switch result {
        case .success: .done
        case .failure(let failure): .failed(StepFailure(failure, "libxl failed"))
        }
    }
}
