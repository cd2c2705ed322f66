import ArgumentParser
import XenKit

/// `xk block-detach`: take a disk away from a running domain, as `xl block-detach`.
struct BlockDetachCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "block-detach",
        abstract: "Detach a virtual disk from a running domain.",
        discussion: """
            The guest is asked to let go of the disk; if it does not within libxl's 10 s (it \
            still uses the disk), the detach fails and the disk stays. --force takes it at once \
            without asking: the guest may then see I/O errors. With --persist the disk also leaves the \
            domain's definition.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .shortAndLong, help: "Remove the disk without the guest's consent.")
    var force = false

    @Flag(help: "Keep the change in the domain's definition (xk define) too, for its next start.")
    var persist = false

    @Argument(help: "The domain, by name or id.")
    var domain: String

    @Argument(help: "The disk: its vdev (xvdb) or device number (51728).")
    var vdev: String

    func run() throws {
        let state = CommandState(options: global)
        let id = try state.resolve(domain)
        if persist {
            try state.context.detachDisk(id, vdev, force ? .forced : .withConsent, persistingIn: DefinitionStore(),
                                         command: "xk block-detach --persist \(domain) \(vdev)")
        } else {
            try state.context.detachDisk(id, vdev, force ? .forced : .withConsent)
        }
    }
}
