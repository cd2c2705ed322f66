// The device model (QEMU) keys, for every type, and the HVM guest's emulated hardware: VGA,
// disks' controller type, SPICE, serial ports, USB, sound, the Xen platform device.
// As xl 4.17's parse_config_data reads them after the device lists.
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension ConfigMapper {
    mutating func mapDeviceModel() throws(XenError) {
        let b = withUnsafeMutablePointer(to: &config.pointee.b_info) { $0 }
        if let model = try file.string("device_model") {
            warnings.append(file.location("device_model") + "device_model is ignored, as xl does; use device_model_override"
                + (model.contains("stubdom-dm") ? " or device_model_stubdomain_override" : ""))
        }
        if let path = try file.string("device_model_override") { setString(&b.pointee.device_model, path) }
        if let version = try file.string("device_model_version") {
            switch version {
            case "qemu-xen-traditional": b.pointee.device_model_version = LIBXL_DEVICE_MODEL_VERSION_QEMU_XEN_TRADITIONAL
            case "qemu-xen": b.pointee.device_model_version = LIBXL_DEVICE_MODEL_VERSION_QEMU_XEN
            default: throw file.error("device_model_version", "unknown version \"\(version)\"", hint: "use qemu-xen or qemu-xen-traditional")
            }
        } else if b.pointee.device_model != nil {
            warnings.append(file.location("device_model_override") + "device model override given without device_model_version")
        }
        try setDefbool(&b.pointee.device_model_stubdomain, "device_model_stubdomain_override")
        if let label = try file.string("device_model_stubdomain_seclabel") { setString(&b.pointee.device_model_ssid_label, label) }
        if let user = try file.string("device_model_user") { setString(&b.pointee.device_model_user, user) }
        if let kernel = try file.string("stubdomain_kernel") { setString(&b.pointee.stubdomain_kernel, kernel) }
        if let cmdline = try file.string("stubdomain_cmdline") { setString(&b.pointee.stubdomain_cmdline, cmdline) }
        if let ramdisk = try file.string("stubdomain_ramdisk") { setString(&b.pointee.stubdomain_ramdisk, ramdisk) }
        if let memory = try file.integer("stubdomain_memory", in: 0...Self.maxMiB) { b.pointee.stubdomain_memkb = UInt64(memory) * 1024 }
        for (key, field) in [("device_model_args", \libxl_domain_build_info.extra),
                             ("device_model_args_pv", \libxl_domain_build_info.extra_pv),
                             ("device_model_args_hvm", \libxl_domain_build_info.extra_hvm)] {
            guard let arguments = try file.list(key) else { continue }
            b.pointee[keyPath: field] = Self.stringList(arguments)
        }
        try mapTopLevelDisplay()
        try setDefbool(&b.pointee.dm_restrict, "dm_restrict")
        if config.pointee.c_info.type == LIBXL_DOMAIN_TYPE_HVM {
            try mapEmulatedHardware()
        }
    }

    mutating func mapEmulatedHardware() throws(XenError) {
        let b = withUnsafeMutablePointer(to: &config.pointee.b_info) { $0 }
        let hvm = Self.hvmInfo(b)
        if let vga = try file.string("vga") {
            switch vga {
            case "stdvga": hvm.pointee.vga.kind = LIBXL_VGA_INTERFACE_TYPE_STD
            case "cirrus": hvm.pointee.vga.kind = LIBXL_VGA_INTERFACE_TYPE_CIRRUS
            case "none": hvm.pointee.vga.kind = LIBXL_VGA_INTERFACE_TYPE_NONE
            case "qxl": hvm.pointee.vga.kind = LIBXL_VGA_INTERFACE_TYPE_QXL
            default: throw file.error("vga", "unknown vga \"\(vga)\"", hint: "use stdvga, cirrus, qxl or none")
            }
        } else if let stdvga = try file.integer("stdvga") {
            hvm.pointee.vga.kind = stdvga != 0 ? LIBXL_VGA_INTERFACE_TYPE_STD : LIBXL_VGA_INTERFACE_TYPE_CIRRUS
        }
        if let hdtype = try file.string("hdtype"), libxl_hdtype_from_string(hdtype, &hvm.pointee.hdtype) != 0 {
            throw file.error("hdtype", "invalid value \"\(hdtype)\"", hint: "use ide or ahci")
        }
        if let keymap = try file.string("keymap") { setString(&hvm.pointee.keymap, keymap) }
        try mapSpice(b)
        try setDefbool(&hvm.pointee.nographic, "nographic")
        if let text = try file.string("gfx_passthru") {
            if let number = XLConfigFile.parseLong(text) {
                libxl_defbool_set(&hvm.pointee.gfx_passthru, number != 0)
            } else {
                guard libxl_gfx_passthru_kind_from_string(text, &hvm.pointee.gfx_passthru_kind) == 0 else {
                    throw file.error("gfx_passthru", "invalid value \"\(text)\"", hint: "use 0, 1, default or igd")
                }
                libxl_defbool_set(&hvm.pointee.gfx_passthru, true)
            }
        }
        if file.isList("serial") {
            hvm.pointee.serial_list = Self.stringList(try file.list("serial") ?? [])
        } else if let serial = try file.string("serial") {
            setString(&hvm.pointee.serial, serial)
        }
        if let boot = try file.string("boot") { setString(&hvm.pointee.boot, boot) }
        try setDefbool(&hvm.pointee.usb, "usb")
        if let version = try file.integer("usbversion", in: 0...3) { hvm.pointee.usbversion = Int32(version) }
        if file.isList("usbdevice") {
            hvm.pointee.usbdevice_list = Self.stringList(try file.list("usbdevice") ?? [])
        } else if let device = try file.string("usbdevice") {
            setString(&hvm.pointee.usbdevice, device)
        }
        try setDefbool(&hvm.pointee.vkb_device, "vkb_device")
        if let soundhw = try file.string("soundhw") { setString(&hvm.pointee.soundhw, soundhw) }
        try setDefbool(&hvm.pointee.xen_platform_pci, "xen_platform_pci")
        if let listen = hvm.pointee.vnc.listen, hvm.pointee.vnc.display != 0, strchr(listen, Int32(UInt8(ascii: ":"))) != nil {
            throw file.error("vncdisplay", "the display is given both in vnclisten and in vncdisplay")
        }
        if let vendor = try file.string("vendor_device") {
            guard libxl_vendor_device_from_string(vendor, &hvm.pointee.vendor_device) == 0 else {
                throw file.error("vendor_device", "unknown vendor device '\(vendor)'", hint: "use none or xenserver")
            }
        }
    }

    func mapSpice(_ b: UnsafeMutablePointer<libxl_domain_build_info>) throws(XenError) {
        let spice = withUnsafeMutablePointer(to: &Self.hvmInfo(b).pointee.spice) { $0 }
        try setDefbool(&spice.pointee.enable, "spice")
        if let port = try file.integer("spiceport", in: 0...65535) { spice.pointee.port = Int32(port) }
        if let port = try file.integer("spicetls_port", in: 0...65535) { spice.pointee.tls_port = Int32(port) }
        if let host = try file.string("spicehost") { setString(&spice.pointee.host, host) }
        try setDefbool(&spice.pointee.disable_ticketing, "spicedisable_ticketing")
        if let password = try file.string("spicepasswd") { setString(&spice.pointee.passwd, password) }
        try setDefbool(&spice.pointee.agent_mouse, "spiceagent_mouse")
        try setDefbool(&spice.pointee.vdagent, "spicevdagent")
        try setDefbool(&spice.pointee.clipboard_sharing, "spice_clipboard_sharing")
        if let redirection = try file.integer("spiceusbredirection", in: 0...Int(Int32.max)) {
            spice.pointee.usbredirection = Int32(redirection)
        }
        if let compression = try file.string("spice_image_compression") { setString(&spice.pointee.image_compression, compression) }
        if let streaming = try file.string("spice_streaming_video") { setString(&spice.pointee.streaming_video, streaming) }
    }

    /// Keys xl reads last that apply to any type.
    mutating func mapMiscellaneous() throws(XenError) {
        let c = withUnsafeMutablePointer(to: &config.pointee.c_info) { $0 }
        if let passthrough = try file.string("passthrough"),
           libxl_passthrough_from_string(passthrough, &c.pointee.passthrough) != 0 {
            throw file.error("passthrough", "unknown option '\(passthrough)'", hint: "use default, disabled, enabled, sync_pt or share_pt")
        }
        try setDefbool(&c.pointee.xend_suspend_evtchn_compat, "xend_suspend_evtchn_compat")
        if file.isSet("vncviewer") {
            warnings.append(file.location("vncviewer") + "vncviewer is ignored, as xl does; use xl create -V")
        }
    }
}
