internal import CXen

/// What the toolstack does when a guest shuts down: the values of xl.cfg's `on_poweroff`,
/// `on_reboot`, `on_crash`, `on_watchdog` and `on_soft_reset`.
public enum ShutdownAction: String, Hashable, Sendable, CaseIterable {
    /// Destroy the domain.
    case destroy
    /// Destroy it and build it again from its config (same name and UUID, new domid).
    case restart
    /// Keep the old domain under a new name for inspection, and start a new copy.
    case renameRestart = "rename-restart"
    /// Leave the shut-down domain as it is, for inspection (`xl destroy` removes it).
    case preserve
    /// Write a core dump to /var/lib/xen/dump/NAME, then destroy.
    case coredumpDestroy = "coredump-destroy"
    /// Write a core dump to /var/lib/xen/dump/NAME, then restart.
    case coredumpRestart = "coredump-restart"
    /// Rebuild the domain in place, keeping its memory (kexec-style guests).
    case softReset = "soft-reset"

    init(_ raw: libxl_action_on_shutdown) {
        switch raw {
        case LIBXL_ACTION_ON_SHUTDOWN_RESTART: self = .restart
        case LIBXL_ACTION_ON_SHUTDOWN_RESTART_RENAME: self = .renameRestart
        case LIBXL_ACTION_ON_SHUTDOWN_PRESERVE: self = .preserve
        case LIBXL_ACTION_ON_SHUTDOWN_COREDUMP_DESTROY: self = .coredumpDestroy
        case LIBXL_ACTION_ON_SHUTDOWN_COREDUMP_RESTART: self = .coredumpRestart
        case LIBXL_ACTION_ON_SHUTDOWN_SOFT_RESET: self = .softReset
        default: self = .destroy
        }
    }
}

/// A domain's shutdown actions, one per reason, and what they come to.
public struct ShutdownPolicy: Hashable, Sendable {
    public var onPoweroff: ShutdownAction
    public var onReboot: ShutdownAction
    public var onCrash: ShutdownAction
    public var onWatchdog: ShutdownAction
    public var onSoftReset: ShutdownAction

    public init(onPoweroff: ShutdownAction = .destroy, onReboot: ShutdownAction = .restart,
                onCrash: ShutdownAction = .destroy, onWatchdog: ShutdownAction = .destroy,
                onSoftReset: ShutdownAction = .softReset) {
        self.onPoweroff = onPoweroff
        self.onReboot = onReboot
        self.onCrash = onCrash
        self.onWatchdog = onWatchdog
        self.onSoftReset = onSoftReset
    }

    init(_ config: libxl_domain_config) {
        self.init(onPoweroff: ShutdownAction(config.on_poweroff), onReboot: ShutdownAction(config.on_reboot),
                  onCrash: ShutdownAction(config.on_crash), onWatchdog: ShutdownAction(config.on_watchdog),
                  onSoftReset: ShutdownAction(config.on_soft_reset))
    }

    /// The action for a shutdown reason; nil for a suspend, which is not a death (a save or
    /// a migration is under way, and its own tool deals with the domain). An unknown
    /// reason destroys, as xl does.
    public func action(for reason: ShutdownReason) -> ShutdownAction? {
        switch reason {
        case .poweroff: onPoweroff
        case .reboot: onReboot
        case .crash: onCrash
        case .watchdog: onWatchdog
        case .softReset: onSoftReset
        case .suspend: nil
        case .unknown: .destroy
        }
    }

    /// What carrying out an action takes, step by step, in xl's order.
    public struct Plan: Hashable, Sendable {
        /// Write a core dump first (a failed dump does not stop the rest, as with xl).
        public var coreDump: Bool
        public var end: End

        public enum End: Hashable, Sendable {
            case destroy
            case restart
            case renameRestart
            case preserve
            case softReset
        }
    }

    /// The steps for an action.
    public static func plan(_ action: ShutdownAction) -> Plan {
        switch action {
        case .destroy: Plan(coreDump: false, end: .destroy)
        case .restart: Plan(coreDump: false, end: .restart)
        case .renameRestart: Plan(coreDump: false, end: .renameRestart)
        case .preserve: Plan(coreDump: false, end: .preserve)
        case .coredumpDestroy: Plan(coreDump: true, end: .destroy)
        case .coredumpRestart: Plan(coreDump: true, end: .restart)
        case .softReset: Plan(coreDump: false, end: .softReset)
        }
    }
}

extension DomainConfiguration {
    /// The config's shutdown actions (`on_poweroff` and the others).
    public var shutdownPolicy: ShutdownPolicy { ShutdownPolicy(raw.pointee) }
}
