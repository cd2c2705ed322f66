import ArgumentParser
import XenKit

/// `xk usbctrl-attach`: give a running domain a USB controller, as `xl usbctrl-attach`.
struct USBControllerAttachCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usbctrl-attach",
        abstract: "Attach a virtual USB controller to a running domain.",
        discussion: """
            The spec is a config file's usbctrl= item, whole or in words: type= (devicemodel for \
            the device model's emulated controller, qusb or pv for a PV guest's, auto to let \
            libxl choose), version= and ports= (a version 2 device model controller has 6). An \
            attach that fails half way is undone.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: [.customShort("n"), .long], help: "Print the controller as libxl JSON and attach nothing.")
    var dryRun = false

    @Argument(help: "The domain, by name or id.")
    var domain: String

    @Argument(help: "The controller specification: type=, version=, ports=.")
    var spec: [String] = []

    func run() throws {
        let controller = try USBControllerSpecification(words: spec)
        if dryRun {
            print("usbctrl: " + (try controller.json()))
            return
        }
        let state = CommandState(options: global)
        try state.context.attachUSBController(try state.resolve(domain), controller)
    }
}
