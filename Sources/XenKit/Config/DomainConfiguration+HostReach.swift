// What in a domain config reaches into the host that builds it: files and block devices of
// dom0 behind disks and 9pfs shares, scripts dom0 runs as root, bootloaders, device-model
// binaries and their arguments, host PCI/USB devices, raw I/O ports, IRQs and memory, and
// what the device model opens for an HVM guest (DomainConfiguration+DeviceModelReach.swift).
//
// Why: a migration receiver builds whatever config the stream carries, as root. A sender on
// the other end of an unauthenticated socket could have a disk backed by /dev/sda, or a vif
// script of its choosing, run on this host. `xk migrate-receive` refuses such a config
// unless told to trust the sender (issue 12, finding 5); `xk migrate` over ssh, which the
// receiving host's sshd has authenticated, tells it so.
internal import CXen

extension DomainConfiguration {
    /// Each thing in this config that reaches into the building host, in words that name it
    /// ("disk xvda backed by /dev/vg/web"); empty for a config that reaches nothing.
    public var hostReach: [String] {
        let c = raw.pointee
        let b = c.b_info
        var found: [String] = []
        func text(_ p: UnsafeMutablePointer<CChar>?) -> String? {
            guard let p, p.pointee != 0 else { return nil }
            return Self.printable(String(cString: p))
        }
        func count(_ list: libxl_string_list?) -> Int {
            guard var p = list else { return 0 }
            var n = 0
            while p.pointee != nil && n < 4096 { n += 1; p += 1 }
            return n
        }
        for i in 0..<Int(max(c.num_disks, 0)) {
            let disk = c.disks[i]
            let vdev = text(disk.vdev) ?? "?"
            if let path = text(disk.pdev_path) { found.append("disk \(vdev) backed by \(path)") }
            if let script = text(disk.script) { found.append("disk \(vdev) runs the script \(script)") }
        }
        for i in 0..<Int(max(c.num_nics, 0)) {
            if let script = text(c.nics[i].script) { found.append("vif \(i) runs the script \(script)") }
        }
        for i in 0..<Int(max(c.num_p9s, 0)) {
            if let path = text(c.p9s[i].path) { found.append("9pfs share of \(path)") }
        }
        if c.num_pcidevs > 0 { found.append("\(c.num_pcidevs) host PCI device(s) passed through") }
        if c.num_usbdevs > 0 { found.append("\(c.num_usbdevs) host USB device(s) passed through") }
        if b.num_ioports > 0 { found.append("\(b.num_ioports) raw I/O port range(s)") }
        if b.num_irqs > 0 { found.append("\(b.num_irqs) host IRQ(s)") }
        if b.num_iomem > 0 { found.append("\(b.num_iomem) raw host memory range(s)") }
        if let bootloader = text(b.bootloader) { found.append("bootloader \(bootloader)") }
        if c.c_info.type == LIBXL_DOMAIN_TYPE_PV, let bootloader = text(b.u.pv.bootloader) { found.append("bootloader \(bootloader)") }
        if let model = text(b.device_model) { found.append("device model \(model)") }
        if let user = text(b.device_model_user) { found.append("device model user \(user)") }
        if let kernel = text(b.stubdomain_kernel) { found.append("stub domain kernel \(kernel)") }
        if let ramdisk = text(b.stubdomain_ramdisk) { found.append("stub domain ramdisk \(ramdisk)") }
        let arguments = count(b.extra) + count(b.extra_pv) + count(b.extra_hvm)
        if arguments > 0 { found.append("\(arguments) extra device-model argument(s)") }
        return found + deviceModelReach
    }

    /// A value from a hostile config, fit to print: control characters escaped, at most 200
    /// characters.
    static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(200) {
            if scalar.value < 0x20 || scalar.value == 0x7f { out += "\\x" + String(scalar.value, radix: 16) }
            else { out.unicodeScalars.append(scalar) }
        }
        return text.unicodeScalars.count > 200 ? out + "..." : out
    }
}
