// Domains that stay defined while they are not running, and across reboots of the host: what
// xl lacks (xendomains' folder of configs was its stand-in).
//
// Layout: one folder, three files per domain, each replaced atomically (FileSystem.swift):
//   NAME.cfg        the xl.cfg as the operator gave it, with the KEY=VALUE overrides of
//                   `xk define` appended: still a valid xl.cfg, which `xl create` can read;
//   NAME.json       the libxl domain config resolved from it (what `xl -N create` prints),
//                   from which `xk start` builds the domain, so it keeps its UUID;
//   NAME.autostart  present when the host service starts the domain; holds its order.
// NAME.cfg is written last and removed first: it is the mark of a definition, so an
// interrupted define or undefine leaves either the whole definition or none.
internal import CXen

/// A domain kept defined by xk (`xk define`), whether or not it runs.
public struct DomainDefinition: Sendable, Hashable {
    /// The domain's name, which is also the definition's name.
    public let name: String
    /// The xl.cfg as given (overrides appended).
    public let configPath: String
    /// Whether the host service starts the domain when it starts.
    public let autostart: Bool
    /// Where the domain comes in the autostart order (lower first, then by name).
    public let order: Int
}

/// The folder of domain definitions (`/var/lib/xenkit/domains` by default).
public struct DefinitionStore: Sendable {
    /// The folder.
    public let directory: String

    /// The folder the host service reads.
    public static let defaultDirectory = "/var/lib/xenkit/domains"

    public init(directory: String = DefinitionStore.defaultDirectory) {
        self.directory = directory
    }

    private func path(_ name: String, _ suffix: String) -> String { "\(directory)/\(name).\(suffix)" }

    /// What ``define(path:options:)`` did.
    public struct Defined: Sendable {
        public let definition: DomainDefinition
        /// The config's warnings (keys xl does not know, ...).
        public let warnings: [String]
        /// Whether it replaced an earlier definition of the same name.
        public let replaced: Bool
    }

    /// Reads an xl.cfg (checked as `xk create` checks it) and keeps it as a definition. A
    /// definition of the same name is replaced; its autostart setting is kept.
    ///
    /// - Throws: ``XenError`` naming the file, line and key when the config is bad (nothing
    ///   is written then), or when the folder cannot be written.
    public func define(path configPath: String, options: DomainConfiguration.LoadOptions) throws(XenError) -> Defined {
        let text: String
        do {
            text = try readFile(configPath)
        } catch {
            throw XenError(code: .invalidConfig, message: "\(configPath): cannot read the config: \(error.reason)")
        }
        let config = try DomainConfiguration.parse(text: text, source: configPath, options: options)
        let name = config.name
        try Self.checkName(name, source: configPath)
        let replaced = try exists(name)
        var kept = text
        if !options.overrides.isEmpty {
            if !kept.hasSuffix("\n") { kept += "\n" }
            kept += "# overrides given to xk define\n" + options.overrides.joined(separator: "\n") + "\n"
        }
        try writeFileAtomically(path(name, "json"), try config.json())
        try writeFileAtomically(path(name, "cfg"), kept)
        return Defined(definition: try definition(name), warnings: config.warnings, replaced: replaced)
    }

    /// Forgets a definition. A running domain of that name keeps running.
    public func undefine(_ name: String) throws(XenError) {
        guard try exists(name) else { throw Self.notDefined(name) }
        try removeFile(path(name, "cfg"))
        try removeFile(path(name, "json"))
        try removeFile(path(name, "autostart"))
    }

    /// Turns autostart on (at `order`) or off.
    public func setAutostart(_ name: String, _ on: Bool, order: Int = 0) throws(XenError) {
        guard try exists(name) else { throw Self.notDefined(name) }
        if on {
            try writeFileAtomically(path(name, "autostart"), "\(order)\n")
        } else {
            try removeFile(path(name, "autostart"))
        }
    }

    /// All definitions, by name.
    public func definitions() throws(XenError) -> [DomainDefinition] {
        var result: [DomainDefinition] = []
        for entry in try directoryEntries(directory).sorted() where entry.hasSuffix(".cfg") && !entry.hasPrefix(".") {
            result.append(try definition(String(entry.dropLast(4))))
        }
        return result
    }

    /// The autostart definitions, in the order the service starts them.
    public func autostartOrder() throws(XenError) -> [DomainDefinition] {
        try definitions().filter(\.autostart).sorted { ($0.order, $0.name) < ($1.order, $1.name) }
    }

    /// One definition.
    public func definition(_ name: String) throws(XenError) -> DomainDefinition {
        guard try exists(name) else { throw Self.notDefined(name) }
        let order: Int?
        do {
            order = Int(Substring(try readFile(path(name, "autostart"))).trimmingBlanks) ?? 0
        } catch {
            order = nil   // no file: autostart is off
        }
        return DomainDefinition(name: name, configPath: path(name, "cfg"), autostart: order != nil, order: order ?? 0)
    }

    /// The resolved libxl config of a definition, as JSON (what `xl -N create` prints).
    public func resolvedJSON(_ name: String) throws(XenError) -> String {
        guard try exists(name) else { throw Self.notDefined(name) }
        let jsonPath = path(name, "json")
        do {
            return try readFile(jsonPath)
        } catch {
            throw XenError(code: .invalidConfig, message: "\(jsonPath): cannot read the definition of '\(name)': \(error.reason)",
                           hint: "define it again: xk define \(path(name, "cfg"))")
        }
    }

    /// The domain config a definition builds (its resolved libxl config). libxl's JSON
    /// parser needs the toolstack's context, so this needs Xen.
    public func configuration(_ name: String, context: XenContext) throws(XenError) -> DomainConfiguration {
        let json = try resolvedJSON(name)
        let jsonPath = path(name, "json")
        switch Libxl.configuration(context.ctx, json: json) {
        case .success(let raw):
            return DomainConfiguration(raw: raw, source: "the definition of '\(name)'", warnings: [])
        case .failure(let failure):
            throw XenError(code: .invalidConfig, message: "\(jsonPath): the definition of '\(name)' is not a libxl domain config",
                           hint: "define it again: xk define \(path(name, "cfg"))", libxlCode: failure.code)
        }
    }

    private func exists(_ name: String) throws(XenError) -> Bool {
        try Self.checkName(name, source: nil)
        return access(path(name, "cfg"), F_OK) == 0
    }

    /// The definition's files are named after the domain: the name must be one
    /// ``DomainName`` accepts (no '/', not hidden, no control characters).
    private static func checkName(_ name: String, source: String?) throws(XenError) {
        if let problem = DomainName.problem(with: name) {
            throw XenError(code: source == nil ? .invalidArgument : .invalidConfig,
                           message: (source.map { "\($0): name: " } ?? "") + "'\(DomainName.printable(name))' cannot name a definition: \(problem)")
        }
    }

    private static func notDefined(_ name: String) -> XenError {
        XenError(code: .domainNotFound, message: "no domain named '\(name)' is defined",
                 hint: "xk list --defined shows the definitions")
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension XenContext {
    /// Builds and starts a defined domain from its resolved config (see ``DefinitionStore``).
    /// It fails, building nothing, when a domain of that name already runs.
    public func start(_ name: String, in store: DefinitionStore = DefinitionStore(), paused: Bool = false,
                      policy: BuildPolicy = .fixed) throws(XenError) -> DomainID {
        let config = try store.configuration(name, context: self)
        return try create(config, paused: paused, policy: policy)
    }
}
