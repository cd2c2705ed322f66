import ArgumentParser
import XenKit

/// `xk debug-keys`: keys to the hypervisor's debug key handler, as `xl debug-keys`.
struct DebugKeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug-keys",
        abstract: "Send debug keys to the hypervisor.",
        discussion: """
            Each character is one key; what the hypervisor does for it shows in its log (xk \
            dmesg). h lists the keys; q dumps the domains; some keys reboot or crash the host.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The keys, such as q.")
    var keys: String

    func run() throws {
        try CommandState(options: global).context.sendDebugKeys(keys)
    }
}
