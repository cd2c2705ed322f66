import ArgumentParser
import XenKit

/// `xk usbctrl-detach`: take a USB controller (and what is plugged into it) from a running
/// domain, as `xl usbctrl-detach`.
struct USBControllerDetachCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usbctrl-detach",
        abstract: "Detach a virtual USB controller from a running domain.",
        discussion: """
            The devices on its ports go with it. A controller the domain does not have is \
            refused, naming those it has (xk usb-list shows them).
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The domain, by name or id.")
    var domain: String

    @Argument(help: "The controller's device id (Devid in xk usb-list).")
    var devid: Int

    func run() throws {
        let state = CommandState(options: global)
        try state.context.detachUSBController(try state.resolve(domain), devid: devid)
    }
}
