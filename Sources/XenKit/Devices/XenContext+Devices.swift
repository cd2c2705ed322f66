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

    /// Attaches a disk to a running domain, as `xl block-attach` does; returns once the
    /// backend is connected (the guest's frontend picks it up in its own time).
    ///
    /// - Throws: ``XenError``: ``XenError/Code/invalidArgument`` for a backing file that is
    ///   not there, ``XenError/Code/alreadyExists`` for a vdev in use, and
    ///   ``XenError/Code/operationFailed`` when libxl or the hotplug script fails; then the
    ///   domain has no more devices than before the call.
    /// The corresponding libxl function is `libxl_device_disk_add`.
    public func attachDisk(_ id: DomainID, _ disk: borrowing DiskSpecification) throws(XenError) {
        let label = describe(id)
        let before = try disks(id)
        let vdev = disk.vdev
        if let taken = before.first(where: { $0.vdev == vdev }) {
            throw XenError(code: .alreadyExists,
                           message: "cannot attach '\(disk.text)' to \(label): it already has a disk \(vdev)"
                               + (taken.target.isEmpty ? "" : " (\(taken.target))"),
                           hint: "choose another vdev, or detach that one first: xk block-detach \(id) \(vdev)")
        }
        let target = disk.target
        if !disk.isEmpty, !disk.hasScript, !target.isEmpty {
            var status = stat()
            if stat(target, &status) != 0 {
                let code = errno
                throw XenError(code: .invalidArgument,
                               message: "cannot attach '\(disk.text)' to \(label): \(target): \(String(cString: strerror(code)))",
                               errno: code)
            }
        }
        let mark = logger.mark()
        if case .failure(let failure) = Libxl.addDisk(ctx, id, disk.raw) {
            var error = self.error(failure, "attach '\(disk.text)' to \(label)", id, since: mark)
            if failure.code == LibxlCode.deviceExists {
                error.code = .alreadyExists
                error.hint = "\(vdev) is in use in \(label) (under another name?); see xk block-list \(id)"
            }
            try undoDisks(id, keeping: before, after: error)
            throw error
        }
    }

    /// Detaches a disk (by vdev name such as xvdb, or by number) from a running domain, as
    /// `xl block-detach` does (`xl block-detach -f` with ``DiskRemoval/forced``).
    ///
    /// - Throws: ``XenError`` when the domain has no such disk, or when the guest does not let
    ///   go of it (then it stays attached; detach it ``DiskRemoval/forced`` to take it anyway).
    /// The corresponding libxl functions are `libxl_device_disk_safe_remove` and
    /// `libxl_device_disk_destroy`.
    public func detachDisk(_ id: DomainID, _ vdev: String, _ removal: DiskRemoval = .withConsent) throws(XenError) {
        let label = describe(id)
        let attached = try disks(id)
        guard let disk = attached.first(where: { $0.vdev == vdev || String($0.devid) == vdev }) else {
            throw XenError(code: .invalidArgument, message: "\(label) has no disk \(vdev)",
                           hint: attached.isEmpty ? "it has no disks" : "its disks: " + attached.map(\.vdev).joined(separator: ", "))
        }
        let mark = logger.mark()
        let result = Libxl.removeDisk(ctx, id, vdev: disk.vdev, removal == .forced ? .force : .safe)
        if case .failure(let failure) = result {
            var error = self.error(failure, "detach disk \(disk.vdev) from \(label)", id, since: mark)
            if failure.code == LibxlCode.timedOut, removal == .withConsent {
                error.message = "\(label) did not release disk \(disk.vdev) within libxl's 10 s (the guest is using it, "
                    + "paused or not answering); it stays attached"
                error.hint = "let the guest release it, or take it anyway with xk block-detach -f (the guest may see I/O errors)"
            }
            throw error
        }
    }

    /// Attaches a network interface to a running domain, as `xl network-attach` does.
    ///
    /// - Throws: ``XenError``: ``XenError/Code/invalidArgument`` for a bridge dom0 does not
    ///   have, ``XenError/Code/alreadyExists`` for a MAC address in use, and
    ///   ``XenError/Code/operationFailed`` when libxl or the hotplug script fails; then the
    ///   domain has no more interfaces than before the call.
    /// The corresponding libxl function is `libxl_device_nic_add`.
    public func attachNetwork(_ id: DomainID, _ nic: borrowing NetworkSpecification) throws(XenError) {
        let label = describe(id)
        let before = try networkDevices(id)
        if let mac = nic.mac, before.contains(where: { $0.mac == mac }) {
            throw XenError(code: .alreadyExists, message: "cannot attach '\(nic.text)' to \(label): it already has an interface with MAC \(mac)")
        }
        try checkBridge(nic, label: label)
        let mark = logger.mark()
        if case .failure(let failure) = Libxl.addNIC(ctx, id, nic.raw) {
            var error = self.error(failure, "attach '\(nic.text)' to \(label)", id, since: mark)
            if failure.code == LibxlCode.deviceExists { error.code = .alreadyExists }
            try undoNetworkDevices(id, keeping: before, after: error)
            throw error
        }
    }

    /// Detaches a network interface (by device id or MAC) from a running domain, as
    /// `xl network-detach` does: the guest is asked first, and after libxl's 10 s the interface
    /// is removed anyway.
    /// The corresponding libxl function is `libxl_device_nic_remove`.
    public func detachNetwork(_ id: DomainID, _ selector: NetworkDeviceSelector) throws(XenError) {
        let label = describe(id)
        let attached = try networkDevices(id)
        let found = attached.first { device in
            switch selector {
            case .devid(let devid): device.devid == devid
            case .mac(let mac): device.mac == mac.lowercased()
            }
        }
        guard let device = found else {
            throw XenError(code: .invalidArgument, message: "\(label) has no network interface with \(selector)",
                           hint: attached.isEmpty ? "it has none" : "its interfaces: "
                               + attached.map { "\($0.devid) (\($0.mac))" }.joined(separator: ", "))
        }
        try act("detach network interface \(device.devid) from", id) { Libxl.removeNIC($0, $1, .devid(device.devid)) }
    }

    /// A vif-bridge interface needs its bridge in dom0; libxl does not look, and its script
    /// fails only after the device is half made.
    private func checkBridge(_ nic: borrowing NetworkSpecification, label: String) throws(XenError) {
        if let backend = nic.backendDomain, backend != "Domain-0", backend != "0" { return }   // a driver domain's own
        if let script = nic.script, script.split(separator: "/").last != "vif-bridge" { return }
        let bridge = nic.bridge ?? "xenbr0"   // libxl's default (libxl_nic.c)
        let isName = !bridge.isEmpty && bridge.count < 16 && !bridge.contains("/") && bridge != "." && bridge != ".."
        guard isName, access("/sys/class/net/\(bridge)/bridge", F_OK) == 0 else {
            throw XenError(code: .invalidArgument,
                           message: "cannot attach '\(nic.text)' to \(label): dom0 has no bridge '\(bridge)'",
                           hint: nic.bridge == nil ? "name one with bridge=, or set vif.default.bridge in xl.conf"
                                                   : "create it first (ip link add \(bridge) type bridge) or name another")
        }
    }

    /// Removes, at once, every disk of `id` that is not in `before`; a failure joins `error`.
    private func undoDisks(_ id: DomainID, keeping before: [BlockDevice], after error: XenError) throws(XenError) {
        guard let now = try? Libxl.disks(ctx, id).get() else { return }
        let known = Set(before.map(\.devid))
        var failures: [String] = []
        for disk in now where !known.contains(disk.devid) {
            if case .failure(let failure) = Libxl.removeDisk(ctx, id, vdev: disk.vdev, .force) {
                failures.append("\(disk.vdev) (libxl \(LibxlCode.name(failure.code)))")
            }
        }
        if !failures.isEmpty { throw Self.undoFailed(error, "disk", failures) }
    }

    /// Removes, at once, every interface of `id` that is not in `before`; a failure joins `error`.
    private func undoNetworkDevices(_ id: DomainID, keeping before: [NetworkDevice], after error: XenError) throws(XenError) {
        guard let now = try? Libxl.nics(ctx, id).get() else { return }
        let known = Set(before.map(\.devid))
        var failures: [String] = []
        for nic in now where !known.contains(nic.devid) {
            if case .failure(let failure) = Libxl.removeNIC(ctx, id, .devid(nic.devid), force: true) {
                failures.append("\(nic.devid) (libxl \(LibxlCode.name(failure.code)))")
            }
        }
        if !failures.isEmpty { throw Self.undoFailed(error, "network interface", failures) }
    }

    private static func undoFailed(_ error: XenError, _ kind: String, _ failures: [String]) -> XenError {
        var error = error
        error.message += "; and the half-attached \(kind) could not be removed: " + failures.joined(separator: ", ")
        error.hint = "remove it by hand (xk block-list / network-list show it)"
        return error
    }
}
