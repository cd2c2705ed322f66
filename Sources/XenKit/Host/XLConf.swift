// xl's global config, /etc/xen/xl.conf, read as xl 4.17 reads it (tools/xl/xl.c,
// parse_global_config): the same keys, the same defaults, the same file syntax (libxlutil's).
//
// Why stricter than xl: xl warns about a bad autoballoon, output_format or domid_policy and
// goes on with its default, so a host policy an operator wrote can silently not apply (a
// typo in `autoballoon="of"` leaves ballooning on). xk stops and names the file, the line
// and the key. A key xl does not know is a warning with the nearest known key; a key xl knows
// but xk does not act on (Remus, COLO, SXP output, the global CPU masks, random domain ids) is a warning saying
// so, never silently dropped.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// xl's global config: the host-wide defaults and policies of `xl` (and `xk`).
public struct XLConf: Sendable, Equatable {
    /// `autoballoon`: whether a build shrinks dom0 to make room.
    public enum Autoballoon: String, Sendable, Equatable {
        case on, off
        /// On unless Xen's command line fixes dom0's memory (`dom0_mem=`), as xl decides.
        case auto
    }

    /// `domid_policy`: who picks a new domain's id.
    public enum DomidPolicy: String, Sendable, Equatable {
        case xen, random
    }

    /// Where it was read from ("/etc/xen/xl.conf"); "defaults" when there was no file.
    public var source: String
    public var autoballoon: Autoballoon = .auto
    /// `run_hotplug_scripts` (libxl runs the vif/block scripts, not udev).
    public var runHotplugScripts = true
    /// `lockfile`: xl's lock around ballooning and building; xk takes the same one.
    public var lockfile = XLConf.defaultLockfile
    /// `vif.default.*` (and the deprecated `vifscript`, `defaultbridge`): for network-attach.
    public var vifDefaults = NetworkSpecification.Defaults()
    /// `blkdev_start`: the first vdev dom0 uses to attach a guest's disk locally.
    public var blkdevStart: String?
    /// `claim_mode`: libxl claims a build's memory from Xen up front.
    public var claimMode = true
    /// `max_grant_frames`, `max_maptrack_frames`, `max_grant_version`: defaults for configs
    /// that do not set them; nil leaves libxl's.
    public var maxGrantFrames: UInt32?
    public var maxMaptrackFrames: UInt32?
    public var maxGrantVersion: Int32?
    /// Who picks new domains' ids: Xen (the next free one) or libxl (a random one).
    public var domidPolicy: DomidPolicy = .xen
    /// `vm.cpumask`, `vm.pv.cpumask`, `vm.hvm.cpumask` as written, each with its file and
    /// line; resolved against the host by ``affinityMasks(host:)``.
    public var cpuMasks: [CPUMaskSetting] = []
    /// `bootloader_restrict`, `bootloader_user` (XSA-443; read by xl 4.18 and later).
    public var bootloader = BootloaderRestriction()
    /// Unknown keys, deprecated keys and keys xk reads but does not act on, each naming the
    /// file and line.
    public var warnings: [String] = []

    public init(source: String = "defaults") { self.source = source }

    public static let defaultPath = "/etc/xen/xl.conf"
    /// XL_LOCK_FILE as Debian builds xl (XEN_LOCK_DIR is /var/lock).
    public static let defaultLockfile = "/var/lock/xl"

    /// Every key xl 4.17 reads from xl.conf, and the two XSA-443 keys of xl 4.18.
    static let known: Set<String> = [
        "autoballoon", "run_hotplug_scripts", "lockfile", "vifscript", "vif.default.script",
        "defaultbridge", "vif.default.bridge", "vif.default.gatewaydev", "vif.default.backend",
        "output_format", "blkdev_start", "claim_mode", "remus.default.netbufscript",
        "colo.default.proxyscript", "max_grant_frames", "max_maptrack_frames", "max_grant_version",
        "vm.cpumask", "vm.hvm.cpumask", "vm.pv.cpumask", "domid_policy",
        "bootloader_restrict", "bootloader_user",
    ]

    /// Reads `path`; a host without the file has xl's defaults, as for xl.
    ///
    /// - Throws: ``XenError`` (``XenError/Code/invalidConfig``) when the file exists but
    ///   cannot be read, or has a syntax error or a bad value (file, line and key named).
    public static func load(path: String = defaultPath) throws(XenError) -> XLConf {
        var status = stat()
        if stat(path, &status) != 0, errno == ENOENT { return XLConf() }
        let text: String
        do {
            text = try readFile(path)
        } catch {
            throw XenError(code: .invalidConfig, message: "\(path): cannot read xl's global config: \(error.reason)")
        }
        return try parse(text: text, source: path)
    }

    /// Parses xl.conf text.
    public static func parse(text: String, source: String) throws(XenError) -> XLConf {
        let file = try XLConfigFile(source: source, text: text)
        var conf = XLConf(source: source)
        try conf.read(file)
        return conf
    }

