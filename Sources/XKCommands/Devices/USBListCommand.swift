import ArgumentParser
import XenKit

/// `xk usb-list`: a domain's USB controllers and the host devices on their ports, as xl prints
/// them or as JSON.
struct USBListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usb-list",
        abstract: "List the USB controllers of a domain and the devices on their ports.",
        discussion: """
            As xl: each controller has its own header and row, then one line per port, with the \
            host device's bus and address (hexadecimal, as xl prints them) where one is assigned. \
            A domain without controllers prints nothing. With --json, one JSON document; \
            the keys are in docs/json.md (/usr/share/doc/xenkit/docs/json.md.gz).
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON instead of the table.")
    var json = false

    @Argument(help: "The domain, by name or id.")
    var domain: String

    func run() throws {
        let state = CommandState(options: global)
        let (rows, failed) = try eachDomain([domain], state: state) { id throws(XenError) in try state.context.usbControllers(id).map { (id, $0) } }
        if failed { throw ExitCode.failure }
        if json {
            print(JSONValue.document("controllers", rows.map { DeviceTables.json($0.1.1, domain: $0.0, domid: Int($0.1.0.rawValue)) })
                .serialized())
        } else {
            for (_, row) in rows { DeviceTables.usbLines(row.1).forEach { print($0) } }
        }
    }
}
