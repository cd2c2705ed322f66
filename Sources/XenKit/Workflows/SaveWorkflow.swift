// `xk save` as a pure state machine: it is told how each step went and answers with the next
// step, so every fault at every step can be tried without Xen (Tests/XenKitTests/Workflows),
// and a thin driver (SaveDriver.swift) does the I/O.
//
// The promises it keeps, whatever fails:
//   - an existing FILE is never removed nor replaced by anything but a file read back whole:
//     the domain goes into a temporary file beside FILE, which is flushed, closed and read
//     back, and only then renamed over FILE (xl writes FILE in place);
//   - a failure before that rename resumes the domain, removes the temporary file and
//     reports every rollback step that failed; after it, the save completes;
//   - a stop request (SIGINT, SIGTERM, SIGHUP) is honoured at the next step boundary: before
//     the rename it rolls back, after it the save completes. Nothing partial remains.

/// What the save machine asks its driver to do.
enum SaveStep: Equatable, Sendable, CaseIterable {
    /// Create the temporary file beside FILE (O_EXCL, mode 0600 whatever the umask).
    case createTemporary
    /// Write xl's header and the config into it.
    case writeHeader
    /// libxl streams the domain into it and leaves it suspended.
    case suspend
    /// fsync the temporary file.
    case flush
    /// close it (checked: a late write error shows here).
    case close
    /// Read the temporary file back: header, config, every record up to both END records.
    case verify
    /// Rename the temporary file over FILE.
    case rename
    /// fsync FILE's folder, so that the rename lasts.
    case syncFolder
    /// The end: destroy the domain (`xk save`), pause it (`-p`), resume it (`-p`, `-c`, and
    /// every rollback after a suspend).
    case destroy, pause, resume
    /// Rollback: remove the temporary file.
    case removeTemporary
    /// After a failed resume: where is the domain now?
    case inspect
}

/// How a step went, as the machine needs to know it.
enum StepResult: Equatable, Sendable {
    case done
    /// The read-back passed: the file's size.
    case verified(bytes: Int)
    /// For `.inspect`: the domain's state.
    case domain(DomainFate)
    case failed(StepFailure)
}

/// Where the domain is, as far as a workflow knows.
enum DomainFate: Equatable, Sendable {
    case untouched, running, paused, suspended, destroyed, gone
    /// Its state could not be read after a rollback step failed.
    case unknown
}

/// A failed step: a sentence, and the cause (errno or libxl's rc and messages).
struct StepFailure: Equatable, Sendable, Error {
    var problem: String
    var errno: Int32? = nil
    var libxlCode: Int32? = nil
    var messages: [String] = []
}

extension StepFailure {
    /// A failed libxl call: libxl's last error line is the reason an operator can act on
    /// (`what` and the rc name when it logged none); the rc and the lines are kept as the cause.
    init(_ failure: LibxlFailure, _ what: String) {
        self.init(problem: failure.messages.last.map(XenContext.trimLibxlPrefix) ?? "\(what) (\(LibxlCode.name(failure.code)))",
                  libxlCode: failure.code, messages: failure.messages)
    }
}

struct SaveWorkflow: Sendable {
    typealias Next = WorkflowNext<SaveStep, SaveOutcome>

    let name: String
    let path: String
    let temporary: String
    let after: XenContext.AfterSave

    private var fileOpen = false
    private var temporaryExists = false
    private var suspended = false
    private var inPlace = false
    private var resumed = false
    private var resumeTried = false
    private var stopRequested = false
    private var bytes = 0
    private var failure: StepFailure?
    private var rollbackProblems: [String] = []
    private var fate: DomainFate = .untouched

    init(name: String, path: String, temporary: String, after: XenContext.AfterSave) {
        self.name = name
        self.path = path
        self.temporary = temporary
        self.after = after
    }

    func start() -> Next { .perform(.createTemporary) }

    /// A stop signal arrived: honoured at the next step boundary.
    mutating func requestStop() { stopRequested = true }

    mutating func completed(_ step: SaveStep, _ result: StepResult) -> Next {
        if case .failed(let problem) = result { return failed(step, problem) }
        switch step {
        case .createTemporary:
            fileOpen = true
            temporaryExists = true
            return forward(.writeHeader)
        case .writeHeader: return forward(.suspend)
        case .suspend:
            suspended = true
            fate = .suspended
            return forward(.flush)
        case .flush: return forward(.close)
        case .close:
            fileOpen = false
            return failure == nil ? forward(.verify) : rollback()
        case .verify:
            if case .verified(let size) = result { bytes = size }
            return forward(.rename)
        case .rename:
            temporaryExists = false
            inPlace = true
            return .perform(.syncFolder)
        case .syncFolder:
            switch after {
            case .destroy: return .perform(.destroy)
            case .keepPaused: return .perform(.pause)
            case .keepRunning: return .perform(.resume)
            }
        case .destroy:
            fate = .destroyed
            return finish()
        case .pause:
            return .perform(.resume)
        case .resume:
            resumed = true
            resumeTried = true
            fate = after == .keepPaused && failure == nil ? .paused : .running
            return failure == nil ? finish() : rollback()
        case .removeTemporary:
            temporaryExists = false
            return rollback()
        case .inspect:
            if case .domain(let seen) = result { fate = seen }
            if fate == .running || fate == .paused { resumed = true }
            return finish()
        }
    }

