// Network interfaces (vif), framebuffers (vfb and the top-level vnc/sdl keys of PV guests),
// virtual keyboards (vkb) and USB (usbctrl, usbdev): the xl_parse.c mini-languages that are
// xl's own, as xl 4.17 reads them. See ConfigMapper+Devices.swift for the conventions.
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension ConfigMapper {
    /// vif options that set a string field as given (COLO's many knobs among them).
    static var nicStringOptions: [(String, WritableKeyPath<libxl_device_nic, UnsafeMutablePointer<CChar>?>)] { [
        ("bridge", \.bridge), ("gatewaydev", \.gatewaydev), ("ip", \.ip), ("script", \.script),
        ("backend", \.backend_domname), ("vifname", \.ifname), ("model", \.model),
        ("forwarddev", \.coloft_forwarddev),
        ("colo_sock_mirror_id", \.colo_sock_mirror_id),
        ("colo_sock_mirror_ip", \.colo_sock_mirror_ip),
        ("colo_sock_mirror_port", \.colo_sock_mirror_port),
        ("colo_sock_compare_pri_in_id", \.colo_sock_compare_pri_in_id),
        ("colo_sock_compare_pri_in_ip", \.colo_sock_compare_pri_in_ip),
        ("colo_sock_compare_pri_in_port", \.colo_sock_compare_pri_in_port),
        ("colo_sock_compare_sec_in_id", \.colo_sock_compare_sec_in_id),
        ("colo_sock_compare_sec_in_ip", \.colo_sock_compare_sec_in_ip),
        ("colo_sock_compare_sec_in_port", \.colo_sock_compare_sec_in_port),
        ("colo_sock_compare_notify_id", \.colo_sock_compare_notify_id),
        ("colo_sock_compare_notify_ip", \.colo_sock_compare_notify_ip),
        ("colo_sock_compare_notify_port", \.colo_sock_compare_notify_port),
        ("colo_sock_redirector0_id", \.colo_sock_redirector0_id),
        ("colo_sock_redirector0_ip", \.colo_sock_redirector0_ip),
        ("colo_sock_redirector0_port", \.colo_sock_redirector0_port),
        ("colo_sock_redirector1_id", \.colo_sock_redirector1_id),
        ("colo_sock_redirector1_ip", \.colo_sock_redirector1_ip),
        ("colo_sock_redirector1_port", \.colo_sock_redirector1_port),
        ("colo_sock_redirector2_id", \.colo_sock_redirector2_id),
        ("colo_sock_redirector2_ip", \.colo_sock_redirector2_ip),
        ("colo_sock_redirector2_port", \.colo_sock_redirector2_port),
        ("colo_filter_mirror_queue", \.colo_filter_mirror_queue),
        ("colo_filter_mirror_outdev", \.colo_filter_mirror_outdev),
        ("colo_filter_redirector0_queue", \.colo_filter_redirector0_queue),
        ("colo_filter_redirector0_indev", \.colo_filter_redirector0_indev),
        ("colo_filter_redirector0_outdev", \.colo_filter_redirector0_outdev),
        ("colo_filter_redirector1_queue", \.colo_filter_redirector1_queue),
        ("colo_filter_redirector1_indev", \.colo_filter_redirector1_indev),
        ("colo_filter_redirector1_outdev", \.colo_filter_redirector1_outdev),
        ("colo_compare_pri_in", \.colo_compare_pri_in),
        ("colo_compare_sec_in", \.colo_compare_sec_in),
        ("colo_compare_out", \.colo_compare_out),
        ("colo_compare_notify_dev", \.colo_compare_notify_dev),
        ("colo_sock_sec_redirector0_id", \.colo_sock_sec_redirector0_id),
        ("colo_sock_sec_redirector0_ip", \.colo_sock_sec_redirector0_ip),
        ("colo_sock_sec_redirector0_port", \.colo_sock_sec_redirector0_port),
        ("colo_sock_sec_redirector1_id", \.colo_sock_sec_redirector1_id),
        ("colo_sock_sec_redirector1_ip", \.colo_sock_sec_redirector1_ip),
        ("colo_sock_sec_redirector1_port", \.colo_sock_sec_redirector1_port),
        ("colo_filter_sec_redirector0_queue", \.colo_filter_sec_redirector0_queue),
        ("colo_filter_sec_redirector0_indev", \.colo_filter_sec_redirector0_indev),
        ("colo_filter_sec_redirector0_outdev", \.colo_filter_sec_redirector0_outdev),
        ("colo_filter_sec_redirector1_queue", \.colo_filter_sec_redirector1_queue),
        ("colo_filter_sec_redirector1_indev", \.colo_filter_sec_redirector1_indev),
        ("colo_filter_sec_redirector1_outdev", \.colo_filter_sec_redirector1_outdev),
        ("colo_filter_sec_rewriter0_queue", \.colo_filter_sec_rewriter0_queue),
        ("colo_checkpoint_host", \.colo_checkpoint_host),
        ("colo_checkpoint_port", \.colo_checkpoint_port),
    ] }

    mutating func mapNICs() throws(XenError) {
        guard let specs = try file.list("vif") else { return }
        let d = config
        d.pointee.num_nics = 0
        d.pointee.nics = nil
        for (index, spec) in specs.enumerated() {
            let nic = Self.extend(&d.pointee.nics, &d.pointee.num_nics) { libxl_device_nic_init($0) }
            nic.pointee.devid = Int32(index)
            for token in Self.tokens(spec) {
                try parseNICOption(token, nic: nic, index: index, spec: spec)
            }
        }
        if file.isSet("vif2") {
            warnings.append(file.location("vif2") + "vif2: netchannel2 is deprecated and not supported (ignored, as xl does)")
        }
    }

    mutating func parseNICOption(_ token: String, nic: UnsafeMutablePointer<libxl_device_nic>,
                                 index: Int, spec: String) throws(XenError) {
        switch token {
        case "trusted": libxl_defbool_set(&nic.pointee.trusted, true); return
        case "untrusted": libxl_defbool_set(&nic.pointee.trusted, false); return
        default: break
        }
        guard let (key, value) = Self.option(token) else {
            throw itemError("vif", index, spec, "unrecognized option '\(token)'", hint: "see xl-network-configuration(5)")
        }
        if let field = Self.nicStringOptions.first(where: { $0.0 == key })?.1 {
            let pointer = withUnsafeMutablePointer(to: &nic.pointee[keyPath: field]) { $0 }
            setString(pointer, value)
            return
        }
        switch key {
        case "type":
            switch value {
            case "vif": nic.pointee.nictype = LIBXL_NIC_TYPE_VIF
            case "ioemu": nic.pointee.nictype = LIBXL_NIC_TYPE_VIF_IOEMU
            default: throw itemError("vif", index, spec, "type=\(value): use vif or ioemu")
            }
        case "mac":
            guard let mac = Self.parseMAC(value) else {
                throw itemError("vif", index, spec, "mac=\(value) is not a MAC address", hint: "write it as 00:16:3e:xx:xx:xx")
            }
            withUnsafeMutableBytes(of: &nic.pointee.mac) { bytes in
                for (i, byte) in mac.enumerated() { bytes[i] = byte }
            }
        case "netdev":
            warnings.append(file.location("vif") + "vif: netdev= is deprecated; use gatewaydev=")
            setString(&nic.pointee.gatewaydev, value)
        case "rate":
            let mark = file.reportText.utf8.count
            if xlu_vif_parse_rate(file.raw, value, nic) != 0 {
                throw itemError("vif", index, spec, libxlutilComplaint(since: mark).nonEmpty ?? "rate=\(value) is not a rate",
                                hint: "e.g. rate=10Mb/s or rate=1MB/s@20ms")
            }
        case "accel":
            warnings.append(file.location("vif") + "vif: accel= is not supported (ignored, as xl does)")
        case "devid":
            guard let number = Self.parseULong(value), number <= Int(Int32.max) else {
                throw itemError("vif", index, spec, "devid=\(value) is not a number")
            }
            nic.pointee.devid = Int32(number)
        case "mtu":
            guard let number = Self.parseULong(value), number <= Int(Int32.max) else {
                throw itemError("vif", index, spec, "mtu=\(value) is not a number")
            }
            nic.pointee.mtu = Int32(number)
        default:
            throw itemError("vif", index, spec, "unrecognized option '\(key)'", hint: "see xl-network-configuration(5)")
        }
    }

    /// Six hex bytes separated by any one character, as xl reads them (strtoul base 16).
    static func parseMAC(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        let split = parts.count == 6 ? parts : text.split(separator: "-", omittingEmptySubsequences: false)
        guard split.count == 6 else { return nil }
        var bytes: [UInt8] = []
        for part in split {
            guard (1...2).contains(part.count), let byte = UInt8(part, radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    /// strtoul base 10 over the whole text (xl's parse_ulong).
    static func parseULong(_ text: String) -> Int? {
        guard !text.isEmpty, text.allSatisfy(\.isASCII), let value = Int(text), value >= 0 else { return nil }
        return value
    }

    /// C's atoi: leading blanks, an optional sign, digits; 0 when there are none.
    static func atoi(_ text: String) -> Int32 { text.withCString { Glibc.atoi($0) } }

    /// strtoul(text, NULL, 0) as xl calls it: whatever prefix is a number.
    static func strtoul0(_ text: String) -> UInt { text.withCString { strtoul($0, nil, 0) } }

    // MARK: - vfb (and the vkb that goes with each)

    mutating func mapFramebuffers() throws(XenError) {
        let d = config
        d.pointee.num_vfbs = 0
        d.pointee.num_vkbs = 0
        d.pointee.vfbs = nil
        d.pointee.vkbs = nil
        guard let specs = try file.list("vfb") else { return }
        for (index, spec) in specs.enumerated() {
            let vfb = Self.extend(&d.pointee.vfbs, &d.pointee.num_vfbs) { libxl_device_vfb_init($0) }
            vfb.pointee.devid = Int32(index)
            let vkb = Self.extend(&d.pointee.vkbs, &d.pointee.num_vkbs) { libxl_device_vkb_init($0) }
            vkb.pointee.devid = Int32(index)
            for token in Self.tokens(spec) {
                guard let (key, value) = Self.option(token) else { break }   // as xl
                switch key {
                case "vnc": libxl_defbool_set(&vfb.pointee.vnc.enable, Self.atoi(value) != 0)
                case "vnclisten": setString(&vfb.pointee.vnc.listen, value)
                case "vncpasswd": setString(&vfb.pointee.vnc.passwd, value)
                case "vncdisplay": vfb.pointee.vnc.display = Self.atoi(value)
                case "vncunused": libxl_defbool_set(&vfb.pointee.vnc.findunused, Self.atoi(value) != 0)
                case "keymap": setString(&vfb.pointee.keymap, value)
                case "sdl": libxl_defbool_set(&vfb.pointee.sdl.enable, Self.atoi(value) != 0)
                case "opengl": libxl_defbool_set(&vfb.pointee.sdl.opengl, Self.atoi(value) != 0)
                case "display": setString(&vfb.pointee.sdl.display, value)
                case "xauthority": setString(&vfb.pointee.sdl.xauthority, value)
                default:
                    warnings.append(file.location("vfb") + "vfb: unknown option '\(key)' (ignored, as xl does)")
                }
            }
        }
    }

    /// The top-level vnc/sdl keys. For a PV guest without vfb = [...], vnc = 1 adds a vfb and
    /// a vkb; otherwise they configure the HVM device model's display.
    mutating func mapTopLevelDisplay() throws(XenError) {
        let d = config
        let b = withUnsafeMutablePointer(to: &d.pointee.b_info) { $0 }
        if d.pointee.c_info.type == LIBXL_DOMAIN_TYPE_PV && d.pointee.num_vfbs == 0 {
            guard let vnc = try file.integer("vnc"), vnc != 0 else { return }
            let vfb = Self.extend(&d.pointee.vfbs, &d.pointee.num_vfbs) { libxl_device_vfb_init($0) }
            vfb.pointee.devid = 0
            let vkb = Self.extend(&d.pointee.vkbs, &d.pointee.num_vkbs) { libxl_device_vkb_init($0) }
            vkb.pointee.devid = 0
            try mapVNC(&vfb.pointee.vnc)
            try mapSDL(&vfb.pointee.sdl)
            if let keymap = try file.string("keymap") { setString(&vfb.pointee.keymap, keymap) }
        } else {
            try mapVNC(&b.pointee.u.hvm.vnc)
            try mapSDL(&b.pointee.u.hvm.sdl)
        }
    }

    func mapVNC(_ vnc: UnsafeMutablePointer<libxl_vnc_info>) throws(XenError) {
        try setDefbool(&vnc.pointee.enable, "vnc")
        if let listen = try file.string("vnclisten") { setString(&vnc.pointee.listen, listen) }
        if let password = try file.string("vncpasswd") { setString(&vnc.pointee.passwd, password) }
        if let display = try file.integer("vncdisplay", in: 0...Int(Int32.max)) { vnc.pointee.display = Int32(display) }
        try setDefbool(&vnc.pointee.findunused, "vncunused")
    }

    func mapSDL(_ sdl: UnsafeMutablePointer<libxl_sdl_info>) throws(XenError) {
        try setDefbool(&sdl.pointee.enable, "sdl")
        try setDefbool(&sdl.pointee.opengl, "opengl")
        if let display = try file.string("display") { setString(&sdl.pointee.display, display) }
        if let xauthority = try file.string("xauthority") { setString(&sdl.pointee.xauthority, xauthority) }
    }

    // MARK: - usbctrl, usbdev

    /// One option of a usbctrl= item (or of xk usbctrl-attach's spec) into `controller`.
    func parseUSBControllerOption(_ token: String, controller: UnsafeMutablePointer<libxl_device_usbctrl>,
                                  index: Int, spec: String) throws(XenError) {
        guard let (key, value) = Self.option(token) else {
            throw itemError("usbctrl", index, spec, "unknown option '\(token)'")
        }
        switch key {
        case "type":
            guard libxl_usbctrl_type_from_string(value, &controller.pointee.type) == 0 else {
                throw itemError("usbctrl", index, spec, "unknown type '\(value)'", hint: "use auto, pv, devicemodel or qusb")
            }
        case "version": controller.pointee.version = Self.atoi(value)
        case "ports": controller.pointee.ports = Self.atoi(value)
        default: throw itemError("usbctrl", index, spec, "unknown option '\(key)'", hint: "usbctrl takes type=, version= and ports=")
        }
    }

    mutating func mapUSB() throws(XenError) {
        let d = config
        if let specs = try file.list("usbctrl") {
            d.pointee.num_usbctrls = 0
            d.pointee.usbctrls = nil
            for (index, spec) in specs.enumerated() {
                let controller = Self.extend(&d.pointee.usbctrls, &d.pointee.num_usbctrls) { libxl_device_usbctrl_init($0) }
                controller.pointee.devid = Int32(index)
                for token in Self.tokens(spec) {
                    try parseUSBControllerOption(token, controller: controller, index: index, spec: spec)
                }
            }
        }
        if let specs = try file.list("usbdev") {
            d.pointee.num_usbdevs = 0
            d.pointee.usbdevs = nil
            for (index, spec) in specs.enumerated() {
                let device = Self.extend(&d.pointee.usbdevs, &d.pointee.num_usbdevs) { libxl_device_usbdev_init($0) }
                for token in Self.tokens(spec) {
                    guard let (key, value) = Self.option(token) else {
                        throw itemError("usbdev", index, spec, "unknown option '\(token)'")
                    }
                    switch key {
                    case "type":
                        guard libxl_usbdev_type_from_string(value, &device.pointee.type) == 0 else {
                            throw itemError("usbdev", index, spec, "unknown type '\(value)'", hint: "use hostdev")
                        }
                    case "hostbus": device.pointee.u.hostdev.hostbus = UInt8(truncatingIfNeeded: Self.strtoul0(value))
                    case "hostaddr": device.pointee.u.hostdev.hostaddr = UInt8(truncatingIfNeeded: Self.strtoul0(value))
                    case "controller": device.pointee.ctrl = Self.atoi(value)
                    case "port": device.pointee.port = Self.atoi(value)
                    default: throw itemError("usbdev", index, spec, "unknown option '\(key)'",
                                             hint: "usbdev takes type=, hostbus=, hostaddr=, controller= and port=")
                    }
                }
            }
        }
    }
}
