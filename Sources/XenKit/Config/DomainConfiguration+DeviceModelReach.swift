// What in an HVM (or PV framebuffer) config reaches into the host through the device model.
//
// Why apart from hostReach's disks and scripts: QEMU runs in dom0 as root, and libxl passes it
// host paths and addresses from the config on a migration's receiving end as much as at a
// create (libxl_dm.c builds the same arguments with -incoming added). So a sender's config
// can make the receiver's QEMU read any host file into its guest (HVM `kernel=`, `ramdisk=`:
// the guest reads them back through fw_cfg), write or truncate one (`serial="file:/etc/..."`),
// open a host device (`serial="/dev/ttyS0"`, `usbdevice="host:..."`), connect to a host socket
// (a channel), or listen on the host's network (VNC or SPICE beyond loopback). Found when the
// HVM guest first crossed between two lab hosts (issue 17): lab-hvm's kernel= went through.
internal import CXen

extension DomainConfiguration {
    /// Serial port and USB device values that stay inside the device model.
    static let containedSerials: Set<String> = ["pty", "none", "null", "vc"]
    static let containedUSBDevices: Set<String> = ["tablet", "mouse", "keyboard"]

    /// hostReach's part for the device model: HVM boot files, firmware, serial ports, USB
    /// devices, sound, keymaps, displays that listen beyond loopback, channels on sockets.
    var deviceModelReach: [String] {
        let c = raw.pointee
        var found: [String] = []
        func text(_ p: UnsafeMutablePointer<CChar>?) -> String? {
            guard let p, p.pointee != 0 else { return nil }
            return Self.printable(String(cString: p))
        }
        func list(_ value: libxl_string_list?) -> [String] {
            guard var p = value else { return [] }
            var items: [String] = []
            while let item = p.pointee, items.count < 64 {
                if let t = text(item) { items.append(t) }
                p += 1
            }
            return items
        }
        /// `unset` is where the server listens when the config names no address.
        func listens(_ enable: libxl_defbool, _ address: String?, default on: Bool, unset: String = "127.0.0.1") -> Bool {
            let enabled = libxl_defbool_is_default(enable) ? on : libxl_defbool_val(enable)
            return enabled && !Self.isLoopback(address ?? unset)
        }
        if c.c_info.type == LIBXL_DOMAIN_TYPE_HVM {
            let b = c.b_info
            let hvm = b.u.hvm
            if let kernel = text(b.kernel) { found.append("kernel \(kernel) read by the device model") }
            if let ramdisk = text(b.ramdisk) { found.append("ramdisk \(ramdisk) read by the device model") }
            for (what, path) in [("firmware", hvm.firmware), ("system firmware", hvm.system_firmware),
                                 ("SMBIOS firmware", hvm.smbios_firmware), ("ACPI firmware", hvm.acpi_firmware)] {
                if let path = text(path) { found.append("\(what) \(path)") }
            }
            for serial in ([text(hvm.serial)].compactMap { $0 } + list(hvm.serial_list))
            where !Self.containedSerials.contains(serial) {
                found.append("serial port on \(serial)")
            }
            for device in ([text(hvm.usbdevice)].compactMap { $0 } + list(hvm.usbdevice_list))
            where !Self.containedUSBDevices.contains(device) {
                found.append("USB device \(device)")
            }
            if let sound = text(hvm.soundhw) { found.append("sound hardware \(sound) on the host's audio") }
            if let keymap = text(hvm.keymap), keymap.contains("/") { found.append("keymap file \(keymap)") }
            if listens(hvm.vnc.enable, text(hvm.vnc.listen), default: true) {
                found.append("VNC server on \(text(hvm.vnc.listen) ?? "?")")
            }
            // Without an address, libxl gives QEMU's SPICE none: it listens on every one.
            if listens(hvm.spice.enable, text(hvm.spice.host), default: false, unset: "0.0.0.0") {
                found.append("SPICE server on \(text(hvm.spice.host) ?? "every address")")
            }
            let sdl = hvm.sdl.enable
            if !libxl_defbool_is_default(sdl) && libxl_defbool_val(sdl) { found.append("SDL window on the host's display") }
        }
        for i in 0..<Int(max(c.num_vfbs, 0)) {
            let vfb = c.vfbs[i]
            if listens(vfb.vnc.enable, text(vfb.vnc.listen), default: false) {
                found.append("vfb \(i) VNC server on \(text(vfb.vnc.listen) ?? "?")")
            }
            let sdl = vfb.sdl.enable
            if !libxl_defbool_is_default(sdl) && libxl_defbool_val(sdl) { found.append("vfb \(i) SDL window on the host's display") }
        }
        for i in 0..<Int(max(c.num_channels, 0)) where c.channels[i].connection == LIBXL_CHANNEL_CONNECTION_SOCKET {
            found.append("channel \(i) on the host socket \(text(c.channels[i].u.socket.path) ?? "?")")
        }
        return found
    }

    /// Whether a listen address stays on this host.
    static func isLoopback(_ address: String) -> Bool {
        let host = address.hasPrefix("[") ? String(address.dropFirst().prefix { $0 != "]" })
                                          : String(address.prefix { $0 != ":" })
        return host.hasPrefix("127.") || host == "localhost" || address.hasPrefix("[::1]") || address == "::1"
    }
}
