// Building a domain (`xk create`, `xk restore`, `xk start`, a restart by the watcher) as a
// pure state machine: check, build (paused), unpause. A build that fails, or a domain that
// cannot be started, is destroyed, so a failed create leaves nothing; and when that destroy
// fails too, the error says so and names the domain left behind (never `_ =` on a rollback).

enum BuildStep: Equatable, Sendable {
    /// No domain has the name; the host has the memory.
    case check
    /// libxl builds the domain, paused (from scratch, or from a save stream).
    case build
    case unpause
    /// Rollback: the domain libxl half built, or the built one that could not start.
    case destroy
}

enum BuildResult: Equatable, Sendable {
    case done
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

    init(name: String, what: String, paused: Bool) {
        self.name = name
        self.what = what
        self.paused = paused
    }

    func start() -> Next { .perform(.check) }

    mutating func completed(_ step: BuildStep, _ result: BuildResult) -> Next {
        switch result {
        case .failed(let problem):
            if failure == nil {
                failure = problem
                failedAt = step
            }
            switch step {
            case .check, .build: return finish(leftover: nil)
            case .unpause: return .perform(.destroy)
            case .destroy: return finish(leftover: problem)
            }
        case .halfBuilt(let problem, let half):
            failure = problem
            failedAt = step
            id = half
            return .perform(.destroy)
        case .built(let newID):
            id = newID
            return paused ? finish(leftover: nil) : .perform(.unpause)
        case .done:
            switch step {
            case .check: return .perform(.build)
            case .build, .unpause: return finish(leftover: nil)
            case .destroy:
                id = nil
                return finish(leftover: nil)
            }
        }
    }

    private func finish(leftover destroyProblem: StepFailure?) -> Next {
        guard let failure else { return .finish(.built(id!)) }
        var hint: String
        if let destroyProblem, let id {
            hint = "and destroying what was built failed too (\(destroyProblem.problem)): domain \(id) ('\(name)') is left on this host; destroy it (xk destroy \(id))"
        } else if failedAt == .check {
            hint = failure.problem
        } else {
            hint = "nothing was left behind" + (failedAt == .unpause ? " (it was built, then destroyed)" : "")
        }
        if failedAt == .build || failedAt == .unpause, destroyProblem == nil { hint = failure.problem + "; " + hint }
        let error = XenError(code: failedAt == .check ? .operationFailed : .operationFailed,
                             message: "cannot \(what)" + (failedAt == .unpause ? ": it could not be started" : ""),
                             hint: hint, libxlCode: failure.libxlCode, libxlMessages: failure.messages, errno: failure.errno)
        return .finish(.failed(error, leftover: destroyProblem == nil ? nil : id))
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

struct BuildDriver {
    var machine: BuildWorkflow
    let control: any DomainControl
    let source: BuildSource
    /// The check's own error, kept whole (it says what to do: "destroy it first", figures).
    private(set) var checkError: XenError?

    init(machine: BuildWorkflow, control: any DomainControl, source: BuildSource) {
        self.machine = machine
        self.control = control
        self.source = source
    }

    mutating func run(_ config: borrowing DomainConfiguration) -> BuildOutcome {
        driveWorkflow(from: machine.start()) { step in
            let result = perform(step, config)
            return machine.completed(step, result)
        }
    }

    private mutating func perform(_ step: BuildStep, _ config: borrowing DomainConfiguration) -> BuildResult {
        switch step {
        case .check:
            do throws(XenError) {
                try control.checkCanBuild(config)
                return .done
            } catch {
                checkError = error
                return .failed(StepFailure(problem: error.description))
            }
        case .build:
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
        }
    }

    private static func libxl(_ result: Result<Void, LibxlFailure>) -> BuildResult {
        switch result {
        case .success: .done
        case .failure(let failure): .failed(StepFailure(failure, "libxl failed"))
        }
    }
}
