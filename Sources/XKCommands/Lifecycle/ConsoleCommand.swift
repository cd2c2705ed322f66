import ArgumentParser
import XenKit

/// `xk console`: attach the terminal to a domain's console, as `xl console`.
struct ConsoleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Attach to a domain's console (leave with Ctrl-]).",
        discussion: "Runs Xen's xenconsole on the domain's primary console, as xl does.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The domain, by name or id.")
    var domain: String

    func run() throws {
        let state = CommandState(options: global)
        try state.context.attachConsole(try state.resolve(domain))
    }
}
