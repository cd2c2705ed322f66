// Follows one domain until it is gone and carries out its shutdown actions, as the process
// `xl create` leaves behind does (xl_vmcontrol.c: handle_domain_death, preserve_domain and the
// restart loop of create_domain), step for step:
//   - the action comes from the config libxl keeps for the domain, read again at the moment
//     it shuts down (so a config changed since creation counts, as with xl);
//   - coredump-* write /var/lib/xen/dump/NAME first and go on if that fails;
//   - restart destroys, then builds the domain again from that config (same name and UUID);
//   - rename-restart keeps the old domain as NAME-<UTC time> with a new UUID, then restarts;
//   - a restarted domain is followed in turn, until an action ends the chain.
// It blocks in libxl_event_wait: run it on a thread of its own, never on Swift's pool.
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Something a ``DomainWatcher`` saw or did, for its log.
public enum WatchEvent: Sendable, Equatable, CustomStringConvertible {
    case watching(DomainID, name: String, ShutdownPolicy)
    case shutdown(DomainID, name: String, reason: ShutdownReason, action: ShutdownAction?)
    case coreDumped(DomainID, path: String)
    case coreDumpFailed(DomainID, path: String, reason: String)
    case destroyed(DomainID, name: String)
    case preserved(DomainID, name: String, newName: String)
    case restarted(name: String, old: DomainID, new: DomainID)
    case softReset(DomainID, name: String)
    case gone(DomainID, name: String)
    case restartFailed(name: String, reason: String)
    /// Something done that did not go as it should, though the action went on.
    case warning(DomainID, name: String, String)

    public var description: String {
        switch self {
        case .watching(let id, let name, let p):
            "watching domain '\(name)' (\(id)): on_poweroff=\(p.onPoweroff.rawValue) on_reboot=\(p.onReboot.rawValue) on_crash=\(p.onCrash.rawValue) on_watchdog=\(p.onWatchdog.rawValue) on_soft_reset=\(p.onSoftReset.rawValue)"
        case .shutdown(let id, let name, let reason, let action):
            "domain '\(name)' (\(id)) shut down (\(reason.rawValue)): " + (action.map { "action \($0.rawValue)" } ?? "suspended, no action")
        case .coreDumped(let id, let path): "domain \(id): core dumped to \(path)"
        case .coreDumpFailed(let id, let path, let reason): "domain \(id): core dump to \(path) failed: \(reason)"
        case .destroyed(let id, let name): "domain '\(name)' (\(id)) destroyed"
        case .preserved(let id, let name, let newName): "domain '\(name)' (\(id)) preserved as '\(newName)'"
        case .restarted(let name, let old, let new): "domain '\(name)' restarted: id \(old) -> \(new)"
        case .softReset(let id, let name): "domain '\(name)' (\(id)) soft reset"
        case .gone(let id, let name): "domain '\(name)' (\(id)) is gone (destroyed elsewhere)"
        case .restartFailed(let name, let reason): "domain '\(name)' could not be restarted, nothing of it is left: \(reason)"
        case .warning(let id, let name, let text): "domain '\(name)' (\(id)): \(text)"
        }
    }
}

/// Carries out a domain's shutdown actions (`on_poweroff`, `on_reboot`, `on_crash`,
/// `on_watchdog`, `on_soft_reset`) as xl does, for as long as the domain lives.
///
/// Only one watcher acts on a domain: ``watch(_:report:)`` first takes the domain's lock
/// (see ``LockFile``) and returns ``Outcome/alreadyWatched(by:)`` if another process has it.
///
/// The corresponding libxl functions are `libxl_evenable_domain_death`, `libxl_event_wait`,
/// `libxl_retrieve_domain_configuration`, `libxl_domain_destroy`, `libxl_domain_preserve`,
/// `libxl_domain_core_dump`, `libxl_domain_soft_reset` and `libxl_domain_create_new`.
public struct DomainWatcher: Sendable {
    let context: XenContext
    let gate: ActionGate?
    /// How a restart is built (room in memory, domid policy, CPU masks); nil: as xl.conf says at the time of the restart.
    let policy: BuildPolicy?

    /// A watcher over `context`, which it uses from the calling thread while it blocks.
    ///
    /// - Parameter gate: when given, each action passes through it, so that whoever closes
    ///   the gate can wait for actions under way and stop new ones (the host service does,
    ///   before it exits).
    public init(context: XenContext, gate: ActionGate? = nil, policy: BuildPolicy? = nil) {
        self.context = context
        self.gate = gate
        self.policy = policy
    }

    /// xl.conf's autoballoon for a restart, read when it happens (as a long-lived service
    /// should); an xl.conf that has become unreadable or bad means no ballooning, which can
    /// only make a restart fail for want of memory, never take memory from dom0 unasked.
    func restartBuildPolicy() -> BuildPolicy {
        if let policy { return policy }
        do throws(XenError) {
            return try context.buildPolicy(XLConf.load())
        } catch {
            return .fixed
        }
    }

    /// How watching ended.
    public enum Outcome: Sendable, Equatable {
        /// The domain was destroyed, by its action or by someone else.
        case gone
        /// The domain was left shut down (`preserve`) or suspended for a save or migration.
        case leftAlone(DomainID)
        /// Another process carries out this domain's actions.
        case alreadyWatched(by: Int32?)
        /// The gate was closed before an action: the domain is left for the next watcher.
        case stopped
    }

