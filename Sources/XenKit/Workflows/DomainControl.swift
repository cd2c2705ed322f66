// The seam under libxl for the workflows (save, restore, migration send and receive): the
// calls they make, as a protocol. `LiveDomainControl` is today's libxl; the unit tests put a
// fake in its place that can fail any call, so that every fault at every step is tried in
// milliseconds (Tests/XenKitTests/Workflows). Failures keep libxl's rc and what libxl logged
// while the call ran, so that messages are classified by rc first and log text last.
//
// Every call blocks (libxl runs synchronously here): drivers call them from a thread of
// their own, never from Swift's cooperative pool.

/// What the workflows ask of the toolstack. The corresponding libxl functions are named on
/// each requirement of the live implementation.
protocol DomainControl: Sendable {
    /// The domain's state (no name lookup).
    func info(_ id: DomainID) -> Result<DomainInfo, LibxlFailure>
    /// Streams the domain into `fd` and leaves it suspended. `libxl_domain_suspend`.
    func suspend(_ id: DomainID, into fd: Int32, live: Bool, debug: Bool) -> Result<Void, LibxlFailure>
    /// Co-operative resume of a suspended domain. `libxl_domain_resume`.
    func resume(_ id: DomainID) -> Result<Void, LibxlFailure>
    /// Transactional rename: fails unless the name is still `old`. `libxl_domain_rename`.
    func rename(_ id: DomainID, from old: String?, to new: String) -> Result<Void, LibxlFailure>
    /// `libxl_domain_destroy`.
    func destroy(_ id: DomainID) -> Result<Void, LibxlFailure>
    /// `libxl_domain_pause`.
    func pause(_ id: DomainID) -> Result<Void, LibxlFailure>
    /// `libxl_domain_unpause`.
    func unpause(_ id: DomainID) -> Result<Void, LibxlFailure>
    /// Builds a domain from `config` and the libxl stream in `fd`, left paused; a failure
    /// names what was half built, if anything. `libxl_domain_create_restore`.
    func createRestore(_ config: borrowing DomainConfiguration, from fd: Int32,
                       streamVersion: UInt32) -> Result<DomainID, Libxl.CreateFailure>
    /// Builds a domain from `config`, left paused. `libxl_domain_create_new`.
    func createNew(_ config: borrowing DomainConfiguration) -> Result<DomainID, Libxl.CreateFailure>
    /// libxl's JSON form of a config (a save file's, a migration stream's), parsed.
    /// `libxl_domain_config_from_json`.
    func configuration(fromJSON json: String, source: String) throws(XenError) -> DomainConfiguration
    /// That the config's name can be a domain's and no domain has it.
    func checkName(_ config: borrowing DomainConfiguration) throws(XenError)
    /// What building the config takes from the host. `libxl_domain_need_memory`.
    func memoryNeeded(_ config: borrowing DomainConfiguration) -> Result<Memory, LibxlFailure>
    /// `libxl_get_free_memory`.
    func freeMemory() -> Result<Memory, LibxlFailure>
    /// The balloon target. `libxl_get_memory_target`.
    func memoryTarget(_ id: DomainID) -> Result<Memory, LibxlFailure>
    /// `libxl_set_memory_target` (absolute; enforce: maxmem follows).
    func setMemoryTarget(_ id: DomainID, _ target: Memory, enforce: Bool) -> Result<Void, LibxlFailure>
    /// Until the balloon reaches its target, failing after `seconds` without progress.
    /// `libxl_wait_for_memory_target`.
    func waitForMemoryTarget(_ id: DomainID, seconds: Int32) -> Result<Void, LibxlFailure>
}

/// The seam's live side: libxl through the context, with libxl's error messages collected
/// for each failed call.
struct LiveDomainControl: DomainControl {
    let context: XenContext

    func call<T>(_ body: (OpaquePointer) -> Result<T, LibxlFailure>) -> Result<T, LibxlFailure> {
        context.withLibxlMessages(body)
    }

