/// The keys of xl.cfg (Xen 4.17's xl.cfg(5) and xl_parse.c), and which of them xk maps.
///
/// A key xl knows but xk does not map yet is an error that names it: xk never builds a
/// domain that differs silently from what xl would build. A key xl does not know is a
/// warning with the nearest known key (xl ignores it without a word, which hides typos).
enum ConfigKeys {
    /// Every top-level key xl 4.17 reads.
    static let known: Set<String> = [
        "acpi", "acpi_firmware", "acpi_laptop_slate", "acpi_s3", "acpi_s4", "altp2m", "altp2mhvm",
        "apic", "bios", "bios_path_override", "boot", "bootloader", "bootloader_args", "builder",
        "cap", "channel", "cmdline", "cpu_weight", "cpuid", "cpus", "cpus_soft", "device_model",
        "device_model_args", "device_model_args_hvm", "device_model_args_pv",
        "device_model_override", "device_model_stubdomain_override",
        "device_model_stubdomain_seclabel", "device_model_user", "device_model_version",
        "device_tree", "disk", "display", "dm_restrict", "driver_domain", "dtdev", "e820_host",
        "extra", "extratime", "firmware", "firmware_override", "gfx_passthru", "gic_version",
        "hap", "hdtype", "hpet", "init_seclabel", "iomem", "ioports", "irqs", "kernel", "keymap",
        "latency", "localtime", "max_event_channels", "max_grant_frames", "max_grant_version",
        "max_maptrack_frames", "maxmem", "maxvcpus", "mca_caps", "memory", "mmio_hole",
        "ms_vm_genid", "msr_relaxed", "name", "nestedhvm", "nographic", "nomigrate", "nx",
        "on_crash", "on_poweroff", "on_reboot", "on_soft_reset", "on_watchdog", "oos", "opengl",
        "p9", "pae", "passthrough", "pci", "pci_msitranslate", "pci_permissive", "pci_power_mgmt",
        "pci_seize", "period", "pool", "pvcalls", "pvshim", "pvshim_cmdline", "pvshim_extra",
        "pvshim_path", "ramdisk", "rdm", "rdm_mem_boundary", "root", "rtc_timeoffset", "sdl",
        "seclabel", "serial", "shadow_memory", "slice", "smbios_firmware", "soundhw", "spice",
        "spice_clipboard_sharing", "spice_image_compression", "spice_streaming_video",
        "spiceagent_mouse", "spicedisable_ticketing", "spicehost", "spicepasswd", "spiceport",
        "spicetls_port", "spiceusbredirection", "spicevdagent", "stdvga", "stubdomain_cmdline",
        "stubdomain_kernel", "stubdomain_memory", "stubdomain_ramdisk", "tee", "timer_mode",
        "tsc_mode", "type", "usb", "usbctrl", "usbdev", "usbdevice", "usbversion", "uuid",
        "vcpus", "vdispl", "vendor_device", "vfb", "vga", "videoram", "vif", "vif2", "viridian",
        "vkb", "vkb_device", "vmtrace_buf_kb", "vnc", "vncdisplay", "vnclisten", "vncpasswd",
        "vncunused", "vncviewer", "vnuma", "vpmu", "vpt_align", "vsnd", "vtpm", "vuart",
        "xauthority", "xen_platform_pci", "xend_suspend_evtchn_compat",
    ]

    /// The keys ConfigMapper maps to the libxl domain config today.
    static let mapped: Set<String> = [
        "name", "uuid", "type", "builder", "memory", "maxmem", "vcpus", "maxvcpus",
        "on_poweroff", "on_reboot", "on_watchdog", "on_crash", "on_soft_reset",
        "cpu_weight", "cap", "period", "slice", "latency", "extratime",
        "pool", "seclabel", "init_seclabel", "hap", "oos", "driver_domain", "nomigrate",
        "max_grant_frames", "max_maptrack_frames", "max_grant_version", "max_event_channels",
        "localtime", "rtc_timeoffset", "shadow_memory", "videoram", "tsc_mode",
        "kernel", "ramdisk", "cmdline", "root", "extra", "device_tree",
        "bootloader", "bootloader_args", "e820_host",
        "pvshim", "pvshim_path", "pvshim_cmdline", "pvshim_extra",
        "acpi", "nestedhvm", "vpmu", "msr_relaxed", "vmtrace_buf_kb",
        // CPU affinity
        "cpus", "cpus_soft",
        // HVM and type-specific
        "firmware", "firmware_override", "bios", "bios_path_override", "pae", "acpi_s3", "acpi_s4",
        "acpi_laptop_slate", "nx", "hpet", "vpt_align", "apic", "viridian", "mmio_hole", "altp2mhvm",
        "altp2m", "smbios_firmware", "acpi_firmware", "ms_vm_genid", "rdm_mem_boundary", "mca_caps",
        "timer_mode", "vga", "stdvga", "hdtype", "keymap", "spice", "spiceport", "spicetls_port",
        "spicehost", "spicedisable_ticketing", "spicepasswd", "spiceagent_mouse", "spicevdagent",
        "spice_clipboard_sharing", "spiceusbredirection", "spice_image_compression",
        "spice_streaming_video", "nographic", "gfx_passthru", "serial", "boot", "usb", "usbversion",
        "usbdevice", "vkb_device", "soundhw", "xen_platform_pci", "vendor_device",
        "vnc", "vnclisten", "vncpasswd", "vncdisplay", "vncunused", "vncviewer", "sdl", "opengl",
        "display", "xauthority", "dm_restrict", "passthrough", "xend_suspend_evtchn_compat",
        // device model
        "device_model", "device_model_override", "device_model_version",
        "device_model_stubdomain_override", "device_model_stubdomain_seclabel", "device_model_user",
        "stubdomain_kernel", "stubdomain_cmdline", "stubdomain_ramdisk", "stubdomain_memory",
        "device_model_args", "device_model_args_pv", "device_model_args_hvm",
        // devices
        "disk", "vif", "vif2", "pci", "pci_msitranslate", "pci_power_mgmt", "pci_permissive",
        "pci_seize", "rdm", "p9", "vtpm", "channel", "vfb", "usbctrl", "usbdev",
        "ioports", "irqs", "iomem", "cpuid", "pvcalls", "vdispl", "vkb", "vnuma", "vsnd",
    ]

    /// The known key nearest to `key` by edit distance, if any is near enough to be a typo.
    static func nearest(to key: String, among keys: Set<String> = known) -> String? {
        let limit = max(2, key.count / 3)
        var best: (key: String, distance: Int)?
        for candidate in keys.sorted() {
            let distance = editDistance(key, candidate)
            if distance <= limit, distance < (best?.distance ?? .max) {
                best = (candidate, distance)
            }
        }
        return best?.key
    }

    /// Levenshtein distance, with a swap of two neighbours counting as one edit.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }
}
