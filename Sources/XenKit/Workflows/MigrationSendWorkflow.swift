// `xk migrate`, the sending side, as a pure state machine over xl's protocol
// (Migration/MigrationChannel.swift); MigrationSendDriver.swift does the I/O.
//
// The rule above all: at no moment do two copies of the domain run.
//   before GO: any failure, timeout or stop signal resumes the domain here under its own
//              name (xl's failed_resume), except a guest that never acknowledged the suspend
//              (ERROR_GUEST_TIMEDOUT: xl's failed_suspend), which is only looked at;
//   GO sent:   ours is suspended as NAME--migratedaway; only the receiver's report says who
//              runs it: 0, the receiver does (ours is destroyed); not 0 and then permission,
//              the receiver destroyed its copy and ours resumes; anything else (no report,
//              a timeout, no permission after a failure), nobody can tell from here: ours
//              stays suspended, never resumed blindly, and the error says what to check.

enum MigrationSendStep: Equatable, Sendable {
    case expectBanner
    case sendHeader
    /// libxl streams the domain through the relay to the receiver; the domain ends suspended.
    case stream
    case expectReady
    case renameAway
    case sendGo
    case expectReport
    /// The receiver could not start its copy: its permission to take ours back.
    case expectPermission
    /// Rollback, or after permission: the name back, then resume.
    case renameBack
    case resume
    /// The receiver runs it: ours goes.
    case destroy
    /// After a failed resume: where is the domain now?
    case inspect
}

/// How a sender step went.
enum MigrationStepResult: Equatable, Sendable {
    case done
    /// `.expectReport`: the receiver's status byte.
    case status(UInt8)
    /// `.inspect`: the domain's state.
    case domain(DomainFate)
    case failed(StepFailure)
    /// A wait for the peer ran out of time.
    case timedOut(String)
}

struct MigrationSendWorkflow: Sendable {
    typealias Next = WorkflowNext<MigrationSendStep, MigrationSendOutcome>

    let name: String
    var awayName: String { name + "--migratedaway" }

    private var streamed = false
    private var guestNeverSuspended = false
    private var renamedAway = false
    private var goSent = false
    private var resumeTried = false
    /// Why the resume failed, kept until the domain is looked at: a stream that broke during
    /// the pre-copy never suspended it, and libxc refuses to resume a domain that runs (EINVAL),
    /// which is no problem to report (seen in the lab when a receiver refused the config).
    private var resumeFailure: StepFailure?
    private var inspected = false
    private var stopRequested = false
    private var failure: StepFailure?
    private var undefined: String?
    private var rollbackProblems: [String] = []
    private var fate: DomainFate = .untouched
    private var receiverStatus: UInt8?

    init(name: String) { self.name = name }

    func start() -> Next { .perform(.expectBanner) }

    /// A stop signal arrived: before GO the migration rolls back at the next step boundary;
    /// after GO it runs to its end (stopping there could leave two copies or none).
    mutating func requestStop() { stopRequested = true }

    mutating func completed(_ step: MigrationSendStep, _ result: MigrationStepResult) -> Next {
        switch result {
        case .failed(let problem): return failed(step, problem)
        case .timedOut(let what): return failed(step, StepFailure(problem: "timed out waiting for \(what)"))
        default: break
        }
        switch step {
        case .expectBanner: return forward(.sendHeader)
        case .sendHeader: return forward(.stream)
        case .stream:
            streamed = true
            fate = .suspended
            return forward(.expectReady)
        case .expectReady: return forward(.renameAway)
        case .renameAway:
            renamedAway = true
            if stopRequested { return rollbackBeforeGo(StepFailure(problem: "interrupted by a signal")) }
            return .perform(.sendGo)   // the point of no return
        case .sendGo:
            goSent = true
            return .perform(.expectReport)
        case .expectReport:
            guard case .status(let status) = result else { return .perform(.expectReport) }
            receiverStatus = status
            if status == 0 { return .perform(.destroy) }
            return .perform(.expectPermission)
        case .expectPermission:
            // The receiver destroyed its copy: ours may run again, under its own name.
            failure = StepFailure(problem: "the receiver could not start it (status \(receiverStatus ?? 1)) and destroyed its copy")
            return .perform(.renameBack)
        case .renameBack:
            renamedAway = false
            return rollback()
        case .resume:
            resumeTried = true
            fate = .running
            return finish()
        case .destroy:
            fate = .destroyed
            return finish()
        case .inspect:
            inspected = true
            if case .domain(let seen) = result { fate = seen }
            if let resumeFailure, fate == .suspended || fate == .unknown {
                rollbackProblems.append("resuming it failed (\(resumeFailure.problem))")
            }
            resumeFailure = nil
            if !resumeTried && fate == .suspended { return .perform(.resume) }   // it did suspend after all
            resumeTried = true
            return finish()
        }
    }

