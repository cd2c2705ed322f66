import ArgumentParser
import XenKit

/// `xk watch`: carry out a domain's shutdown actions until it is gone. `xk create` leaves
/// this running in the background for each domain (as xl leaves a process per domain), unless
/// the host service (`xk daemon`) is running, which does the same for all domains.
struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Carry out a domain's on_poweroff/on_reboot/on_crash actions until it is gone.",
        discussion: """
            Runs in the foreground and logs each step with a timestamp. This is what `xk create` leaves in the background for a domain (its log is /var/log/xen/xk-NAME.log), unless `xk daemon` runs. Only one process acts on a domain: a second watcher exits at once, naming the first.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The domain, by name or id.")
    var domain: String

    var request: DomainRequest { DomainRequest(global: global.settings, domain: domain) }

    func run() throws { try Self.run(request) }

    static func run(_ request: DomainRequest) throws {
        // Before any libxl context exists: a restart's bootloader runs as xl.conf restricts it.
        let restriction = try BootloaderRestriction.applyToProcess()
        let state = CommandState(settings: request.global)
        let id = try state.resolve(request.domain)
        let watcher = DomainWatcher(context: try state.context)
        print(Timestamp.now() + " " + BootloaderRestriction.describe(restriction))
        let outcome = try watcher.watch(id) { event in
            if case .watching = event { BackgroundWatcher.takeCreatorsPriority() }   // started; now it waits
            print(Timestamp.now() + " " + event.description)
            flushStandardOutput()
        }
        switch outcome {
        case .gone:
            print(Timestamp.now() + " done: the domain is gone")
        case .leftAlone(let id):
            print(Timestamp.now() + " done: domain \(id) is left as it is")
        case .stopped:
            print(Timestamp.now() + " stopped: the domain's action is left to the next watcher")
        case .alreadyWatched(let pid):
            print(Timestamp.now() + " not watching: " + (pid.map { "process \($0)" } ?? "another process") + " carries out the actions of this domain")
        }
    }
}
