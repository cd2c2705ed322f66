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
            without asking: the guest may then see I/O errors.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .shortAndLong, help: "Remove the disk without the guest's consent.")
    var force = false

    @Argument(help: "The domain, by name or id.")
    var domain: String

    @Argument(help: "The disk: its vdev (xvdb) or device number (51728).")
    var vdev: String

    func run() throws {
        let state = CommandState(options: global)
        try state.context.detachDisk(try state.resolve(domain), vdev, force ? .forced : .withConsent)
    }
}
