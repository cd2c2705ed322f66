public import ArgumentParser
import Dispatch
import XenKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The `xk` command: a Xen toolstack for operators, with xl's subcommand names.
public struct XK: ParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "xk",
        abstract: "Manage Xen domains: a toolstack that takes xl's configs and commands.",
        discussion: """
            Every command that prints for people also prints JSON with --json. xl's global options go before the subcommand: -v (libxl's messages, repeat for more), -t (progress lines with carriage returns even off a terminal), -T (dates and process ids on libxl's messages), -N (dry run, for the commands that have -n) and -f (accepted, as xl, with no effect). Exit status: 0 on success, 1 when Xen or a domain refused (the reason is on stderr), 2 for a command line that could not be parsed, as xl. Every JSON document and exit status is described in docs/json.md.
            """,
        version: version,
        subcommands: [
            InfoCommand.self,
            ListCommand.self,
            CreateCommand.self,
            ConsoleCommand.self,
            PauseCommand.self,
            UnpauseCommand.self,
            ShutdownCommand.self,
            RebootCommand.self,
            DestroyCommand.self,
            RenameCommand.self,
            DomidCommand.self,
            DomnameCommand.self,
            MemSetCommand.self,
            MemMaxCommand.self,
            VCPUSetCommand.self,
            VCPUListCommand.self,
            VCPUPinCommand.self,
            CPUPoolListCommand.self,
            CPUPoolCreateCommand.self,
            CPUPoolDestroyCommand.self,
            CPUPoolRenameCommand.self,
            CPUPoolCPUAddCommand.self,
            CPUPoolCPURemoveCommand.self,
            CPUPoolMigrateCommand.self,
            CPUPoolNUMASplitCommand.self,
            SchedCreditCommand.self,
            SchedCredit2Command.self,
            BlockAttachCommand.self,
            BlockDetachCommand.self,
            BlockListCommand.self,
            NetworkAttachCommand.self,
            NetworkDetachCommand.self,
            NetworkListCommand.self,
            CDInsertCommand.self,
            CDEjectCommand.self,
            ChannelListCommand.self,
            VTPMListCommand.self,
            USBListCommand.self,
            USBControllerAttachCommand.self,
            USBControllerDetachCommand.self,
            DmesgCommand.self,
            DebugKeysCommand.self,
            UptimeCommand.self,
            ClaimsCommand.self,
            SysrqCommand.self,
            TriggerCommand.self,
            DumpCoreCommand.self,
            SaveCommand.self,
            RestoreCommand.self,
            MigrateCommand.self,
            MigrateReceiveCommand.self,
            WatchCommand.self,
            DaemonCommand.self,
            DefineCommand.self,
            UndefineCommand.self,
            StartCommand.self,
            AutostartCommand.self,
            MonitorCommand.self,
            TopCommand.self,
            XenStoreReadCommand.self,
            XenStoreWriteCommand.self,
            XenStoreListCommand.self,
            XenStoreRemoveCommand.self,
            XenStoreWatchCommand.self,
        ]
    )

    // SchedRTDSCommand (sched-rtds) is built and unit-tested but not offered: the lab's Xen,
    // Debian's 4.17, is built without CONFIG_SCHED_RTDS (it needs CONFIG_UNSUPPORTED), so
    // nothing here has set an RTDS parameter on a real hypervisor yet.

    public init() {}

    /// Parses a command line as xl takes it: xl's global options before the subcommand
    /// (LeadingOptions.swift), then the subcommand's own.
    static func parse(_ arguments: [String]) throws -> any ParsableCommand {
        do {
            return try parseAsRoot(try LeadingOptions.rewrite(arguments))
        } catch let refusal as LeadingOptions.Refusal {
            throw ValidationError(refusal.description)
        }
    }

    /// Parses the command line, runs the subcommand, and exits with a status scripts can rely on.
    public static func main(_ arguments: [String]? = nil) -> Never {
        InheritedSignals.reset()   // before libxl starts a device model that would inherit them
        let arguments = arguments ?? Array(CommandLine.arguments.dropFirst())
        if QuickCommand.isVersion(arguments) {
            print(version)   // what the parser prints for --version, without its start-up
            Self.exitProcess(0)
        }
        do {
            if let quick = QuickCommand(arguments) {
                try quick.run()   // QuickCommands.swift: no parser, no property wrappers, no casts
                Self.exitProcess(0)
            }
            var command = try parse(arguments)
            if let asyncCommand = command as? any AsyncParsableCommand {
                try runBlocking(asyncCommand)
            } else {
                try command.run()
            }
            Self.exitProcess(0)
        } catch let error as XenError {
            printError("xk: " + error.description)
            Self.exitProcess(1)
        } catch where exitCode(for: error) == .validationFailure {
            // A command line that cannot be parsed: status 2, as xl's getopt helper exits
            // (tools/xl/xl_utils.c), not swift-argument-parser's 64, so scripts see xl's.
            printError(fullMessage(for: error))
            Self.exitProcess(Self.usageStatus)
        } catch {
            exit(withError: error)
        }
    }

    /// Runs an async subcommand (the host service) from this synchronous entry point: the
    /// main thread waits while the command runs on Swift's concurrency threads.
    private static func runBlocking(_ command: any AsyncParsableCommand) throws {
        nonisolated(unsafe) var command = command
        nonisolated(unsafe) var failure: (any Error)?
        let done = DispatchSemaphore(value: 0)
        Task {
            do { try await command.run() } catch { failure = error }
            done.signal()
        }
        done.wait()
        if let failure { throw failure }
    }

    /// The exit status of a usage error, as xl's.
    static let usageStatus: Int32 = 2

    private static func exitProcess(_ status: Int32) -> Never {
        #if canImport(Glibc)
        Glibc.exit(status)
        #elseif canImport(Musl)
        Musl.exit(status)
        #endif
    }
}
