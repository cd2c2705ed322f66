// What a running domain's disks and network interfaces look like to the toolstack: the columns
// xl block-list and network-list print (libxl_diskinfo, libxl_nicinfo) and the parts of the
// device's config an operator asks about next (its backing file, its bridge).

/// One of a domain's virtual disks.
///
/// The corresponding libxl types are `libxl_device_disk` and `libxl_diskinfo`.
public struct BlockDevice: Sendable, Equatable {
    /// The device number the guest sees (51712 for xvda): xl block-list's "Vdev" column.
    public var devid: Int
    /// The virtual device name as configured ("xvdb", "hdc").
    public var vdev: String
    public var backendDomain: Int
    /// The guest's domain id (xl block-list's "handle").
    public var frontendDomain: Int
    /// The frontend's xenbus state (4 connected, 6 closed; -1 when unknown).
    public var state: Int
    public var eventChannel: Int
    public var ringRef: Int
    /// The backend's xenstore directory.
    public var backendPath: String
    /// The backing file or device ("" for an empty CD-ROM drive).
    public var target: String
    /// "raw", "qcow2", "empty", ...
    public var format: String
    public var isWritable: Bool
    public var isCDROM: Bool

    /// Whether `vdev`, as an operator writes it (xvdb, or the number 51728), names this disk.
    public func isNamed(_ vdev: String) -> Bool { self.vdev == vdev || String(devid) == vdev }
}

/// One of a domain's virtual network interfaces.
///
/// The corresponding libxl types are `libxl_device_nic` and `libxl_nicinfo`.
public struct NetworkDevice: Sendable, Equatable {
    public var devid: Int
    public var backendDomain: Int
    /// "00:16:3e:01:02:03".
    public var mac: String
    public var frontendDomain: Int
    /// The frontend's xenbus state (4 connected; -1 when unknown).
    public var state: Int
    public var eventChannel: Int
    public var txRingRef: Int
    public var rxRingRef: Int
    /// The backend's xenstore directory.
    public var backendPath: String
    /// The bridge as configured; nil when libxl's default applies.
    public var bridge: String?
    /// The hotplug script as configured; nil when libxl's default applies.
    public var script: String?
    /// The backend interface's name as configured (vifname=).
    public var interfaceName: String?
}

/// How `detachDisk` takes a disk away.
public enum DiskRemoval: Sendable {
    /// The guest is asked and must let go (xl block-detach): a disk the guest keeps open stays.
    case withConsent
    /// The device goes at once, without asking the guest (xl block-detach -f): the guest may
    /// see I/O errors.
    case forced
}

/// Which network interface: xl network-detach takes a device id or a MAC address.
public enum NetworkDeviceSelector: Sendable, Equatable, CustomStringConvertible {
    case devid(Int)
    case mac(String)

    /// "1" or "00:16:3e:01:02:03": a MAC when it contains a colon, as xl decides; otherwise a
    /// device id (nil when it is not a number).
    public init?(_ text: String) {
        if text.contains(":") {
            self = .mac(text)
        } else if let number = Int(text), number >= 0 {
            self = .devid(number)
        } else {
            return nil
        }
    }

    /// Whether this names `device` (a MAC in any case).
    public func matches(_ device: NetworkDevice) -> Bool {
        switch self {
        case .devid(let devid): device.devid == devid
        case .mac(let mac): device.mac == mac.lowercased()
        }
    }

    public var description: String {
        switch self {
        case .devid(let devid): "device \(devid)"
        case .mac(let mac): "MAC \(mac)"
        }
    }
}
