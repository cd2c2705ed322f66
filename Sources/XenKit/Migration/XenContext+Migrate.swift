// The sending side of a live migration, xl's protocol (MigrationChannel.swift), with one rule
// above all: at no moment do two copies of the domain run.
//
//   before GO: any failure resumes the domain here, under its own name (xl's failed_resume);
//   GO sent:   the domain here is suspended and named NAME--migratedaway; only the
//              receiver's report says who runs it: 0, the receiver does (ours is destroyed);
//              not 0, the receiver destroyed its copy and sends permission, and ours resumes;
//              no report, nobody can tell from here: ours stays suspended (never resumed
//              blindly), and the error says so and what to check.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// Live progress of a migration, for a progress line.
public struct MigrationProgress: Sendable {
    /// Bytes sent so far.
    public var bytes: UInt64
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
    public let bytes: UInt64
    /// From the first byte of the stream to the receiver's report.
    public let seconds: Double
    /// From the domain's suspension here to the receiver's report that its copy runs.
    public let downtimeSeconds: Double
    /// libxc's memory passes (live iterations plus the final one), when it said.
    public let iterations: Int?
}

extension XenContext {
    /// Migrates a running domain over `channel` to an xl or xk receiver.
    ///
    /// - Parameters:
    ///   - live: live migration (iterative pre-copy); xl always migrates live.
    ///   - debug: libxl's debug mode (`--debug`): memory is sent twice and verified.
    ///   - configJSON: the config to send instead of the domain's own (`-C`).
    ///   - progress: called from another thread about twice a second.
    /// - Throws: ``XenError`` whose message says where the domain runs afterwards.
    public func migrate(_ id: DomainID, over channel: MigrationChannel, live: Bool = true, debug: Bool = false,
                        configJSON: String? = nil,
                        progress: (@Sendable (MigrationProgress) -> Void)? = nil) throws(XenError) -> MigrationResult {
        let name = try domain(id).name ?? "\(id)"
        let json = if let configJSON { configJSON } else { try runningConfigJSON(id, name: name) }
        let watch = SuspendWatch()
        /// Where the domain is when resuming it failed: still suspended here, gone (it did
        /// not suspend but shut down, crashed or rebooted under the request: its own
        /// on_* action then applies), or running after all.
        func whereAfterFailedResume(_ code: Int32) -> String {
            let now = try? domain(id)
            if let died = watch.otherShutdown, died != .suspend {
                let state = now == nil ? "it is no longer on this host" : "it is left here shut down"
                return "the guest did not suspend: it shut down (\(died.rawValue)) under the suspend request, so \(state); \(died == .unknown ? "it is destroyed, as for any unknown reason" : "its on_\(died.rawValue) action applies") (see xk list); the receiver never started it"
            }
            guard let now else {
                return "the domain is no longer on this host (it went away during the migration); the receiver never started it"
            }
            return now.isShutdown
                ? "resuming it here failed too (\(LibxlCode.name(code))): it is suspended here as '\(name)'; the receiver never started it"
                : "the domain runs here, as '\(name)'"
        }
        func failedHere(_ problem: String, suspended: Bool, messages: [String] = [], code: Int32? = nil) -> XenError {
            var where_ = "the domain was not touched and runs here"
            if suspended {
                _ = Libxl.rename(ctx, id, from: name + "--migratedaway", to: name)
                switch Libxl.resume(ctx, id) {
                case .success: where_ = "the domain runs here again, as '\(name)'"
                case .failure(let failure):
                    where_ = whereAfterFailedResume(failure.code)
                }
            }
            return XenError(code: .operationFailed, message: "cannot migrate domain '\(name)': \(problem)",
                            hint: where_, libxlCode: code, libxlMessages: messages)
        }

        if let problem = channel.expect(.banner) { throw failedHere(problem + " (is the receiver xl or xk migrate-receive?)", suspended: false) }
        if let problem = channel.send(SaveFileHeader(configJSON: json).encoded()) {
            throw failedHere("cannot send the config: \(problem)", suspended: false)
        }
        guard let relay = StreamRelay(to: channel.sendFD) else {
            throw failedHere("cannot set up the stream", suspended: false)
        }

        // Progress and the moment the domain stops here (the start of the downtime).
        let clock = ContinuousClock()
        let started = clock.now
        logger.observeProgress { report in
            watch.step(report)
            progress?(MigrationProgress(bytes: relay.bytesSent, seconds: started.duration(to: clock.now).inSeconds,
                                        step: report.doing, done: report.done, total: report.total))
        }
        let stopWatching = watch.follow(id, context: self, clock: clock)
        let mark = logger.mark()
        let suspended = Libxl.suspend(ctx, id, fd: relay.writeFD, live: live, debug: debug)
        stopWatching()
        logger.observeProgress(nil)
        let relayProblem = relay.finish()
        let suspendedAt = watch.suspendedAt ?? clock.now
        if case .failure(let failure) = suspended {
            let messages = logger.errors(since: mark)
            var problem = messages.last.map(Self.trimLibxlPrefix) ?? "libxl could not stream the domain"
            if messages.contains(where: { $0.contains("logdirty") || $0.contains("log-dirty") }) {
                // libxl's last word is a consequence ("did not respond to suspend request").
                problem = "live migration needs log-dirty mode, which this hypervisor cannot give a PV domain (it is built without shadow paging); PVH and HVM domains can be migrated, and save/restore works for PV"
            }
            throw failedHere(problem, suspended: true, messages: messages, code: failure.code)
        }
        if let relayProblem { throw failedHere(relayProblem, suspended: true) }
        if let problem = channel.expect(.ready) { throw failedHere(problem, suspended: true) }

        // The point of no return: rename ours away, then tell the receiver to go.
        if case .failure(let failure) = Libxl.rename(ctx, id, from: name, to: name + "--migratedaway") {
            throw failedHere("cannot rename the domain here to '\(name)--migratedaway'", suspended: true, code: failure.code)
        }
        let undefined = "the receiver was told to start the domain but did not say whether it did: the copy here stays suspended as '\(name)--migratedaway' and does not run. Check the target: if the domain runs there, destroy this copy (xk destroy \(name)--migratedaway); if not, rename it back and resume it here"
        if let problem = channel.send(.permissionToGo) {
            throw XenError(code: .operationFailed, message: "migration of domain '\(name)' failed in its final handshake: \(problem)", hint: undefined)
        }
        if let problem = channel.expect(.report) {
            throw XenError(code: .operationFailed, message: "migration of domain '\(name)' failed in its final handshake: \(problem)", hint: undefined)
        }
        guard let status = channel.read(1) else {
            throw XenError(code: .operationFailed, message: "migration of domain '\(name)' failed in its final handshake: no status after the report", hint: undefined)
        }
        let finished = clock.now
        if status[0] != 0 {
            if let problem = channel.expect(.permissionToGo) {
                throw XenError(code: .operationFailed, message: "the receiver could not start domain '\(name)' (status \(status[0])), and then \(problem)",
                               hint: undefined)
            }
            throw failedHere("the receiver could not start it (status \(status[0])) and destroyed its copy", suspended: true)
        }
        _ = Libxl.destroy(ctx, id)   // bang: the receiver runs it
        return MigrationResult(name: name, bytes: relay.bytesSent, seconds: started.duration(to: finished).inSeconds,
                               downtimeSeconds: suspendedAt.duration(to: finished).inSeconds, iterations: watch.iterations)
    }
}

/// Notices when the migrating domain stops (suspends, or dies instead) and counts libxc's
/// memory passes.
private final class SuspendWatch: Sendable {
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
        let done = Atomic<Bool>(false)
        var wake: [Int32] = [-1, -1]
        let canWake = makeNonBlockingPipe(&wake)
        let (wakeRead, wakeWrite) = (wake[0], wake[1])
        let started = startDetachedThread { [self] in
            defer { done.store(true, ordering: .relaxed) }
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
            while started && !done.load(ordering: .relaxed) { usleep(1_000) }
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
