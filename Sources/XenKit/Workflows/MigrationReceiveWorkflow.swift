// `xk migrate-receive` as a pure state machine over xl's protocol (xl_migrate.c,
// migrate_receive); MigrationReceiveDriver.swift does the I/O.
//
// The copy here is built paused as NAME--incoming and runs only after the sender's GO.
// Whatever fails once it is built goes as in xl: the report with a failure status, then our
// copy is destroyed, and only when that worked does the sender get permission to resume its
// own. When the destroy fails, no permission is sent (the sender's copy stays suspended,
// never two running copies) and the error names the domain left here.

enum MigrationReceiveStep: Equatable, Sendable {
    case sendBanner
    /// xl's header and the config JSON, parsed into a libxl config by the driver.
    case readHeader
    /// A domain of that name here, and room for it in memory (dom0 may give some, as xl's
    /// autoballoon).
    case checkCanBuild
    /// The start of the libxl stream, checked before libxl reads it (libxl 4.17 crashes on a
    /// wrong header).
    case peekStream
    /// libxl builds the domain from the stream, paused, as NAME--incoming.
    case build
    case sendReady
    case expectGo
    case renameIn
    case unpause
    case sendReport
    case destroy
    /// After a failed build: libxl's half-built domain, if it left one.
    case destroyHalfBuilt
    case sendPermission
    /// After a failure that left nothing here: dom0 gets back what it gave for the build.
    case restoreDom0(Memory)
}

enum MigrationReceiveResult: Equatable, Sendable {
    case done
    /// `.build` failed, leaving this domain half built.
    case halfBuilt(StepFailure, DomainID)
    case failed(StepFailure)
    case timedOut(String)
    /// `.checkCanBuild`: there is room; dom0's target before it gave memory, if it gave.
    case room(dom0Before: Memory?)
    /// `.checkCanBuild`: there is none, and dom0 may have given some already.
    case noRoom(StepFailure, dom0Before: Memory?)
}

struct MigrationReceiveWorkflow: Sendable {
    typealias Next = WorkflowNext<MigrationReceiveStep, MigrationReceiveOutcome>

    let paused: Bool
    /// Known once the header is read.
    var name = ""
    var incomingName: String { name + "--incoming" }

    private var built = false
    private var halfBuilt: DomainID?
    private var renamed = false
    private var running = false
    /// Renamed to NAME and unpaused (or left paused with -p): ours is the domain now.
    private var started = false
    private var reportSent = false
    private var failure: StepFailure?
    private var stopRequested = false
    private var leftover: String?
    private var status: UInt8 = 0
    private var dom0Before: Memory?
    private var restoreDone = false
    private var restoreProblem: StepFailure?
    private var pendingDestroyProblem: StepFailure?
    private var pendingPermissionProblem: StepFailure?

    init(paused: Bool) { self.paused = paused }

    func start() -> Next { .perform(.sendBanner) }

    /// The status byte of the report: 0, or libxl's rc negated (as xl), else 1.
    var reportStatus: UInt8 { status }

    /// A stop signal arrived: before GO the receiver gives up at the next step boundary (its
    /// copy goes, as after any failure); from GO on it completes.
    mutating func requestStop() { stopRequested = true }

    mutating func completed(_ step: MigrationReceiveStep, _ result: MigrationReceiveResult) -> Next {
        if case .restoreDom0 = step {
            if case .failed(let problem) = result { restoreProblem = problem }
            restoreDone = true
            return finish(destroyProblem: pendingDestroyProblem, permissionProblem: pendingPermissionProblem)
        }
        if case .room(let before) = result {
            dom0Before = before
            if stopRequested { return failed(step, StepFailure(problem: "interrupted by a signal")) }
            return .perform(.peekStream)
        }
        if case .noRoom(let problem, let before) = result {
            dom0Before = before
            return failed(step, problem)
        }
        if stopRequested, case .done = result, [.sendBanner, .readHeader, .checkCanBuild, .peekStream, .build, .sendReady].contains(step) {
            if step == .build { built = true }
            return failed(step == .build ? .sendReady : step, StepFailure(problem: "interrupted by a signal"))
        }
        switch result {
        case .failed(let problem): return failed(step, problem)
        case .timedOut(let what): return failed(step, StepFailure(problem: "timed out waiting for \(what)"))
        case .halfBuilt(let problem, let id):
            halfBuilt = id
            return failed(step, problem)
        case .done, .room, .noRoom: break   // the room results are taken above
        }
        switch step {
        case .sendBanner: return .perform(.readHeader)
        case .readHeader: return .perform(.checkCanBuild)
        case .checkCanBuild: return .perform(.peekStream)
        case .peekStream: return .perform(.build)
        case .build:
            built = true
            return .perform(.sendReady)
        case .sendReady: return .perform(.expectGo)
        case .expectGo:
            return .perform(.renameIn)
        case .renameIn:
            renamed = true
            if paused { started = true }
            return paused ? .perform(.sendReport) : .perform(.unpause)
        case .unpause:
            running = true
            started = true
            return .perform(.sendReport)
        case .sendReport:
            reportSent = true
            return failure == nil ? finish() : .perform(.destroy)
        case .destroy:
            built = false
            return reportSent ? .perform(.sendPermission) : finish()
        case .destroyHalfBuilt:
            halfBuilt = nil
            return finish()
        case .sendPermission, .restoreDom0:
            return finish()
        }
    }

