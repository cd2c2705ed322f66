// Why this file exists: libxl must be given a xentoollog logger (a NULL logger crashes it),
// and the stock stdio logger writes every libxl message to stderr. `xk` promises one clear
// line per failure, so libxl's messages come here instead: errors are kept in a small ring
// (attached to the `XenError` of the operation that failed), and messages are echoed to
// stderr only when the operator asks for it (`xk -v`). Nothing else is wanted, so the C side
// drops lower levels before formatting them (a restore logs hundreds of debug lines).
//
// The logger is a C struct (`cxen_logger`, see shim.h) whose first member is the
// `xentoollog_logger` vtable; its `context` points back at this object, unretained: the
// object outlives the libxl ctx that uses it (XenContext frees the ctx first).
internal import CXen
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Severity of a libxl/libxc log message, as xentoollog ranks them.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case debug = 1, verbose, detail, progress, info, notice, warn, error, critical

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    var name: String {
        switch self {
        case .debug: "debug"
        case .verbose: "verbose"
        case .detail: "detail"
        case .progress: "progress"
        case .info: "info"
        case .notice: "notice"
        case .warn: "warning"
        case .error: "error"
        case .critical: "critical"
        }
    }
}

final class ToolLogger: @unchecked Sendable {
    // @unchecked: `raw` is written once in init and only read afterwards; all mutable state
    // is inside `state`, a Mutex. libxl may call us from any thread.
    struct Message: Sendable {
        var sequence: UInt64
        var level: LogLevel
        var text: String
    }

    private struct State {
        var nextSequence: UInt64 = 0
        var recent: [Message] = []
        var progressObserver: (@Sendable (LibxlProgress) -> Void)?
    }

    private static let ringSize = 32
    let raw: UnsafeMutablePointer<cxen_logger>
    private let state = Mutex(State())
    /// Messages at or above this level are also written to stderr; `nil` writes none.
    let echoLevel: LogLevel?
    /// Whether echoed lines start with the date and the process id (xl -T).
    let echoTimestamps: Bool

    init(echoLevel: LogLevel?, timestamps: Bool = false) {
        self.echoLevel = echoLevel
        echoTimestamps = timestamps
        raw = .allocate(capacity: 1)
        raw.initialize(to: cxen_logger())
        let kept = min(echoLevel ?? .error, .error)
        cxen_logger_init(raw, toolLoggerSink, toolProgressSink, Unmanaged.passUnretained(self).toOpaque(),
                         Int32(kept.rawValue))
    }

    deinit {
        raw.deinitialize(count: 1)
        raw.deallocate()
    }

    var xtl: UnsafeMutablePointer<xentoollog_logger> { cxen_logger_as_xtl(raw) }

    /// A mark to pass to ``errors(since:)`` after an operation.
    func mark() -> UInt64 { state.withLock { $0.nextSequence } }

    /// The error-level messages logged since `mark`, oldest first.
    func errors(since mark: UInt64) -> [String] {
        state.withLock { state in
            state.recent.filter { $0.sequence >= mark && $0.level >= .error }.map(\.text)
        }
    }

    /// Sets (or, with nil, clears) who hears libxl's progress reports.
    func observeProgress(_ observer: (@Sendable (LibxlProgress) -> Void)?) {
        state.withLock { $0.progressObserver = observer }
    }

    fileprivate func progress(_ report: () -> LibxlProgress) {
        // Copy while locked, invoke unlocked; build the report only for an observer.
        guard let observer = state.withLock({ $0.progressObserver }) else { return }
        observer(report())
    }

    fileprivate func record(level: LogLevel, text: String) {
        // Copy under the lock, write to stderr outside it.
        state.withLock { state in
            state.recent.append(Message(sequence: state.nextSequence, level: level, text: text))
            state.nextSequence += 1
            if state.recent.count > Self.ringSize { state.recent.removeFirst() }
        }
        if let echoLevel, level >= echoLevel {
            let line = (echoTimestamps ? Self.stamp() : "") + text + "\n"
            _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
        }
    }
}

extension ToolLogger {
    /// "2026-12-04 03:20:01 UTC [1234] ", as xentoollog's stdio logger with SHOW_DATE and
    /// SHOW_PID.
    static func stamp() -> String {
        WallClock.local("%Y-%m-%d %H:%M:%S %Z ") + "[\(getpid())] "
    }
}

/// The C sink: hands a formatted libxl message to the owning ToolLogger.
private let toolLoggerSink: cxen_log_sink = { owner, level, errnoValue, context, message in
    guard let owner, let message else { return }
    let logger = Unmanaged<ToolLogger>.fromOpaque(owner).takeUnretainedValue()
    var text = String(cString: message)
    let severity = LogLevel(rawValue: Int(level)) ?? .critical
    if errnoValue > 0 {
        text += ": " + String(cString: strerror(errnoValue))
    }
    let prefix = context.map { String(cString: $0) + ": " } ?? ""
    logger.record(level: severity, text: prefix + severity.name + ": " + text)
}

/// One progress report of libxl or libxc: "Frames iteration 2 of 5", 1234 of 32768 done.
struct LibxlProgress: Sendable {
    var doing: String
    var done: UInt64
    var total: UInt64
}

/// The C progress sink: hands a progress report to the owning ToolLogger.
private let toolProgressSink: cxen_progress_sink = { owner, doing, _, done, total in
    guard let owner else { return }
    let logger = Unmanaged<ToolLogger>.fromOpaque(owner).takeUnretainedValue()
    logger.progress { LibxlProgress(doing: doing.map { String(cString: $0) } ?? "", done: UInt64(done), total: UInt64(total)) }
}