    /// The next step forward, unless a stop was asked for before FILE was replaced.
    private mutating func forward(_ step: SaveStep) -> Next {
        if stopRequested && !inPlace {
            failure = failure ?? StepFailure(problem: "interrupted by a signal")
            return rollback()
        }
        return .perform(step)
    }

    private mutating func failed(_ step: SaveStep, _ problem: StepFailure) -> Next {
        switch step {
        case .createTemporary, .writeHeader, .suspend, .flush, .verify, .rename:
            if step == .suspend { suspended = true }   // libxl may have suspended it: resume, as xl does
            failure = problem
            return rollback()
        case .close:
            fileOpen = false   // the descriptor is gone either way
            if failure == nil { failure = problem } else { rollbackProblems.append(problem.problem) }
            return rollback()
        case .syncFolder:
            // FILE is in place and was read back whole; whether the rename lasts a power cut
            // is not known, so the domain must not go: it runs again.
            failure = StepFailure(problem: "the file is in place, but its folder could not be flushed (\(problem.problem))",
                                  errno: problem.errno)
            return rollback()
        case .destroy:
            failure = StepFailure(problem: "the file is complete, but the domain could not be destroyed (\(problem.problem))",
                                  errno: problem.errno, libxlCode: problem.libxlCode, messages: problem.messages)
            return rollback()
        case .pause:
            failure = StepFailure(problem: "the file is complete, but the domain could not be paused (\(problem.problem))",
                                  libxlCode: problem.libxlCode, messages: problem.messages)
            return .perform(.resume)
        case .resume:
            rollbackProblems.append("resuming the domain failed: \(problem.problem)")
            if failure == nil && inPlace {
                failure = StepFailure(problem: "the file is complete, but the domain could not be resumed (\(problem.problem))",
                                      libxlCode: problem.libxlCode, messages: problem.messages)
            }
            resumeTried = true   // once; never again
            return .perform(.inspect)
        case .removeTemporary:
            temporaryExists = false   // tried once; reported
            rollbackProblems.append("the temporary file could not be removed (\(problem.problem)): remove \(temporary) by hand")
            return rollback()
        case .inspect:
            fate = .unknown
            rollbackProblems.append("the domain's state could not be read (\(problem.problem))")
            return finish()
        }
    }

    /// The next rollback step: close, remove the temporary file, resume.
    private mutating func rollback() -> Next {
        if fileOpen { return .perform(.close) }
        if temporaryExists { return .perform(.removeTemporary) }
        if suspended && !resumeTried { return .perform(.resume) }
        return finish()
    }

    private func finish() -> Next {
        guard let failure else { return .finish(.saved(bytes: bytes, fate: fate, resumed: resumed)) }
        var state: String = switch fate {
        case .untouched: "the domain was not touched"
        case .running: "the domain runs again"
        case .paused: "the domain is paused"
        case .suspended: "the domain is still suspended: resume it with a new save, or destroy it (xk destroy \(name))"
        case .destroyed, .gone: "the domain is gone"
        case .unknown: "the domain's state is not known: check it with xk list \(name)"
        }
        state += inPlace ? "; \(path) holds the new save" : "; \(path) was not touched"
        if !rollbackProblems.isEmpty { state += "; and " + rollbackProblems.joined(separator: "; ") }
        let error = XenError(code: .operationFailed, message: "cannot save domain '\(name)' to \(path): \(failure.problem)",
                             hint: state, libxlCode: failure.libxlCode, libxlMessages: failure.messages, errno: failure.errno)
        return .finish(.failed(error, fate: fate, resumed: resumed))
    }

    /// The temporary file beside `path` (same folder, so the rename is atomic): hidden, and
    /// named after the process that writes it.
    static func temporaryName(for path: String, pid: Int32) -> String {
        let folder = parentFolder(of: path)
        let base = path.split(separator: "/").last.map(String.init) ?? path
        return (folder == "/" ? "" : folder) + "/.\(base).xk-partial-\(pid)"
    }
}

/// How a save ended.
enum SaveOutcome: Equatable, Sendable {
    /// `resumed`: as below (`-c` and `-p`).
    case saved(bytes: Int, fate: DomainFate, resumed: Bool)
    /// `resumed`: the domain was suspended and runs (or is paused) again, so whoever follows
    /// its shutdown actions must follow it again (its watcher ended at the suspend).
    case failed(XenError, fate: DomainFate, resumed: Bool)
}
