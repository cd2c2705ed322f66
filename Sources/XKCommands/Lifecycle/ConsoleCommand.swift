import ArgumentParser
import XenKit

/// `xk console`: attach the terminal to a domain's console, as `xl console`.
struct ConsoleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Attach to a domain's console (leave with Ctrl-]).",
        discussion: """
            Runs Xen's xenconsole on the domain's primary console, as xl does: an HVM guest's first serial port, another guest's PV console. -t picks the kind, -n its number (xl ignores -n without -t; xk refuses it).
            """)

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case pv, serial
    }

    @OptionGroup var global: GlobalOptions

    @Option(name: .customShort("t"), help: "The console's kind: pv or serial.")
    var type: Kind?

    @Option(name: .customShort("n"), help: "The console's number among those of its kind (default 0).")
    var number: Int32?

    @Argument(help: "The domain, by name or id.")
    var domain: String

    func validate() throws {
        if number != nil && type == nil { throw ValidationError("-n needs -t pv or -t serial") }
        if let number, number < 0 { throw ValidationError("-n must be 0 or more") }
    }

    func run() throws {
        let state = CommandState(options: global)
        let kind = type.map { $0 == .serial ? XenContext.ConsoleKind.serial : .pv }
        try state.context.attachConsole(try state.resolve(domain), kind: kind, number: number ?? 0)
    }
}
