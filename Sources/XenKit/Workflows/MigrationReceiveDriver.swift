// The thin driver under MigrationReceiveWorkflow: each step is one call on the transport or
// on libxl, both behind protocols (the unit tests fail any of them). It owns the config read
// from the stream between the header and the build.

struct MigrationReceiveDriver<Transport: MigrationTransport>: ~Copyable {
    var machine: MigrationReceiveWorkflow
    let control: any DomainControl
    let transport: Transport
    /// The longest wait for the sender at each step (its header, the stream's start, GO).
    let timeout: Duration
    /// Build a config that reaches into this host (dom0 disks, scripts, bootloaders, device
    /// models, passthrough): only from a sender that something else has authenticated.
    let trustSender: Bool
    /// xl.conf's autoballoon, resolved.
    let policy: BuildPolicy
    /// Polled between steps: true once SIGINT, SIGTERM or SIGHUP has arrived.
    let stopRequested: () -> Bool
    let log: (String) -> Void
    private var config: DomainConfiguration?
    private var header: SaveFileHeader?
    private(set) var id: DomainID?

    init(machine: MigrationReceiveWorkflow, control: any DomainControl, transport: Transport,
         timeout: Duration, trustSender: Bool, policy: BuildPolicy = .fixed, stopRequested: @escaping () -> Bool = { false },
         log: @escaping (String) -> Void) {
        self.machine = machine
        self.control = control
        self.transport = transport
        self.timeout = timeout
        self.trustSender = trustSender
        self.policy = policy
        self.stopRequested = stopRequested
        self.log = log
    }

    mutating func run() -> MigrationReceiveOutcome {
        driveWorkflow(from: machine.start()) { step in
            let result = perform(step)
            if stopRequested() { machine.requestStop() }
            return machine.completed(step, result)
        }
    }

    private mutating func perform(_ step: MigrationReceiveStep) -> MigrationReceiveResult {
        switch step {
        case .sendBanner:
            log("migration target: Ready to receive domain.")
            return Self.sent(transport.send(.banner))
        case .readHeader:
            return readHeader()
        case .checkCanBuild:
            switch config {
            case .some(let config):
                do throws(XenError) {
                    try control.checkName(config)
                } catch {
                    return .failed(StepFailure(problem: error.description))
                }
                switch MemoryRoomDriver(control: control, ballooning: policy.ballooning).run(config, what: "domain '\(machine.name)'") {
                case .fits(_, let before): return .room(dom0Before: before)
                case .noRoom(let error, let before): return .noRoom(StepFailure(problem: error.description, libxlCode: error.libxlCode), dom0Before: before)
                }
            case .none:
                return .failed(StepFailure(problem: "no config"))
            }
        case .peekStream:
            // Checked here, not left to libxl: a wrong header crashes libxl 4.17's stream reader.
            switch transport.peek(StreamPeek.headerSize, timeout: timeout) {
            case .success(let start):
                if let problem = StreamPeek.problem(withHeader: start) { return .failed(StepFailure(problem: problem)) }
                return .done
            case .failure:
                return .timedOut("the libxl stream (it ended or stalled before it began)")
            }
        case .build:
            guard let header else { return .failed(StepFailure(problem: "no config")) }
            let built: Result<DomainID, Libxl.CreateFailure>
            switch config {
            case .some(let config):
                built = control.createRestore(config, from: transport.receiveDescriptor, streamVersion: header.streamVersion)
            case .none:
                return .failed(StepFailure(problem: "no config"))
            }
            switch built {
            case .success(let newID):
                id = newID
                // libxl has what it needs; a compressed stream must also end whole (its
                // checksum), or what was built is not the sender's domain.
                if case .failure(let failure) = transport.streamComplete(timeout: timeout) {
                    return .halfBuilt(StepFailure(problem: "the stream of domain '\(machine.name)' did not end whole: \(failure.text)"), newID)
                }
                log("migration target: Transfer complete, requesting permission to start domain.")
                return .done
            case .failure(let failure):
                let problem = StepFailure(
                    problem: "cannot build domain '\(machine.name)' from the stream: " + (failure.messages.last.map(XenContext.trimLibxlPrefix) ?? "libxl failed"),
                    libxlCode: failure.code, messages: failure.messages)
                if let half = failure.domain { id = half; return .halfBuilt(problem, half) }
                return .failed(problem)
            }
        case .sendReady:
            return Self.sent(transport.send(.ready))
        case .expectGo:
            switch transport.expect(.permissionToGo, timeout: timeout) {
            case .done:
                log("migration target: Got permission, starting domain.")
                return .done
            case .timedOut(let what): return .timedOut(what)
            case .failed(let failure): return .failed(failure)
            case .status, .domain: return .failed(StepFailure(problem: "unexpected"))
            }
        case .renameIn:
            return Self.libxl(control.rename(id!, from: machine.incomingName, to: machine.name),
                              "cannot rename '\(machine.incomingName)' to '\(machine.name)'")
        case .unpause:
            return Self.libxl(control.unpause(id!), "cannot unpause it")
        case .sendReport:
            let sent = transport.send(MigrationMessage.report.bytes + [machine.reportStatus])
            if case .success = sent, machine.reportStatus == 0 { log("migration target: Domain started successfully.") }
            return Self.sent(sent)
        case .destroy, .destroyHalfBuilt:
            log("migration target: Failure, destroying our copy.")
            let destroyed = control.destroy(id!)
            if case .failure(let failure) = destroyed, failure.code == LibxlCode.domainNotFound { return .done }   // gone already
            return Self.libxl(destroyed, "cannot destroy it")
        case .sendPermission:
            log("migration target: Cleanup OK, granting sender permission to resume.")
            return Self.sent(transport.send(.permissionToGo))
        case .restoreDom0(let target):
            return Self.libxl(control.setMemoryTarget(.dom0, target, enforce: false), "cannot set dom0's memory target")
        }
    }

