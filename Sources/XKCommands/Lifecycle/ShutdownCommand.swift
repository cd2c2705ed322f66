import ArgumentParser
import XenKit

/// Options shared by `xk shutdown` and `xk reboot` (xl's -a, -w, -F).
struct StopRequestOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Act on every domain but domain 0.")
    var all = false

    @Flag(name: .shortAndLong, help: "Wait until each domain has shut down.")
    var wait = false

    @Option(help: "With -w, give up after this many seconds (default: wait as long as it takes).")
    var timeout: Int?

    @Flag(name: .customShort("F"),
          help: "Fall back to an ACPI event for guests without PV drivers (HVM).")
    var acpiFallback = false

    @Argument(help: "The domain, by name or id (not with -a).")
    var domain: String?

    func validate() throws {
        if all == (domain != nil) { throw ValidationError("give either a DOMAIN or -a") }
    }

    /// Sends the request to each target, then waits if asked. Each failure is reported as it
    /// happens; after trying every domain, any failure makes the exit status 1 (without
    /// printing the first failure a second time).
    func run(_ verb: String, state: CommandState,
             request: (XenContext, DomainID, Bool) throws(XenError) -> XenContext.RequestPath) throws {
        let context = try state.context
        let targets: [DomainID] = all
            ? try context.domains().map(\.id).filter { $0 != .dom0 }
            : [try state.resolve(domain!)]
        var failed = false
        var sent: [(DomainID, String)] = []
        for id in targets {
            let label = context.name(of: id).map { "'\($0)'" } ?? "\(id)"
            do throws(XenError) {
                let path = try request(context, id, acpiFallback)
                if path == .acpi { printError("\(verb): sent an ACPI event to domain \(label)") }
                sent.append((id, label))
            } catch {
                printError("xk: " + error.description)
                failed = true
            }
        }
        if wait {
            for (id, label) in sent {
                printError("Waiting for domain \(label) (\(id)) to stop...")
                switch context.waitUntilStopped(id, timeout: timeout.map { .seconds($0) }) {
                case .shutdown(let reason): printError("Domain \(label) has shut down (\(reason.rawValue)).")
                case .destroyed: printError("Domain \(label) has been destroyed.")
                case .timedOut:
                    let error = XenError(code: .operationFailed,
                                         message: "domain \(label) did not stop within \(timeout ?? 0) s")
                    printError("xk: " + error.description)
                    failed = true
                }
            }
        }
        if failed { throw ExitCode.failure }
    }
}

/// `xk shutdown`: ask a guest to shut down, as `xl shutdown`.
struct ShutdownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shutdown",
        abstract: "Ask a domain's guest to shut down cleanly.",
        discussion: "What happens once it has shut down is up to the domain's on_poweroff action.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: StopRequestOptions

    func run() throws {
        try options.run("shutdown", state: CommandState(options: global)) { context, id, acpi throws(XenError) in
            try context.shutdown(id, acpiFallback: acpi)
        }
    }
}

/// `xk reboot`: ask a guest to reboot, as `xl reboot`.
struct RebootCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reboot",
        abstract: "Ask a domain's guest to reboot.",
        discussion: "What happens once it has shut down for the reboot is up to the domain's on_reboot action.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: StopRequestOptions

    func run() throws {
        try options.run("reboot", state: CommandState(options: global)) { context, id, acpi throws(XenError) in
            try context.reboot(id, acpiFallback: acpi)
        }
    }
}
