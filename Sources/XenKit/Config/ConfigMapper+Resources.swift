// Memory, vCPUs, scheduler weights, grant limits and the shutdown actions: the part of
// xl_parse.c's parse_config_data between the domain's identity and its boot keys.
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension ConfigMapper {
    /// The most xk accepts for memory, maxmem and the like: 16 TiB, in MiB.
    static let maxMiB = 16 << 20
    /// The most vCPUs a Xen 4.17 domain can have.
    static let maxVCPUs = 4096

    mutating func mapSchedulerAndResources() throws(XenError) {
        let b = withUnsafeMutablePointer(to: &config.pointee.b_info) { $0 }
        if let weight = try file.integer("cpu_weight", in: 1...65535) { b.pointee.sched_params.weight = Int32(weight) }
        if let cap = try file.integer("cap", in: 0...Int(Int32.max)) { b.pointee.sched_params.cap = Int32(cap) }
        if let period = try file.integer("period", in: 0...Int(Int32.max)) { b.pointee.sched_params.period = Int32(period) }
        if let slice = try file.integer("slice", in: 0...Int(Int32.max)) { b.pointee.sched_params.slice = Int32(slice) }
        if let latency = try file.integer("latency", in: 0...Int(Int32.max)) { b.pointee.sched_params.latency = Int32(latency) }
        if let extratime = try file.integer("extratime", in: 0...1) { b.pointee.sched_params.extratime = Int32(extratime) }

        if let memory = try file.integer("memory", in: 1...Self.maxMiB) {
            b.pointee.target_memkb = UInt64(memory) * 1024
        }
        if let maxmem = try file.integer("maxmem", in: 1...Self.maxMiB) {
            b.pointee.max_memkb = UInt64(maxmem) * 1024
        }
        var vcpus = 0
        if let count = try file.integer("vcpus", in: 1...Self.maxVCPUs) {
            vcpus = count
            Self.setBitmap(&b.pointee.avail_vcpus, bits: count, set: 0..<count)
        }
        if let maxvcpus = try file.integer("maxvcpus", in: 1...Self.maxVCPUs) {
            b.pointee.max_vcpus = Int32(maxvcpus)
        }
        // vnuma may set maxvcpus and maxmem; xl reads it here, before their defaults.
        try mapVNUMA()
        // As xl: maxmem and maxvcpus default to memory and vcpus.
        if b.pointee.max_memkb == UInt64.max { b.pointee.max_memkb = b.pointee.target_memkb }
        if b.pointee.max_vcpus == 0 { b.pointee.max_vcpus = Int32(vcpus) }
        if Int(b.pointee.max_vcpus) < vcpus {
            throw file.error("maxvcpus", "\(b.pointee.max_vcpus) is less than vcpus = \(vcpus)")
        }
        if b.pointee.target_memkb != UInt64.max, b.pointee.max_memkb != UInt64.max,
           b.pointee.target_memkb > b.pointee.max_memkb {
            throw file.error("maxmem", "\(b.pointee.max_memkb / 1024) MiB is less than memory = \(b.pointee.target_memkb / 1024) MiB")
        }

        // The domain's own value, else xl.conf's, else libxl's default.
        let global = options.xlConf
        if let blkdevStart = global.blkdevStart { setString(&b.pointee.blkdev_start, blkdevStart) }
        if let frames = try file.integer("max_grant_frames", in: 0...Int(Int32.max)).map(UInt32.init) ?? global.maxGrantFrames {
            b.pointee.max_grant_frames = frames
        }
        if let frames = try file.integer("max_maptrack_frames", in: 0...Int(Int32.max)).map(UInt32.init) ?? global.maxMaptrackFrames {
            b.pointee.max_maptrack_frames = frames
        }
        if let version = try file.integer("max_grant_version", in: 0...Int(Int32.max)).map(Int32.init) ?? global.maxGrantVersion {
            b.pointee.max_grant_version = version
        }
        libxl_defbool_set(&b.pointee.claim_mode, global.claimMode)
    }

    /// A libxl_bitmap of `bits` bits (rounded up to bytes, as libxl_bitmap_alloc does) with
    /// the bits of `set` set. libxl frees `map` with free(3) in libxl_bitmap_dispose.
    static func setBitmap(_ bitmap: UnsafeMutablePointer<libxl_bitmap>, bits: Int, set: Range<Int>) {
        libxl_bitmap_dispose(bitmap)
        let bytes = max(1, (bits + 7) / 8)
        let map = calloc(bytes, 1)!.assumingMemoryBound(to: UInt8.self)
        for bit in set where bit < bytes * 8 { map[bit / 8] |= UInt8(1) << UInt8(bit % 8) }
        bitmap.pointee.size = UInt32(bytes)
        bitmap.pointee.map = map
    }

    // MARK: - shutdown actions

    static let shutdownActions: [(String, libxl_action_on_shutdown)] = [
        ("destroy", LIBXL_ACTION_ON_SHUTDOWN_DESTROY),
        ("restart", LIBXL_ACTION_ON_SHUTDOWN_RESTART),
        ("rename-restart", LIBXL_ACTION_ON_SHUTDOWN_RESTART_RENAME),
        ("preserve", LIBXL_ACTION_ON_SHUTDOWN_PRESERVE),
        ("coredump-destroy", LIBXL_ACTION_ON_SHUTDOWN_COREDUMP_DESTROY),
        ("coredump-restart", LIBXL_ACTION_ON_SHUTDOWN_COREDUMP_RESTART),
        ("soft-reset", LIBXL_ACTION_ON_SHUTDOWN_SOFT_RESET),
    ]

    mutating func mapShutdownActions() throws(XenError) {
        func action(_ key: String, default fallback: String) throws(XenError) -> libxl_action_on_shutdown {
            let name = try file.string(key) ?? fallback
            guard let match = Self.shutdownActions.first(where: { $0.0 == name }) else {
                throw file.error(key, "unknown action \"\(name)\"",
                                 hint: "use one of " + Self.shutdownActions.map(\.0).joined(separator: ", "))
            }
            return match.1
        }
        config.pointee.on_poweroff = try action("on_poweroff", default: "destroy")
        config.pointee.on_reboot = try action("on_reboot", default: "restart")
        config.pointee.on_watchdog = try action("on_watchdog", default: "destroy")
        config.pointee.on_crash = try action("on_crash", default: "destroy")
        config.pointee.on_soft_reset = try action("on_soft_reset", default: "soft-reset")
    }

    // MARK: - platform keys common to all types

    mutating func mapPlatform() throws(XenError) {
        let b = withUnsafeMutablePointer(to: &config.pointee.b_info) { $0 }
        if config.pointee.c_info.type == LIBXL_DOMAIN_TYPE_PV {
            try setDefbool(&b.pointee.u.pv.e820_host, "e820_host")
        }
        if let shadow = try file.integer("shadow_memory", in: 0...Self.maxMiB) {
            b.pointee.shadow_memkb = UInt64(shadow) * 1024
        }
        try setDefbool(&b.pointee.disable_migrate, "nomigrate")
        if file.isSet("tsc_mode") {
            let text = try file.string("tsc_mode") ?? ""
            if let number = XLConfigFile.parseLong(text) {
                guard (0...3).contains(number) else { throw file.error("tsc_mode", "invalid value \(number)") }
                let name = libxl_tsc_mode_to_string(libxl_tsc_mode(rawValue: UInt32(number))).map { String(cString: $0) }
                warnings.append(file.location("tsc_mode") + "tsc_mode as a number is deprecated"
                    + (name.map { "; use tsc_mode = \"\($0)\"" } ?? ""))
                b.pointee.tsc_mode = libxl_tsc_mode(rawValue: UInt32(number))
            } else if libxl_tsc_mode_from_string(text, &b.pointee.tsc_mode) != 0 {
                throw file.error("tsc_mode", "invalid value \"\(text)\"",
                                 hint: "use default, always_emulate, native or native_paravirt")
            }
        }
        if let offset = try file.integer("rtc_timeoffset", in: Int(Int32.min)...Int(UInt32.max)) {
            b.pointee.rtc_timeoffset = UInt32(truncatingIfNeeded: offset)
        }
        try setDefbool(&b.pointee.localtime, "localtime")
        if let videoram = try file.integer("videoram", in: 0...Self.maxMiB) {
            b.pointee.video_memkb = UInt64(videoram) * 1024
        }
        if let channels = try file.integer("max_event_channels", in: 0...Int(UInt32.max)) {
            b.pointee.event_channels = UInt32(channels)
        }
    }

    // MARK: - keys xl reads after the devices

    mutating func mapLateOptions() throws(XenError) {
        let b = withUnsafeMutablePointer(to: &config.pointee.b_info) { $0 }
        if let size = try file.integer("vmtrace_buf_kb", in: 0...Int(Int32.max)), size != 0 {
            b.pointee.vmtrace_buf_kb = Int32(size)
        }
        if file.isSet("msr_relaxed") {
            try setDefbool(&b.pointee.arch_x86.msr_relaxed, "msr_relaxed")
            warnings.append(file.location("msr_relaxed") + "msr_relaxed will be removed in future Xen versions")
        }
        try setDefbool(&b.pointee.vpmu, "vpmu")
    }
}
