// A disk or network interface given on the command line (xk block-attach, network-attach),
// parsed by the same code as a config file's disk= and vif= items, so that a spec means the
// same in both places and fails with the same words.
//
// - A disk spec's words go to libxlutil's disk parser in one call, as xl block-attach passes
//   them: "/img,raw,xvdb,w" and "target=/img vdev=xvdb" are the same disk.
// - A network spec's words are read as vif= items: each word is split at commas and each
//   option read by ConfigMapper's vif code. xl network-attach takes each word whole, so that
//   "bridge=br0,mac=..." names a bridge "br0,mac=..."; xk reads it as the config file would.
//
// Each value owns a heap-allocated libxl device struct (stable address, disposed once), as
// DomainConfiguration owns its libxl_domain_config.
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A disk to attach, in xl-disk-configuration(5) syntax.
///
/// The corresponding libxl type is `libxl_device_disk`; the parser is libxlutil's
/// `xlu_disk_parse`.
public struct DiskSpecification: ~Copyable {
    let raw: UnsafeMutablePointer<libxl_device_disk>
    /// The words as given, for messages.
    public let text: String
    /// The spec as one disk= item of an xl.cfg: the words joined by commas, a target= word
    /// last (target= takes the rest of its item, commas and all).
    public let configItem: String

    /// Parses the words of a disk spec.
    ///
    /// - Throws: ``XenError`` (``XenError/Code/invalidArgument``) quoting the spec and
    ///   libxlutil's complaint (the bad key or value).
    public init(words: [String]) throws(XenError) {
        text = words.joined(separator: " ")
        configItem = (words.filter { !$0.hasPrefix("target=") } + words.filter { $0.hasPrefix("target=") }).joined(separator: ",")
        guard !words.isEmpty else {
            throw XenError(code: .invalidArgument, message: "no disk specification given",
                           hint: "e.g. /srv/disk.img,raw,xvdb,w; see xl-disk-configuration(5)")
        }
        let file = try XLConfigFile(source: "command line", text: "")
        let disk = UnsafeMutablePointer<libxl_device_disk>.allocate(capacity: 1)
        libxl_device_disk_init(disk)
        var cWords = words.map { strdup($0) }
        defer { cWords.forEach { free($0) } }
        let rc = cWords.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) {
                xlu_disk_parse(file.raw, Int32(buffer.count), $0, disk)
            }
        }
        if rc != 0 {
            let complaint = ConfigMapper.complaint(file.reportText)
            libxl_device_disk_dispose(disk)
            disk.deallocate()
            throw XenError(code: .invalidArgument,
                           message: "disk specification '\(text)': \(complaint.isEmpty ? "not a disk specification" : complaint)",
                           hint: "e.g. /srv/disk.img,raw,xvdb,w; see xl-disk-configuration(5)")
        }
        raw = disk
    }

    deinit {
        libxl_device_disk_dispose(raw)
        raw.deallocate()
    }

    /// The virtual device the guest sees ("xvdb").
    public var vdev: String { raw.pointee.vdev.map { String(cString: $0) } ?? "" }

    /// The backing file or device ("" for an empty drive).
    public var target: String { raw.pointee.pdev_path.map { String(cString: $0) } ?? "" }

    /// True for a drive with no medium (an empty CD-ROM).
    public var isEmpty: Bool { raw.pointee.format == LIBXL_DISK_FORMAT_EMPTY }

    /// A hotplug script of the spec's own (script=): then the target need not be a path.
    public var hasScript: Bool { raw.pointee.script != nil }

    /// The disk as libxl JSON, what `xl block-attach -N` prints after "disk: ".
    public func json() throws(XenError) -> String {
        guard let text = libxl_device_disk_to_json(nil, raw) else {
            throw XenError(code: .operationFailed, message: "cannot convert disk '\(self.text)' to JSON")
        }
        defer { free(text) }
        return String(cString: text)
    }

}

/// A network interface to attach, in xl-network-configuration(5) syntax.
///
/// The corresponding libxl type is `libxl_device_nic`.
public struct NetworkSpecification: ~Copyable {
    let raw: UnsafeMutablePointer<libxl_device_nic>
    /// The words as given, for messages.
    public let text: String
    /// What the parser warned of (a deprecated option), for the operator.
    public let warnings: [String]
    /// The spec as one vif= item of an xl.cfg (its words joined by commas).
    public var configItem: String { text.split(separator: " ").joined(separator: ",") }

