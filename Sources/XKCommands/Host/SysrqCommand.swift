import ArgumentParser
import XenKit

/// `xk sysrq`: a magic SysRq key to a guest's kernel, as `xl sysrq`.
struct SysrqCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sysrq",
        abstract: "Send a magic SysRq key to a guest.",
        discussion: """
            The guest's PV drivers take the key and its kernel acts on it (h prints the keys to \
            its console, s syncs, w lists blocked tasks). Unlike xl, xk waits for the guest to \
            take it: a guest that does not within 10 s (no PV drivers, or a hung kernel) is an \
            error, and the key is withdrawn so that nothing acts on it later.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The domain, by name or id.")
    var domain: String

    @Argument(help: "The key: one character.")
    var key: String

    func run() throws {
        let state = CommandState(options: global)
        try state.context.sendSysrq(try state.resolve(domain), key)
    }
}
