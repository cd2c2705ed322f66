// Maps xl.cfg keys onto libxl_domain_config, following xl's own tools/xl/xl_parse.c (Xen
// 4.17) key by key: same defaults, same derived values, so that `xk create -n` prints the
// JSON `xl -N create` prints (the lab's fixtures check that). Where xl warns and goes on
// with a bad value (a number that is not a number, a list where one value belongs), xk
// stops with the file, the line and the key: a domain built from a misread config is worse
// than no domain.
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

struct ConfigMapper {
    let file: XLConfigFile
    let config: UnsafeMutablePointer<libxl_domain_config>
    let options: DomainConfiguration.LoadOptions
    var warnings: [String] = []

    init(file: XLConfigFile, config: UnsafeMutablePointer<libxl_domain_config>,
         options: DomainConfiguration.LoadOptions) {
        self.file = file
        self.config = config
        self.options = options
    }

    mutating func mapAll() throws(XenError) {
        try checkKeys()
        try mapIdentity()
        try mapSchedulerAndResources()
        try mapAffinity()
        try mapShutdownActions()
        try mapPCI()
        try mapPlatform()
        try mapBoot()
        try mapTimerMode()
        try mapTypeSpecific()
        try mapAltp2m()
        try mapHardwareAccess()
        try mapDisks()
        try mapP9()
        try mapVTPMs()
        try mapVDispl()
        try mapPVCalls()
        try mapVSND()
        try mapChannels()
        try mapNICs()
        try mapFramebuffers()
        try mapUSB()
        try mapCPUID()
        try mapDeviceModel()
        try mapVKBs()
        try mapMiscellaneous()
        try mapLateOptions()
        try mapGlobalMasks()
    }

    /// xl.conf's vm.*cpumask, after everything else as xl applies them (so `create -n` shows
    /// them too), unless the operator said to ignore them.
    mutating func mapGlobalMasks() throws(XenError) {
        guard !options.ignoreGlobalAffinityMasks, !options.xlConf.cpuMasks.isEmpty else { return }
        let host = options.host ?? .assumed
        let masks = try options.xlConf.affinityMasks(host: host)
        try DomainConfiguration.applyGlobalMasks(config, masks, hostCPUs: host.cpuCount, source: file.source)
    }

    /// Every key must be one xl knows (else a warning, or an error with `strict`) and one
    /// xk maps (else an error naming it).
    mutating func checkKeys() throws(XenError) {
        for statement in file.statements {
            let key = statement.key
            if !ConfigKeys.known.contains(key) {
                let nearest = ConfigKeys.nearest(to: key)
                let message = file.location(line: statement.line)
                    + "unknown key '\(key)'" + (nearest.map { ", did you mean '\($0)'?" } ?? "")
                if options.strict {
                    throw XenError(code: .invalidConfig, message: message,
                                   hint: "xl would ignore it; xk --strict refuses it")
                }
                warnings.append(message + " (ignored, as xl does)")
            } else if !ConfigKeys.mapped.contains(key) {
                throw XenError(
                    code: .invalidConfig,
                    message: file.location(line: statement.line)
                        + "'\(key)' is a valid xl key that xk does not handle yet",
                    hint: "nothing was created; use xl for this config for now")
            }
        }
    }

    // MARK: - small setters

    func setString(_ field: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>, _ value: String) {
        free(field.pointee)
        field.pointee = strdup(value)
    }

    func setDefbool(_ field: UnsafeMutablePointer<libxl_defbool>, _ key: String) throws(XenError) {
        if let value = try file.boolean(key) { libxl_defbool_set(field, value) }
    }

    // MARK: - identity: name, uuid, type, labels, pool

