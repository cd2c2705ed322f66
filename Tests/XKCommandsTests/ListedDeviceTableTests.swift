import ArgumentParser
import Testing
@testable import XenKit
@testable import XKCommands

/// xl's channel-list, vtpm-list and usb-list bytes. The expected lines were printed by xl 4.17
/// in the lab (a PV guest with a qusb controller added by xl usbctrl-attach); the rows xl has
/// no lab device for follow its printf formats (xl_console.c, xl_vtpm.c, xl_usb.c).
@Suite struct ListedDeviceTableTests {
    @Test func headersAreXlsWithTheirPadding() {
        #expect(DeviceTables.channelHeader == "Idx BE state evt-ch ring-ref connection                               ")
        #expect(DeviceTables.vtpmHeader == "Idx BE Uuid                                 handle state evt-ch ring-ref BE-path   ")
        #expect(DeviceTables.usbHeader == "Devid  Type         BE  state usb-ver ports")
    }

    @Test func usbControllerAsXlPrintsIt() {
        let controller = USBController(devid: 0, type: "qusb", backendDomain: 0, state: 1, version: 2, portCount: 2,
                                       ports: [.init(port: 1, hostBus: nil, hostAddress: nil), .init(port: 2, hostBus: 3, hostAddress: 27)])
        #expect(DeviceTables.usbLines(controller) == [
            "Devid  Type         BE  state usb-ver ports",
            "0      qusb         0   1     2       2    ",
            "  Port 1:",
            "  Port 2: Bus 003 Device 01b",
        ])
        let json = DeviceTables.json(controller, domain: "web", domid: 5).serialized(pretty: false)
        #expect(json.contains(#""ports":[{"port":1,"hostbus":null,"hostaddr":null},{"port":2,"hostbus":3,"hostaddr":27}]"#), "\(json)")
    }

    @Test func channelAndVTPMRows() {
        let pty = ChannelDevice(devid: 0, backendDomain: 0, state: 4, eventChannel: 15, ringRef: 1234, connection: "pty",
                                name: "org.qemu.guest_agent.0", ptyPath: "/dev/pts/3", socketPath: nil)
        #expect(DeviceTables.channelRow(pty) == "0   0  4     15     1234     pty        /dev/pts/3                     ")
        var socket = pty
        socket.connection = "socket"
        socket.ptyPath = nil
        #expect(DeviceTables.channelRow(socket) == "0   0  4     15     1234     socket     ")
        let vtpm = VTPMDevice(devid: 0, backendDomain: 2, uuid: "0b2a3c4d-0000-4000-8000-00000000abcd", state: 4,
                              eventChannel: 20, ringRef: 8, backendPath: "/local/domain/2/backend/vtpm/5/0")
        #expect(DeviceTables.vtpmRow(vtpm)
            == "0   2  0b2a3c4d-0000-4000-8000-00000000abcd      0     4     20        8 /local/domain/2/backend/vtpm/5/0")
    }

    @Test func cdAndListCommandsTakeXlsArguments() throws {
        let insert = try #require(try XK.parseAsRoot(["cd-insert", "win", "hdc", "/srv/install.iso"]) as? CDInsertCommand)
        #expect(insert.domain == "win" && insert.vdev == "hdc" && insert.image == "/srv/install.iso")
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["cd-insert", "win", "hdc"]) }
        let eject = try #require(try XK.parseAsRoot(["cd-eject", "win", "hdc"]) as? CDEjectCommand)
        #expect(eject.vdev == "hdc")
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["usb-list", "a", "b"]) }
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["channel-list"]) }
        let attach = try #require(try XK.parseAsRoot(["usbctrl-attach", "-n", "win", "type=devicemodel", "version=2"]) as? USBControllerAttachCommand)
        #expect(attach.dryRun && attach.spec == ["type=devicemodel", "version=2"])
        #expect((try XK.parseAsRoot(["usbctrl-detach", "win", "1"]) as? USBControllerDetachCommand)?.devid == 1)
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["usbctrl-detach", "win", "one"]) }
        let vtpm = try #require(try XK.parseAsRoot(["vtpm-list", "--json", "a", "b"]) as? VTPMListCommand)
        #expect(vtpm.json && vtpm.domains == ["a", "b"])
    }
}
