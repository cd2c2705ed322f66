// `xk daemon`: the host service. One process for the whole host that carries out every
// domain's shutdown actions (instead of xl's process per domain, whose death silently loses
// the policy) and starts the autostart definitions when the host boots.
//
// Why swift-service-lifecycle: it owns the signal handling (SIGTERM from systemd, SIGINT on a
// terminal) and the orderly stop: on a signal the service closes its action gate, waits for
// an action under way (a restart half done) to finish, and only then exits.
import ArgumentParser
import Logging
import ServiceLifecycle
import XenKit

struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Run the host service: carry out all domains' shutdown actions, start autostart domains.",
        discussion: """
            Starts the autostart definitions (xk autostart) in their order and reports each result, then follows every domain created by xk (xk create, xk start) and carries out its on_poweroff/on_reboot/on_crash/on_watchdog/on_soft_reset actions as xl does. Domains created before the service started are adopted, and a domain that shut down while nobody watched is acted on, once. While it runs, xk create leaves no per-domain watcher. Stops on SIGTERM or SIGINT, after any action under way. One instance per host. Logs to stdout (the journal under systemd: Scripts/systemd/xenkit.service).
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Seconds between re-checks for domains whose own watcher has died.")
    var rescan = 5

    @Flag(help: "Do not start the autostart definitions.")
    var noAutostart = false

    func run() async throws {
        guard let lock = try LockFile.acquire(WatchPaths.serviceLock) else {
            let holder = LockFile.holder(of: WatchPaths.serviceLock) ?? nil
            throw XenError(code: .alreadyExists,
                           message: "the host service already runs" + (holder.map { " (process \($0))" } ?? ""),
                           hint: "one xk daemon per host")
        }
        var logger = Logger(label: "xk.daemon") { label in JournalLogHandler.forService(label: label) }
        logger.logLevel = .info
        // Before any libxl context exists: the bootloaders of the domains it restarts run as
        // xl.conf restricts them (XSA-443). A bad value stops the service rather than run them
        // as root against the operator's wish.
        let restriction = try BootloaderRestriction.applyToProcess()
        logger.info("\(BootloaderRestriction.describe(restriction))")
        // Each followed domain holds a libxl context of its own (WatchBudget.swift): take the
        // whole hard limit (xenkit.service sets LimitNOFILE), and follow no more than it holds.
        let budget: WatchBudget
        do {
            budget = WatchBudget(descriptorLimit: try OpenFileLimit.raiseToHardLimit())
        } catch {
            logger.error("\(error)")
            budget = WatchBudget(descriptorLimit: OpenFileLimit.current)
        }
        logger.info("open-file limit \(budget.descriptorLimit): room to follow \(budget.capacity) domains")
        let service = HostService(echoLevel: global.echoLevel, rescanSeconds: max(rescan, 1),
                                  autostart: !noAutostart, budget: budget, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        lock.release()
    }
}

/// The service the group runs: autostart, then the supervisor's scan loop until shutdown.
struct HostService: Service {
    let echoLevel: LogLevel?
    let rescanSeconds: Int
    let autostart: Bool
    let budget: WatchBudget
    let logger: Logger

    func run() async throws {
        let logger = self.logger
        let context = try await runOnDedicatedThread { () throws(XenError) in try XenContext(echoLevel: echoLevel) }
        let supervisor = WatchSupervisor(context: context, echoLevel: echoLevel, budget: budget) { event in
            switch event {
            case .atCapacity, .failed, .scanFailed: logger.error("\(event.description)")
            default: logger.info("\(event.description)")
            }
        }
        logger.info("started: following the domains xk created")
        let (rescan, autostart) = (rescanSeconds, self.autostart)
        do {
            // The scan loop must run as long as the service does: if it ends first, the
            // service exits non-zero (ServiceGroup rethrows), and systemd restarts it.
            try await ScanLoop.supervise(
                loop: { () throws(XenError) in try supervisor.runScanLoop(rescanEvery: rescan) },
                untilShutdown: {
                    if autostart {
                        _ = try? await runOnDedicatedThread { () throws(XenError) in Self.startAutostartDomains(context, logger: logger) }
                    }
                    try? await gracefulShutdown()
                },
                stop: {
                    logger.info("stopping: waiting for actions under way")
                    let finished = (try? await runOnDedicatedThread { () throws(XenError) in supervisor.stop(waitingUpTo: 120) }) ?? false
                    if !finished {
                        logger.warning("stopped with an action still under way (\(supervisor.gate.actionsUnderWay))")
                    }
                })
        } catch {
            logger.error("exiting: \(error)")
            throw error
        }
        logger.info("stopped")
    }

    /// Starts each autostart definition in order, unless a domain of that name exists.
    static func startAutostartDomains(_ context: XenContext, logger: Logger) {
        let store = DefinitionStore()
        let definitions: [DomainDefinition]
        do {
            definitions = try store.autostartOrder()
        } catch {
            logger.error("autostart: \(error)")
            return
        }
        for definition in definitions {
            if let id = try? context.resolve(.name(definition.name)) {
                logger.info("autostart: '\(definition.name)' already runs (id \(id))")
                continue
            }
            do {
                let id = try context.start(definition.name, in: store)
                try context.markWatched(id)
                WatchSupervisor.requestAdoption(of: id)
                logger.info("autostart: started '\(definition.name)' (id \(id))")
            } catch {
                logger.error("autostart: cannot start '\(definition.name)': \(error)")
            }
        }
    }
}
