import ArgumentParser
import XenKit

/// `xk network-detach`: take a network interface away from a running domain, as `xl network-detach`.
struct NetworkDetachCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network-detach",
        abstract: "Detach a virtual network interface from a running domain.",
        discussion: """
            The interface is named by its device id (the Idx of network-list) or its MAC \
            address. The guest is asked first; after libxl's 10 s the interface goes anyway. With \
            --persist the interface (by its MAC) also leaves the domain's definition.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Keep the change in the domain's definition (xk define) too, for its next start.")
    var persist = false

    @Argument(help: "The domain, by name or id.")
    var domain: String

    @Argument(help: "The interface: its device id or MAC address.")
    var device: String

    func run() throws {
        guard let selector = NetworkDeviceSelector(device) else {
            throw XenError(code: .invalidArgument, message: "'\(device)' is neither a device id nor a MAC address",
                           hint: "xk network-list \(domain) shows both")
        }
        let state = CommandState(options: global)
        let id = try state.resolve(domain)
        if persist {
            try state.context.detachNetwork(id, selector, persistingIn: DefinitionStore(),
                                            command: "xk network-detach --persist \(domain) \(device)")
        } else {
            try state.context.detachNetwork(id, selector)
        }
    }
}
