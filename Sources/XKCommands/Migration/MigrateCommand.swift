// `xk migrate`: live-migrate a domain to another host, the way `xl migrate` does it: the
// receiver is started with `sh -c "exec SSH HOST xk migrate-receive"`, and the two talk xl's
// protocol over its stdin and stdout.
import ArgumentParser
import XenKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Live-migrate a domain to another host (xl's protocol, over ssh).",
        discussion: """
            Runs `SSHCMD HOST RECEIVER migrate-receive` (RECEIVER is xk, or xl with --receiver xl) with sh, HOST quoted as one word (unlike xl: give ssh options with -s, and a HOST starting with '-' is refused), and streams the domain to it while it runs. With -s "", HOST is the whole command to run; with -s env, `xk migrate -s env DOMAIN X=1` migrates to this same host through a pipe. Until the receiver is told to start the domain, any failure resumes it here under its own name; after that, the result says exactly which side runs it, and the copy here is never resumed unless the receiver says it destroyed its own. Only PVH and HVM domains can be migrated live on Debian's Xen 4.17 (PV needs shadow paging, which it lacks). To an xk receiver on another host reached with ssh, everything sent after its banner is compressed with zstd (level 1 unless --compress says otherwise; the receiver is started with --compressed); to the same host, or through another command, only with --compress; to xl's (--receiver xl), the wire is always xl's, plain. With -s "", HOST's command must then run `xk migrate-receive --compressed`.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .customShort("s"), help: "The command that reaches HOST (default ssh; \"\" makes HOST the whole command).")
    var sshCommand = "ssh"

    @Option(name: .customShort("C"), help: "An xl.cfg to send instead of the domain's own config.")
    var config: String?

    @Option(help: "The toolstack on HOST that receives: xk or xl.")
    var receiver = "xk"

    @Flag(name: .customShort("e"), help: "The receiver leaves no watcher for the domain's shutdown actions.")
    var noWatcher = false

    @Flag(name: .customShort("F"), help: "Accepted for xl's sake (the receiver never daemonizes here).")
    var foreground = false

    @Flag(name: .customShort("p"), help: "Leave the domain paused on the receiving host.")
    var paused = false

    @Option(help: "The zstd level (1-19) to compress the stream at, for an xk receiver (default: 1 to another host over ssh, none otherwise).")
    var compress: Int?

    @Flag(help: "Send the stream plain, as xl does, even to an xk receiver.")
    var noCompress = false

    @Flag(help: "libxl's debug mode: memory is sent a second time and verified.")
    var debug = false

    @Flag(help: "Accepted for xm's sake (migration is always live).")
    var live = false

    @Option(help: "The longest wait, in seconds, for the receiver at each step (its banner, its \"ready\" once the stream is sent, its report); before it is told to go, running out of time resumes the domain here.")
    var timeout: Double = 60

    @Flag(help: "No progress line, even on a terminal.")
    var quiet = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    @Argument(help: "The domain, by name or id.")
    var domain: String

    @Argument(help: "The host to migrate to (what the ssh command is given).")
    var host: String

    /// What was asked, as plain values (the quick path builds it without the parser).
    var request: Request {
        Request(global: global.settings, sshCommand: sshCommand, config: config, receiver: receiver, noWatcher: noWatcher,
                foreground: foreground, paused: paused, compress: compress, noCompress: noCompress, debug: debug, live: live,
                timeout: timeout, quiet: quiet, json: json, domain: domain, host: host)
    }

    func validate() throws {
        if let compress {
            guard !noCompress else { throw ValidationError("--compress and --no-compress contradict each other") }
            guard XenContext.compressionLevels.contains(compress) else {
                throw ValidationError("--compress \(compress): the zstd level must be from \(XenContext.compressionLevels.lowerBound) to \(XenContext.compressionLevels.upperBound)")
            }
            guard request.receiverIsXK else {
                throw ValidationError("--compress: the receiver '\(receiver)' reads xl's plain stream only; compression needs xk on both ends")
            }
        }
        _ = try request.rune   // a HOST or receiver that would reach a shell unsafely is refused here
    }

    func run() throws { try request.run() }

    /// `xk migrate` with its command line read.
    struct Request: Equatable {
        var global: GlobalSettings
        var sshCommand = "ssh"
        var config: String?
        var receiver = "xk"
        var noWatcher = false, foreground = false, paused = false
        var compress: Int?
        var noCompress = false, debug = false, live = false
        var timeout: Double = 60
        var quiet = false, json = false
        var domain: String
        var host: String
    }
}

extension MigrateCommand.Request {
    var receiverIsXK: Bool { receiver.split(separator: "/").last == "xk" }

    /// The zstd level the stream goes at, or nil for xl's plain wire: compressed by default
    /// when the receiver is xk on another host reached with ssh (we start it, so it gets
    /// --compressed); otherwise only when asked (with -s "", the operator's command has to
    /// match).
    ///
    /// Why not always: compressing costs the sender's CPU what it saves on the wire. Between
    /// the lab's two hosts (ssh, about 1.5 MB/s) xk took 0.59 of xl's time compressed and
    /// 0.98 plain; to the same host through a pipe, where bytes cost nothing, 15.5 to 16.8 s
    /// compressed against 10.1 to 12.4 s plain.
    var compressionLevel: Int? {
        if noCompress { return nil }
        if let compress { return compress }
        return receiverIsXK && MigrationRune.crossesANetwork(sshCommand: sshCommand, host: host) ? 1 : nil
    }

    /// The shell command that starts the receiver, as xl builds it but with HOST quoted.
    var rune: String {
        get throws(XenError) {
            // ssh authenticated the receiving host's root for us: an xk receiver may trust
            // what we send (xl's has no such check).
            let trust = receiverIsXK ? ["--trust-sender"] : []
            let compressed = compressionLevel != nil ? ["--compressed"] : []
            return try MigrationRune.command(sshCommand: sshCommand, host: host, receiver: receiver,
                                             receiverFlags: trust + compressed + (noWatcher ? ["-e"] : []) + (debug ? ["-d"] : []) + (paused ? ["-p"] : []))
        }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)   // a receiver that dies is an error here, not our death
        let state = CommandState(settings: global)
        let context = try state.context
        let id = try state.resolve(domain)
        let override = try config.map { path throws(XenError) in try state.configJSON(path) }
        let transport = try TransportProcess(command: try rune)
        let line = ProgressLine(enabled: !quiet && !json && (global.progressCR || isatty(STDERR_FILENO) == 1))
        let watched = context.isMarkedWatched(id)
        _ = StopSignals.install()   // a signal now rolls the migration back (before GO)
        let result: MigrationResult
        do {
            result = try context.migrate(
                id, over: transport.channel, debug: debug, configJSON: override, compression: compressionLevel, timeout: .milliseconds(Int(timeout * 1000)),
                stopRequested: { StopSignals.pending() },
                whenResumed: { id in
                    // Its watcher ended when it suspended: follow it again here.
                    guard watched, let name = context.name(of: id) else { return }
                    do {
                        try ShutdownActions.arrange(for: id, name: name, context: context, foreground: false, afterSuspend: true)
                    } catch {
                        printError("xk: \(error)")
                    }
                }
            ) { progress in
                line.show(progress)
            }
        } catch {
            line.clear()
            transport.finish()
            throw error
        }
        line.clear()
        transport.finish()
        if json {
            print(MigrateCommand.document(name: result.name, host: host, bytes: result.bytes, wireBytes: result.wireBytes,
                                          compression: result.compressionLevel, seconds: result.seconds,
                                          downtimeSeconds: result.downtimeSeconds, iterations: result.iterations).serialized())
        } else {
            let sent = result.compressionLevel.map { level in
                "\(result.bytes / 1_048_576) MiB sent as \(result.wireBytes / 1_048_576) MiB (zstd level \(level))"
            } ?? "\(result.bytes / 1_048_576) MiB sent"
            print("Migrated domain '\(result.name)' to \(host) in " + cFormat("%.1f s", result.seconds)
                  + ": downtime " + cFormat("%.0f ms", result.downtimeSeconds * 1000)
                  + ", \(sent)" + (result.iterations.map { ", \($0) memory passes" } ?? "") + ".")
        }
    }
}

/// A one-line progress display on stderr, redrawn at most twice a second.
final class ProgressLine: @unchecked Sendable {
    // @unchecked: `last` is touched only from libxl's progress callbacks, which libxl makes
    // one at a time.
    private let enabled: Bool
    private var last = -1.0

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ p: MigrationProgress) {
        guard enabled, p.seconds - last >= 0.5 else { return }
        last = p.seconds
        let rate = p.seconds > 0 ? Double(p.bytes) / 1_048_576 / p.seconds : 0
        var text = cFormat("\r%.0f MiB sent", Double(p.bytes) / 1_048_576)
        if p.wireBytes != p.bytes { text += cFormat(" (%.0f MiB on the wire)", Double(p.wireBytes) / 1_048_576) }
        text += cFormat(", %.1f MiB/s", rate)
        if !p.step.isEmpty { text += ", " + p.step }
        if p.total > p.done, rate > 0 {
            text += cFormat(", about %.0f s left in this pass", Double(p.total - p.done) * 4096 / 1_048_576 / rate)
        }
        printError(text + "\u{1b}[K", terminator: "")
    }

    func clear() {
        if enabled && last >= 0 { printError("\r\u{1b}[K", terminator: "") }
    }
}

extension MigrateCommand {
    /// `xk migrate --json` (docs/json.md).
    static func document(name: String, host: String, bytes: UInt64, wireBytes: UInt64, compression: Int?, seconds: Double,
                         downtimeSeconds: Double, iterations: Int?) -> JSONValue {
        .document([
            ("name", .string(name)), ("host", .string(host)), ("bytes", .uint(bytes)), ("wire_bytes", .uint(wireBytes)),
            ("compression", compression.map { .string("zstd-\($0)") } ?? .null), ("elapsed_s", .double(seconds)),
            ("downtime_ms", .int(Int64((downtimeSeconds * 1000).rounded()))),
            ("iterations", iterations.map { .int(Int64($0)) } ?? .null),
        ])
    }
}
