import ArgumentParser
import XenKit

/// `xk save`: save a domain to a file in xl's format, durably, then destroy it.
struct SaveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "save",
        abstract: "Save a domain's state to a file (xl's format), then destroy it.",
        discussion: """
            The file is xl's own format, so `xl restore` reads it and `xk restore` reads xl's. Unlike xl, the domain is destroyed only once the file is on disk for good: written to a temporary name beside FILE, flushed with fsync, renamed, and its header and end read back. If anything fails before the rename, the temporary file is removed, FILE is left as it was and the domain runs again; SIGINT, SIGTERM and SIGHUP roll the save back the same way (or, once FILE is replaced, let it complete). The file is mode 0600: it holds the guest's memory. CONFIG, an xl.cfg, is stored in the file instead of the domain's own config.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customShort("c"), help: "Checkpoint: leave the domain running after saving it.")
    var checkpoint = false

    @Flag(name: .customShort("p"), help: "Leave the domain paused after saving it.")
    var leavePaused = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    @Argument(help: "The domain, by name or id.")
    var domain: String

    @Argument(help: "The file to write.")
    var file: String

    @Argument(help: "An xl.cfg to store in the file instead of the domain's own config.")
    var config: String?

    /// What was asked, as plain values (the quick path builds it without the parser).
    var request: Request {
        Request(global: global.settings, checkpoint: checkpoint, leavePaused: leavePaused, json: json,
                domain: domain, file: file, config: config)
    }

    func run() throws { try request.run() }

    /// `xk save` with its command line read.
    struct Request: Equatable {
        var global: GlobalSettings
        var checkpoint = false, leavePaused = false, json = false
        var domain: String
        var file: String
        var config: String?
    }
}

extension SaveCommand.Request {
    func run() throws {
        let state = CommandState(settings: global)
        let context = try state.context
        let id = try state.resolve(domain)
        let override = try config.map { path throws(XenError) in try state.configJSON(path) }
        let after: XenContext.AfterSave = leavePaused ? .keepPaused : checkpoint ? .keepRunning : .destroy
        let watched = context.isMarkedWatched(id)
        _ = StopSignals.install()   // a signal now rolls the save back (or lets it complete)
        let result = try context.save(id, to: file, after: after, configJSON: override,
                                      stopRequested: { StopSignals.pending() }) { id in
            // The watcher ended when the domain suspended for the save; follow it again
            // (after -c and -p, and after a failed save that resumed it).
            guard watched, let name = context.name(of: id) else { return }
            do {
                try ShutdownActions.arrange(for: id, name: name, context: context, foreground: false, afterSuspend: true)
            } catch {
                printError("xk: \(error)")
            }
        }
        let kept = switch after {
        case .destroy: "destroyed"
        case .keepRunning: "running"
        case .keepPaused: "paused"
        }
        if json {
            print(SaveCommand.document(name: result.name, id: id, file: file, bytes: UInt64(result.bytes), seconds: result.seconds,
                                mibPerSecond: result.megabytesPerSecond, outcome: kept).serialized())
        } else {
            print("Saved domain '\(result.name)' to \(file): \(result.bytes / 1_048_576) MiB in "
                  + cFormat("%.1f s (%.0f MiB/s)", result.seconds, result.megabytesPerSecond) + "; the domain is \(kept).")
        }
    }
}

extension SaveCommand {
    /// `xk save --json` (docs/json.md); `outcome` is what became of the domain.
    static func document(name: String, id: DomainID, file: String, bytes: UInt64, seconds: Double, mibPerSecond: Double,
                         outcome: String) -> JSONValue {
        .document([
            ("name", .string(name)), ("domid", .uint(UInt64(id.rawValue))), ("file", .string(file)),
            ("bytes", .uint(bytes)), ("elapsed_s", .double(seconds)), ("mib_per_s", .double(mibPerSecond)),
            ("outcome", .string(outcome)),
        ])
    }
}
