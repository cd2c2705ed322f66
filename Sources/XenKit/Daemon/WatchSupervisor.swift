// The host service's core: it follows every domain xk has marked (see markWatched) and that no
// other process watches, each on a thread of its own with a libxl context of its own.
//
// Why a context per watched domain: libxl queues events per context, and a watcher waits
// with libxl_event_wait for all of its context's events; two watchers sharing one context
// would take each other's events. xl's per-domain processes have one context each too.
// Why threads and not tasks: libxl_event_wait blocks, and must not hold a thread of Swift's
// cooperative pool.
//
// Who acts is settled by the domain's lock (WatchLock.swift), not by this object: a domain
// whose per-domain `xk watch` is alive is left to it, and adopted at the next scan after that
// process dies. A domain that shut down while nobody watched is acted on by the watcher that
// adopts it (its first death event reports the shutdown), once.
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Follows all marked domains of the host and carries out their shutdown actions.
public final class WatchSupervisor: Sendable {
    /// Something the supervisor did or saw, for the service's log.
    public enum Event: Sendable, CustomStringConvertible {
        case adopted(DomainID, name: String)
        case watcher(WatchEvent)
        case finished(DomainID, name: String, DomainWatcher.Outcome)
        case failed(DomainID, name: String, XenError)
        case scanFailed(XenError)

        public var description: String {
            switch self {
            case .adopted(let id, let name): "following domain '\(name)' (\(id))"
            case .watcher(let event): event.description
            case .finished(let id, let name, let outcome):
                switch outcome {
                case .gone: "domain '\(name)' (\(id)) is gone"
                case .leftAlone(let now): "domain '\(name)' (\(now)) is left as it is"
                case .alreadyWatched(let pid): "domain '\(name)' (\(id)) is watched by " + (pid.map { "process \($0)" } ?? "another process")
                case .stopped: "stopped before acting on domain '\(name)' (\(id)); its action is left to the next watcher"
                }
            case .failed(let id, let name, let error): "watching domain '\(name)' (\(id)) failed: \(error)"
            case .scanFailed(let error): "cannot list the host's domains: \(error)"
            }
        }
    }

    /// Closed by ``stop(waitingUpTo:)``; every watcher's actions pass through it.
    public let gate = ActionGate()
    private let context: XenContext
    private let echoLevel: LogLevel?
    private let report: @Sendable (Event) -> Void

    private struct State {
        /// UUIDs of the domains a thread of ours follows.
        var following: Set<String> = []
        /// Domains whose watcher left them shut down (preserve, suspend): not adopted again
        /// while they stay so, or the same action would be taken at every scan.
        var leftAlone: Set<String> = []
    }
    private let state = Mutex(State())
    private let stopping = Atomic<Bool>(false)
    /// The write end of the running scan loop's wake pipe (-1 when none runs): ``stop(waitingUpTo:)``
    /// ends the loop's wait at once rather than at its next rescan.
    private let wakeFD = Mutex<Int32>(-1)

    /// - Parameters:
    ///   - context: used from the caller's thread by ``scan()``.
    ///   - echoLevel: the libxl log level of the watchers' own contexts.
    ///   - report: called, from any thread, with each event.
    public init(context: XenContext, echoLevel: LogLevel? = nil, report: @escaping @Sendable (Event) -> Void) {
        self.context = context
        self.echoLevel = echoLevel
        self.report = report
    }

    /// The number of domains followed now.
    public var followedCount: Int { state.withLock { $0.following.count } }

    /// Adopts every marked domain that nobody follows. Blocks while it asks libxl.
    ///
    /// - Returns: the domains adopted by this scan.
    @discardableResult
    public func scan() throws(XenError) -> [DomainID] {
        var adopted: [DomainID] = []
        for info in try context.domains() where info.id.rawValue != 0 {
            let key = "\(info.uuid)/\(info.id)"
            let skip = state.withLock { state -> Bool in
                if state.following.contains(info.uuid) { return true }
                if state.leftAlone.contains(key) {
                    if info.isShutdown { return true }
                    state.leftAlone.remove(key)   // resumed after a failed save or migration
                }
                return false
            }
            guard !skip, context.isMarkedWatched(info.id) else { continue }
            if LockFile.holder(of: WatchPaths.domainLock(uuid: info.uuid)) != nil { continue }
            state.withLock { _ = $0.following.insert(info.uuid) }
            let name = info.name ?? "\(info.id)"
            report(.adopted(info.id, name: name))
            follow(info.id, uuid: info.uuid, name: name)
            adopted.append(info.id)
        }
        return adopted
    }

