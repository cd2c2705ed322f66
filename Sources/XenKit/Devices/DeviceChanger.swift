// What xk decides when a device is added to or taken from a running domain, over the
// DeviceControl seam (see XenContext+Devices.swift for the promises): checks first, one libxl
// call, and the undo of a half-made attach, whose failure is reported with the first.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

struct DeviceChanger<Control: DeviceControl> {
    let control: Control
    let id: DomainID
    /// "domain 'web' (5)", for messages.
    let label: String

    func attachDisk(_ disk: borrowing DiskSpecification) throws(XenError) {
        let before = try listed("list the disks of \(label)", control.disks(id))
        let vdev = disk.vdev
        if let taken = before.first(where: { $0.vdev == vdev }) {
            throw XenError(code: .alreadyExists,
                           message: "cannot attach '\(disk.text)' to \(label): it already has a disk \(vdev)"
                               + (taken.target.isEmpty ? "" : " (\(taken.target))"),
                           hint: "choose another vdev, or detach that one first: xk block-detach \(id) \(vdev)")
        }
        let target = disk.target
        if !disk.isEmpty, !disk.hasScript, !target.isEmpty, let code = control.statError(target) {
            throw XenError(code: .invalidArgument,
                           message: "cannot attach '\(disk.text)' to \(label): \(target): \(String(cString: strerror(code)))",
                           errno: code)
        }
        if case .failure(let failure) = control.addDisk(id, disk) {
            var error = XenError.libxl(failure, operation: "attach '\(disk.text)' to \(label)", messages: Self.reasons(failure.messages))
            if failure.code == LibxlCode.deviceExists {
                error.code = .alreadyExists
                error.hint = "\(vdev) is in use in \(label) (under another name?); see xk block-list \(id)"
            }
            throw undo(error, kind: "disk", listed: control.disks(id).map { $0.map { ($0.devid, $0.vdev) } },
                       before: Set(before.map(\.devid))) { devid, vdev in control.removeDisk(id, vdev: vdev, .forced) }
        }
    }

    func detachDisk(_ vdev: String, _ removal: DiskRemoval) throws(XenError) {
        let attached = try listed("list the disks of \(label)", control.disks(id))
        guard let disk = attached.first(where: { $0.isNamed(vdev) }) else {
            throw XenError(code: .invalidArgument, message: "\(label) has no disk \(vdev)",
                           hint: attached.isEmpty ? "it has no disks" : "its disks: " + attached.map(\.vdev).joined(separator: ", "))
        }
        if case .failure(let failure) = control.removeDisk(id, vdev: disk.vdev, removal) {
            var error = XenError.libxl(failure, operation: "detach disk \(disk.vdev) from \(label)", messages: Self.reasons(failure.messages))
            if failure.code == LibxlCode.timedOut, removal == .withConsent {
                error.message = "\(label) did not release disk \(disk.vdev) within libxl's 10 s (the guest is using it, "
                    + "paused or not answering); it stays attached"
                error.hint = "let the guest release it, or take it anyway with xk block-detach -f (the guest may see I/O errors)"
            }
            throw error
        }
    }

    func attachNetwork(_ nic: borrowing NetworkSpecification) throws(XenError) {
        let before = try listed("list the network interfaces of \(label)", control.nics(id))
        if let mac = nic.mac, before.contains(where: { $0.mac == mac }) {
            throw XenError(code: .alreadyExists,
                           message: "cannot attach '\(nic.text)' to \(label): it already has an interface with MAC \(mac)")
        }
        try checkBridge(nic)
        if case .failure(let failure) = control.addNIC(id, nic) {
            var error = XenError.libxl(failure, operation: "attach '\(nic.text)' to \(label)", messages: Self.reasons(failure.messages))
            if failure.code == LibxlCode.deviceExists { error.code = .alreadyExists }
            throw undo(error, kind: "network interface", listed: control.nics(id).map { $0.map { ($0.devid, String($0.devid)) } },
                       before: Set(before.map(\.devid))) { devid, _ in control.removeNIC(id, devid: devid, force: true) }
        }
    }