    /// xl's header and config; the config is renamed NAME--incoming, as xl builds it.
    private mutating func readHeader() -> MigrationReceiveResult {
        var problem: TransportFailure?
        let decoded: SaveFileHeader
        do throws(SaveFileHeader.Problem) {
            (decoded, _) = try SaveFileHeader.decode([]) { count in
                switch transport.receive(count, timeout: timeout) {
                case .success(let bytes): return bytes
                case .failure(let failure):
                    problem = failure
                    return nil
                }
            }
        } catch {
            if problem == .timedOut { return .timedOut("the sender's header") }
            return .failed(StepFailure(problem: "the sender's stream is not an xl migration stream: \(error)"))
        }
        guard let json = decoded.configJSON, decoded.mandatoryFlags & SaveFileHeader.configIsJSON != 0 else {
            return .failed(StepFailure(problem: "the sender sent no JSON config"))
        }
        do throws(XenError) {
            let parsed = try control.configuration(fromJSON: json, source: "the migration stream")
            machine.name = DomainConfiguration.printable(parsed.name)
            if let problem = DomainName.problem(with: parsed.name) {
                return .failed(StepFailure(problem: "the sender's domain name '\(machine.name)' cannot be a domain name here: \(problem)"))
            }
            let reach = parsed.hostReach
            if !trustSender && !reach.isEmpty {
                return .failed(StepFailure(problem: "the sender's config reaches into this host (\(reach.joined(separator: "; "))); this receiver builds such a config only with --trust-sender, for a sender that ssh (or TLS with client certificates) has authenticated"))
            }
            parsed.rename(to: machine.incomingName)
            try parsed.applyGlobalMasks(policy.affinityMasks, hostCPUs: policy.hostCPUs)
            config = consume parsed
            header = decoded
            return .done
        } catch {
            return .failed(StepFailure(problem: "the sender's config is not a libxl domain config", libxlCode: error.libxlCode))
        }
    }

    private static func sent(_ result: MigrationStepResult) -> MigrationReceiveResult {
        switch result {
        case .done: .done
        case .failed(let failure): .failed(failure)
        case .timedOut(let what): .timedOut(what)
        case .status, .domain: .done
        }
    }

    private static func sent(_ result: Result<Void, TransportFailure>) -> MigrationReceiveResult {
        switch result {
        case .success: .done
        case .failure(let failure): .failed(StepFailure(problem: "cannot send to the sender: \(failure.text)"))
        }
    }

    private static func libxl(_ result: Result<Void, LibxlFailure>, _ what: String) -> MigrationReceiveResult {
        switch result {
        case .success: .done
        case .failure(let failure): .failed(StepFailure(failure, what))
        }
    }
}
