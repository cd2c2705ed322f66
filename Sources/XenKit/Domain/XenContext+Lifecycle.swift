#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension XenContext {
    /// "domain 'web' (7)", for messages.
    func describe(_ id: DomainID) -> String {
        if let name = name(of: id) { return "domain '\(name)' (\(id))" }
        return "domain \(id)"
    }

    /// Runs a libxl operation on a domain; a failure names the domain and the operation,
    /// and a domain that vanished meanwhile is reported as not found.
    func act(
        _ verb: String, _ id: DomainID,
        _ body: (OpaquePointer, DomainID) -> Result<Void, LibxlFailure>
    ) throws(XenError) {
        let label = describe(id)
        let mark = logger.mark()
        if case .failure(let failure) = body(ctx, id) {
            throw error(failure, "\(verb) \(label)", id, since: mark)
        }
    }

    /// The error for a failed libxl operation on `id`: not found when the domain vanished,
    /// else the operation with what libxl logged since `mark`.
    func error(_ failure: LibxlFailure, _ operation: String, _ id: DomainID, since mark: UInt64) -> XenError {
        if failure.code == LibxlCode.domainNotFound || (try? domain(id)) == nil {
            return XenError.domainNotFound(.id(id))
        }
        return XenError.libxl(failure, operation: operation, messages: logger.errors(since: mark))
    }

    /// Pauses all of a domain's vCPUs. The corresponding libxl function is `libxl_domain_pause`.
    public func pause(_ id: DomainID) throws(XenError) {
        try act("pause", id) { Libxl.pause($0, $1) }
    }

    /// Lets a paused domain run. The corresponding libxl function is `libxl_domain_unpause`.
    public func unpause(_ id: DomainID) throws(XenError) {
        try act("unpause", id) { Libxl.unpause($0, $1) }
    }

    /// How a shutdown or reboot request reached the guest.
    public enum RequestPath: Sendable, Equatable {
        /// Through the guest's PV control node in xenstore.
        case paravirtual
        /// As an ACPI power or reset button event (guests without PV drivers).
        case acpi
    }

    /// Asks the guest to shut down. With `acpiFallback`, a guest without PV drivers gets an
    /// ACPI power button press instead, as `xl shutdown -F` does.
    ///
    /// The corresponding libxl functions are `libxl_domain_shutdown` and `libxl_send_trigger`.
    @discardableResult
    public func shutdown(_ id: DomainID, acpiFallback: Bool = false) throws(XenError) -> RequestPath {
        try request("shut down", id, acpiFallback: acpiFallback,
                    pv: { Libxl.shutdown($0, $1) }, acpi: { Libxl.powerButton($0, $1) })
    }

    /// Asks the guest to reboot; see ``shutdown(_:acpiFallback:)``.
    @discardableResult
    public func reboot(_ id: DomainID, acpiFallback: Bool = false) throws(XenError) -> RequestPath {
        try request("reboot", id, acpiFallback: acpiFallback,
                    pv: { Libxl.reboot($0, $1) }, acpi: { Libxl.resetButton($0, $1) })
    }

    private func request(
        _ verb: String, _ id: DomainID, acpiFallback: Bool,
        pv: (OpaquePointer, DomainID) -> Result<Void, LibxlFailure>,
        acpi: (OpaquePointer, DomainID) -> Result<Void, LibxlFailure>
    ) throws(XenError) -> RequestPath {
        let label = describe(id)
        let mark = logger.mark()
        return try StopRequest(verb: verb, label: label, acpiFallback: acpiFallback).send(
            paravirtual: { pv(ctx, id) }, acpi: { acpi(ctx, id) },
            failed: { failure in
                var error = self.error(failure, "\(verb) \(label)", id, since: mark)
                if failure.code == LibxlCode.timedOut, error.code != .domainNotFound {
                    error.hint = StopRequest.notTakenHint(paused: (try? domain(id))?.isPaused == true)
                }
                return error
            })
    }

    /// Destroys a domain at once: its memory and devices are released; nothing asks the
    /// guest. The corresponding libxl function is `libxl_domain_destroy`.
    public func destroy(_ id: DomainID) throws(XenError) {
        try act("destroy", id) { Libxl.destroy($0, $1) }
    }

    /// Renames a domain. With `expecting`, the rename fails unless the domain still has
    /// that name (checked in the same xenstore transaction).
    ///
    /// The corresponding libxl function is `libxl_domain_rename`.
    /// The new name must be one ``DomainName`` accepts: xk makes file names of it.
    public func rename(_ id: DomainID, to newName: String, expecting oldName: String? = nil) throws(XenError) {
        _ = try DomainName(newName)
        if let other = try? resolve(.name(newName)), other != id {
            throw XenError(code: .alreadyExists,
                           message: "cannot rename \(describe(id)): domain \(other) is already named '\(newName)'")
        }
        try act("rename", id) { Libxl.rename($0, $1, from: oldName, to: newName) }
    }

    /// How waiting for a domain to stop ended.
    public enum StopOutcome: Sendable, Equatable {
        /// The domain shut down, for this reason, and is still there (until destroyed).
        case shutdown(ShutdownReason)
        /// The domain is gone.
        case destroyed
        case timedOut
    }

    /// Waits until the domain has shut down or is gone, checking every 100 ms.
    public func waitUntilStopped(_ id: DomainID, timeout: Duration?) -> StopOutcome {
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now + $0 }
        while true {
            guard case .success(let info) = Libxl.domainInfo(ctx, id) else { return .destroyed }
            if info.isShutdown { return .shutdown(info.shutdownReason ?? .unknown) }
            if info.isDying { return .destroyed }
            if let deadline, clock.now >= deadline { return .timedOut }
            usleep(100_000)
        }
    }

    /// Which of a domain's consoles to attach to.
    public enum ConsoleKind: Sendable, Equatable {
        /// The PV console (hvc), as `xl console -t pv`.
        case pv
        /// An emulated serial port of an HVM guest, as `xl console -t serial`.
        case serial
    }

    /// Replaces this process with xenconsole attached to the domain's console (as
    /// `xl console`): the primary one (an HVM guest's first serial port, another guest's PV
    /// console), or console `number` of `kind`. Returns only by throwing.
    public func attachConsole(_ id: DomainID, kind: ConsoleKind? = nil, number: Int32 = 0) throws(XenError) -> Never {
        let label = describe(id)
        let mark = logger.mark()
        let failure = kind.map { Libxl.execConsole(ctx, id, number: number, serial: $0 == .serial) } ?? Libxl.execPrimaryConsole(ctx, id)
        let which = kind.map { " (\($0 == .serial ? "serial" : "pv") \(number))" } ?? ""
        throw XenError.libxl(failure, operation: "attach to the console\(which) of \(label)",
                             messages: logger.errors(since: mark))
    }
}
