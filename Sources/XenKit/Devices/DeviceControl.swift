// The seam under the device commands: what attaching and detaching disks, network interfaces
// and USB controllers, and changing CDs, asks of libxl and of dom0, as a protocol. `LiveDeviceControl` is libxl and the
// host; the unit tests put a fake in its place that can fail any call, or fail an add after the
// device was half made, so that the undo and its own failure are tried at every step
// (Tests/XenKitTests/Workflows/DeviceFaultMatrixTests.swift).
//
// Every call blocks (libxl runs synchronously here, and a hotplug script can take seconds).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

protocol DeviceControl {
    /// `libxl_device_disk_list` + `_getinfo`.
    func disks(_ id: DomainID) -> Result<[BlockDevice], LibxlFailure>
    /// `libxl_device_disk_add`.
    func addDisk(_ id: DomainID, _ disk: borrowing DiskSpecification) -> Result<Void, LibxlFailure>
    /// `libxl_device_disk_safe_remove` or `_destroy`.
    func removeDisk(_ id: DomainID, vdev: String, _ removal: DiskRemoval) -> Result<Void, LibxlFailure>
    /// `libxl_device_nic_list` + `_getinfo`.
    func nics(_ id: DomainID) -> Result<[NetworkDevice], LibxlFailure>
    /// `libxl_device_nic_add`.
    func addNIC(_ id: DomainID, _ nic: borrowing NetworkSpecification) -> Result<Void, LibxlFailure>
    /// `libxl_device_nic_remove`, or `_destroy` when `force`.
    func removeNIC(_ id: DomainID, devid: Int, force: Bool) -> Result<Void, LibxlFailure>
    /// `libxl_device_usbctrl_list` + `_getinfo` + the device on each port.
    func usbControllers(_ id: DomainID) -> Result<[USBController], LibxlFailure>
    /// `libxl_device_usbctrl_add`.
    func addUSBController(_ id: DomainID, _ controller: borrowing USBControllerSpecification) -> Result<Void, LibxlFailure>
    /// `libxl_device_usbctrl_remove`, or `_destroy` when `force`.
    func removeUSBController(_ id: DomainID, devid: Int, force: Bool) -> Result<Void, LibxlFailure>
    /// `libxl_cdrom_insert`: the disc `disk` names (an empty target ejects) into its drive.
    func insertCD(_ id: DomainID, _ disk: borrowing DiskSpecification) -> Result<Void, LibxlFailure>
    /// Waits before asking again (a drive the guest keeps locked).
    func pause(seconds: Double)
    /// The errno of stat(2) on a backing file; nil when it is there.
    func statError(_ path: String) -> Int32?
    /// Whether dom0 has a bridge of this name.
    func hasBridge(_ name: String) -> Bool
}

/// libxl through the context, with what libxl logged for each failed call; and dom0 itself.
struct LiveDeviceControl: DeviceControl {
    let context: XenContext

    private func call<T>(_ body: (OpaquePointer) -> Result<T, LibxlFailure>) -> Result<T, LibxlFailure> {
        context.withLibxlMessages(body)
    }

    func disks(_ id: DomainID) -> Result<[BlockDevice], LibxlFailure> { call { Libxl.disks($0, id) } }

    func addDisk(_ id: DomainID, _ disk: borrowing DiskSpecification) -> Result<Void, LibxlFailure> {
        let raw = disk.raw
        return call { Libxl.addDisk($0, id, raw) }
    }

    func removeDisk(_ id: DomainID, vdev: String, _ removal: DiskRemoval) -> Result<Void, LibxlFailure> {
        call { Libxl.removeDisk($0, id, vdev: vdev, removal == .forced ? .force : .safe) }
    }

    func nics(_ id: DomainID) -> Result<[NetworkDevice], LibxlFailure> { call { Libxl.nics($0, id) } }

    func addNIC(_ id: DomainID, _ nic: borrowing NetworkSpecification) -> Result<Void, LibxlFailure> {
        let raw = nic.raw
        return call { Libxl.addNIC($0, id, raw) }
    }

    func removeNIC(_ id: DomainID, devid: Int, force: Bool) -> Result<Void, LibxlFailure> {
        call { Libxl.removeNIC($0, id, .devid(devid), force: force) }
    }

    func usbControllers(_ id: DomainID) -> Result<[USBController], LibxlFailure> { call { Libxl.usbControllers($0, id) } }

    func addUSBController(_ id: DomainID, _ controller: borrowing USBControllerSpecification) -> Result<Void, LibxlFailure> {
        let raw = controller.raw
        return call { Libxl.addUSBController($0, id, raw) }
    }

    func removeUSBController(_ id: DomainID, devid: Int, force: Bool) -> Result<Void, LibxlFailure> {
        call { Libxl.removeUSBController($0, id, devid: devid, force: force) }
    }

    func insertCD(_ id: DomainID, _ disk: borrowing DiskSpecification) -> Result<Void, LibxlFailure> {
        let raw = disk.raw
        return call { Libxl.insertCD($0, id, raw) }
    }

    func pause(seconds: Double) { usleep(UInt32(seconds * 1_000_000)) }

    func statError(_ path: String) -> Int32? {
        var status = stat()
        return stat(path, &status) == 0 ? nil : errno
    }

    func hasBridge(_ name: String) -> Bool {
        // An interface name: no '/', not . or .., at most 15 bytes (IFNAMSIZ - 1).
        guard !name.isEmpty, name.utf8.count < 16, !name.contains("/"), name != ".", name != ".." else { return false }
        return access("/sys/class/net/\(name)/bridge", F_OK) == 0
    }
}