    func detachNetwork(_ selector: NetworkDeviceSelector) throws(XenError) {
        let attached = try listed("list the network interfaces of \(label)", control.nics(id))
        guard let device = attached.first(where: selector.matches) else {
            throw XenError(code: .invalidArgument, message: "\(label) has no network interface with \(selector)",
                           hint: attached.isEmpty ? "it has none" : "its interfaces: "
                               + attached.map { "\($0.devid) (\($0.mac))" }.joined(separator: ", "))
        }
        if case .failure(let failure) = control.removeNIC(id, devid: device.devid, force: false) {
            throw XenError.libxl(failure, operation: "detach network interface \(device.devid) from \(label)", messages: Self.reasons(failure.messages))
        }
    }

    func attachUSBController(_ controller: borrowing USBControllerSpecification) throws(XenError) {
        let before = try listed("list the USB controllers of \(label)", control.usbControllers(id))
        if case .failure(let failure) = control.addUSBController(id, controller) {
            let error = XenError.libxl(failure, operation: "attach USB controller '\(controller.text)' to \(label)", messages: Self.reasons(failure.messages))
            throw undo(error, kind: "USB controller", listed: control.usbControllers(id).map { $0.map { ($0.devid, String($0.devid)) } },
                       before: Set(before.map(\.devid))) { devid, _ in control.removeUSBController(id, devid: devid, force: true) }
        }
    }

    func detachUSBController(_ devid: Int) throws(XenError) {
        let attached = try listed("list the USB controllers of \(label)", control.usbControllers(id))
        guard attached.contains(where: { $0.devid == devid }) else {
            throw XenError(code: .invalidArgument, message: "\(label) has no USB controller \(devid)",
                           hint: attached.isEmpty ? "it has none" : "its USB controllers: " + attached.map { "\($0.devid) (\($0.type))" }.joined(separator: ", "))
        }
        if case .failure(let failure) = control.removeUSBController(id, devid: devid, force: false) {
            throw XenError.libxl(failure, operation: "detach USB controller \(devid) from \(label)", messages: Self.reasons(failure.messages))
        }
    }

    /// Puts the disc `target` in the HVM guest's CD-ROM drive `vdev`, or empties the drive
    /// (nil), as xl cd-insert and cd-eject do: the drive must be a CD-ROM drive the domain has
    /// (libxl says only "Virtual device not found"), and the disc a file dom0 has (libxl does
    /// not look). libxl ejects the old disc before it inserts the new one, so a failed insert
    /// says what the drive holds afterwards.
    func changeMedium(_ vdev: String, to target: String?, domainType: DomainType) throws(XenError) {
        let doing = target.map { "insert \($0) into drive \(vdev) of \(label)" } ?? "eject the disc in drive \(vdev) of \(label)"
        guard domainType == .hvm else {
            throw XenError(code: .invalidArgument,
                           message: "cannot \(doing): it is a \(domainType.rawValue.uppercased()) guest, and only HVM guests have CD-ROM drives",
                           hint: "give a PV or PVH guest the image as a disk instead: xk block-attach \(id) \(target ?? "FILE"),raw,xvdX,ro")
        }
        let attached = try listed("list the disks of \(label)", control.disks(id))
        let drives = attached.filter(\.isCDROM)
        guard let drive = attached.first(where: { $0.isNamed(vdev) }), drive.isCDROM else {
            let what = attached.contains(where: { $0.isNamed(vdev) }) ? "\(vdev) is a disk, not a CD-ROM drive" : "it has no drive \(vdev)"
            throw XenError(code: .invalidArgument, message: "cannot \(doing): \(what)",
                           hint: drives.isEmpty ? "it has no CD-ROM drive (add one to its config: disk = ['vdev=hdc,devtype=cdrom,target='])"
                                                : "its CD-ROM drives: " + drives.map(\.vdev).joined(separator: ", "))
        }
        if let target, let code = control.statError(target) {
            throw XenError(code: .invalidArgument, message: "cannot \(doing): \(target): \(String(cString: strerror(code)))", errno: code)
        }
        let disc = try DiskSpecification(words: ["vdev=\(drive.vdev),access=r,devtype=cdrom,target=\(target ?? "")"])
        // A guest that has the drive open keeps its tray locked, and the device model refuses
        // the eject "until the tray opens": its eject request asks the guest to open it, so
        // asking again a moment later is what the device model itself says to do. xl fails.
        var attempts = 1
        var result = control.insertCD(id, disc)
        while case .failure(let failure) = result, Self.trayLocked(failure.messages), attempts < Self.lockedAttempts {
            control.pause(seconds: 1)
            attempts += 1
            result = control.insertCD(id, disc)
        }
        guard case .failure(let failure) = result else { return }
        var error = XenError.libxl(failure, operation: doing, messages: Self.reasons(failure.messages))
        if Self.trayLocked(failure.messages) {
            error.hint = "the guest keeps the drive locked (it has it open, or mounted): asked \(attempts) times over \(attempts - 1) s; "
                + "unmount it in the guest, or eject it there"
        }
        switch control.disks(id) {
        case .success(let now):
            if let held = now.first(where: { $0.vdev == drive.vdev }) {
                error.message += held.target.isEmpty ? "; the drive is now empty" : "; the drive now holds \(held.target)"
            }
        case .failure:
            error.message += "; what the drive holds now could not be read"
        }
        throw error
    }