    private mutating func failed(_ step: MigrationReceiveStep, _ problem: StepFailure) -> Next {
        switch step {
        case .sendBanner, .readHeader, .checkCanBuild, .peekStream:
            failure = problem
            return finish()
        case .build:
            failure = problem
            return halfBuilt == nil ? finish() : .perform(.destroyHalfBuilt)
        case .sendReady, .expectGo, .renameIn, .unpause:
            failure = problem
            status = problem.libxlCode.map { UInt8(truncatingIfNeeded: -$0) } ?? 1
            if status == 0 { status = 1 }
            if step == .unpause { running = false }
            // xl sends the report even when the sender seems gone: it may only be the "ready"
            // that was lost.
            return .perform(.sendReport)
        case .sendReport:
            if failure == nil {
                // Ours runs, and the sender cannot know: it keeps its copy suspended (never
                // two running); say so.
                failure = StepFailure(problem: "the domain runs here, but the report to the sender failed (\(problem.problem)): the sender's copy stays suspended as '\(name)--migratedaway'; destroy it there")
                return finish()
            }
            reportSent = false   // the sender hears nothing: no permission either
            return .perform(.destroy)
        case .destroy:
            // > xl: "Failed to destroy our copy" -> exit: no permission, so the sender's copy
            // stays suspended rather than running beside ours.
            leftover = renamed ? name : incomingName
            return finish(destroyProblem: problem)
        case .destroyHalfBuilt:
            leftover = incomingName
            return finish(destroyProblem: problem)
        case .sendPermission:
            return finish(permissionProblem: problem)
        case .restoreDom0:
            return finish()
        }
    }

    private mutating func finish(destroyProblem: StepFailure? = nil, permissionProblem: StepFailure? = nil) -> Next {
        guard let failure else { return .finish(.received(paused: paused)) }
        // Nothing of ours is left here: dom0 has back what it gave, first.
        if let before = dom0Before, !restoreDone, !started, !built, halfBuilt == nil, destroyProblem == nil {
            pendingDestroyProblem = destroyProblem
            pendingPermissionProblem = permissionProblem
            return .perform(.restoreDom0(before))
        }
        var memoryNote = ""
        if restoreDone, let before = dom0Before {
            memoryNote = restoreProblem.map { "; dom0 gave memory for it and could not get it back (\($0.problem)): set its target again with xk mem-set 0 \(before.mebibytes)m" }
                ?? "; dom0 got back the memory it gave (target \(before.mebibytes) MiB)"
        }
        var hint: String
        if let destroyProblem {
            hint = "the copy here could not be destroyed (\(destroyProblem.problem)): domain '\(leftover ?? incomingName)' is left on this host, paused; destroy it (xk destroy \(leftover ?? incomingName)). The sender was not told to resume its copy"
        } else if started {
            hint = "the domain is here as '\(name)' (\(running ? "running" : "paused"))"
        } else if built {
            hint = "the copy here is left as '\(incomingName)'"
        } else if reportSent && permissionProblem == nil {
            hint = "the copy here was destroyed and the sender may resume its own"
        } else if reportSent, let permissionProblem {
            hint = "the copy here was destroyed, but the sender could not be told to resume its own (\(permissionProblem.problem))"
        } else {
            hint = "nothing was left on this host"
        }
        let error = XenError(code: .operationFailed, message: "migration receiver: \(name.isEmpty ? "" : "domain '\(name)': ")\(failure.problem)",
                             hint: hint + memoryNote, libxlCode: failure.libxlCode, libxlMessages: failure.messages, errno: failure.errno)
        return .finish(.failed(error, leftover: destroyProblem == nil ? nil : (leftover ?? incomingName)))
    }
}

enum MigrationReceiveOutcome: Equatable, Sendable {
    case received(paused: Bool)
    /// `leftover`: the name of a domain this receiver could not destroy.
    case failed(XenError, leftover: String?)
}
