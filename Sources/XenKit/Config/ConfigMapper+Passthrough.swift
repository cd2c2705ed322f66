// Raw hardware access (ioports, irqs, iomem), CPUID policy, and the less common paravirtual
// devices (pvcalls, vdispl, vkb): as xl 4.17's parse_config_data reads them. Where xl prints
// an error and goes on (a bad CPUID line, a bad ioport list item), xk stops with the file,
// the line and the list item: a guest built with half its CPUID policy is not what was asked.
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension ConfigMapper {
    mutating func mapHardwareAccess() throws(XenError) {
        let b = withUnsafeMutablePointer(to: &config.pointee.b_info) { $0 }
        if let items = try file.list("ioports") {
            let ranges = calloc(max(items.count, 1), MemoryLayout<libxl_ioport_range>.stride)!
                .assumingMemoryBound(to: libxl_ioport_range.self)
            b.pointee.ioports = ranges
            b.pointee.num_ioports = Int32(items.count)
            for (index, item) in items.enumerated() {
                let bounds = item.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
                guard let first = UInt32(bounds[0], radix: 16), first < UInt32.max,
                      let last = bounds.count == 2 ? UInt32(bounds[1], radix: 16) : first, last < UInt32.max,
                      last >= first else {
                    throw itemError("ioports", index, item, "not a hex port or range", hint: "e.g. \"2f8-2ff\" or \"3f8\"")
                }
                ranges[index].first = first
                ranges[index].number = last - first + 1
            }
        }
        if let items = try file.list("irqs") {
            let irqs = calloc(max(items.count, 1), MemoryLayout<UInt32>.stride)!.assumingMemoryBound(to: UInt32.self)
            b.pointee.irqs = irqs
            b.pointee.num_irqs = Int32(items.count)
            for (index, item) in items.enumerated() {
                guard let irq = UInt32(item), irq < UInt32.max else {
                    throw itemError("irqs", index, item, "not an IRQ number")
                }
                irqs[index] = irq
            }
        }
        if let items = try file.list("iomem") {
            let ranges = calloc(max(items.count, 1), MemoryLayout<libxl_iomem_range>.stride)!
                .assumingMemoryBound(to: libxl_iomem_range.self)
            b.pointee.iomem = ranges
            b.pointee.num_iomem = Int32(items.count)
            for (index, item) in items.enumerated() {
                libxl_iomem_range_init(ranges + index)
                // START,NUMBER[@GFN], all hex pages.
                let (range, gfn) = item.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).pair
                let parts = range.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, let start = UInt64(parts[0], radix: 16), let number = UInt64(parts[1], radix: 16) else {
                    throw itemError("iomem", index, item, "not START,NUMBER[@GFN] in hex pages")
                }
                ranges[index].start = start
                ranges[index].number = number
                if let gfn {
                    guard let value = UInt64(gfn, radix: 16) else { throw itemError("iomem", index, item, "GFN \"\(gfn)\" is not hex") }
                    ranges[index].gfn = value
                }
            }
        }
    }

    /// cpuid = "host,flag=value,..." (libxl's syntax) or a list of xend-style leaf policies.
    mutating func mapCPUID() throws(XenError) {
        guard file.isSet("cpuid") else { return }
        let b = withUnsafeMutablePointer(to: &config.pointee.b_info) { $0 }
        if file.isList("cpuid") {
            for (index, item) in (try file.list("cpuid") ?? []).enumerated() {
                let rc = libxl_cpuid_parse_config_xend(&b.pointee.cpuid, item)
                if rc != 0 { throw itemError("cpuid", index, item, Self.xendCPUIDProblem(rc)) }
            }
            return
        }
        let text = try file.string("cpuid") ?? ""
        var flags = Self.tokens(text)
        guard !flags.isEmpty else { return }
        guard flags.removeFirst() == "host" else {
            throw file.error("cpuid", "the first word must be \"host\"", hint: "e.g. cpuid = \"host,aes=0\"")
        }
        for flag in flags {
            let rc = libxl_cpuid_parse_config(&b.pointee.cpuid, flag)
            if rc != 0 { throw file.error("cpuid", "\"\(flag)\": \(Self.cpuidProblem(rc))") }
        }
    }

    // What libxl's cpuid parsers' return codes mean (xl's messages). Switches, not dictionary
    // literals: a [Int32: String] is instantiated at run time, and checking its Hashable
    // requirement sent the runtime through every conformance record of the binary in each
    // create of a config with cpuid (the lab's HVM guest's; seen with gdb in the lab).

    /// libxl_cpuid_parse_config's codes.
    static func cpuidProblem(_ rc: Int32) -> String {
        switch rc {
        case 1: "missing \"=\" in key=value"
        case 2: "unknown CPUID flag name"
        case 3: "illegal CPUID value (must be: [0|1|x|k|s])"
        default: "error \(rc)"
        }
    }

    /// libxl_cpuid_parse_config_xend's codes.
    static func xendCPUIDProblem(_ rc: Int32) -> String {
        switch rc {
        case 1: "illegal leaf number"
        case 2: "illegal subleaf number"
        case 3: "missing colon"
        case 4: "invalid register name (must be e[abcd]x)"
        case 5: "policy string must be exactly 32 characters long"
        default: "error \(rc)"
        }
    }

    mutating func mapPVCalls() throws(XenError) {
        guard let specs = try file.list("pvcalls") else { return }
        let d = config
        d.pointee.num_pvcallsifs = 0
        d.pointee.pvcallsifs = nil
        for (index, spec) in specs.enumerated() {
            let device = Self.extend(&d.pointee.pvcallsifs, &d.pointee.num_pvcallsifs) { libxl_device_pvcallsif_init($0) }
            device.pointee.devid = Int32(index)
            for token in Self.tokens(spec) {
                guard let (key, value) = Self.option(token) else { break }
                guard key == "backend" else {
                    throw itemError("pvcalls", index, spec, "unknown option '\(key)'", hint: "pvcalls takes backend=")
                }
                setString(&device.pointee.backend_domname, value)
            }
        }
    }

    mutating func mapVDispl() throws(XenError) {
        guard let specs = try file.list("vdispl") else { return }
        let d = config
        d.pointee.num_vdispls = 0
        d.pointee.vdispls = nil
        for (index, spec) in specs.enumerated() {
            let display = Self.extend(&d.pointee.vdispls, &d.pointee.num_vdispls) { libxl_device_vdispl_init($0) }
            display.pointee.devid = Int32(index)
            for token in Self.tokens(spec) {
                guard let (key, value) = Self.option(token) else {
                    throw itemError("vdispl", index, spec, "unknown option '\(token)'")
                }
                switch key {
                case "backend": setString(&display.pointee.backend_domname, value)
                case "be-alloc": display.pointee.be_alloc = Self.strtoul0(value) != 0
                case "connectors":
                    let connectors = value.split(separator: ";").map(String.init)
                    let array = calloc(max(connectors.count, 1), MemoryLayout<libxl_connector_param>.stride)!
                        .assumingMemoryBound(to: libxl_connector_param.self)
                    free(display.pointee.connectors)
                    display.pointee.connectors = array
                    display.pointee.num_connectors = Int32(connectors.count)
                    for (slot, connector) in connectors.enumerated() {
                        let (id, resolution) = connector.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).pair
                        let size = resolution?.split(separator: "x", maxSplits: 1).compactMap { UInt32($0) } ?? []
                        guard size.count == 2 else {
                            throw itemError("vdispl", index, spec, "connector \"\(connector)\" has no WIDTHxHEIGHT")
                        }
                        array[slot].unique_id = strdup(String(id))
                        array[slot].width = size[0]
                        array[slot].height = size[1]
                    }
                default:
                    throw itemError("vdispl", index, spec, "unknown option '\(key)'", hint: "vdispl takes backend=, be-alloc= and connectors=")
                }
            }
            if display.pointee.num_connectors == 0 {
                throw itemError("vdispl", index, spec, "at least one connector is needed (connectors=ID:WxH;...)")
            }
        }
    }

    /// vkb = [ "backend-type=...,..." ]: keyboards beyond those each vfb brings.
    mutating func mapVKBs() throws(XenError) {
        guard let specs = try file.list("vkb") else { return }
        let d = config
        let numbers: [String: WritableKeyPath<libxl_device_vkb, UInt32>] = [
            "width": \.width, "height": \.height, "multi-touch-width": \.multi_touch_width,
            "multi-touch-height": \.multi_touch_height, "multi-touch-num-contacts": \.multi_touch_num_contacts,
        ]
        let flags: [String: WritableKeyPath<libxl_device_vkb, Bool>] = [
            "feature-disable-keyboard": \.feature_disable_keyboard, "feature-disable-pointer": \.feature_disable_pointer,
            "feature-abs-pointer": \.feature_abs_pointer, "feature-raw-pointer": \.feature_raw_pointer,
            "feature-multi-touch": \.feature_multi_touch,
        ]
        for (index, spec) in specs.enumerated() {
            let count = Int(d.pointee.num_vkbs)
            let vkb = Self.extend(&d.pointee.vkbs, &d.pointee.num_vkbs) { libxl_device_vkb_init($0) }
            vkb.pointee.devid = Int32(count)
            for token in Self.tokens(spec) {
                guard let (key, value) = Self.option(token) else {
                    throw itemError("vkb", index, spec, "unknown option '\(token)'")
                }
                if let field = numbers[key] {
                    vkb.pointee[keyPath: field] = UInt32(truncatingIfNeeded: Self.strtoul0(value))
                } else if let field = flags[key] {
                    vkb.pointee[keyPath: field] = Self.strtoul0(value) != 0
                } else if key == "backend" {
                    setString(&vkb.pointee.backend_domname, value)
                } else if key == "unique-id" {
                    setString(&vkb.pointee.unique_id, value)
                } else if key == "backend-type" {
                    guard libxl_vkb_backend_from_string(value, &vkb.pointee.backend_type) == 0 else {
                        throw itemError("vkb", index, spec, "unknown backend-type \"\(value)\"", hint: "use qemu or linux")
                    }
                } else {
                    throw itemError("vkb", index, spec, "unknown option '\(key)'")
                }
            }
            if vkb.pointee.backend_type == LIBXL_VKB_BACKEND_UNKNOWN {
                throw itemError("vkb", index, spec, "backend-type= is required")
            }
            let touch = vkb.pointee.multi_touch_width != 0 || vkb.pointee.multi_touch_height != 0
                || vkb.pointee.multi_touch_num_contacts != 0
            if touch { vkb.pointee.feature_multi_touch = true }
            if vkb.pointee.feature_multi_touch && !touch {
                throw itemError("vkb", index, spec, "multi touch needs multi-touch-width, -height and -num-contacts")
            }
        }
    }
}

extension Array where Element == Substring {
    /// The first element and, if there is one, the second: a split at most once.
    var pair: (Substring, Substring?) { (self.first ?? "", count > 1 ? self[1] : nil) }
}
