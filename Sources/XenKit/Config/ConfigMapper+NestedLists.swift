// The two keys whose values are lists of lists: vnuma (a guest's virtual NUMA nodes) and
// vsnd (virtual sound cards with their PCM devices and streams), as xl 4.17 reads them.
//
// vnuma depends on the host (its node count, its online CPUs) and sets maxvcpus and maxmem
// when the config leaves them out; xl reads it right after maxvcpus, before those defaults.
// xl allocates whatever the list asks for, a distance table of nodes² entries included; Xen
// takes at most 32 nodes (the table must fit one page, XSA-77), so xk refuses more before it
// allocates anything.
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension ConfigMapper {
    /// The most vNUMA nodes Xen 4.17 takes: nodes² distances of 4 bytes in one page
    /// (xen/common/domctl.c, vnuma_alloc).
    static let maxVNUMANodes = 32

    mutating func mapVNUMA() throws(XenError) {
        guard let nodes = try file.nestedList("vnuma"), !nodes.isEmpty else { return }
        let b = withUnsafeMutablePointer(to: &config.pointee.b_info) { $0 }
        let host = options.host ?? .assumed
        let count = nodes.count
        guard count <= Self.maxVNUMANodes else {
            throw file.error("vnuma", "\(count) nodes; Xen allows at most \(Self.maxVNUMANodes) (their distance table must fit one page)")
        }
        func allocate<T>(_ type: T.Type) throws(XenError) -> UnsafeMutablePointer<T> {
            guard let raw = calloc(count, MemoryLayout<T>.stride) else { throw file.error("vnuma", "out of memory for \(count) nodes") }
            return raw.assumingMemoryBound(to: T.self)
        }
        let array = try allocate(libxl_vnode_info.self)
        b.pointee.vnuma_nodes = array
        b.pointee.num_vnuma_nodes = Int32(count)
        for index in 0..<count { libxl_vnode_info_init(array + index) }
        for index in 0..<count {
            array[index].distances = try allocate(UInt32.self)   // freed with the config if this throws
            array[index].num_distances = Int32(count)
        }
        var totalVCPUs = 0
        var totalKiB: UInt64 = 0
        var vcpuSets: [Set<Int>] = []
        for (index, options) in nodes.enumerated() {
            var vcpus = Set<Int>()
            for option in options {
                guard let equals = option.firstIndex(of: "=") else {
                    throw itemError("vnuma", index, option, "not key=value")
                }
                let key = option[..<equals].trimmingBlanks, value = option[option.index(after: equals)...].trimmingBlanks
                func number(_ text: String) throws(XenError) -> Int {
                    guard let number = Self.parseULong(text) else { throw itemError("vnuma", index, option, "\"\(text)\" is not a number") }
                    return number
                }
                switch key {
                case "pnode":
                    let node = try number(value)
                    guard node < host.nodeCPUs.count else {
                        throw itemError("vnuma", index, option, "the host has no NUMA node \(node) (it has \(host.nodeCPUs.count))")
                    }
                    array[index].pnode = UInt32(node)
                    libxl_defbool_set(&b.pointee.numa_placement, false)
                case "size":
                    let mib = try number(value)
                    guard mib <= Self.maxMiB else { throw itemError("vnuma", index, option, "\(mib) MiB is too large") }
                    array[index].memkb = UInt64(mib) << 10
                    totalKiB += array[index].memkb
                case "vcpus":
                    for range in value.split(separator: ",") {
                        let bounds = range.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
                        guard let low = Int(bounds[0]), let high = bounds.count == 2 ? Int(bounds[1]) : low,
                              low >= 0, high >= low, high < Self.maxVCPUs else {
                            throw itemError("vnuma", index, option, "invalid vCPU range \"\(range)\"")
                        }
                        vcpus.formUnion(low...high)
                        totalVCPUs += high - low + 1
                    }
                case "vdistances":
                    let distances = value.split(separator: ",").map(String.init)
                    guard distances.count <= count else {
                        throw itemError("vnuma", index, option, "\(distances.count) distances for \(count) nodes")
                    }
                    for (slot, distance) in distances.enumerated() {
                        array[index].distances[slot] = UInt32(truncatingIfNeeded: try number(Substring(distance).trimmingBlanks))
                    }
                default:
                    break   // xl ignores other options
                }
            }
            // libxl would refuse these only while building the domain.
            if array[index].memkb == UInt64.max || array[index].memkb == 0 { throw file.error("vnuma", "node \(index) has no size= (MiB)") }
            if vcpus.isEmpty { throw file.error("vnuma", "node \(index) has no vcpus=") }
            vcpuSets.append(vcpus)
        }
        if b.pointee.max_vcpus != 0 {
            guard Int(b.pointee.max_vcpus) == totalVCPUs else {
                throw file.error("vnuma", "its nodes have \(totalVCPUs) vCPUs but maxvcpus = \(b.pointee.max_vcpus)")
            }
        } else {
            guard totalVCPUs <= host.cpuCount else {
                throw file.error("vnuma", "its nodes have \(totalVCPUs) vCPUs, more than the host's \(host.cpuCount) CPUs",
                                 hint: "set maxvcpus to allow it")
            }
            b.pointee.max_vcpus = Int32(totalVCPUs)
        }
        guard totalKiB <= UInt64(Self.maxMiB) << 10 else {
            throw file.error("vnuma", "its nodes have \(totalKiB >> 10) MiB, more than the \(Self.maxMiB) MiB a domain may have")
        }
        if b.pointee.max_memkb != UInt64.max && b.pointee.max_memkb != totalKiB {
            throw file.error("vnuma", "its nodes have \(totalKiB / 1024) MiB but maxmem = \(b.pointee.max_memkb / 1024) MiB")
        }
        b.pointee.max_memkb = totalKiB
        // Each node's vCPU map has max_vcpus bits (as parsed: xl sizes it before defaulting).
        let bits = Int(b.pointee.max_vcpus)
        for (index, vcpus) in vcpuSets.enumerated() {
            Self.setBitmap(&array[index].vcpus, bits: bits, set: 0..<0)
            for vcpu in vcpus where vcpu < Int(array[index].vcpus.size) * 8 {
                array[index].vcpus.map[vcpu / 8] |= UInt8(1) << UInt8(vcpu % 8)
            }
        }
    }

    // MARK: - vsnd

    mutating func mapVSND() throws(XenError) {
        guard let cards = try file.nestedList("vsnd") else { return }
        let d = config
        d.pointee.num_vsnds = 0
        d.pointee.vsnds = nil
        for (index, items) in cards.enumerated() {
            let card = Self.extend(&d.pointee.vsnds, &d.pointee.num_vsnds) { libxl_device_vsnd_init($0) }
            card.pointee.devid = Int32(index)
            for item in items {
                try parseVSNDItem(item, card: card, index: index)
            }
        }
    }

    /// One "CARD, ...", "PCM, ..." or "STREAM, ..." item of a card's list.
    mutating func parseVSNDItem(_ item: String, card: UnsafeMutablePointer<libxl_device_vsnd>, index: Int) throws(XenError) {
        var tokens = Self.tokens(item)
        guard !tokens.isEmpty else { return }
        let kind = tokens.removeFirst().lowercased()
        func fail(_ problem: String) -> XenError { itemError("vsnd", index, item, problem, hint: "see xl.cfg(5), vsnd") }
        switch kind {
        case "card":
            for token in tokens {
                if try parseVSNDParameter(token, &card.pointee.params, fail) { continue }
                guard let (key, value) = Self.option(token) else { throw fail("invalid parameter '\(token)'") }
                switch key {
                case "backend": setString(&card.pointee.backend_domname, value)
                case "short-name": setString(&card.pointee.short_name, value)
                case "long-name": setString(&card.pointee.long_name, value)
                default: throw fail("invalid parameter '\(token)'")
                }
            }
        case "pcm":
            let pcm = Self.extend(&card.pointee.pcms, &card.pointee.num_vsnd_pcms) { libxl_vsnd_pcm_init($0) }
            for token in tokens {
                if try parseVSNDParameter(token, &pcm.pointee.params, fail) { continue }
                guard let (key, value) = Self.option(token), key == "name" else { throw fail("invalid parameter '\(token)'") }
                setString(&pcm.pointee.name, value)
            }
        case "stream":
            if card.pointee.num_vsnd_pcms == 0 {
                _ = Self.extend(&card.pointee.pcms, &card.pointee.num_vsnd_pcms) { libxl_vsnd_pcm_init($0) }
            }
            let pcm = card.pointee.pcms + Int(card.pointee.num_vsnd_pcms - 1)
            let stream = Self.extend(&pcm.pointee.streams, &pcm.pointee.num_vsnd_streams) { libxl_vsnd_stream_init($0) }
            for token in tokens {
                if try parseVSNDParameter(token, &stream.pointee.params, fail) { continue }
                guard let (key, value) = Self.option(token) else { throw fail("invalid parameter '\(token)'") }
                switch key {
                case "unique-id": setString(&stream.pointee.unique_id, value)
                case "type":
                    guard libxl_vsnd_stream_type_from_string(value, &stream.pointee.type) == 0 else {
                        throw fail("invalid stream type '\(value)'")
                    }
                default: throw fail("invalid parameter '\(token)'")
                }
            }
        default:
            throw fail("starts with '\(kind)'; expected CARD, PCM or STREAM")
        }
    }

    /// The parameters cards, PCMs and streams share; false when `token` is none of them.
    func parseVSNDParameter(_ token: String, _ params: UnsafeMutablePointer<libxl_vsnd_params>,
                            _ fail: (String) -> XenError) throws(XenError) -> Bool {
        guard let (key, value) = Self.option(token) else { return false }
        switch key {
        case "sample-rates":
            let rates = value.split(separator: ";").map { UInt32(truncatingIfNeeded: Self.strtoul0(String($0))) }
            free(params.pointee.sample_rates)
            let array = calloc(max(rates.count, 1), MemoryLayout<UInt32>.stride)!.assumingMemoryBound(to: UInt32.self)
            for (slot, rate) in rates.enumerated() { array[slot] = rate }
            params.pointee.sample_rates = array
            params.pointee.num_sample_rates = Int32(rates.count)
        case "sample-formats":
            let names = value.split(separator: ";").map(String.init)
            free(params.pointee.sample_formats)
            let array = calloc(max(names.count, 1), MemoryLayout<libxl_vsnd_pcm_format>.stride)!
                .assumingMemoryBound(to: libxl_vsnd_pcm_format.self)
            params.pointee.sample_formats = array
            params.pointee.num_sample_formats = Int32(names.count)
            for (slot, name) in names.enumerated() {
                guard libxl_vsnd_pcm_format_from_string(name, array + slot) == 0 else {
                    throw fail("invalid PCM format '\(name)'")
                }
            }
        case "channels-min": params.pointee.channels_min = UInt32(truncatingIfNeeded: Self.strtoul0(value))
        case "channels-max": params.pointee.channels_max = UInt32(truncatingIfNeeded: Self.strtoul0(value))
        case "buffer-size": params.pointee.buffer_size = UInt32(truncatingIfNeeded: Self.strtoul0(value))
        default: return false
        }
        return true
    }
}
