// Save and restore, in xl's file format (SaveFileHeader.swift), with what xl lacks: the file
// is durable before the domain is destroyed, and a failure never loses the domain.
//
// Save (xl: tools/xl/xl_saverestore.c, save_domain) runs as SaveWorkflow, a state machine
// with a thin driver (Workflows/): a temporary file beside FILE, xl's header, libxl's stream,
// fsync, close, a read-back, and only then the rename over FILE and the domain's end.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension XenContext {
    /// What becomes of a domain once it is saved.
    public enum AfterSave: Sendable {
        /// Destroy it (`xl save`).
        case destroy
        /// Let it run on (`xl save -c`, a checkpoint).
        case keepRunning
        /// Keep it, paused (`xl save -p`).
        case keepPaused
    }

    /// What a save wrote.
    public struct SaveResult: Sendable {
        public let name: String
        public let bytes: Int
        public let seconds: Double
        public var megabytesPerSecond: Double { seconds > 0 ? Double(bytes) / 1_048_576 / seconds : 0 }
    }

    /// Saves a domain to a file in xl's format, durably, then destroys or keeps it.
    ///
    /// The steps and what each failure leaves are SaveWorkflow's (Workflows/SaveWorkflow.swift).
    ///
    /// - Parameters:
    ///   - configJSON: the config to store instead of the domain's own (libxl JSON), as xl
    ///     save's CONFIG argument.
    ///   - stopRequested: polled between steps; once true, the save rolls back if FILE was
    ///     not replaced yet, and completes if it was.
    ///   - whenResumed: called when the domain was suspended and runs (or is paused) again,
    ///     after a failure or with `-c`/`-p`: its shutdown-action watcher ended at the suspend.
    /// - Throws: ``XenError`` that says where the domain is and that FILE was not touched
    ///   (or holds the new save), and names every rollback step that failed.
    public func save(_ id: DomainID, to path: String, after: AfterSave = .destroy,
                     configJSON: String? = nil, stopRequested: @escaping () -> Bool = { false },
                     whenResumed: (DomainID) -> Void = { _ in }) throws(XenError) -> SaveResult {
        let name = try domain(id).name ?? "\(id)"
        let json = if let configJSON { configJSON } else { try runningConfigJSON(id, name: name) }
        if path.hasSuffix("/") || path.isEmpty {
            throw XenError(code: .invalidArgument, message: "cannot save domain '\(name)' to '\(path)': that is a folder, not a file",
                           hint: "the domain was not touched")
        }
        let clock = ContinuousClock()
        let started = clock.now
        let temporary = SaveWorkflow.temporaryName(for: path, pid: getpid())
        var driver = SaveDriver(
            machine: SaveWorkflow(name: name, path: path, temporary: temporary, after: after),
            control: LiveDomainControl(context: self), files: LiveSaveFiles(), id: id,
            header: SaveFileHeader(configJSON: json).encoded(), configJSON: json, stopRequested: stopRequested)
        switch driver.run() {
        case .saved(let bytes, _, let resumed):
            if resumed { whenResumed(id) }
            return SaveResult(name: name, bytes: bytes, seconds: started.duration(to: clock.now).inSeconds)
        case .failed(let error, _, let resumed):
            if resumed { whenResumed(id) }
            throw error
        }
    }

    /// The config libxl keeps for a running domain, as the JSON a save file or a migration
    /// stream carries (xl's save_domain_core_begin).
    func runningConfigJSON(_ id: DomainID, name: String) throws(XenError) -> String {
        let raw = try perform("read the config of \(describe(id))") { Libxl.retrieveConfiguration($0, id) }
        return try DomainConfiguration(raw: raw, source: "domain '\(name)'", warnings: []).json()
    }

    /// Builds a domain from a save file (`xl restore`). The config is the file's own, or
    /// `config` when given (xl restore's CONFIG argument). Nothing is left behind when the
    /// file is bad or building fails.
    ///
    /// - Returns: the new domain's id and name.
    public func restore(from path: String, config override: consuming DomainConfiguration? = nil,
                        paused: Bool = false, policy: BuildPolicy = .fixed) throws(XenError) -> (id: DomainID, name: String) {
        let file = try SaveFile(path: path)
        defer { file.close() }
        let config: DomainConfiguration
        if let override = override.take() {
            config = override
        } else {
            guard let json = file.header.configJSON, file.header.mandatoryFlags & SaveFileHeader.configIsJSON != 0 else {
                throw XenError(code: .invalidArgument, message: "cannot restore from \(path): it carries no JSON config",
                               hint: "give the domain's xl.cfg: xk restore \(path) CONFIG")
            }
            switch Libxl.configuration(ctx, json: json) {
            case .success(let raw): config = DomainConfiguration(raw: raw, source: "\(path) (saved config)", warnings: [])
            case .failure(let failure):
                throw XenError(code: .invalidArgument, message: "cannot restore from \(path): its config is not a libxl domain config",
                               libxlCode: failure.code)
            }
        }
        try config.applyGlobalMasks(policy.affinityMasks, hostCPUs: policy.hostCPUs)
        let name = config.name
        let id = try build(config, from: .stream(fd: file.fd, version: file.header.streamVersion),
                           what: "restore domain '\(name)' from \(path)", paused: paused, policy: policy)
        return (id, name)
    }
}
