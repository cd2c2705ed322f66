// xl's channel-list, vtpm-list and usb-list output, byte for byte (xl_console.c, xl_vtpm.c,
// xl_usb.c: the same padding, the trailing spaces and the row widths that differ from the
// header's), and xk's JSON for the same rows.
import XenKit

extension DeviceTables {
    /// printf's "%-3s %-2s %-5s %-6s %8s %-10s %-30s" over xl's column names (the last is empty).
    static let channelHeader = [left("Idx", 3), left("BE", 2), left("state", 5), left("evt-ch", 6),
                                String(repeating: " ", count: 8 - "ring-ref".count) + "ring-ref", left("connection", 10), left("", 30)]
        .joined(separator: " ")

    static func channelRow(_ channel: ChannelDevice) -> String {
        var row = cFormat("%-3d %-2d %-5d %-6d %-8d ", CInt(truncatingIfNeeded: channel.devid), CInt(truncatingIfNeeded: channel.backendDomain),
                          CInt(truncatingIfNeeded: channel.state), CInt(truncatingIfNeeded: channel.eventChannel),
                          CInt(truncatingIfNeeded: channel.ringRef))
        row += left(channel.connection, 10) + " "
        if channel.connection == "pty" { row += left(channel.ptyPath ?? "", 30) + " " }
        return row
    }

    /// printf's "%-3s %-2s %-36s %-6s %-5s %-6s %-5s %-10s" over xl's column names.
    static let vtpmHeader = [("Idx", 3), ("BE", 2), ("Uuid", 36), ("handle", 6), ("state", 5), ("evt-ch", 6), ("ring-ref", 5), ("BE-path", 10)]
        .map { left($0.0, $0.1) }.joined(separator: " ")

    static func vtpmRow(_ vtpm: VTPMDevice) -> String {
        cFormat("%-3d %-2d ", CInt(truncatingIfNeeded: vtpm.devid), CInt(truncatingIfNeeded: vtpm.backendDomain))
            + vtpm.uuid
            + vtpm.backendPath.withCString { path in
                cFormat(" %6d %5d %6d %8d %-30s", CInt(truncatingIfNeeded: vtpm.devid), CInt(truncatingIfNeeded: vtpm.state),
                        CInt(truncatingIfNeeded: vtpm.eventChannel), CInt(truncatingIfNeeded: vtpm.ringRef), path)
            }
    }

    /// printf's "%-6s %-12s %-3s %-5s %-7s %-5s" over xl's column names, printed once per controller.
    static let usbHeader = [("Devid", 6), ("Type", 12), ("BE", 3), ("state", 5), ("usb-ver", 7), ("ports", 5)]
        .map { left($0.0, $0.1) }.joined(separator: " ")

    /// The controller's header, its row, and one line per port ("  Port 1: Bus 001 Device 002").
    static func usbLines(_ controller: USBController) -> [String] {
        let row = cFormat("%-6d ", CInt(truncatingIfNeeded: controller.devid)) + left(controller.type, 12)
            + cFormat(" %-3d %-5d %-7d %-5d", CInt(truncatingIfNeeded: controller.backendDomain), CInt(truncatingIfNeeded: controller.state),
                      CInt(truncatingIfNeeded: controller.version), CInt(truncatingIfNeeded: controller.portCount))
        return [usbHeader, row] + controller.ports.map { port in
            let device = port.hostBus.map { bus in
                cFormat(" Bus %03x Device %03x", CUnsignedInt(truncatingIfNeeded: bus), CUnsignedInt(truncatingIfNeeded: port.hostAddress ?? 0))
            } ?? ""
            return "  Port \(port.port):" + device
        }
    }

    static func json(_ channel: ChannelDevice, domain: String, domid: Int) -> JSONValue {
        .object([
            ("name", .string(domain)), ("domid", .int(Int64(domid))), ("devid", .int(Int64(channel.devid))),
            ("backend_domid", .int(Int64(channel.backendDomain))), ("xenbus_state", .int(Int64(channel.state))),
            ("evtch", .int(Int64(channel.eventChannel))), ("ring_ref", .int(Int64(channel.ringRef))),
            ("connection", .string(channel.connection)), ("channel_name", .optional(channel.name)),
            ("pty_path", .optional(channel.ptyPath)), ("socket_path", .optional(channel.socketPath)),
        ])
    }

    static func json(_ vtpm: VTPMDevice, domain: String, domid: Int) -> JSONValue {
        .object([
            ("name", .string(domain)), ("domid", .int(Int64(domid))), ("devid", .int(Int64(vtpm.devid))),
            ("backend_domid", .int(Int64(vtpm.backendDomain))), ("uuid", .string(vtpm.uuid)), ("xenbus_state", .int(Int64(vtpm.state))),
            ("evtch", .int(Int64(vtpm.eventChannel))), ("ring_ref", .int(Int64(vtpm.ringRef))),
            ("backend_path", .string(vtpm.backendPath)),
        ])
    }

    static func json(_ controller: USBController, domain: String, domid: Int) -> JSONValue {
        .object([
            ("name", .string(domain)), ("domid", .int(Int64(domid))), ("devid", .int(Int64(controller.devid))),
            ("controller_type", .string(controller.type)), ("backend_domid", .int(Int64(controller.backendDomain))),
            ("xenbus_state", .int(Int64(controller.state))), ("usb_version", .int(Int64(controller.version))),
            ("ports", .array(controller.ports.map { port in
                .object([("port", .int(Int64(port.port))), ("hostbus", port.hostBus.map { .int(Int64($0)) } ?? .null),
                         ("hostaddr", port.hostAddress.map { .int(Int64($0)) } ?? .null)])
            })),
        ])
    }
}
