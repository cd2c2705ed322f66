// A device attached or detached with `--persist` is kept in the domain's definition, so that the
// next `xk start` has it (or has it no more). xl has no such thing: a hot-plugged device lives in
// libxl's record of the running domain and is gone once the domain is.
//
// Both of the definition's files change, and stay one domain: the kept xl.cfg gets a new list
// line after everything else (a later line wins in an xl.cfg, as with define's overrides), with
// a comment saying which command wrote it; the resolved config is made again from that file with
// the definition's UUID kept, so that a define, a persist and a start give one identity. The new
// files are checked as a define checks them before either is written, and each is replaced
// atomically, the JSON first and the xl.cfg (the mark of a definition) last.

extension DefinitionStore {
    /// What a persisted change does to one of the config's device lists.
    public enum DeviceChange: Sendable {
        /// Appends this item (a disk= or vif= item, as written in an xl.cfg).
        case add(String)
        /// Removes the items this test picks.
        case remove(@Sendable (String) -> Bool)
    }

    /// Whether `name` is defined (and a valid definition name).
    public func isDefined(_ name: String) -> Bool {
        (try? definition(name)) != nil
    }

    /// Changes the list `key` ("disk" or "vif") of a definition, as `--persist` asks.
    ///
    /// - Parameter command: the command line that made the change, for the comment.
    /// - Returns: how many items were removed (for ``DeviceChange/remove(_:)``), or 1.
    /// - Throws: ``XenError`` when the definition is missing or the changed config would not
    ///   load; then neither file changed.
    @discardableResult
    public func change(_ name: String, list key: String, _ change: DeviceChange, command: String,
                       options: DomainConfiguration.LoadOptions = .init()) throws(XenError) -> Int {
        let definition = try definition(name)
        let text: String
        do {
            text = try readFile(definition.configPath)
        } catch {
            throw XenError(code: .invalidConfig, message: "\(definition.configPath): cannot read the definition of '\(name)': \(error.reason)")
        }
        let items = try XLConfigFile(source: definition.configPath, text: text).list(key) ?? []
        let changed: [String]
        switch change {
        case .add(let item): changed = items + [item]
        case .remove(let picks): changed = items.filter { !picks($0) }
        }
        let count = changed.count > items.count ? 1 : items.count - changed.count
        guard count > 0 else { return 0 }
        var kept = text
        if !kept.hasSuffix("\n") { kept += "\n" }
        kept += "# " + command.filter { $0 != "\n" } + "\n" + key + " = [ " + changed.map(Self.quoted).joined(separator: ", ") + " ]\n"
        var resolvedOptions = options
        if let uuid = try resolvedJSON(name).firstMatch(of: /"uuid": "([0-9a-f-]{36})"/)?.1 {
            resolvedOptions.overrides.append("uuid = \"\(uuid)\"")
        }
        let config = try DomainConfiguration.parse(text: kept, source: definition.configPath, options: resolvedOptions)
        try writeFileAtomically(definition.configPath.dropLast(4) + ".json", try config.json())
        try writeFileAtomically(definition.configPath, kept)
        return count
    }

    /// An xl.cfg string: double-quoted, with libxlutil's backslash escapes (xlu__cfgl_dequote)
    /// for a quote, a backslash and a line break.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for character in text {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out + "\""
    }
}
