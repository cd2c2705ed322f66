// A shutdown action (on_poweroff, on_reboot, on_crash, on_watchdog, on_soft_reset) carried out
// as xl does it (xl_vmcontrol.c: handle_domain_death, preserve_domain, the restart loop), as
// a pure state machine; ShutdownActionDriver below does the calls, DomainWatcher waits for
// the events. Every fault at every step is tried in the unit tests.
//
// The rules it keeps: a core dump that fails does not stop the action (as xl); a domain the
// operator destroyed meanwhile is not restarted; a restart builds the new domain only once
// the old one is destroyed (or renamed away), so two copies never run; a restart that cannot
// build leaves nothing behind (BuildWorkflow), and says why; any other failed step is an
// error that names the domain and the step.

enum ShutdownActionStep: Equatable, Sendable {
    case coreDump
    /// The operator may have destroyed it since it shut down.
    case checkStillThere
    case destroy
    /// rename-restart: the old domain stays, renamed NAME-<time>, with a new UUID.
    case preserve
    /// Build it again from its config (check, build, unpause; what fails is destroyed).
    case rebuild
    case softReset
    case unpause
    /// xk's mark, so that the host service adopts the domain.
    case markWatched
}

enum ShutdownActionResult: Equatable, Sendable {
    case done
    /// `.checkStillThere`, `.destroy`: the domain is no longer there.
    case gone
    /// `.rebuild`: the new domain.
    case built(DomainID)
    /// `.rebuild` failed; `leftover`: what could not be destroyed, if anything.
    case buildFailed(XenError, leftover: DomainID?)
    case failed(StepFailure)
}

/// How carrying out an action ended.
enum ShutdownActionOutcome: Equatable, Sendable {
    /// Left as it is: preserved for inspection, or suspended (no action).
    case leftAlone
    /// Destroyed, by its action or by someone else.
    case gone
    /// Built again: follow the new domain. `warning`: the mark could not be set.
    case restarted(DomainID, warning: String?)
    /// The restart could not build the domain; nothing of it is left.
    case restartFailed(String)
    /// Soft reset in place: follow the same domain on.
    case continues(warning: String?)
    case failed(XenError)
}

struct ShutdownActionWorkflow: Sendable {
    typealias Next = WorkflowNext<ShutdownActionStep, ShutdownActionOutcome>

    let id: DomainID
    let name: String
    let plan: ShutdownPolicy.Plan?
    private var newID: DomainID?
    /// The domain the mark goes on: the new one after a restart, else this one.
    var newIDForMark: DomainID? { newID }

    /// - Parameter action: nil for a suspend, which is not a death.
    init(id: DomainID, name: String, action: ShutdownAction?) {
        self.id = id
        self.name = name
        plan = action.map(ShutdownPolicy.plan)
    }

    func start() -> Next {
        guard let plan else { return .finish(.leftAlone) }
        return .perform(plan.coreDump ? .coreDump : .checkStillThere)
    }

    mutating func completed(_ step: ShutdownActionStep, _ result: ShutdownActionResult) -> Next {
        guard let plan else { return .finish(.leftAlone) }
        switch (step, result) {
        case (.coreDump, _):
            return .perform(.checkStillThere)   // a failed dump is reported, and the action goes on
        case (.checkStillThere, .gone), (.destroy, .gone):
            return .finish(.gone)   // the operator's destroy wins: nothing is restarted
        case (.checkStillThere, .done):
            switch plan.end {
            case .preserve: return .finish(.leftAlone)
            case .destroy, .restart: return .perform(.destroy)
            case .renameRestart: return .perform(.preserve)
            case .softReset: return .perform(.softReset)
            }
        case (.destroy, .done):
            return plan.end == .destroy ? .finish(.gone) : .perform(.rebuild)
        case (.preserve, .done):
            return .perform(.rebuild)
        case (.rebuild, .built(let built)):
            newID = built
            return .perform(.markWatched)
        case (.rebuild, .buildFailed(let error, let leftover)):
            // BuildWorkflow destroyed what it built; anything left means that failed too.
            if leftover != nil { return .finish(.failed(error)) }
            return .finish(.restartFailed(error.description))
        case (.softReset, .done):
            return .perform(.unpause)
        case (.unpause, .done):
            return .perform(.markWatched)
        case (.markWatched, .done):
            if let newID { return .finish(.restarted(newID, warning: nil)) }
            return .finish(.continues(warning: nil))
        case (.markWatched, .failed(let problem)):
            // It runs; only the host service's adoption of it depends on the mark.
            let warning = "cannot mark it for the host service (\(problem.problem))"
            if let newID { return .finish(.restarted(newID, warning: warning)) }
            return .finish(.continues(warning: warning))
        case (_, .failed(let problem)):
            return .finish(.failed(XenError(code: .operationFailed, message: "cannot \(Self.verb(step)) domain '\(name)' (\(id))",
                                            hint: problem.problem, libxlCode: problem.libxlCode, libxlMessages: problem.messages)))
        default:
            return .finish(.failed(XenError(code: .operationFailed, message: "unexpected result \(result) of \(step) for domain '\(name)'")))
        }
    }

    static func verb(_ step: ShutdownActionStep) -> String {
        switch step {
        case .coreDump: "dump the core of"
        case .checkStillThere: "read the state of"
        case .destroy: "destroy"
        case .preserve: "preserve"
        case .rebuild: "restart"
        case .softReset: "soft reset"
        case .unpause: "unpause"
        case .markWatched: "mark"
        }
    }
}
