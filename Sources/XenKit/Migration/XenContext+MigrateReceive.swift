// The receiving side of a live migration (xl's migrate_receive), for `xk migrate-receive`
// run by the sender through ssh: the stream comes on stdin, the answers go to stdout.
//
// The copy here is built paused as NAME--incoming and started only after the sender's GO.
// Whatever fails before GO destroys the copy here, so the sender's copy is the only one;
// after GO, a copy that cannot be started is destroyed here and the sender is told it may
// resume its own.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension XenContext {
    /// Receives a migrating domain over `channel`.
    ///
    /// - Parameters:
    ///   - paused: leave the domain paused once it is here (`-p`).
    ///   - log: called with each step, for stderr (stdout is the channel).
    /// - Returns: the domain's id and name once it runs here.
    /// - Throws: ``XenError``; nothing is left here then.
    public func receiveMigration(over channel: MigrationChannel, paused: Bool = false,
                                 log: (String) -> Void = { _ in }) throws(XenError) -> (id: DomainID, name: String) {
        func fail(_ problem: String, code: Int32? = nil, messages: [String] = []) -> XenError {
            XenError(code: .operationFailed, message: "migration receiver: \(problem)",
                     hint: "nothing was left on this host", libxlCode: code, libxlMessages: messages)
        }
        log("migration target: Ready to receive domain.")
        if let problem = channel.send(.banner) { throw fail(problem) }

        // xl's header and config, then the libxl stream.
        let header: SaveFileHeader
        do {
            (header, _) = try SaveFileHeader.decode([]) { count in channel.read(count) }
        } catch {
            throw fail("the sender's stream is not an xl migration stream: \(error)")
        }
        guard let json = header.configJSON, header.mandatoryFlags & SaveFileHeader.configIsJSON != 0 else {
            throw fail("the sender sent no JSON config")
        }
        let config: DomainConfiguration
        switch Libxl.configuration(ctx, json: json) {
        case .success(let raw): config = DomainConfiguration(raw: raw, source: "the migration stream", warnings: [])
        case .failure(let failure): throw fail("the sender's config is not a libxl domain config", code: failure.code)
        }
        let name = config.name
        let incoming = name + "--incoming"
        config.rename(to: incoming)
        try checkCanBuild(config)
        // Checked here, not left to libxl: a wrong header crashes libxl 4.17's stream reader.
        guard let start = StreamPeek.peek(channel.receiveFD, count: StreamPeek.headerSize, timeout: 120) else {
            throw fail("the stream ended (or stalled) before the libxl stream began")
        }
        if let problem = StreamPeek.problem(withHeader: start) { throw fail(problem) }

        let mark = logger.mark()
        let id: DomainID
        switch Libxl.createRestore(ctx, config.raw, fd: channel.receiveFD, streamVersion: header.streamVersion) {
        case .success(let newID):
            id = newID
        case .failure(let failure):
            if let half = failure.domain, case .success = Libxl.domainInfo(ctx, half) { _ = Libxl.destroy(ctx, half) }
            let messages = logger.errors(since: mark)
            throw fail("cannot build domain '\(name)' from the stream: " + (messages.last.map(Self.trimLibxlPrefix) ?? "libxl failed"),
                       code: failure.code, messages: messages)
        }
        log("migration target: Transfer complete, requesting permission to start domain.")
        if let problem = channel.send(.ready) {
            _ = Libxl.destroy(ctx, id)
            throw fail(problem + "; the copy here was destroyed")
        }
        var startFailure: String?
        if let problem = channel.expect(.permissionToGo) {
            startFailure = problem   // no GO: the sender keeps (or resumes) its copy
        } else {
            log("migration target: Got permission, starting domain.")
            if case .failure(let failure) = Libxl.rename(ctx, id, from: incoming, to: name) {
                startFailure = "cannot rename '\(incoming)' to '\(name)' (\(LibxlCode.name(failure.code)))"
            } else if !paused, case .failure(let failure) = Libxl.unpause(ctx, id) {
                startFailure = "cannot unpause it (\(LibxlCode.name(failure.code)))"
            }
        }
        // xl sends the report in any case; the status is libxl's rc, negated, or 1.
        let status: UInt8 = startFailure == nil ? 0 : 1
        _ = channel.send(.report)
        _ = channel.send([status])
        guard let startFailure else {
            log("migration target: Domain started successfully.")
            return (id, name)
        }
        _ = Libxl.destroy(ctx, id)
        log("migration target: Failure, destroying our copy.")
        _ = channel.send(.permissionToGo)
        throw fail(startFailure + "; the copy here was destroyed and the sender may resume its own")
    }
}

extension DomainConfiguration {
    /// Changes `name =` (the receiver builds the domain as NAME--incoming, as xl does).
    func rename(to newName: String) {
        free(raw.pointee.c_info.name)
        raw.pointee.c_info.name = strdup(newName)
    }
}
