import ArgumentParser
import XenKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `xk migrate-receive`: the receiving end of a migration, started by the sender (`xk migrate`
/// or `xl migrate`) through ssh. Its stdin and stdout are the migration stream; it writes its
/// messages to stderr only.
struct MigrateReceiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-receive",
        abstract: "Receive a migrating domain on stdin/stdout (run by xk or xl migrate).",
        discussion: """
            Not for interactive use, and never to be exposed to a network: it builds, as root, the domain the stream describes. Reach it through ssh, or TLS with client certificates bound to a private address. Without --trust-sender, a config that reaches into this host (dom0 disks, scripts, bootloaders, device models, passthrough) is refused before anything is built. The domain is built paused as NAME--incoming and started as NAME only when the sender says go; if anything fails, the copy here is destroyed. xl migrate reaches it with -s "": `xl migrate -s "" DOMAIN "ssh HOST xk migrate-receive"`.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customShort("e"), help: "Leave no watcher for the domain's shutdown actions.")
    var noWatcher = false

    @Flag(name: .customShort("F"), help: "Accepted for xl's sake.")
    var foreground = false

    @Flag(name: .customShort("d"), help: "Accepted for xl's sake (debug).")
    var debug = false

    @Flag(name: .customShort("p"), help: "Leave the domain paused once it is here.")
    var paused = false

    @Flag(name: .customShort("t"), help: "Accepted for xl's sake (a terminal on the sender).")
    var terminal = false

    @Flag(name: .customShort("T"), help: "Accepted for xl's sake (timestamps).")
    var timestamps = false

    @Flag(help: "Build a config that reaches into this host (dom0 disks, vif or disk scripts, a bootloader, a device model or its arguments, host PCI/USB devices, I/O ports, IRQs, memory ranges). Only for a sender that ssh, or TLS with client certificates, has authenticated; xk migrate over ssh passes it.")
    var trustSender = false

    @Flag(help: "The sender compresses all it sends after the banner with zstd, as xk migrate does to an xk receiver.")
    var compressed = false

    @Option(help: "The longest wait, in seconds, for the sender at each step (its header, the stream's start, permission to go).")
    var timeout: Double = 60

    /// What was asked, as plain values (the quick path builds it without the parser).
    var request: Request {
        Request(global: global.settings, noWatcher: noWatcher, foreground: foreground, debug: debug, paused: paused,
                terminal: terminal, timestamps: timestamps, trustSender: trustSender, compressed: compressed, timeout: timeout)
    }

    func run() throws { try request.run() }

    /// `xk migrate-receive` with its command line read.
    struct Request: Equatable {
        var global: GlobalSettings
        var noWatcher = false, foreground = false, debug = false, paused = false
        var terminal = false, timestamps = false, trustSender = false, compressed = false
        var timeout: Double = 60
    }
}

extension MigrateReceiveCommand.Request {
    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let state = CommandState(settings: global)
        try state.restrictBootloaders()   // XSA-443, as /etc/xen/xl.conf asks
        let context = try state.context
        let channel = MigrationChannel(sendFD: STDOUT_FILENO, receiveFD: STDIN_FILENO)
        _ = StopSignals.install()   // a signal before GO now destroys the copy here instead of leaving it
        let (id, name) = try context.receiveMigration(over: channel, paused: paused, compressed: compressed, timeout: .milliseconds(Int(timeout * 1000)), trustSender: trustSender,
                                                      policy: try state.buildPolicy(), stopRequested: { StopSignals.pending() }) { printError($0) }
        if !noWatcher {
            try ShutdownActions.arrange(for: id, name: name, context: context, foreground: false)
        }
    }
}
