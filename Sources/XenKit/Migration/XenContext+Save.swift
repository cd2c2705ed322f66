// Save and restore, in xl's file format (SaveFileHeader.swift), with what xl lacks: the file
// is durable before the domain is destroyed, and a failure never loses the domain.
//
// Save, step by step (xl: tools/xl/xl_saverestore.c, save_domain):
//   1. the config to store: the one libxl keeps for the domain, or the operator's override;
//   2. a temporary file beside the target (same folder, so the rename is atomic), O_EXCL;
//   3. xl's header, then libxl streams the domain into it (the domain is suspended);
//   4. fsync, close (checked: xl checks neither), rename over the target, fsync the folder;
//   5. read the file back: header, config, libxl's ident and END record;
//   6. only then destroy the domain (or resume it, paused with -p, running with -c).
// A failure in 2-5 removes the temporary or final file and resumes the domain.
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
    /// - Parameters:
    ///   - configJSON: the config to store instead of the domain's own (libxl JSON), as xl
    ///     save's CONFIG argument.
    /// - Throws: ``XenError``; the domain then runs as before (or, when even resuming it
    ///   failed, the message says so), and no file is left at `path` or beside it.
    public func save(_ id: DomainID, to path: String, after: AfterSave = .destroy,
                     configJSON: String? = nil) throws(XenError) -> SaveResult {
        let name = try domain(id).name ?? "\(id)"
        let json = if let configJSON { configJSON } else { try runningConfigJSON(id, name: name) }
        let clock = ContinuousClock()
        let started = clock.now
        let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let base = path.split(separator: "/").last.map(String.init) ?? path
        let temporary = "\(folder.isEmpty ? "" : folder)/.\(base).xk-partial-\(getpid())"

        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw XenError(code: .invalidArgument, message: "cannot save domain '\(name)' to \(path): cannot create \(temporary): \(String(cString: strerror(errno)))",
                           hint: "the domain was not touched")
        }
        var fdOpen = true
        func abandon(_ problem: String, libxlCode: Int32? = nil, messages: [String] = [], suspended: Bool) -> XenError {
            if fdOpen { close(fd); fdOpen = false }
            unlink(temporary)
            unlink(path)   // a file renamed into place but found bad
            var state = "the domain was not touched"
            if suspended {
                state = "the domain runs again"
                if case .failure(let failure) = Libxl.resume(ctx, id) {
                    if (try? domain(id))?.isShutdown == true {
                        state = "resuming the domain failed too (\(LibxlCode.name(failure.code))): it is suspended; xk destroy \(name) or retry"
                    }
                }
            }
            return XenError(code: .operationFailed, message: "cannot save domain '\(name)' to \(path): \(problem)",
                            hint: state, libxlCode: libxlCode, libxlMessages: messages)
        }

        if let problem = writeAll(fd, SaveFileHeader(configJSON: json).encoded()) {
            throw abandon("cannot write the header: \(problem)", suspended: false)
        }
        let mark = logger.mark()
        if case .failure(let failure) = Libxl.suspend(ctx, id, fd: fd) {
            let messages = logger.errors(since: mark)
            throw abandon(messages.last.map(Self.trimLibxlPrefix) ?? "libxl could not stream the domain",
                          libxlCode: failure.code, messages: messages, suspended: true)
        }
        if fsync(fd) != 0 { throw abandon("cannot flush it to disk: \(String(cString: strerror(errno)))", suspended: true) }
        fdOpen = false
        if close(fd) != 0 { throw abandon("cannot close it: \(String(cString: strerror(errno)))", suspended: true) }
        if !renameFile(temporary, to: path) { throw abandon("cannot rename it into place: \(String(cString: strerror(errno)))", suspended: true) }
        syncDirectory(parentOf: path)

        // Read back what a restore will read, before the only other copy goes.
        let bytes: Int
        do throws(XenError) {
            let file = try SaveFile(path: path)
            defer { file.close() }
            guard file.header.configJSON == json else {
                throw XenError(code: .operationFailed, message: "the config read back differs from the one written")
            }
            bytes = file.size
        } catch {
            throw abandon("reading it back failed: \(error.message)", suspended: true)
        }

        switch after {
        case .destroy:
            try destroy(id)
        case .keepPaused:
            try pause(id)
            try perform("resume \(describe(id)) after saving it") { Libxl.resume($0, id) }
        case .keepRunning:
            try perform("resume \(describe(id)) after saving it") { Libxl.resume($0, id) }
        }
        return SaveResult(name: name, bytes: bytes, seconds: started.duration(to: clock.now).inSeconds)
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
                        paused: Bool = false) throws(XenError) -> (id: DomainID, name: String) {
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
        let name = config.name
        try checkCanBuild(config)
        let mark = logger.mark()
        switch Libxl.createRestore(ctx, config.raw, fd: file.fd, streamVersion: file.header.streamVersion) {
        case .success(let id):
            if !paused {
                if case .failure(let failure) = Libxl.unpause(ctx, id) {
                    _ = Libxl.destroy(ctx, id)
                    throw XenError.libxl(failure, operation: "start the restored domain '\(name)' (it was destroyed)", messages: [])
                }
            }
            return (id, name)
        case .failure(let failure):
            if let half = failure.domain, case .success = Libxl.domainInfo(ctx, half) {
                _ = Libxl.destroy(ctx, half)
            }
            let messages = logger.errors(since: mark)
            throw XenError(code: .operationFailed, message: "cannot restore domain '\(name)' from \(path) (nothing was left behind)",
                           hint: messages.last.map(Self.trimLibxlPrefix), libxlCode: failure.code, libxlMessages: messages)
        }
    }
}
