// Adding and removing a running domain's disks and network interfaces (xl block-attach,
// block-detach, network-attach, network-detach), with what xl leaves to chance checked first:
//
// - A request that cannot work is refused before libxl is asked, naming what is wrong: an
//   unknown domain, a backing file that is not there, a vdev or MAC already in use, a bridge
//   that dom0 does not have (libxl does not check it; its hotplug script fails after libxl has
//   written the device into xenstore, and xl leaves that half-built device behind).
// - An attach that fails anyway is undone: every device the domain gained during the call is
//   removed at once, so the domain is left as it was. A failed undo is reported with the
//   failure, never dropped.
// - A detach the guest does not agree to in time fails and says so; `forced` removes it.
// The policy is DeviceChanger, over the DeviceControl seam; XenContext's methods are its thin
// driver on the live host.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension XenContext {
    /// The domain's virtual disks, as `xl block-list` lists them.
    public func disks(_ id: DomainID) throws(XenError) -> [BlockDevice] {
        _ = try domain(id)
        return try perform("list the disks of \(describe(id))") { Libxl.disks($0, id) }
    }

    /// The domain's network interfaces, as `xl network-list` lists them.
    public func networkDevices(_ id: DomainID) throws(XenError) -> [NetworkDevice] {
        _ = try domain(id)
        return try perform("list the network interfaces of \(describe(id))") { Libxl.nics($0, id) }
    }

    /// The running domain's configuration as libxl JSON, what `xl list -l` shows of it: the
    /// config it was built from, with the live name, memory and vCPUs, and its devices as
    /// xenstore has them now (one attached since shows; one detached does not).
    /// The corresponding libxl function is `libxl_retrieve_domain_configuration`.
    public func runningConfigurationJSON(_ id: DomainID) throws(XenError) -> String {
        try perform("read the configuration of \(describe(id))") { Libxl.runningConfigurationJSON($0, id) }
    }

    /// Attaches a disk to a running domain, as `xl block-attach` does; returns once the
    /// backend is connected (the guest's frontend picks it up in its own time).
    ///
    /// - Throws: ``XenError``: ``XenError/Code/invalidArgument`` for a backing file that is
    ///   not there, ``XenError/Code/alreadyExists`` for a vdev in use, and
    ///   ``XenError/Code/operationFailed`` when libxl or the hotplug script fails; then the
    ///   domain has no more devices than before the call.
    /// The corresponding libxl function is `libxl_device_disk_add`.
    public func attachDisk(_ id: DomainID, _ disk: borrowing DiskSpecification) throws(XenError) {
        try changer(id).attachDisk(disk)
    }

    /// Detaches a disk (by vdev name such as xvdb, or by number) from a running domain, as
    /// `xl block-detach` does (`xl block-detach -f` with ``DiskRemoval/forced``).
    ///
    /// - Throws: ``XenError`` when the domain has no such disk, or when the guest does not let
    ///   go of it (then it stays attached; detach it ``DiskRemoval/forced`` to take it anyway).
    /// The corresponding libxl functions are `libxl_device_disk_safe_remove` and
    /// `libxl_device_disk_destroy`.
    public func detachDisk(_ id: DomainID, _ vdev: String, _ removal: DiskRemoval = .withConsent) throws(XenError) {
        try changer(id).detachDisk(vdev, removal)
    }

    /// Attaches a network interface to a running domain, as `xl network-attach` does.
    ///
    /// - Throws: ``XenError``: ``XenError/Code/invalidArgument`` for a bridge dom0 does not
    ///   have, ``XenError/Code/alreadyExists`` for a MAC address in use, and
    ///   ``XenError/Code/operationFailed`` when libxl or the hotplug script fails; then the
    ///   domain has no more interfaces than before the call.
    /// The corresponding libxl function is `libxl_device_nic_add`.
    public func attachNetwork(_ id: DomainID, _ nic: borrowing NetworkSpecification) throws(XenError) {
        try changer(id).attachNetwork(nic)
    }

    /// Detaches a network interface (by device id or MAC) from a running domain, as
    /// `xl network-detach` does: the guest is asked first, and after libxl's 10 s the interface
    /// is removed anyway.
    /// The corresponding libxl function is `libxl_device_nic_remove`.
    public func detachNetwork(_ id: DomainID, _ selector: NetworkDeviceSelector) throws(XenError) {
        try changer(id).detachNetwork(selector)
    }

    /// Puts a disc image in an HVM guest's CD-ROM drive (by vdev, such as hdc), or empties the
    /// drive when `image` is nil, as `xl cd-insert` and `xl cd-eject` do.
    ///
    /// - Throws: ``XenError`` (``XenError/Code/invalidArgument``) for a guest that is not HVM,
    ///   a drive it does not have or that is not a CD-ROM drive, or an image dom0 does not have;
    ///   ``XenError/Code/operationFailed`` when the device model fails, with what the drive
    ///   holds afterwards.
    /// The corresponding libxl function is `libxl_cdrom_insert`.
    public func changeCD(_ id: DomainID, drive vdev: String, to image: String?) throws(XenError) {
        let type = try domain(id).type
        try DeviceChanger(control: LiveDeviceControl(context: self), id: id, label: describe(id))
            .changeMedium(vdev, to: image, domainType: type)
    }

    /// Attaches a USB controller to a running domain, as `xl usbctrl-attach` does.
    ///
    /// - Throws: ``XenError`` when libxl or the device model refuses it; then the domain has
    ///   no more controllers than before the call.
    /// The corresponding libxl function is `libxl_device_usbctrl_add`.
    public func attachUSBController(_ id: DomainID, _ controller: borrowing USBControllerSpecification) throws(XenError) {
        try changer(id).attachUSBController(controller)
    }

    /// Detaches a USB controller (by device id), and the devices on it, as `xl usbctrl-detach` does.
    /// The corresponding libxl function is `libxl_device_usbctrl_remove`.
    public func detachUSBController(_ id: DomainID, devid: Int) throws(XenError) {
        try changer(id).detachUSBController(devid)
    }

    /// The domain's channels, as `xl channel-list` lists them.
    public func channels(_ id: DomainID) throws(XenError) -> [ChannelDevice] {
        _ = try domain(id)
        return try perform("list the channels of \(describe(id))") { Libxl.channels($0, id) }
    }

    /// The domain's virtual TPMs, as `xl vtpm-list` lists them.
    public func vtpms(_ id: DomainID) throws(XenError) -> [VTPMDevice] {
        _ = try domain(id)
        return try perform("list the virtual TPMs of \(describe(id))") { Libxl.vtpms($0, id) }
    }

    /// The domain's USB controllers and what is on their ports, as `xl usb-list` lists them.
    public func usbControllers(_ id: DomainID) throws(XenError) -> [USBController] {
        _ = try domain(id)
        return try perform("list the USB controllers of \(describe(id))") { Libxl.usbControllers($0, id) }
    }

    /// ``attachDisk(_:_:)``, then the disk is kept in the domain's definition too, so that the
    /// next `xk start` has it. Refused before anything changes when the domain has no
    /// definition; a definition that cannot be changed is reported after the attach.
    public func attachDisk(_ id: DomainID, _ disk: borrowing DiskSpecification, persistingIn store: DefinitionStore,
                           command: String) throws(XenError) {
        let name = try definedName(id, store)
        try attachDisk(id, disk)
        try persisted(id, name) { () throws(XenError) in
            _ = try store.change(name, list: "disk", .add(disk.configItem), command: command, options: .init(host: try? hostTopology()))
        }
    }

    /// ``detachDisk(_:_:_:)``, then the disk leaves the domain's definition too.
    public func detachDisk(_ id: DomainID, _ vdev: String, _ removal: DiskRemoval, persistingIn store: DefinitionStore,
                           command: String) throws(XenError) {
        let name = try definedName(id, store)
        let gone = try disks(id).first { $0.isNamed(vdev) }?.vdev ?? vdev
        try detachDisk(id, vdev, removal)
        try persisted(id, name) { () throws(XenError) in
            _ = try store.change(name, list: "disk", .remove({ item in (try? DiskSpecification(words: [item]))?.vdev == gone }),
                             command: command, options: .init(host: try? hostTopology()))
        }
    }

    /// ``attachNetwork(_:_:)``, then the interface is kept in the domain's definition too.
    public func attachNetwork(_ id: DomainID, _ nic: borrowing NetworkSpecification, persistingIn store: DefinitionStore,
                              command: String) throws(XenError) {
        let name = try definedName(id, store)
        try attachNetwork(id, nic)
        try persisted(id, name) { () throws(XenError) in
            _ = try store.change(name, list: "vif", .add(nic.configItem), command: command, options: .init(host: try? hostTopology()))
        }
    }

    /// ``detachNetwork(_:_:)``, then the interface (found by its MAC address) leaves the
    /// domain's definition too.
    public func detachNetwork(_ id: DomainID, _ selector: NetworkDeviceSelector, persistingIn store: DefinitionStore,
                              command: String) throws(XenError) {
        let name = try definedName(id, store)
        let mac = try networkDevices(id).first(where: selector.matches)?.mac
        try detachNetwork(id, selector)
        guard let mac else { return }
        try persisted(id, name) { () throws(XenError) in
            _ = try store.change(name, list: "vif", .remove({ item in
                (try? NetworkSpecification(words: [item]))?.mac == mac
            }), command: command, options: .init(host: try? hostTopology()))
        }
    }

    private func definedName(_ id: DomainID, _ store: DefinitionStore) throws(XenError) -> String {
        guard let name = name(of: id), store.isDefined(name) else {
            throw XenError(code: .invalidArgument, message: "\(describe(id)) is not defined, so --persist has nowhere to keep the change",
                           hint: "define it first (xk define FILE), or leave out --persist")
        }
        return name
    }

    private func persisted(_ id: DomainID, _ name: String, _ body: () throws(XenError) -> Void) throws(XenError) {
        do {
            try body()
        } catch {
            var error = error
            error.message = "the running \(describe(id)) has the change, but its definition does not: " + error.message
            throw error
        }
    }

    /// The policy over the live host, for a domain that exists now.
    private func changer(_ id: DomainID) throws(XenError) -> DeviceChanger<LiveDeviceControl> {
        _ = try domain(id)
        return DeviceChanger(control: LiveDeviceControl(context: self), id: id, label: describe(id))
    }
}