    /// A vif-bridge interface needs its bridge in dom0; libxl does not look, and its script
    /// fails only after the device is half made.
    private func checkBridge(_ nic: borrowing NetworkSpecification) throws(XenError) {
        if let backend = nic.backendDomain, backend != "Domain-0", backend != "0" { return }   // a driver domain's own
        if let script = nic.script, script.split(separator: "/").last != "vif-bridge" { return }
        let bridge = nic.bridge ?? "xenbr0"   // libxl's default (libxl_nic.c)
        guard control.hasBridge(bridge) else {
            throw XenError(code: .invalidArgument,
                           message: "cannot attach '\(nic.text)' to \(label): dom0 has no bridge '\(bridge)'",
                           hint: nic.bridge == nil ? "name one with bridge=, or set vif.default.bridge in xl.conf"
                                                   : "create it first (ip link add \(bridge) type bridge) or name another")
        }
    }

    /// How many times a change is asked for while the guest keeps the tray locked.
    static var lockedAttempts: Int { 10 }

    /// Whether the device model refused because the guest keeps the tray locked (QEMU's
    /// "Device 'ide-5632' is locked and force was not specified, wait for tray to open and try again").
    static func trayLocked(_ messages: [String]) -> Bool {
        messages.contains { $0.contains("is locked") && $0.contains("try again") }
    }

    /// What libxl logged, without its closing "unable to add device" (libxl's device code
    /// logs it after every failed add or remove), so that the hint is the reason before it.
    static func reasons(_ messages: [String]) -> [String] {
        let specific = messages.filter { !$0.contains("device_addrm_aocomplete") }
        return specific.isEmpty ? messages : specific
    }

    private func listed<T>(_ operation: String, _ result: Result<[T], LibxlFailure>) throws(XenError) -> [T] {
        switch result {
        case .success(let list): return list
        case .failure(let failure): throw XenError.libxl(failure, operation: operation, messages: Self.reasons(failure.messages))
        }
    }

    /// After a failed add: removes, at once, every device the domain has now and did not have
    /// `before`. Returns `error`, extended with what could not be undone, or with the fact that
    /// the devices could not even be listed.
    private func undo(_ error: XenError, kind: String, listed now: Result<[(devid: Int, name: String)], LibxlFailure>,
                      before: Set<Int>, remove: (Int, String) -> Result<Void, LibxlFailure>) -> XenError {
        var failures: [String] = []
        switch now {
        case .failure(let failure):
            failures.append("its \(kind)s could not be listed to check (libxl \(LibxlCode.name(failure.code)))")
        case .success(let devices):
            for device in devices where !before.contains(device.devid) {
                if case .failure(let failure) = remove(device.devid, device.name) {
                    failures.append("\(device.name) (libxl \(LibxlCode.name(failure.code)))")
                }
            }
        }
        guard !failures.isEmpty else { return error }
        var error = error
        error.message += "; and the half-attached \(kind) may remain: " + failures.joined(separator: ", ")
        error.hint = switch kind {
        case "disk": "check with xk block-list \(id) and take it with xk block-detach -f"
        case "network interface": "check with xk network-list \(id) and take it with xk network-detach"
        default: "check with xk usb-list \(id) and take it with xk usbctrl-detach"
        }
        return error
    }
}
