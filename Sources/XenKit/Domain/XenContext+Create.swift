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
    /// - Returns: the new domain's id.
    /// - The corresponding libxl function is `libxl_domain_create_new`.
    public func create(_ config: borrowing DomainConfiguration, paused: Bool = false) throws(XenError) -> DomainID {
        try build(config, from: .new, what: "create domain '\(config.name)' from \(config.source)", paused: paused)
    }

    /// Runs BuildWorkflow (Workflows/BuildWorkflow.swift): check, build paused, unpause;
    /// what fails is destroyed, and a destroy that fails is reported with the domain's id.
    func build(_ config: borrowing DomainConfiguration, from source: BuildSource, what: String,
               paused: Bool) throws(XenError) -> DomainID {
        var driver = BuildDriver(machine: BuildWorkflow(name: config.name, what: what, paused: paused),
                                 control: LiveDomainControl(context: self), source: source)
        switch driver.run(config) {
        case .built(let id):
            return id
        case .failed(var error, _):
            if let checkError = driver.checkError { throw checkError }
            if error.libxlMessages.contains(where: { $0.contains("already exists") }) { error.code = .alreadyExists }
            throw error
        }
    }

    /// Checks, before anything is built, that no domain has the config's name and that the
    /// host has the memory the domain needs (for create, restore and migration).
    func checkCanBuild(_ config: borrowing DomainConfiguration) throws(XenError) {
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
        let needed = try perform("work out the memory domain '\(name)' needs") { Libxl.memoryNeeded($0, config.raw) }
        let free = try perform("read the host's free memory") { Libxl.freeMemory($0) }
        if needed > free {
            throw XenError(code: .operationFailed,
                           message: "not enough free memory for domain '\(name)': it needs \(needed / 1024) MiB, the host has \(free / 1024) MiB free",
                           hint: "free memory (xl mem-set 0 ..., or destroy a domain) or lower memory =")
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
