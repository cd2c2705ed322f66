import ArgumentParser
import XenKit

/// `xk cd-eject`: empty an HVM guest's CD-ROM drive, as `xl cd-eject`.
struct CDEjectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cd-eject",
        abstract: "Eject the disc from an HVM guest's CD-ROM drive.",
        discussion: """
            The drive stays and is empty; xk cd-insert puts a disc in again. A guest that is not \
            HVM, or a drive it does not have or that is not a CD-ROM drive, is refused.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The domain, by name or id.")
    var domain: String

    @Argument(help: "The drive: its vdev (hdc) or device number (5632).")
    var vdev: String

    func run() throws {
        let state = CommandState(options: global)
        try state.context.changeCD(try state.resolve(domain), drive: vdev, to: nil)
    }
}
