// What the host service's supervisor needs of the host, behind a protocol: the live one asks
// libxl and opens a context and a thread per followed domain; tests give fake domains and
// count what would be opened (WatchCapacityTests), with no hypervisor.

/// The host as ``WatchSupervisor`` sees it.
public protocol WatchHost: Sendable {
    /// The host's domains. Blocks while it asks libxl.
    func domains() throws(XenError) -> [DomainInfo]
    /// Whether xk created the domain and so carries out its shutdown actions.
    func isMarkedWatched(_ id: DomainID) -> Bool
    /// Whether another process (a per-domain `xk watch`) holds the domain's lock now.
    func isWatchedElsewhere(uuid: String) -> Bool
    /// Follows the domain until it is gone or left alone, blocking the calling thread;
    /// meanwhile it holds what ``WatchBudget`` counts for one domain.
    func follow(_ id: DomainID, gate: ActionGate,
                report: @escaping @Sendable (WatchEvent) -> Void) throws(XenError) -> DomainWatcher.Outcome
    /// Runs `body` on a thread of its own; false when no thread could be started.
    func startThread(_ body: @escaping @Sendable () -> Void) -> Bool
}

/// The host through libxl: a context of its own for each followed domain (see
/// WatchBudget.swift for why), on a detached thread.
public struct XenWatchHost: WatchHost {
    let context: XenContext
    let echoLevel: LogLevel?

    /// - Parameters:
    ///   - context: lists the domains, from the supervisor's scanning thread.
    ///   - echoLevel: the libxl log level of the watchers' own contexts.
    public init(context: XenContext, echoLevel: LogLevel? = nil) {
        self.context = context
        self.echoLevel = echoLevel
    }

    public func domains() throws(XenError) -> [DomainInfo] { try context.domains() }

    public func isMarkedWatched(_ id: DomainID) -> Bool { context.isMarkedWatched(id) }

    public func isWatchedElsewhere(uuid: String) -> Bool {
        LockFile.holder(of: WatchPaths.domainLock(uuid: uuid)) != nil
    }

    public func follow(_ id: DomainID, gate: ActionGate,
                       report: @escaping @Sendable (WatchEvent) -> Void) throws(XenError) -> DomainWatcher.Outcome {
        let own = try XenContext(echoLevel: echoLevel)
        return try DomainWatcher(context: own, gate: gate).watch(id, report: report)
    }

    public func startThread(_ body: @escaping @Sendable () -> Void) -> Bool {
        startDetachedThread(body)
    }
}