    /// Scans, then waits for an adoption request (``requestAdoption(of:)``, a xenstore
    /// watch) or for `seconds`, and scans again, until ``stop(waitingUpTo:)``. Blocks the
    /// calling thread. The timed rescan adopts domains whose own watcher process died.
    ///
    /// Returns only after ``stop(waitingUpTo:)``; run it under ``ScanLoop/supervise(loop:untilShutdown:stop:)``.
    ///
    /// - Throws: ``XenError`` when xenstored cannot be reached or its watch fails, or when
    ///   ``ScanLoop/failureLimit`` scans in a row failed.
    public func runScanLoop(rescanEvery seconds: Int = 5) throws(XenError) {
        let requests = try XenStoreWatcher()
        try requests.add(Self.adoptionPath)
        var wake: [Int32] = [-1, -1]
        guard makeNonBlockingPipe(&wake) else {
            throw XenError(code: .operationFailed, message: "cannot make the host service's wake pipe", errno: errno)
        }
        wakeFD.withLock { $0 = wake[1] }
        defer {
            wakeFD.withLock { $0 = -1 }   // under the lock: stop() writes no more
            close(wake[0])
            close(wake[1])
        }
        let milliseconds = Int32(min(max(seconds, 1), 86_400) * 1000)
        try ScanLoop.run(
            scan: { () throws(XenError) in try scan() },
            wait: { () throws(XenError) in _ = try requests.wait(milliseconds: milliseconds, wake: wake[0]) },
            isStopping: { stopping.load(ordering: .relaxed) },
            reportFailure: { report(.scanFailed($0)) })
    }

    /// Turns new actions away and waits up to `seconds` for those under way; the scan loop
    /// wakes and ends at once, and the watcher threads wait in libxl until the process exits.
    public func stop(waitingUpTo seconds: Double) -> Bool {
        stopping.store(true, ordering: .relaxed)
        wakeFD.withLock { fd in
            var byte: UInt8 = 1
            if fd >= 0 { _ = write(fd, &byte, 1) }   // the pipe only wakes the loop's poll
        }
        return gate.close(waitingUpTo: seconds)
    }

    /// The xenstore node `xk create` writes to wake the service (dom0 only may write it).
    static let adoptionPath: XenStorePath = "/tool/xenkit/adopt"

    /// Whether the host service (`xk daemon`) runs now.
    public static var serviceIsRunning: Bool { LockFile.holder(of: WatchPaths.serviceLock) != nil }

    /// Asks the running service to adopt a newly marked domain now, not at its next scan.
    /// Returns false when xenstore could not be written (the timed rescan adopts it then).
    @discardableResult
    public static func requestAdoption(of id: DomainID) -> Bool {
        guard let store = try? XenStore() else { return false }
        return (try? store.write(adoptionPath, "\(id.rawValue)")) != nil
    }

    private func follow(_ id: DomainID, uuid: String, name: String) {
        let (echoLevel, gate, report) = (self.echoLevel, self.gate, self.report)
        let started = startDetachedThread { [self] in
            do throws(XenError) {
                let context = try XenContext(echoLevel: echoLevel)
                let outcome = try DomainWatcher(context: context, gate: gate).watch(id) { report(.watcher($0)) }
                state.withLock { state in
                    state.following.remove(uuid)
                    if case .leftAlone(let now) = outcome { state.leftAlone.insert("\(uuid)/\(now)") }
                }
                report(.finished(id, name: name, outcome))
            } catch {
                state.withLock { _ = $0.following.remove(uuid) }
                report(.failed(id, name: name, error))
            }
        }
        if !started {
            state.withLock { _ = $0.following.remove(uuid) }
            report(.failed(id, name: name, XenError(code: .operationFailed, message: "cannot start a thread to follow domain '\(name)' (\(id))")))
        }
    }
}
