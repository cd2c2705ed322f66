import ArgumentParser
import XenKit

/// `xk network-attach`: give a running domain another network interface, as `xl network-attach`.
struct NetworkAttachCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network-attach",
        abstract: "Attach a virtual network interface to a running domain.",
        discussion: """
            The interface is written as a config file's vif= item (xl-network-configuration(5)), \
            whole or in words: 'bridge=br0,mac=00:16:3e:00:00:01' or 'bridge=br0 mac=...'. What \
            it leaves out comes from xl.conf's vif.default.* keys, then libxl (bridge xenbr0). A \
            bridge that dom0 does not have, a MAC in use or a bad option is refused before \
            anything changes; an attach that fails half way is undone. With --persist the interface is \
            also added to the domain's definition (a new vif= line).
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: [.customShort("n"), .long], help: "Print the interface as libxl JSON (as xl -N) and attach nothing.")
    var dryRun = false

    @Flag(help: "Keep the change in the domain's definition (xk define) too, for its next start.")
    var persist = false

    @Option(name: .customLong("xl-conf"), help: "Where xl.conf is.")
    var xlConf = "/etc/xen/xl.conf"

    @Argument(help: "The domain, by name or id.")
    var domain: String

    @Argument(help: "The interface's options.")
    var spec: [String] = []

    func run() throws {
        let state = CommandState(options: global)
        let nic = try NetworkSpecification(words: spec, defaults: try .fromXLConf(path: xlConf))
        for warning in nic.warnings { state.warn(warning) }
        if dryRun {
            print("vif: " + (try nic.json()))
            return
        }
        let id = try state.resolve(domain)
        if persist {
            try state.context.attachNetwork(id, nic, persistingIn: DefinitionStore(),
                                            command: "xk network-attach --persist \(domain) \(nic.text)")
        } else {
            try state.context.attachNetwork(id, nic)
        }
    }
}
