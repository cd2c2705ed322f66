// Raw libxl calls for the devices xk lists but does not build itself: a domain's channels
// (xl channel-list), virtual TPMs (xl vtpm-list) and USB controllers with the host devices on
// their ports (xl usb-list, usbctrl-attach, usbctrl-detach); and the medium of an HVM guest's CD-ROM drive (xl cd-insert,
// cd-eject). What libxl lists is copied into Swift values here and freed at once.
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension Libxl {
    /// Puts a disc in the drive `disk` names by vdev, or empties it (an empty target):
    /// `libxl_cdrom_insert`, which asks the device model over QMP to eject, then to insert.
    static func insertCD(_ ctx: OpaquePointer, _ id: DomainID,
                         _ disk: UnsafeMutablePointer<libxl_device_disk>) -> Result<Void, LibxlFailure> {
        check(libxl_cdrom_insert(ctx, id.rawValue, disk, nil))
    }

    /// The domain's channels (`libxl_device_channel_list`, then `_getinfo` per channel; one
    /// whose info cannot be read is left out, as xl channel-list leaves it out).
    static func channels(_ ctx: OpaquePointer, _ id: DomainID) -> Result<[ChannelDevice], LibxlFailure> {
        var count: Int32 = 0
        guard let list = libxl_device_channel_list(ctx, id.rawValue, &count) else { return .success([]) }
        defer {
            for index in 0..<Int(count) { libxl_device_channel_dispose(list + index) }
            free(list)
        }
        var result: [ChannelDevice] = []
        for index in 0..<Int(count) {
            var info = libxl_channelinfo()
            libxl_channelinfo_init(&info)
            defer { libxl_channelinfo_dispose(&info) }
            guard libxl_device_channel_getinfo(ctx, id.rawValue, list + index, &info) == 0 else { continue }
            let channel = list[index]
            let connection = libxl_channel_connection_to_string(channel.connection).map { String(cString: $0).lowercased() } ?? "unknown"
            result.append(ChannelDevice(
                devid: Int(channel.devid), backendDomain: Int(info.backend_id), state: Int(info.state),
                eventChannel: Int(info.evtch), ringRef: Int(info.rref), connection: connection,
                name: channel.name.map { String(cString: $0) },
                ptyPath: channel.connection == LIBXL_CHANNEL_CONNECTION_PTY ? info.u.pty.path.map { String(cString: $0) } : nil,
                socketPath: channel.connection == LIBXL_CHANNEL_CONNECTION_SOCKET
                    ? channel.u.socket.path.map { String(cString: $0) } : nil))
        }
        return .success(result)
    }

    /// The domain's virtual TPMs (`libxl_device_vtpm_list`, then `_getinfo` per vTPM).
    static func vtpms(_ ctx: OpaquePointer, _ id: DomainID) -> Result<[VTPMDevice], LibxlFailure> {
        var count: Int32 = 0
        guard let list = libxl_device_vtpm_list(ctx, id.rawValue, &count) else { return .success([]) }
        defer { libxl_device_vtpm_list_free(list, count) }
        var result: [VTPMDevice] = []
        for index in 0..<Int(count) {
            var info = libxl_vtpminfo()
            libxl_vtpminfo_init(&info)
            defer { libxl_vtpminfo_dispose(&info) }
            guard libxl_device_vtpm_getinfo(ctx, id.rawValue, list + index, &info) == 0 else { continue }
            result.append(VTPMDevice(
                devid: Int(info.devid), backendDomain: Int(info.backend_id), uuid: uuidString(&info.uuid),
                state: Int(info.state), eventChannel: Int(info.evtch), ringRef: Int(info.rref),
                backendPath: info.backend.map { String(cString: $0) } ?? ""))
        }
        return .success(result)
    }

    /// `libxl_device_usbctrl_add`: for a device model's controller, a QMP device_add.
    static func addUSBController(_ ctx: OpaquePointer, _ id: DomainID,
                                 _ controller: UnsafeMutablePointer<libxl_device_usbctrl>) -> Result<Void, LibxlFailure> {
        check(libxl_device_usbctrl_add(ctx, id.rawValue, controller, nil))
    }

    /// Finds the controller by device id and removes it (`libxl_device_usbctrl_remove`, which
    /// takes its devices off first), or at once with `force` (`_destroy`, to undo an attach).
    static func removeUSBController(_ ctx: OpaquePointer, _ id: DomainID, devid: Int, force: Bool) -> Result<Void, LibxlFailure> {
        var controller = libxl_device_usbctrl()
        libxl_device_usbctrl_init(&controller)
        defer { libxl_device_usbctrl_dispose(&controller) }
        let rc = libxl_devid_to_device_usbctrl(ctx, id.rawValue, Int32(clamping: devid), &controller)
        guard rc == 0 else { return .failure(LibxlFailure(code: rc)) }
        return force ? check(libxl_device_usbctrl_destroy(ctx, id.rawValue, &controller, nil))
                     : check(libxl_device_usbctrl_remove(ctx, id.rawValue, &controller, nil))
    }

    /// The domain's USB controllers, each with the host device on each of its ports
    /// (`libxl_device_usbctrl_list`, `_getinfo`, then `libxl_ctrlport_to_device_usbdev` per port).
    static func usbControllers(_ ctx: OpaquePointer, _ id: DomainID) -> Result<[USBController], LibxlFailure> {
        var count: Int32 = 0
        guard let list = libxl_device_usbctrl_list(ctx, id.rawValue, &count) else { return .success([]) }
        defer { libxl_device_usbctrl_list_free(list, count) }
        var result: [USBController] = []
        for index in 0..<Int(count) {
            var info = libxl_usbctrlinfo()
            libxl_usbctrlinfo_init(&info)
            defer { libxl_usbctrlinfo_dispose(&info) }
            guard libxl_device_usbctrl_getinfo(ctx, id.rawValue, list + index, &info) == 0 else { continue }
            // libxl allows at most 31 ports (USB_MAXPORTS); the count comes from xenstore.
            let ports = (0...31).clamp(Int(info.ports))
            var devices: [USBController.Port] = []
            for port in stride(from: 1, through: ports, by: 1) {
                var usbdev = libxl_device_usbdev()
                libxl_device_usbdev_init(&usbdev)
                defer { libxl_device_usbdev_dispose(&usbdev) }
                if libxl_ctrlport_to_device_usbdev(ctx, id.rawValue, info.devid, Int32(port), &usbdev) == 0 {
                    devices.append(.init(port: port, hostBus: Int(usbdev.u.hostdev.hostbus), hostAddress: Int(usbdev.u.hostdev.hostaddr)))
                } else {
                    devices.append(.init(port: port, hostBus: nil, hostAddress: nil))
                }
            }
            let type = libxl_usbctrl_type_to_string(info.type).map { String(cString: $0).lowercased() } ?? "unknown"
            result.append(USBController(
                devid: Int(info.devid), type: type, backendDomain: Int(info.backend_id), state: Int(info.state),
                version: Int(info.version), portCount: Int(info.ports), ports: devices))
        }
        return .success(result)
    }
}

private extension ClosedRange where Bound == Int {
    func clamp(_ value: Int) -> Int { Swift.min(Swift.max(value, lowerBound), upperBound) }
}
