// Whether libxl runs a PV guest's bootloader (pygrub) restricted: as an unprivileged user,
// non-interactive, under a timeout (XSA-443, review finding 16). A bootloader parses disk
// images the guest owns, and libxl runs it again at each guest-triggered reboot; unrestricted
// it runs as root.
//
// Why the environment: libxl 4.17 (Debian's, which carries the XSA-443 fix) has no config
// field for it; it reads only the process environment, in libxl_bootloader.c:
//   > if (getenv("LIBXL_BOOTLOADER_RESTRICT") || getenv("LIBXL_BOOTLOADER_USER")) {
// so either variable, with any value, "0" too (xl(1)), turns the restriction on, and
// LIBXL_BOOTLOADER_USER names the user (else libxl takes xen-qemuuser-range-base + domid, or
// xen-qemuuser-shared). xl 4.17 reads no key for it; xl 4.18 and later read
// `bootloader_restrict` from xl.conf (tools/xl/xl.c) and `bootloader_user` per domain, and
// libxl there lets the environment win over both (libxl_create.c). xk reads both keys from
// xl.conf, lets a variable already set win, and sets the variables before any libxl context
// exists. Unset, as in xl, the bootloader runs unrestricted: restricting needs the
// unprivileged users set up (docs/features/qemu-deprivilege.pandoc), or every PV guest with a
// bootloader would fail to start.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The bootloader restriction xl.conf asks for.
public struct BootloaderRestriction: Sendable, Equatable {
    /// `bootloader_restrict`: nil when xl.conf does not set it.
    public var restrict: Bool?
    /// `bootloader_user`: the user to run bootloaders as; nil when not set.
    public var user: String?

    public init(restrict: Bool? = nil, user: String? = nil) {
        self.restrict = restrict
        self.user = user
    }

    /// xl's global config.
    public static let defaultPath = "/etc/xen/xl.conf"

    static let restrictVariable = "LIBXL_BOOTLOADER_RESTRICT"
    static let userVariable = "LIBXL_BOOTLOADER_USER"

    /// Reads the two keys from xl.conf text; every other key is left to others.
    ///
    /// - Throws: ``XenError`` (``XenError/Code/invalidConfig``) naming the file, the line and
    ///   the key of a bad value.
    static func parse(text: String, source: String) throws(XenError) -> BootloaderRestriction {
        try read(XLConfigFile(source: source, text: text))
    }

    /// The two keys of a parsed xl.conf (XLConf reads the rest).
    static func read(_ file: XLConfigFile) throws(XenError) -> BootloaderRestriction {
        var restriction = BootloaderRestriction()
        if let value = try file.integer("bootloader_restrict") {
            guard value == 0 || value == 1 else {
                throw file.error("bootloader_restrict", "expected 0 or 1, got \(value)")
            }
            restriction.restrict = value == 1
        }
        if let user = try file.string("bootloader_user") {
            if let problem = Self.problem(withUser: user) {
                throw file.error("bootloader_user", problem)
            }
            restriction.user = user
        }
        return restriction
    }

    /// Why `user` cannot run bootloaders, or nil.
    private static func problem(withUser user: String) -> String? {
        if user.isEmpty { return "expected a user name, got an empty one" }
        if user == "root" {
            // libxl refuses uid 0 too, but only when a guest boots ("bootloader restrict UID
            // is 0 (root)!"): every PV guest with a bootloader would then fail to start.
            return "the bootloader must not run as root"
        }
        let allowed = user.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                               || scalar == "-" || scalar == "_" || scalar == "." || scalar == "$")
        }
        if !allowed || user.hasPrefix("-") { return "\"\(user)\" is not a user name" }
        return nil
    }

    /// Reads `path`; a host without the file has no restriction configured.
    ///
    /// - Throws: ``XenError`` when the file exists but cannot be read, or has a bad value.
    public static func load(path: String = defaultPath) throws(XenError) -> BootloaderRestriction {
        try XLConf.load(path: path).bootloader
    }

    /// The variables libxl must find for this restriction, given what `current` (the
    /// process environment) already holds: nothing when either variable is set already (it
    /// wins, as in libxl 4.18), or when no restriction is asked for, or `bootloader_restrict`
    /// is 0 (setting the user would turn it on in 4.17).
    func environment(current: (String) -> String?) -> [String: String] {
        if current(Self.restrictVariable) != nil || current(Self.userVariable) != nil { return [:] }
        guard restrict ?? (user != nil) else { return [:] }
        var variables: [String: String] = [:]
        if restrict == true { variables[Self.restrictVariable] = "1" }
        if let user { variables[Self.userVariable] = user }   // alone, it restricts too
        return variables
    }

    /// Reads xl.conf and sets the variables in this process.
    ///
    /// Call it first thing in a command that may create a domain, before any thread could
    /// call libxl: setenv is not safe beside a concurrent getenv, and libxl reads the
    /// variables each time it runs a bootloader.
    ///
    /// - Returns: the variables set, for the log.
    /// - Throws: ``XenError`` naming the file and line of a bad value; nothing is set then.
    @discardableResult
    public static func applyToProcess(path: String = defaultPath) throws(XenError) -> [String: String] {
        try apply(path: path, get: { name in getenv(name).map { String(cString: $0) } },
                  set: { name, value in _ = setenv(name, value, 1) })
    }

    /// A line for the log about what ``applyToProcess(path:)`` set.
    public static func describe(_ variables: [String: String]) -> String {
        guard !variables.isEmpty else {
            return "bootloaders: as the environment and \(defaultPath) leave them (unrestricted unless \(restrictVariable) or \(userVariable) is set)"
        }
        let list = variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return "bootloaders run restricted (XSA-443): \(list), from \(defaultPath)"
    }

    /// ``applyToProcess(path:)`` over a given environment.
    static func apply(path: String, get: (String) -> String?, set: (String, String) -> Void) throws(XenError) -> [String: String] {
        let variables = try load(path: path).environment(current: get)
        for (name, value) in variables.sorted(by: { $0.key < $1.key }) { set(name, value) }
        return variables
    }
}