    private mutating func read(_ file: XLConfigFile) throws(XenError) {
        for statement in file.statements where !Self.known.contains(statement.key) {
            let nearest = ConfigKeys.nearest(to: statement.key, among: Self.known)
            warnings.append(file.location(line: statement.line) + "unknown key '\(statement.key)'"
                            + (nearest.map { ", did you mean '\($0)'?" } ?? "") + "; it is ignored")
        }
        if let value = try file.string("autoballoon") {
            switch value {
            case "on", "1": autoballoon = .on
            case "off", "0": autoballoon = .off
            case "auto": autoballoon = .auto
            default: throw file.error("autoballoon", "expected on, off or auto, got \"\(value)\"")
            }
        }
        if let value = try file.integer("run_hotplug_scripts") { runHotplugScripts = value != 0 }
        if let value = try file.string("lockfile") {
            guard value.hasPrefix("/") else { throw file.error("lockfile", "expected an absolute path, got \"\(value)\"") }
            lockfile = value
        }
        try readVifDefaults(file)
        if let value = try file.string("output_format") {
            switch value {
            case "json": break
            case "sxp": warnings.append(file.location("output_format") + "output_format: xk prints JSON only; \"sxp\" is ignored")
            default: throw file.error("output_format", "expected json or sxp, got \"\(value)\"")
            }
        }
        blkdevStart = try file.string("blkdev_start")
        if let value = try file.integer("claim_mode") { claimMode = value != 0 }
        for key in ["remus.default.netbufscript", "colo.default.proxyscript"] where file.isSet(key) {
            warnings.append(file.location(key) + "\(key): xk does no Remus or COLO replication; it is ignored")
        }
        if let value = try file.integer("max_grant_frames", in: 0...Int(Int32.max)) { maxGrantFrames = UInt32(value) }
        if let value = try file.integer("max_maptrack_frames", in: 0...Int(Int32.max)) { maxMaptrackFrames = UInt32(value) }
        if let value = try file.integer("max_grant_version", in: 0...Int(Int32.max)) { maxGrantVersion = Int32(value) }
        for key in ["vm.cpumask", "vm.pv.cpumask", "vm.hvm.cpumask"] {
            if let text = try file.string(key) { cpuMasks.append(CPUMaskSetting(key: key, text: text, location: file.location(key))) }
        }
        if let value = try file.string("domid_policy") {
            guard let policy = DomidPolicy(rawValue: value) else {
                throw file.error("domid_policy", "expected xen or random, got \"\(value)\"")
            }
            domidPolicy = policy
        }
        bootloader = try BootloaderRestriction.read(file)
    }

    /// xl reads the deprecated key first, then lets the new one win.
    private mutating func readVifDefaults(_ file: XLConfigFile) throws(XenError) {
        for (old, new) in [("vifscript", "vif.default.script"), ("defaultbridge", "vif.default.bridge")] where file.isSet(old) {
            warnings.append(file.location(old) + "\(old) is deprecated, please switch to \(new)")
        }
        let oldBridge = try file.string("defaultbridge"), oldScript = try file.string("vifscript")
        vifDefaults = NetworkSpecification.Defaults(
            bridge: try file.string("vif.default.bridge") ?? oldBridge,
            script: try file.string("vif.default.script") ?? oldScript,
            gatewayDevice: try file.string("vif.default.gatewaydev"),
            backend: try file.string("vif.default.backend"))
    }
}

extension XLConf {
    /// Whether builds balloon dom0 on a host whose Xen was booted with `commandLine`: `auto`
    /// is on unless the command line fixes dom0's memory with `dom0_mem=`, as xl decides
    /// (auto_autoballoon in tools/xl/xl.c).
    public func ballooning(xenCommandLine commandLine: String) -> Bool {
        switch autoballoon {
        case .on: true
        case .off: false
        case .auto: !Self.fixesDom0Memory(commandLine)
        }
    }

    /// xl's pattern: a `dom0_mem=` word whose value is a comma-separated list of SIZE or
    /// [SIZE+]NN%, each optionally after `min:` or `max:`.
    static func fixesDom0Memory(_ commandLine: String) -> Bool {
        commandLine.split(separator: " ").contains { word in
            guard word.hasPrefix("dom0_mem=") else { return false }
            let parts = word.dropFirst("dom0_mem=".count).split(separator: ",", omittingEmptySubsequences: false)
            return !parts.isEmpty && parts.enumerated().allSatisfy { index, part in
                // xl's pattern allows one trailing comma.
                if part.isEmpty { return index == parts.count - 1 && index > 0 }
                var value = Substring(part)
                if value.hasPrefix("min:") || value.hasPrefix("max:") { value = value.dropFirst(4) }
                return isSize(value) || isPercentage(value)
            }
        }
    }

    /// -?[0-9]+[bBkKmMgGtT]?
    private static func isSize(_ text: Substring) -> Bool {
        var rest = text
        if rest.hasPrefix("-") { rest = rest.dropFirst() }
        if let last = rest.last, "bBkKmMgGtT".contains(last) { rest = rest.dropLast() }
        return !rest.isEmpty && rest.allSatisfy(\.isASCIIDigit)
    }

    /// (SIZE\+)?[0-9]{1,2}%
    private static func isPercentage(_ text: Substring) -> Bool {
        guard text.hasSuffix("%") else { return false }
        var rest = text.dropLast()
        if let plus = rest.lastIndex(of: "+") {
            guard isSize(rest[..<plus]) else { return false }
            rest = rest[rest.index(after: plus)...]
        }
        return (1...2).contains(rest.count) && rest.allSatisfy(\.isASCIIDigit)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