    func info(_ id: DomainID) -> Result<DomainInfo, LibxlFailure> {
        call { Libxl.domainInfo($0, id, name: false) }
    }

    func suspend(_ id: DomainID, into fd: Int32, live: Bool, debug: Bool) -> Result<Void, LibxlFailure> {
        call { Libxl.suspend($0, id, fd: fd, live: live, debug: debug) }
    }

    func resume(_ id: DomainID) -> Result<Void, LibxlFailure> { call { Libxl.resume($0, id) } }

    func rename(_ id: DomainID, from old: String?, to new: String) -> Result<Void, LibxlFailure> {
        call { Libxl.rename($0, id, from: old, to: new) }
    }

    func destroy(_ id: DomainID) -> Result<Void, LibxlFailure> { call { Libxl.destroy($0, id) } }
    func pause(_ id: DomainID) -> Result<Void, LibxlFailure> { call { Libxl.pause($0, id) } }
    func unpause(_ id: DomainID) -> Result<Void, LibxlFailure> { call { Libxl.unpause($0, id) } }

    func createNew(_ config: borrowing DomainConfiguration) -> Result<DomainID, Libxl.CreateFailure> {
        let mark = context.logger.mark()
        return Libxl.createDomain(context.ctx, config.raw).mapError { failure in
            var failure = failure
            failure.messages = context.logger.errors(since: mark)
            return failure
        }
    }

    func configuration(fromJSON json: String, source: String) throws(XenError) -> DomainConfiguration {
        switch Libxl.configuration(context.ctx, json: json) {
        case .success(let raw): return DomainConfiguration(raw: raw, source: source, warnings: [])
        case .failure(let failure):
            throw XenError(code: .invalidArgument, message: "\(source): its config is not a libxl domain config", libxlCode: failure.code)
        }
    }

    func checkName(_ config: borrowing DomainConfiguration) throws(XenError) {
        try context.checkName(config)
    }

    func memoryNeeded(_ config: borrowing DomainConfiguration) -> Result<Memory, LibxlFailure> {
        let raw = config.raw
        return call { Libxl.memoryNeeded($0, raw).map(Memory.kibibytes) }
    }

    func freeMemory() -> Result<Memory, LibxlFailure> { call { Libxl.freeMemory($0).map(Memory.kibibytes) } }
    func memoryTarget(_ id: DomainID) -> Result<Memory, LibxlFailure> { call { Libxl.memoryTarget($0, id) } }

    func setMemoryTarget(_ id: DomainID, _ target: Memory, enforce: Bool) -> Result<Void, LibxlFailure> {
        call { Libxl.setMemoryTarget($0, id, target, enforce: enforce) }
    }

    func waitForMemoryTarget(_ id: DomainID, seconds: Int32) -> Result<Void, LibxlFailure> {
        call { Libxl.waitForMemoryTarget($0, id, seconds: seconds) }
    }

    func createRestore(_ config: borrowing DomainConfiguration, from fd: Int32,
                       streamVersion: UInt32) -> Result<DomainID, Libxl.CreateFailure> {
        let mark = context.logger.mark()
        return Libxl.createRestore(context.ctx, config.raw, fd: fd, streamVersion: streamVersion).mapError { failure in
            var failure = failure
            failure.messages = context.logger.errors(since: mark)
            return failure
        }
    }
}

extension XenContext {
    /// Runs a raw libxl call; a failure carries what libxl logged at error level meanwhile.
    /// The live side of every seam (DomainControl, DeviceControl) calls libxl through this.
    func withLibxlMessages<T>(_ body: (OpaquePointer) -> Result<T, LibxlFailure>) -> Result<T, LibxlFailure> {
        let mark = logger.mark()
        return body(ctx).mapError { LibxlFailure(code: $0.code, messages: logger.errors(since: mark)) }
    }
}
