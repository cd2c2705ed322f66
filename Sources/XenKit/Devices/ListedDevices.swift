// The devices xk lists as xl does but does not attach itself: channels (xl channel-list),
// virtual TPMs (xl vtpm-list) and USB controllers (xl usb-list). Each holds the columns xl
// prints and what an operator asks about next.

/// One of a domain's channels: a named byte pipe between the guest and a dom0 pty or socket.
///
/// The corresponding libxl types are `libxl_device_channel` and `libxl_channelinfo`.
public struct ChannelDevice: Sendable, Equatable {
    public var devid: Int
    public var backendDomain: Int
    /// The frontend's xenbus state.
    public var state: Int
    public var eventChannel: Int
    public var ringRef: Int
    /// "pty", "socket" (libxl's name).
    public var connection: String
    /// The channel's name as the guest sees it ("org.qemu.guest_agent.0").
    public var name: String?
    /// The dom0 pty of a pty channel, once the backend has made it.
    public var ptyPath: String?
    /// The dom0 socket of a socket channel.
    public var socketPath: String?
}

/// One of a domain's virtual TPMs.
///
/// The corresponding libxl types are `libxl_device_vtpm` and `libxl_vtpminfo`.
public struct VTPMDevice: Sendable, Equatable {
    public var devid: Int
    public var backendDomain: Int
    public var uuid: String
    public var state: Int
    public var eventChannel: Int
    public var ringRef: Int
    public var backendPath: String
}

/// One of a domain's virtual USB controllers, with what is plugged into each port.
///
/// The corresponding libxl types are `libxl_device_usbctrl`, `libxl_usbctrlinfo` and
/// `libxl_device_usbdev`.
public struct USBController: Sendable, Equatable {
    /// A port (numbered from 1) and the host USB device on it, if any.
    public struct Port: Sendable, Equatable {
        public var port: Int
        public var hostBus: Int?
        public var hostAddress: Int?
    }

    public var devid: Int
    /// "pv", "devicemodel", "qusb" (libxl's name).
    public var type: String
    public var backendDomain: Int
    public var state: Int
    /// The USB version, 1 or 2 (3 for some device models).
    public var version: Int
    /// How many ports the controller has.
    public var portCount: Int
    public var ports: [Port]
}
