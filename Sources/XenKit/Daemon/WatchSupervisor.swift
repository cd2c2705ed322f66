// The host service's core: it follows every domain xk has marked (see markWatched) and that no
// other process watches, each on a thread of its own with a libxl context of its own.
//
// Why a context per watched domain: libxl queues events per context, and a watcher waits
// with libxl_event_wait for all of its context's events; two watchers sharing one context
// would take each other's events, and libxl 4.17 can leave a waiter asleep on an event
// another thread queued (WatchBudget.swift). xl's per-domain processes have one context each.
// Why threads and not tasks: libxl_event_wait blocks, and must not hold a thread of Swift's
// cooperative pool.
// Why a capacity: each followed domain holds WatchBudget.descriptorsPerDomain descriptors.
// Past the open-file limit libxl_ctx_alloc fails with EMFILE; the supervisor adopts no more
// than the limit holds, and says once how many domains wait, rather than fail at every scan.
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
        /// Domains are left unfollowed (their shutdown actions wait) because the open-file
        /// limit holds no more watchers. Reported when the number waiting changes.
        case atCapacity(waiting: Int, following: Int, budget: WatchBudget)
        /// Every domain waiting for a watcher has one again.
        case belowCapacity(following: Int)

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
            case .atCapacity(let waiting, let following, let budget):
                "cannot follow \(waiting) more domain(s), whose shutdown actions are not carried out until they are: "
                    + "already following \(following), the most that the open-file limit of \(budget.descriptorLimit) allows "
                    + "(\(WatchBudget.descriptorsPerDomain) descriptors each, \(WatchBudget.reserve) kept back); "
                    + "raise LimitNOFILE in xenkit.service, or run `xk watch DOMAIN` for some of them"
            case .belowCapacity(let following): "every marked domain is followed again (\(following))"
            }
        }
    }

    /// Closed by ``stop(waitingUpTo:)``; every watcher's actions pass through it.
    public let gate = ActionGate()
    /// How many domains may be followed at once.
    public let budget: WatchBudget
    private let host: any WatchHost
    private let report: @Sendable (Event) -> Void

    private struct State {
        /// UUIDs of the domains a thread of ours follows.
        var following: Set<String> = []
        /// Domains whose watcher left them shut down (preserve, suspend): not adopted again
        /// while they stay so, or the same action would be taken at every scan.
        var leftAlone: Set<String> = []
        /// How many marked domains the last scan left unfollowed for want of capacity.
        var waiting = 0
    }
    private let state = Mutex(State())
    private let stopping = Atomic<Bool>(false)
    /// The write end of the running scan loop's wake pipe (-1 when none runs): ``stop(waitingUpTo:)``
    /// ends the loop's wait at once rather than at its next rescan.
    private let wakeFD = Mutex<Int32>(-1)

    /// - Parameters:
    ///   - context: used from the caller's thread by ``scan()``.
    ///   - echoLevel: the libxl log level of the watchers' own contexts.
    ///   - budget: how many domains fit; by default, what the process's open-file limit holds.
    ///   - report: called, from any thread, with each event.
    public convenience init(context: XenContext, echoLevel: LogLevel? = nil,
                            budget: WatchBudget = WatchBudget(descriptorLimit: OpenFileLimit.current),
                            report: @escaping @Sendable (Event) -> Void) {
        self.init(host: XenWatchHost(context: context, echoLevel: echoLevel), budget: budget, report: report)
    }

    /// A supervisor over `host`, which ``scan()`` uses from the caller's thread.
    public init(host: any WatchHost, budget: WatchBudget, report: @escaping @Sendable (Event) -> Void) {
        self.host = host
        self.budget = budget
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
        var waiting = 0
        let capacity = budget.capacity
        for info in try host.domains() where info.id.rawValue != 0 {
            let key = "\(info.uuid)/\(info.id)"
            let skip = state.withLock { state -> Bool in
                if state.following.contains(info.uuid) { return true }
                if state.leftAlone.contains(key) {
                    if info.isShutdown { return true }
                    state.leftAlone.remove(key)   // resumed after a failed save or migration
                }
                return false
            }
            guard !skip, host.isMarkedWatched(info.id) else { continue }
            if host.isWatchedElsewhere(uuid: info.uuid) { continue }
            // Full: no context is opened (it would fail with EMFILE, or starve an action
            // under way of descriptors); the domain is adopted when a watcher ends.
            let admitted = state.withLock { state -> Bool in
                guard state.following.count < capacity else { return false }
                state.following.insert(info.uuid)
                return true
            }
            guard admitted else {
                waiting += 1
                continue
            }
            let name = info.name ?? "\(info.id)"
            report(.adopted(info.id, name: name))
            follow(info.id, uuid: info.uuid, name: name)
            adopted.append(info.id)
        }
        noteWaiting(waiting)
        return adopted
    }

    /// Reports a change in the number of domains left unfollowed for want of capacity.
    private func noteWaiting(_ waiting: Int) {
        let (before, following) = state.withLock { state in
            defer { state.waiting = waiting }
            return (state.waiting, state.following.count)
        }
        if waiting > 0, waiting != before {
            report(.atCapacity(waiting: waiting, following: following, budget: budget))
        } else if waiting == 0, before > 0 {
            report(.belowCapacity(following: following))
        }
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
        let (host, gate, report) = (self.host, self.gate, self.report)
        let started = host.startThread { [self] in
            do throws(XenError) {
                let outcome = try host.follow(id, gate: gate) { report(.watcher($0)) }
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
