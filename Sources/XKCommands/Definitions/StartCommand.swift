import ArgumentParser
import XenKit

/// `xk start`: build and start a defined domain, as `xk create` would from its config.
struct StartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start a defined domain (see xk define).",
        discussion: """
            Builds the domain from its definition's resolved config, with the same UUID every time. Its shutdown actions are carried out as after xk create: by the host service if it runs, else by a background watcher.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customShort("p"), help: "Leave the domain paused after creating it.")
    var paused = false

    @Flag(name: .customShort("e"), help: "Do not carry out the domain's shutdown actions.")
    var noWatcher = false

    @Flag(name: .shortAndLong, help: "Quiet: print nothing on success.")
    var quiet = false

    @Argument(help: "The defined domain's name.")
    var name: String

    func run() throws {
        let state = CommandState(options: global)
        try state.restrictBootloaders()   // XSA-443, as /etc/xen/xl.conf asks
        let context = try state.context
        let id = try context.start(name, paused: paused, policy: try state.buildPolicy())
        if !quiet { print("Started domain '\(name)' (id \(id))\(paused ? ", paused" : "").") }
        if !noWatcher {
            try ShutdownActions.arrange(for: id, name: name, context: context, foreground: false)
        }
    }
}

/// `xk autostart`: whether the host service starts a defined domain when it starts.
struct AutostartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autostart",
        abstract: "Set whether xk daemon starts a defined domain when it starts (host boot).",
        discussion: "Domains start by --order (lower first), then by name.")

    enum Setting: String, ExpressibleByArgument, CaseIterable {
        case on, off
    }

    @OptionGroup var global: GlobalOptions

    @Option(help: "Where the domain comes in the start order (lower first).")
    var order = 0

    @Argument(help: "The defined domain's name.")
    var name: String

    @Argument(help: "on or off.")
    var setting: Setting

    func run() throws {
        try DefinitionStore().setAutostart(name, setting == .on, order: order)
        print("Autostart of '\(name)' is \(setting.rawValue)" + (setting == .on ? " (order \(order))." : "."))
    }
}