    /// Follows the domain until it is gone or left alone; blocks the calling thread.
    ///
    /// - Parameters:
    ///   - id: the domain; after a restart the watcher follows the new domid.
    ///   - report: called on this thread with each thing seen or done.
    /// - Throws: ``XenError`` when libxl's events fail, or an action fails. A restart that
    ///   cannot build the domain again is not thrown: what was built is destroyed, as a failed
    ///   create is, the reason is reported (``WatchEvent/restartFailed(name:reason:)``) and the
    ///   outcome is ``Outcome/gone``.
    public func watch(_ id: DomainID, report: (WatchEvent) -> Void) throws(XenError) -> Outcome {
        let info = try context.domain(id)
        guard let lock = try LockFile.acquire(WatchPaths.domainLock(uuid: info.uuid)) else {
            return .alreadyWatched(by: LockFile.holder(of: WatchPaths.domainLock(uuid: info.uuid)) ?? nil)
        }
        let outcome: Outcome
        do {
            outcome = try follow(id, report: report)
        } catch {
            lock.release()
            throw error
        }
        lock.release()
        return outcome
    }

    /// Follows a domain whose lock the caller holds.
    func follow(_ first: DomainID, report: (WatchEvent) -> Void) throws(XenError) -> Outcome {
        let ctx = context.ctx
        var id = first
        var config = try configuration(of: id)
        while true {
            let name = config.name
            report(.watching(id, name: name, config.shutdownPolicy))
            let handle = try context.perform("follow the death of \(context.describe(id))") {
                Libxl.enableDeathEvents($0, id)
            }
            let next: Step
            do {
                next = try waitAndAct(id, config: &config, report: report)
            } catch {
                Libxl.disableDeathEvents(ctx, handle)
                throw error
            }
            Libxl.disableDeathEvents(ctx, handle)
            Libxl.drainEvents(ctx)   // what the old domain's watch queued, as xl does
            switch next {
            case .stop(let outcome):
                return outcome
            case .restarted(let newID):
                report(.restarted(name: name, old: id, new: newID))
                id = newID
            }
        }
    }

    private enum Step {
        case stop(Outcome)
        /// Built again: follow the new domain.
        case restarted(DomainID)
    }

    /// Waits for the domain's shutdown or death and carries out the action.
    private func waitAndAct(_ id: DomainID, config: inout DomainConfiguration,
                            report: (WatchEvent) -> Void) throws(XenError) -> Step {
        let ctx = context.ctx
        while true {
            let event = try context.perform("wait for events of \(context.describe(id))") { Libxl.waitEvent($0) }
            guard event.domain == id else { continue }
            switch event {
            case .death:
                report(.gone(id, name: config.name))
                return .stop(.gone)
            case .other:
                continue
            case .shutdown(_, let rawReason):
                let reason = ShutdownReason(code: rawReason)
                // The config as it is now (xl's reload_domain_config); the old one if libxl
                // cannot give it.
                if case .success(let fresh) = Libxl.retrieveConfiguration(ctx, id) {
                    config = DomainConfiguration(raw: fresh, source: config.source, warnings: [])
                }
                let name = config.name
                let action = config.shutdownPolicy.action(for: reason)
                report(.shutdown(id, name: name, reason: reason, action: action))
                guard action != nil else { return .stop(.leftAlone(id)) }
                guard gate?.enter() ?? true else { return .stop(.stopped) }
                defer { gate?.leave() }   // after a restart, once the new domain runs
                var driver = ShutdownActionDriver(
                    machine: ShutdownActionWorkflow(id: id, name: name, action: action),
                    control: LiveDomainControl(context: context), dumpPath: "/var/lib/xen/dump/\(name)",
                    suffix: Self.preserveSuffix(), policy: restartBuildPolicy())
                switch driver.run(config, report: report) {
                case .leftAlone: return .stop(.leftAlone(id))
                case .gone: return .stop(.gone)
                case .restarted(let newID, let warning):
                    if let warning { report(.warning(newID, name: name, warning)) }
                    return .restarted(newID)
                case .restartFailed(let reason):
                    report(.restartFailed(name: name, reason: reason))
                    return .stop(.gone)
                case .continues(let warning):
                    if let warning { report(.warning(id, name: name, warning)) }
                    continue   // soft reset in place: the same domain, followed on
                case .failed(let error):
                    throw error
                }
            }
        }
    }

    private func configuration(of id: DomainID) throws(XenError) -> DomainConfiguration {
        let raw = try context.perform("read the config of \(context.describe(id))") {
            Libxl.retrieveConfiguration($0, id)
        }
        return DomainConfiguration(raw: raw, source: "the config of domain \(id)", warnings: [])
    }

    /// "-20261125T1200Z": xl's suffix for a preserved domain (UTC, to the minute).
    static func preserveSuffix(now: time_t = time(nil)) -> String {
        var seconds = now
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "-\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))T\(two(parts.tm_hour))\(two(parts.tm_min))Z"
    }
}

extension XenContext {
    /// Marks a domain as one whose shutdown actions xk carries out, so that the host service
    /// adopts it. The mark is libxl userdata, removed by libxl with the domain.
    public func markWatched(_ id: DomainID) throws(XenError) {
        try perform("mark \(describe(id)) as watched by xk") {
            Libxl.storeUserdata($0, id, key: WatchPaths.userdataKey, Array("watch\n".utf8))
        }
    }

    /// Whether the domain carries xk's mark (see ``markWatched(_:)``).
    public func isMarkedWatched(_ id: DomainID) -> Bool {
        if case .success(let data?) = Libxl.retrieveUserdata(ctx, id, key: WatchPaths.userdataKey) {
            return !data.isEmpty
        }
        return false
    }
}

extension ShutdownReason {
    /// From libxl's `libxl_shutdown_reason` code.
    init(code: UInt8) {
        switch Int32(code) {
        case 0: self = .poweroff
        case 1: self = .reboot
        case 2: self = .suspend
        case 3: self = .crash
        case 4: self = .watchdog
        case 5: self = .softReset
        default: self = .unknown
        }
    }
}
