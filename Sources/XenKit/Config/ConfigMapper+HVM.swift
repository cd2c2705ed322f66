// Keys for HVM guests (firmware, ACPI, viridian, VGA, SPICE, serial, USB, ...), the timer,
// altp2m and firmware keys that depend on the type, and the device model keys: the part of
// xl_parse.c's parse_config_data that switches on the domain type, as xl 4.17 reads it.
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension ConfigMapper {
    /// HVM_BELOW_4G_MMIO_LENGTH and _START from Xen's public headers: mmio_hole's bounds.
    static let mmioHoleBytes: ClosedRange<UInt64> = (1 << 28)...0xF000_0000

    /// The HVM part of b_info's type union, in place.
    ///
    /// Why not `withUnsafeMutablePointer(to: &b.pointee.u.hvm)`: Swift imports a C union's
    /// members as computed properties, so that pointer would point at a temporary copy and
    /// every write through it would be lost. The union's members all start at its address.
    static func hvmInfo(_ b: UnsafeMutablePointer<libxl_domain_build_info>) -> UnsafeMutablePointer<HVMMember> {
        unionMember(b, as: type(of: b.pointee.u.hvm))
    }

    /// The anonymous C struct type of `b_info.u.hvm`, as Swift imports it.
    typealias HVMMember = libxl_domain_build_info.__Unnamed_union_u.__Unnamed_struct_hvm

    static func unionMember<Member>(_ b: UnsafeMutablePointer<libxl_domain_build_info>, as _: Member.Type) -> UnsafeMutablePointer<Member> {
        let union = withUnsafeMutablePointer(to: &b.pointee.u) { $0 }   // a stored field: its real address
        return UnsafeMutableRawPointer(union).assumingMemoryBound(to: Member.self)
    }

    mutating func mapTimerMode() throws(XenError) {
        let b = withUnsafeMutablePointer(to: &config.pointee.b_info) { $0 }
        guard file.isSet("timer_mode") else { return }
        if config.pointee.c_info.type == LIBXL_DOMAIN_TYPE_PV {
            throw file.error("timer_mode", "not supported for PV guests")
        }
        let text = try file.string("timer_mode") ?? ""
        if let number = XLConfigFile.parseLong(text) {
            guard (0...3).contains(number) else { throw file.error("timer_mode", "invalid value \(number)") }
            let mode = libxl_timer_mode(rawValue: Int32(number))
            let name = libxl_timer_mode_to_string(mode).map { String(cString: $0) }
            warnings.append(file.location("timer_mode") + "timer_mode as a number is deprecated"
                + (name.map { "; use timer_mode = \"\($0)\"" } ?? ""))
            b.pointee.timer_mode = mode
        } else if libxl_timer_mode_from_string(text, &b.pointee.timer_mode) != 0 {
            throw file.error("timer_mode", "invalid value \"\(text)\"",
                             hint: "use delay_for_missed_ticks, no_delay_for_missed_ticks, no_missed_ticks_pending or one_missed_tick_pending")
        }
    }

    mutating func mapHVM() throws(XenError) {
        let b = withUnsafeMutablePointer(to: &config.pointee.b_info) { $0 }
        let hvm = Self.hvmInfo(b)
        if let path = try file.string("firmware_override") { setString(&hvm.pointee.firmware, path) }
        if let path = try file.string("bios_path_override") { setString(&hvm.pointee.system_firmware, path) }
        if let bios = try file.string("bios") {
            guard libxl_bios_type_from_string(bios, &hvm.pointee.bios) == 0 else {
                throw file.error("bios", "invalid value \"\(bios)\"", hint: "use rombios, seabios or ovmf")
            }
        } else if hvm.pointee.system_firmware != nil {
            warnings.append(file.location("bios_path_override") + "bios_path_override given without a bios name")
        }
        try setDefbool(&hvm.pointee.pae, "pae")
        try setDefbool(&hvm.pointee.acpi_s3, "acpi_s3")
        try setDefbool(&hvm.pointee.acpi_s4, "acpi_s4")
        try setDefbool(&hvm.pointee.acpi_laptop_slate, "acpi_laptop_slate")
        try setDefbool(&hvm.pointee.nx, "nx")
        try setDefbool(&hvm.pointee.hpet, "hpet")
        try setDefbool(&hvm.pointee.vpt_align, "vpt_align")
        try setDefbool(&b.pointee.apic, "apic")
        try mapViridian(b)
        if let hole = try file.integer("mmio_hole", in: 0...Self.maxMiB) {
            let bytes = UInt64(hole) << 20
            guard Self.mmioHoleBytes.contains(bytes) else {
                throw file.error("mmio_hole", "\(hole) MiB is out of range (256...3840)")
            }
            hvm.pointee.mmio_hole_memkb = UInt64(hole) * 1024
        }
        if file.isSet("altp2mhvm") {
            try setDefbool(&hvm.pointee.altp2m, "altp2mhvm")
            warnings.append(file.location("altp2mhvm") + "altp2mhvm is deprecated; use altp2m")
        }
        if let path = try file.string("smbios_firmware") { setString(&hvm.pointee.smbios_firmware, path) }
        if let path = try file.string("acpi_firmware") { setString(&hvm.pointee.acpi_firmware, path) }
        if let genid = try file.string("ms_vm_genid") {
            switch genid {
            case "generate":
                guard libxl_ms_vm_genid_generate(nil, &hvm.pointee.ms_vm_genid) == 0 else {
                    throw file.error("ms_vm_genid", "cannot generate a VM Generation ID")
                }
            case "none": break
            default: throw file.error("ms_vm_genid", "must be \"generate\" or \"none\"")
            }
        }
        if let boundary = try file.integer("rdm_mem_boundary", in: 0...Self.maxMiB) {
            hvm.pointee.rdm_mem_boundary_memkb = UInt64(boundary) * 1024
        }
        if let capabilities = try file.list("mca_caps") {
            for capability in capabilities {
                // XEN_HVM_MCA_CAP_LMCE is bit 0.
                guard capability == "lmce" else { throw file.error("mca_caps", "unknown MCA capability '\(capability)'", hint: "use lmce") }
                hvm.pointee.mca_caps |= 1
            }
        }
        // firmware: ovmf, seabios and rombios are bios types; uefi and bios choose one; any
        // other value is the path of a custom firmware.
        if let firmware = try file.string("firmware"),
           libxl_bios_type_from_string(firmware, &hvm.pointee.bios) != 0 {
            if !firmware.isEmpty && "uefi".hasPrefix(firmware) {
                hvm.pointee.bios = LIBXL_BIOS_TYPE_OVMF
            } else if firmware.isEmpty || !"bios".hasPrefix(firmware) {
                setString(&hvm.pointee.firmware, firmware)
            }
        }
    }

    /// viridian = 1/0 (a defbool), or a list of enlightenment groups: "defaults", "all",
    /// a name to enable, "!name" to disable.
    func mapViridian(_ b: UnsafeMutablePointer<libxl_domain_build_info>) throws(XenError) {
        let hvm = Self.hvmInfo(b)
        guard file.isSet("viridian") else { return }
        guard file.isList("viridian") else {
            try setDefbool(&hvm.pointee.viridian, "viridian")
            return
        }
        let groups = try file.list("viridian") ?? []
        guard !groups.isEmpty else { return }
        // LIBXL_BUILDINFO_HVM_VIRIDIAN_ENABLE_DISABLE_WIDTH is 64 bits.
        Self.setBitmap(&hvm.pointee.viridian_enable, bits: 64, set: 0..<0)
        Self.setBitmap(&hvm.pointee.viridian_disable, bits: 64, set: 0..<0)
        for group in groups {
            switch group {
            case "all":
                memset(hvm.pointee.viridian_enable.map, 0xFF, Int(hvm.pointee.viridian_enable.size))
            case "defaults":
                libxl_defbool_set(&hvm.pointee.viridian, true)
            default:
                let disable = group.hasPrefix("!")
                let name = disable ? String(group.dropFirst()) : group
                var value = libxl_viridian_enlightenment(rawValue: 0)
                guard libxl_viridian_enlightenment_from_string(name, &value) == 0 else {
                    throw file.error("viridian", "unknown enlightenment '\(name)'",
                                     hint: "see xl.cfg(5): base, freq, time_ref_count, reference_tsc, hcall_remote_tlb_flush, apic_assist, crash_ctl, synic, stimer, hcall_ipi, ex_processor_masks, no_vp_limit, cpu_hotplug")
                }
                let enable = withUnsafeMutablePointer(to: &hvm.pointee.viridian_enable) { $0 }
                let disabled = withUnsafeMutablePointer(to: &hvm.pointee.viridian_disable) { $0 }
                libxl_bitmap_set(disable ? disabled : enable, Int32(value.rawValue))
                libxl_bitmap_reset(disable ? enable : disabled, Int32(value.rawValue))
            }
        }
    }

    /// PV and PVH: firmware = "pvgrub32" / "pvgrub64" means that PV-GRUB as the kernel.
    mutating func mapPVFirmware() throws(XenError) {
        let b = withUnsafeMutablePointer(to: &config.pointee.b_info) { $0 }
        guard let firmware = try file.string("firmware") else { return }
        if b.pointee.kernel != nil { throw file.error("firmware", "both kernel and firmware are given") }
        guard !firmware.isEmpty, "pvgrub32".hasPrefix(firmware) || "pvgrub64".hasPrefix(firmware) else {
            throw file.error("firmware", "only pvgrub32 and pvgrub64 are firmware for PV and PVH guests")
        }
        setString(&b.pointee.kernel, "/usr/lib/xen-4.17/boot/\(firmware).bin")
    }

    mutating func mapAltp2m() throws(XenError) {
        let b = withUnsafeMutablePointer(to: &config.pointee.b_info) { $0 }
        guard let text = try file.string("altp2m") else { return }
        if let number = XLConfigFile.parseLong(text) {
            guard (0...3).contains(number) else { throw file.error("altp2m", "invalid value \(number)") }
            b.pointee.altp2m = libxl_altp2m_mode(rawValue: UInt32(number))
        } else if libxl_altp2m_mode_from_string(text, &b.pointee.altp2m) != 0 {
            throw file.error("altp2m", "invalid value \"\(text)\"", hint: "use disabled, mixed, external or limited")
        }
    }
}
