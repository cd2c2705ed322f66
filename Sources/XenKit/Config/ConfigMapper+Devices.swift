// The device lists of an xl.cfg: disk, vif, pci, channel, p9, vtpm, vfb, usbctrl, usbdev, vkb.
//
// Why it looks like this: libxl owns the device arrays of a libxl_domain_config and frees
// them with free(3) in libxl_domain_config_dispose, so they are grown with realloc(3) and
// every element is initialised with its libxl *_init before it is filled in. Device ids are
// the list index where xl's ARRAY_EXTEND_INIT sets them, so the JSON matches `xl -N create`.
// The device mini-languages that libxlutil parses (disk, pci, vif rate, rdm) go to libxlutil;
// the others are xl_parse.c's own and are parsed here. Where xl prints a complaint and goes on
// with a half-parsed device (a bad MAC address, a bad vif option), xk stops with the file,
// the line and the list item; where xl only warns (an unknown channel option), xk warns too.
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension ConfigMapper {
    /// Appends one element to a libxl device array, initialised with `initialise`.
    static func extend<T>(_ array: inout UnsafeMutablePointer<T>?, _ count: inout Int32,
                          _ initialise: (UnsafeMutablePointer<T>) -> Void) -> UnsafeMutablePointer<T> {
        let old = Int(count)
        let grown = realloc(array, MemoryLayout<T>.stride * (old + 1))!.assumingMemoryBound(to: T.self)
        array = grown
        count += 1
        initialise(grown + old)
        return grown + old
    }

    /// xl's strtok(spec, ",") with leading blanks dropped: empty items vanish.
    static func tokens(_ spec: String, separator: Character = ",") -> [String] {
        spec.split(separator: separator, omittingEmptySubsequences: true)
            .map { String($0.drop { $0 == " " }) }
            .filter { !$0.isEmpty }
    }

    /// "key=value" split at the first "="; nil when there is none.
    static func option(_ token: String) -> (key: String, value: String)? {
        guard let equals = token.firstIndex(of: "=") else { return nil }
        return (String(token[..<equals]), String(token[token.index(after: equals)...]))
    }

    /// An error about item `index` (0-based) of the list `key`.
    func itemError(_ key: String, _ index: Int, _ item: String, _ problem: String, hint: String? = nil) -> XenError {
        file.error(key, "item \(index + 1) \"\(item)\": \(problem)", hint: hint)
    }

    /// What libxlutil reported since `mark` (its report stream), as one line.
    func libxlutilComplaint(since mark: Int) -> String {
        let text = file.reportText
        let new = text.utf8.count > mark ? String(decoding: Array(text.utf8)[mark...], as: UTF8.self) : ""
        return Self.complaint(new)
    }

    /// libxlutil's report as one line, each complaint without its "FILE: config parsing error
    /// in " prefix.
    static func complaint(_ report: String) -> String {
        report.split(separator: "\n").map { line -> String in
            if let range = line.firstRange(of: "config parsing error in ") { return String(line[range.upperBound...]) }
            return String(line)
        }.joined(separator: "; ")
    }

    // MARK: - disk (xl-disk-configuration(5), parsed by libxlutil)

    mutating func mapDisks() throws(XenError) {
        guard let specs = try file.list("disk") else { return }
        let d = config
        d.pointee.num_disks = 0
        d.pointee.disks = nil
        for (index, spec) in specs.enumerated() {
            let disk = Self.extend(&d.pointee.disks, &d.pointee.num_disks) { libxl_device_disk_init($0) }
            let mark = file.reportText.utf8.count
            let rc = spec.withCString { text -> Int32 in
                var one: UnsafePointer<CChar>? = text
                return xlu_disk_parse(file.raw, 1, &one, disk)
            }
            if rc != 0 {
                throw itemError("disk", index, spec, libxlutilComplaint(since: mark).nonEmpty ?? "not a disk specification",
                                hint: "see xl-disk-configuration(5)")
            }
        }
    }

    // MARK: - pci (xl-pci-configuration(5), parsed by libxlutil)

    mutating func mapPCI() throws(XenError) {
        let b = withUnsafeMutablePointer(to: &config.pointee.b_info) { $0 }
        let msitranslate = try file.integer("pci_msitranslate") ?? 0
        let powerManagement = try file.integer("pci_power_mgmt") ?? 0
        let permissive = try file.integer("pci_permissive") ?? 0
        let seize = try file.integer("pci_seize") ?? 0
        if let rdm = try file.string("rdm") {
            var reserve = libxl_rdm_reserve()
            libxl_rdm_reserve_init(&reserve)
            let mark = file.reportText.utf8.count
            if xlu_rdm_parse(file.raw, &reserve, rdm) == 0 {
                b.pointee.u.hvm.rdm.strategy = reserve.strategy
                b.pointee.u.hvm.rdm.policy = reserve.policy
            } else if Self.isWellFormedRDM(rdm) {
                // libxlutil 4.17's xlu_rdm_parse fails on every valid policy= (its check is
                // inverted), and xl then ignores rdm without a word. xk builds the same
                // domain as xl, but says so.
                warnings.append(file.location("rdm") + "rdm: Xen 4.17's libxlutil cannot read policy= (a known bug); "
                    + "rdm is ignored, as xl ignores it. Use rdm = \"strategy=host\" with rdm_policy= on each pci device")
            } else {
                throw file.error("rdm", libxlutilComplaint(since: mark).nonEmpty ?? "cannot parse \"\(rdm)\"",
                                 hint: "use strategy=host,policy=strict|relaxed")
            }
        }
        guard let specs = try file.list("pci") else { return }
        let d = config
        d.pointee.num_pcidevs = 0
        d.pointee.pcidevs = nil
        for (index, spec) in specs.enumerated() {
            let pci = Self.extend(&d.pointee.pcidevs, &d.pointee.num_pcidevs) { libxl_device_pci_init($0) }
            pci.pointee.msitranslate = msitranslate != 0
            pci.pointee.power_mgmt = powerManagement != 0
            pci.pointee.permissive = permissive != 0
            pci.pointee.seize = seize != 0
            pci.pointee.rdm_policy = b.pointee.u.hvm.rdm.policy
            let mark = file.reportText.utf8.count
            if xlu_pci_parse_spec_string(file.raw, pci, spec) != 0 {
                throw itemError("pci", index, spec, libxlutilComplaint(since: mark).nonEmpty ?? "not a PCI_SPEC_STRING",
                                hint: "see xl-pci-configuration(5), e.g. '0000:03:00.0,permissive=1'")
            }
        }
        // As xl: a PV guest with passed-through devices needs the host's memory map.
        if d.pointee.num_pcidevs > 0 && d.pointee.c_info.type == LIBXL_DOMAIN_TYPE_PV {
            libxl_defbool_set(&b.pointee.u.pv.e820_host, true)
        }
    }

    /// "strategy=host" and/or "policy=strict|relaxed", comma-separated.
    static func isWellFormedRDM(_ text: String) -> Bool {
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        return !items.isEmpty && items.allSatisfy { ["strategy=host", "policy=strict", "policy=relaxed"].contains($0) }
    }

    // MARK: - p9, vtpm: "key=value,..." with a fixed set of keys

    mutating func mapP9() throws(XenError) {
        guard let specs = try file.list("p9") else { return }
        let d = config
        d.pointee.num_p9s = 0
        d.pointee.p9s = nil
        for (index, spec) in specs.enumerated() {
            // xl initialises a p9 twice, which resets its devid to -1 (auto): so does xk.
            let p9 = Self.extend(&d.pointee.p9s, &d.pointee.num_p9s) { libxl_device_p9_init($0) }
            var values: [String: String] = [:]
            for token in Self.tokens(spec) {
                guard let (key, value) = Self.option(token) else { break }   // as xl: stop at a token without '='
                guard ["security_model", "path", "tag", "backend"].contains(key) else {
                    throw itemError("p9", index, spec, "unknown option '\(key)'",
                                    hint: "p9 takes tag=, path=, security_model= and backend=")
                }
                values[key] = value
            }
            guard let tag = values["tag"], let path = values["path"], let model = values["security_model"] else {
                throw itemError("p9", index, spec, "tag=, path= and security_model= are all required")
            }
            setString(&p9.pointee.tag, tag)
            setString(&p9.pointee.security_model, model)
            setString(&p9.pointee.path, path)
            if let backend = values["backend"] { setString(&p9.pointee.backend_domname, backend) }
        }
    }

    mutating func mapVTPMs() throws(XenError) {
        guard let specs = try file.list("vtpm") else { return }
        let d = config
        d.pointee.num_vtpms = 0
        d.pointee.vtpms = nil
        for (index, spec) in specs.enumerated() {
            let vtpm = Self.extend(&d.pointee.vtpms, &d.pointee.num_vtpms) { libxl_device_vtpm_init($0) }
            vtpm.pointee.devid = Int32(index)
            var gotBackend = false
            for token in Self.tokens(spec) {
                guard let (key, value) = Self.option(token) else { break }
                switch key {
                case "backend":
                    setString(&vtpm.pointee.backend_domname, value)
                    gotBackend = true
                case "uuid":
                    guard libxl_uuid_from_string(&vtpm.pointee.uuid, value) == 0 else {
                        throw itemError("vtpm", index, spec, "\"\(value)\" is not a UUID")
                    }
                default:
                    throw itemError("vtpm", index, spec, "unknown option '\(key)'", hint: "vtpm takes backend= and uuid=")
                }
            }
            if !gotBackend { throw itemError("vtpm", index, spec, "backend= is required") }
        }
    }

    // MARK: - channel

    mutating func mapChannels() throws(XenError) {
        guard let specs = try file.list("channel") else { return }
        let d = config
        d.pointee.num_channels = 0
        d.pointee.channels = nil
        for (index, spec) in specs.enumerated() {
            let channel = Self.extend(&d.pointee.channels, &d.pointee.num_channels) { libxl_device_channel_init($0) }
            channel.pointee.devid = Int32(index)
            var path: String?
            for pair in spec.split(separator: ",", omittingEmptySubsequences: false) {
                guard let equals = pair.firstIndex(of: "=") else {
                    throw itemError("channel", index, spec, "\"\(pair)\" is not key=value")
                }
                let key = pair[..<equals].trimmingBlanks, value = pair[pair.index(after: equals)...].trimmingBlanks
                switch key {
                case "backend": setString(&channel.pointee.backend_domname, value)
                case "name": setString(&channel.pointee.name, value)
                case "path": path = value
                case "connection":
                    switch value {
                    case "pty": channel.pointee.connection = LIBXL_CHANNEL_CONNECTION_PTY
                    case "socket": channel.pointee.connection = LIBXL_CHANNEL_CONNECTION_SOCKET
                    default: throw itemError("channel", index, spec, "unknown connection '\(value)'", hint: "use pty or socket")
                    }
                default:
                    warnings.append(file.location("channel") + "channel: unknown option '\(key)' (ignored, as xl does)")
                }
            }
            switch channel.pointee.connection {
            case LIBXL_CHANNEL_CONNECTION_SOCKET:
                guard let path else { throw itemError("channel", index, spec, "connection=socket needs path=") }
                setString(&channel.pointee.u.socket.path, path)
            case LIBXL_CHANNEL_CONNECTION_PTY: break
            default: throw itemError("channel", index, spec, "connection= is required (pty or socket)")
            }
        }
    }
}

extension Substring {
    /// The text without leading and trailing whitespace (xl's trim(isspace, ...)).
    var trimmingBlanks: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
