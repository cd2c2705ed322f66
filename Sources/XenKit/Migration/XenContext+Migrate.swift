// The sending side of a live migration, xl's protocol (MigrationChannel.swift), with one rule
// above all: at no moment do two copies of the domain run.
//
// The steps and what each failure leaves are MigrationSendWorkflow's (Workflows/).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// Live progress of a migration, for a progress line.
public struct MigrationProgress: Sendable {
    /// Bytes of the stream sent so far, as libxl wrote them.
    public var bytes: UInt64
    /// What they took on the wire: fewer when compressed.
    public var wireBytes: UInt64
    /// Seconds since the stream started.
    public var seconds: Double
    /// libxc's current step, for example "Frames iteration 2 of 5".
    public var step: String
    /// Pages done and to do in the current step.
    public var done: UInt64
    public var total: UInt64
}

/// What a migration did.
public struct MigrationResult: Sendable {
    public let name: String
    /// The stream's bytes, as libxl wrote them.
    public let bytes: UInt64
    /// What the stream took on the wire: fewer than `bytes` when compressed.
    public let wireBytes: UInt64
    /// The zstd level the stream was compressed at; nil when it went plain.
    public let compressionLevel: Int?
    /// From the first byte of the stream to the receiver's report.
    public let seconds: Double
    /// From the domain's suspension here to the receiver's report that its copy runs.
    public let downtimeSeconds: Double
    /// libxc's memory passes (live iterations plus the final one), when it said.
    public let iterations: Int?
}

extension XenContext {
    /// The zstd levels a compressed migration may use (1 is the fastest).
    public static var compressionLevels: ClosedRange<Int> { ZstdCompressor.levels }

    /// Migrates a running domain over `channel` to an xl or xk receiver.
    ///
    /// The steps and what each failure leaves are MigrationSendWorkflow's
    /// (Workflows/MigrationSendWorkflow.swift).
    ///
    /// - Parameters:
    ///   - live: live migration (iterative pre-copy); xl always migrates live.
    ///   - debug: libxl's debug mode (`--debug`): memory is sent twice and verified.
    ///   - configJSON: the config to send instead of the domain's own (`-C`).
    ///   - compression: the zstd level (``compressionLevels``) to compress everything sent
    ///     at, for a receiver started as `xk migrate-receive --compressed`; nil sends xl's
    ///     plain wire, which any receiver reads.
    ///   - timeout: the longest wait for the receiver at each step (its banner, its "ready"
    ///     once the stream is sent, its report after GO). Before GO, running out of time
    ///     resumes the domain here.
    ///   - stopRequested: polled between steps; once true, the migration rolls back if GO
    ///     was not sent yet, and runs to its end if it was.
    ///   - whenResumed: called when the domain was suspended and runs here again: its
    ///     shutdown-action watcher ended at the suspend.
    ///   - progress: called from another thread about twice a second.
    /// - Throws: ``XenError`` whose message says where the domain runs afterwards.
    public func migrate(_ id: DomainID, over channel: MigrationChannel, live: Bool = true, debug: Bool = false,
                        configJSON: String? = nil, compression: Int? = nil, timeout: Duration = .seconds(60),
                        stopRequested: @escaping () -> Bool = { false },
                        whenResumed: (DomainID) -> Void = { _ in },
                        progress: (@Sendable (MigrationProgress) -> Void)? = nil) throws(XenError) -> MigrationResult {
        let name = try domain(id).name ?? "\(id)"
        let channel = try compression.map { level throws(XenError) in try channel.compressing(level: level) } ?? channel
        let json = if let configJSON { configJSON } else { try runningConfigJSON(id, name: name) }
        let watch = SuspendWatch()
        let clock = ContinuousClock()
        let started = clock.now
        let observer = LiveStreamObserver(context: self, id: id, watch: watch, clock: clock, started: started,
                                          relayed: channel.relayed, onWire: channel.onWire, progress: progress)
        var driver = MigrationSendDriver(
            machine: MigrationSendWorkflow(name: name), control: LiveDomainControl(context: self), transport: channel,
            id: id, header: SaveFileHeader(configJSON: json).encoded(), live: live, debug: debug,
            timeout: timeout, stopRequested: stopRequested, observer: observer)
        let outcome = driver.run()
        let finished = clock.now
        switch outcome {
        case .migrated:
            let suspendedAt = watch.suspendedAt ?? finished
            return MigrationResult(name: name, bytes: channel.relayed.count, wireBytes: channel.onWire.count,
                                   compressionLevel: channel.compressor?.level, seconds: started.duration(to: finished).inSeconds,
                                   downtimeSeconds: suspendedAt.duration(to: finished).inSeconds, iterations: watch.iterations)
        case .migratedWithLeftover(let error), .undefined(let error):
            throw error
        case .failed(var error, _, let resumed):
            if resumed { whenResumed(id) }
            if let died = watch.otherShutdown, died != .suspend {
                // The guest did not suspend: it shut down, crashed or rebooted under the request.
                let state = (try? domain(id)) == nil ? "it is no longer on this host" : "it is left here shut down"
                error.hint = "the guest did not suspend: it shut down (\(died.rawValue)) under the suspend request, so \(state); \(died == .unknown ? "it is destroyed, as for any unknown reason" : "its on_\(died.rawValue) action applies") (see xk list); the receiver never started it"
            }
            throw error
        }
    }
}