    mutating func mapIdentity() throws(XenError) {
        let c = withUnsafeMutablePointer(to: &config.pointee.c_info) { $0 }
        if let label = try file.string("init_seclabel") { setString(&c.pointee.ssid_label, label) }
        if let label = try file.string("seclabel") {
            if c.pointee.ssid_label != nil {
                setString(&config.pointee.b_info.exec_ssid_label, label)
            } else {
                setString(&c.pointee.ssid_label, label)
            }
        }
        libxl_defbool_set(&c.pointee.run_hotplug_scripts, options.xlConf.runHotplugScripts)

        c.pointee.type = LIBXL_DOMAIN_TYPE_INVALID
        if let type = try file.string("type") {
            // xl compares only the given prefix (strncmp with the value's length).
            if !type.isEmpty && "hvm".hasPrefix(type) { c.pointee.type = LIBXL_DOMAIN_TYPE_HVM }
            else if !type.isEmpty && "pv".hasPrefix(type) { c.pointee.type = LIBXL_DOMAIN_TYPE_PV }
            else if type == "pvh" { c.pointee.type = LIBXL_DOMAIN_TYPE_PVH }
            else { throw file.error("type", "unknown domain type \"\(type)\"", hint: "use pv, pvh or hvm") }
        }
        if let builder = try file.string("builder") {
            let builderType: libxl_domain_type
            if !builder.isEmpty && "hvm".hasPrefix(builder) { builderType = LIBXL_DOMAIN_TYPE_HVM }
            else if !builder.isEmpty && "generic".hasPrefix(builder) { builderType = LIBXL_DOMAIN_TYPE_PV }
            else { throw file.error("builder", "unknown builder \"\(builder)\"", hint: "use type = \"pv\", \"pvh\" or \"hvm\"") }
            if c.pointee.type != LIBXL_DOMAIN_TYPE_INVALID && c.pointee.type != builderType {
                throw file.error("builder", "contradicts type = \"\(try file.string("type") ?? "")\"")
            }
            c.pointee.type = builderType
            warnings.append(file.location("builder") + "builder is deprecated since Xen 4.10; use type")
        }
        if c.pointee.type == LIBXL_DOMAIN_TYPE_INVALID { c.pointee.type = LIBXL_DOMAIN_TYPE_PV }

        try setDefbool(&c.pointee.hap, "hap")

        guard let name = try file.string("name") else {
            throw XenError(code: .invalidConfig, message: "\(file.source): the domain has no name",
                           hint: "add name = \"...\"")
        }
        try validateName(name)
        setString(&c.pointee.name, name)

        if let uuid = try file.string("uuid") {
            guard libxl_uuid_from_string(&c.pointee.uuid, uuid) == 0 else {
                throw file.error("uuid", "\"\(uuid)\" is not a UUID")
            }
        } else {
            libxl_uuid_generate(&c.pointee.uuid)
        }
        try setDefbool(&c.pointee.oos, "oos")
        if let pool = try file.string("pool") { setString(&c.pointee.pool_name, pool) }

        libxl_domain_build_info_init_type(&config.pointee.b_info, c.pointee.type)
        if c.pointee.type == LIBXL_DOMAIN_TYPE_PVH {
            try setDefbool(&config.pointee.b_info.u.pvh.pvshim, "pvshim")
            if let path = try file.string("pvshim_path") { setString(&config.pointee.b_info.u.pvh.pvshim_path, path) }
            if let line = try file.string("pvshim_cmdline") { setString(&config.pointee.b_info.u.pvh.pvshim_cmdline, line) }
            if let extra = try file.string("pvshim_extra") { setString(&config.pointee.b_info.u.pvh.pvshim_extra, extra) }
        }
    }

    /// Names end up in xenstore, in `xl list` and in file names: xk refuses what would break
    /// them (``DomainName``), and warns about a name that commands would read as a domain id.
    mutating func validateName(_ name: String) throws(XenError) {
        if let problem = DomainName.problem(with: name) {
            throw file.error("name", "\"\(DomainName.printable(name))\" cannot be a domain name: \(problem)")
        }
        if name.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            warnings.append(file.location("name")
                + "name \"\(name)\" is all digits: commands will read it as a domain id")
        }
    }
}
