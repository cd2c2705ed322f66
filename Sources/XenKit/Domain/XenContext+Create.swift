extension XenContext {
    /// Builds and starts a domain from its configuration, as `xl create` does.
    ///
    /// Checked before anything is built: that no domain has the name already, and that the
    /// host has the memory the domain needs. If building fails, or the domain cannot be
    /// unpaused, nothing is left behind: libxl destroys a half-built domain, and xk makes
    /// sure of it.
    ///
    /// - Parameters:
    ///   - config: the configuration; libxl fills in its defaults while building.
    ///   - paused: leave the domain paused (`xl create -p`).
    ///   - checked: ``checkBuild(_:policy:)``'s verdict on this config, just taken: its name
    ///     lookup and its measure of the need stand for the build's own (free memory is read
    ///     again). Ignored unless it fits and is this config's.
    /// - Returns: the new domain's id.
    /// - The corresponding libxl function is `libxl_domain_create_new`.
    public func create(_ config: borrowing DomainConfiguration, paused: Bool = false,
                       policy: BuildPolicy = .fixed, checked: BuildCheck? = nil) throws(XenError) -> DomainID {
        let verdict = checked.flatMap { $0.standsFor(config) ? $0 : nil }
        return try build(config, from: .new, what: "create domain '\(config.name)' from \(config.source)", paused: paused, policy: policy,
                         checked: verdict)
    }

    /// Runs BuildWorkflow (Workflows/BuildWorkflow.swift): check, make room, build paused,
    /// unpause; what fails is destroyed (and dom0 given back what it gave), and a rollback
    /// that fails is reported with what it left.
    func build(_ config: borrowing DomainConfiguration, from source: BuildSource, what: String,
               paused: Bool, policy: BuildPolicy, checked: BuildCheck? = nil) throws(XenError) -> DomainID {
        var driver = BuildDriver(machine: BuildWorkflow(name: config.name, what: what, paused: paused),
                                 control: LiveDomainControl(context: self), source: source, policy: policy, checked: checked)
        switch driver.run(config) {
        case .built(let id):
            return id
        case .failed(var error, _):
            if error.libxlMessages.contains(where: { $0.contains("already exists") }) { error.code = .alreadyExists }
            throw error
        }
    }

    /// How builds on this host go, from xl.conf: `autoballoon="auto"` is resolved against
    /// Xen's command line, as xl resolves it, and the CPU masks against the host's CPUs
    /// (`host`, read here when not given).
    public func buildPolicy(_ conf: XLConf, host given: HostTopology? = nil) throws(XenError) -> BuildPolicy {
        let ballooning: Bool
        if conf.autoballoon == .auto {
            let version = try perform("read Xen's version and command line") { Libxl.versionInfo($0) }
            ballooning = conf.ballooning(xenCommandLine: version.commandLine)
        } else {
            ballooning = conf.autoballoon == .on
        }
        let host: HostTopology
        if let given { host = given } else { host = try hostTopology() }
        return BuildPolicy(ballooning: ballooning, lockfile: conf.lockfile, randomDomid: conf.domidPolicy == .random,
                           affinityMasks: try conf.affinityMasks(host: host), hostCPUs: host.cpuCount)
    }

    /// Checks, before anything is built, that the config's name can be a domain's and that
    /// no domain has it (for create, restore and migration).
    func checkName(_ config: borrowing DomainConfiguration) throws(XenError) {
        let name = config.name
        // A name from a save file or a migration stream was never checked as a config's is:
        // xk names dump, log and definition files after the domain (finding 10).
        if let problem = DomainName.problem(with: name) {
            throw XenError(code: .invalidConfig, message: "\(config.source): '\(DomainConfiguration.printable(name))' cannot be a domain name: \(problem)",
                           hint: "nothing was built")
        }
        if let existing = try? resolve(.name(name)) {
            throw XenError(code: .alreadyExists,
                           message: "\(config.source): a domain named '\(name)' already exists (id \(existing))",
                           hint: "destroy it first, or pick another name (xk create FILE name=OTHER)")
        }
    }

    /// "libxl: error: libxl_create.c:1234:func: Domain 5:message" -> "message".
    static func trimLibxlPrefix(_ message: String) -> String {
        var text = Substring(message)
        if let range = text.firstRange(of: ": error: ") { text = text[range.upperBound...] }
        // file.c:line:function: ...
        let parts = text.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
        if parts.count == 4, parts[0].hasSuffix(".c"), Int(parts[1]) != nil {
            text = parts[3].drop { $0 == " " }
        }
        if text.hasPrefix("Domain "), let colon = text.firstIndex(of: ":") {
            text = text[text.index(after: colon)...]
        }
        return String(text)
    }
}