/// Progress and the moment the domain stops here (the start of the downtime), around the
/// stream.
private final class LiveStreamObserver: StreamObserver {
    let context: XenContext
    let id: DomainID
    let watch: SuspendWatch
    let clock: ContinuousClock
    let started: ContinuousClock.Instant
    let relayed: ByteCounter
    let onWire: ByteCounter
    let progress: (@Sendable (MigrationProgress) -> Void)?
    private var stopWatching: (() -> Void)?

    init(context: XenContext, id: DomainID, watch: SuspendWatch, clock: ContinuousClock, started: ContinuousClock.Instant,
         relayed: ByteCounter, onWire: ByteCounter, progress: (@Sendable (MigrationProgress) -> Void)?) {
        (self.context, self.id, self.watch, self.clock, self.started, self.relayed, self.onWire, self.progress) =
            (context, id, watch, clock, started, relayed, onWire, progress)
    }

    func willStream() {
        let (watch, progress, relayed, onWire, clock, started) = (watch, progress, relayed, onWire, clock, started)
        context.logger.observeProgress { report in
            watch.step(report)
            progress?(MigrationProgress(bytes: relayed.count, wireBytes: onWire.count, seconds: started.duration(to: clock.now).inSeconds,
                                        step: report.doing, done: report.done, total: report.total))
        }
        stopWatching = watch.follow(id, context: context, clock: clock)
    }

    func didStream() {
        stopWatching?()
        stopWatching = nil
        context.logger.observeProgress(nil)
    }
}

/// Notices when the migrating domain stops (suspends, or dies instead) and counts libxc's
/// memory passes.
final class SuspendWatch: Sendable {
    private struct State {
        var suspendedAt: ContinuousClock.Instant?
        var shutdown: ShutdownReason?
        var iterations: Int?
    }
    private let state = Mutex(State())

    /// When the domain was first seen suspended.
    var suspendedAt: ContinuousClock.Instant? { state.withLock { $0.suspendedAt } }
    /// How the domain was first seen shut down: `.suspend` normally; anything else means
    /// the guest crashed, rebooted or powered off instead of suspending.
    var otherShutdown: ShutdownReason? { state.withLock { $0.shutdown } }
    var iterations: Int? { state.withLock { $0.iterations } }

    /// "Frames iteration 3 of 5" -> 3.
    func step(_ report: LibxlProgress) {
        guard let range = report.doing.firstRange(of: "iteration ") else { return }
        if let n = Int(report.doing[range.upperBound...].prefix { $0.isNumber }) {
            state.withLock { $0.iterations = max($0.iterations ?? 0, n) }
        }
    }

    /// Follows the domain on a thread of its own until the returned closure is called;
    /// records when it is first seen shut down (suspended).
    ///
    /// Why a watch, not a poll: xenstored fires `@releaseDomain` when any domain shuts down
    /// (a suspend included), so the thread sleeps through the seconds of pre-copy and reads
    /// the domain's state only when something happened. A 10 ms poll cost a hypercall and a
    /// wake-up a hundred times a second, on the same CPU as libxl's save helper (in the lab,
    /// dom0's only vCPU). Without a xenstore connection it polls every 10 ms, as before.
    func follow(_ id: DomainID, context: XenContext, clock: ContinuousClock) -> () -> Void {
        let stop = Atomic<Bool>(false)
        var wake: [Int32] = [-1, -1]
        let canWake = makeNonBlockingPipe(&wake)
        let (wakeRead, wakeWrite) = (wake[0], wake[1])
        let thread = JoinableThread.start { [self] in
            let watcher = try? XenStoreWatcher()
            var watching = canWake && (try? watcher?.add(.releaseDomain)) != nil
            while !stop.load(ordering: .relaxed) {
                if record(id, context: context, clock: clock) { break }
                if watching, let watcher {
                    // Also wakes once a second, in case a watch event was missed.
                    if (try? watcher.wait(milliseconds: 1000, wake: wakeRead)) == nil { watching = false }
                } else {
                    usleep(10_000)   // the resolution of the downtime figure without a watch
                }
            }
        }
        return {
            stop.store(true, ordering: .relaxed)
            if canWake { _ = write(wakeWrite, "x", 1) }
            thread?.join()
            if canWake { close(wakeRead); close(wakeWrite) }
        }
    }

    /// Reads the domain's state once; true (and recorded) when it is shut down.
    private func record(_ id: DomainID, context: XenContext, clock: ContinuousClock) -> Bool {
        guard case .success(let info) = Libxl.domainInfo(context.ctx, id, name: false), info.isShutdown else { return false }
        let now = clock.now
        let reason = info.shutdownReason ?? .unknown
        state.withLock {
            $0.shutdown = reason
            if reason == .suspend { $0.suspendedAt = now }
        }
        return true
    }
}