    private mutating func forward(_ step: MigrationSendStep) -> Next {
        if stopRequested { return rollbackBeforeGo(StepFailure(problem: "interrupted by a signal")) }
        return .perform(step)
    }

    private mutating func failed(_ step: MigrationSendStep, _ problem: StepFailure) -> Next {
        switch step {
        case .expectBanner, .sendHeader, .expectReady, .renameAway:
            return rollbackBeforeGo(problem)
        case .stream:
            streamed = true   // libxl may have suspended it: resume, as xl does
            fate = .suspended
            // > xl: a guest that did not acknowledge the suspend is not resumed (failed_suspend).
            if problem.libxlCode == LibxlCode.guestTimedOut { guestNeverSuspended = true }
            return rollbackBeforeGo(problem)
        case .sendGo, .expectReport:
            // GO may or may not have reached the receiver: nobody can tell from here.
            goSent = true
            undefined = "the receiver was told to start the domain but did not say whether it did (\(problem.problem))"
            return finish()
        case .expectPermission:
            undefined = "the receiver could not start its copy (status \(receiverStatus ?? 1)) and did not say that it destroyed it (\(problem.problem))"
            return finish()
        case .renameBack:
            rollbackProblems.append("renaming it back to '\(name)' failed (\(problem.problem))")
            renamedAway = false   // once; the resume still matters more
            return rollback()
        case .resume:
            resumeTried = true
            resumeFailure = problem   // reported once the inspection shows it still suspended
            return .perform(.inspect)
        case .destroy:
            failure = StepFailure(problem: "the receiver runs the domain, but the suspended copy here could not be destroyed (\(problem.problem)): destroy '\(awayName)' here",
                                  libxlCode: problem.libxlCode, messages: problem.messages)
            fate = .suspended
            return finish()
        case .inspect:
            inspected = true
            fate = .unknown
            if let resumeFailure { rollbackProblems.append("resuming it failed (\(resumeFailure.problem))") }
            resumeFailure = nil
            rollbackProblems.append("its state could not be read (\(problem.problem))")
            if !resumeTried { return .perform(.resume) }   // not known: resuming is the safer try
            return finish()
        }
    }

    private mutating func rollbackBeforeGo(_ problem: StepFailure) -> Next {
        if failure == nil { failure = problem }
        return rollback()
    }

    /// The name back, then resume (unless the guest never suspended), then the end.
    private mutating func rollback() -> Next {
        if renamedAway { return .perform(.renameBack) }
        if streamed && !resumeTried {
            return .perform(guestNeverSuspended && !inspected ? .inspect : .resume)
        }
        return finish()
    }

    private func finish() -> Next {
        if let undefined {
            let error = XenError(code: .operationFailed, message: "migration of domain '\(name)' failed in its final handshake: \(undefined)",
                                 hint: "the copy here stays suspended as '\(awayName)' and does not run. Check the target: if the domain runs there, destroy this copy (xk destroy \(awayName)); if not, rename it back and resume it here")
            return .finish(.undefined(error))
        }
        guard let failure else { return .finish(.migrated) }
        if receiverStatus == 0 {   // the receiver runs it; ours could not be destroyed
            return .finish(.migratedWithLeftover(XenError(code: .operationFailed, message: "migrated domain '\(name)', but \(failure.problem)",
                                                           libxlCode: failure.libxlCode, libxlMessages: failure.messages)))
        }
        var state: String = switch fate {
        case .untouched: "the domain was not touched and runs here"
        case .running: "the domain runs here again, as '\(name)'"
        case .paused: "the domain is paused here, as '\(name)'"
        case .suspended: "it is suspended here as '\(renamedAway ? awayName : name)'; the receiver never started it"
        case .destroyed, .gone: "the domain is no longer on this host (it went away during the migration); the receiver never started it"
        case .unknown: "its state here is not known (check xk list); the receiver never started it"
        }
        if !rollbackProblems.isEmpty { state += "; and " + rollbackProblems.joined(separator: "; ") }
        let error = XenError(code: .operationFailed, message: "cannot migrate domain '\(name)': \(failure.problem)",
                             hint: state, libxlCode: failure.libxlCode, libxlMessages: failure.messages, errno: failure.errno)
        return .finish(.failed(error, fate: fate, resumed: fate == .running && streamed))
    }
}

/// How a migration ended, on the sending side.
enum MigrationSendOutcome: Equatable, Sendable {
    /// The receiver runs the domain; ours is destroyed.
    case migrated
    /// The receiver runs the domain; ours could not be destroyed (it is suspended, renamed).
    case migratedWithLeftover(XenError)
    /// The receiver never ran it; `fate` says where ours is. `resumed`: ours was suspended
    /// and runs again, so its shutdown-action watcher must follow it again.
    case failed(XenError, fate: DomainFate, resumed: Bool)
    /// After GO, with no report: ours stays suspended as NAME--migratedaway.
    case undefined(XenError)
}