    /// Defaults for what a spec leaves out: xl.conf's `vif.default.*` keys.
    public struct Defaults: Sendable, Equatable {
        public var bridge: String?
        public var script: String?
        public var gatewayDevice: String?
        public var backend: String?

        public init(bridge: String? = nil, script: String? = nil, gatewayDevice: String? = nil, backend: String? = nil) {
            self.bridge = bridge
            self.script = script
            self.gatewayDevice = gatewayDevice
            self.backend = backend
        }
    }

    /// Parses the words of a vif spec over `defaults`.
    ///
    /// - Throws: ``XenError`` naming the word and the bad option.
    public init(words: [String], defaults: Defaults = Defaults()) throws(XenError) {
        text = words.joined(separator: " ")
        // ConfigMapper's vif code fills a device of a domain config: a scratch config here,
        // whose one device is then moved out.
        (raw, warnings) = try ConfigMapper.onScratchConfig { (mapper: inout ConfigMapper, scratch) throws(XenError) in
            let nic = ConfigMapper.extend(&scratch.pointee.nics, &scratch.pointee.num_nics) { libxl_device_nic_init($0) }
            if let bridge = defaults.bridge { mapper.setString(&nic.pointee.bridge, bridge) }
            if let script = defaults.script { mapper.setString(&nic.pointee.script, script) }
            if let gateway = defaults.gatewayDevice { mapper.setString(&nic.pointee.gatewaydev, gateway) }
            if let backend = defaults.backend { mapper.setString(&nic.pointee.backend_domname, backend) }
            for (index, word) in words.enumerated() {
                for token in ConfigMapper.tokens(word) {
                    try mapper.parseNICOption(token, nic: nic, index: index, spec: word)
                }
            }
            let moved = UnsafeMutablePointer<libxl_device_nic>.allocate(capacity: 1)
            moved.initialize(to: nic.pointee)   // the strings move with it
            libxl_device_nic_init(nic)          // so the scratch config frees none of them
            return (moved, mapper.warnings)
        }
    }

    deinit {
        libxl_device_nic_dispose(raw)
        raw.deallocate()
    }

    /// The bridge named by the spec or the defaults; nil leaves libxl's own (xenbr0).
    public var bridge: String? { raw.pointee.bridge.map { String(cString: $0) } }

    /// The hotplug script named by the spec or the defaults; nil leaves libxl's (vif-bridge).
    public var script: String? { raw.pointee.script.map { String(cString: $0) } }

    /// The backend domain's name, when it is not dom0.
    public var backendDomain: String? { raw.pointee.backend_domname.map { String(cString: $0) } }

    /// The MAC address given (mac=), if any.
    public var mac: String? {
        let bytes = withUnsafeBytes(of: raw.pointee.mac) { Array($0.prefix(6)) }
        return bytes.allSatisfy { $0 == 0 } ? nil : Libxl.macString(raw.pointee.mac)
    }

    /// The interface as libxl JSON, what `xl network-attach -N` prints after "vif: ".
    public func json() throws(XenError) -> String {
        guard let text = libxl_device_nic_to_json(nil, raw) else {
            throw XenError(code: .operationFailed, message: "cannot convert vif '\(self.text)' to JSON")
        }
        defer { free(text) }
        return String(cString: text)
    }
}

extension ConfigMapper {
    /// Runs `body` with a mapper over an empty command-line "file" and a scratch domain config,
    /// disposed afterwards: how a device spec given on the command line reuses the config
    /// file's parsers (whose errors name the word and the bad option).
    static func onScratchConfig<T>(
        _ body: (inout ConfigMapper, UnsafeMutablePointer<libxl_domain_config>) throws(XenError) -> T
    ) throws(XenError) -> T {
        let file = try XLConfigFile(source: "command line", text: "")
        let scratch = UnsafeMutablePointer<libxl_domain_config>.allocate(capacity: 1)
        libxl_domain_config_init(scratch)
        defer {
            libxl_domain_config_dispose(scratch)
            scratch.deallocate()
        }
        var mapper = ConfigMapper(file: file, config: scratch, options: .init(checkFiles: false))
        return try body(&mapper, scratch)
    }
}

extension NetworkSpecification.Defaults {
    /// xl.conf's `vif.default.bridge`, `.script`, `.gatewaydev` and `.backend`, as xl
    /// network-attach applies them. A missing xl.conf means no defaults, as for xl.
    ///
    /// - Throws: ``XenError`` naming the file and line when xl.conf cannot be parsed.
    public static func fromXLConf(path: String = XLConf.defaultPath) throws(XenError) -> Self {
        try XLConf.load(path: path).vifDefaults
    }
}
