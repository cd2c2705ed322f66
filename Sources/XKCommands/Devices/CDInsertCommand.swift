import ArgumentParser
import XenKit

/// `xk cd-insert`: put a disc image in an HVM guest's CD-ROM drive, as `xl cd-insert`.
struct CDInsertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cd-insert",
        abstract: "Insert a disc image into an HVM guest's CD-ROM drive.",
        discussion: """
            The drive must be one the guest was created with (disk = ['vdev=hdc,devtype=cdrom,target=']). \
            The disc in it, if any, is ejected first. A guest that is not HVM, a drive it does not \
            have or that is not a CD-ROM drive, and an image dom0 does not have are refused \
            before the device model is asked. The change lasts until the guest is destroyed; its \
            definition (xk define) is not changed.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The domain, by name or id.")
    var domain: String

    @Argument(help: "The drive: its vdev (hdc) or device number (5632).")
    var vdev: String

    @Argument(help: "The disc image (an ISO file) in dom0.")
    var image: String

    func run() throws {
        let state = CommandState(options: global)
        try state.context.changeCD(try state.resolve(domain), drive: vdev, to: image)
    }
}
