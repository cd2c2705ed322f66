// The thin driver under MigrationSendWorkflow: each step is one call on the transport
// (`MigrationTransport`) or on libxl (`DomainControl`), both behind protocols so that the
// unit tests can fail any of them (Tests/XenKitTests/Workflows/MigrationFaultMatrixTests.swift).

/// Live measurements around the stream (progress, the moment the domain stops); none in tests.
protocol StreamObserver {
    func willStream()
    func didStream()
}

struct MigrationSendDriver<Transport: MigrationTransport> {
    var machine: MigrationSendWorkflow
    let control: any DomainControl
    let transport: Transport
    let id: DomainID
    let header: [UInt8]
    var live = true
    var debug = false
    /// The longest wait for the peer at each step (the banner, "ready", the report).
    let timeout: Duration
    let stopRequested: () -> Bool
    var observer: (any StreamObserver)?

    mutating func run() -> MigrationSendOutcome {
        driveWorkflow(from: machine.start()) { step in
            let result = perform(step)
            if stopRequested() { machine.requestStop() }
            return machine.completed(step, result)
        }
    }

    private func perform(_ step: MigrationSendStep) -> MigrationStepResult {
        let name = machine.name
        switch step {
        case .expectBanner:
            let result = transport.expect(.banner, timeout: timeout)
            if case .failed(var failure) = result {
                failure.problem += " (is the receiver xl or xk migrate-receive?)"
                return .failed(failure)
            }
            return result
        case .sendHeader:
            switch transport.send(header) {
            case .success: return .done
            case .failure(let failure): return .failed(StepFailure(problem: "cannot send the config: \(failure.text)"))
            }
        case .stream:
            observer?.willStream()
            let (result, relayProblem) = transport.relay { fd in control.suspend(id, into: fd, live: live, debug: debug) }
            observer?.didStream()
            if case .failure(let failure) = result {
                var step = StepFailure(failure, "libxl could not stream the domain")
                if Self.hypervisorRefusedLogDirty(failure.messages) {
                    // libxl's last word is a consequence ("did not respond to suspend request").
                    step.problem = "live migration needs log-dirty mode, which this hypervisor cannot give a PV domain (it is built without shadow paging); PVH and HVM domains can be migrated, and save/restore works for PV"
                }
                return .failed(step)
            }
            if let relayProblem { return .failed(StepFailure(problem: relayProblem)) }
            return .done
        case .expectReady:
            return transport.expect(.ready, timeout: timeout)
        case .renameAway:
            return Self.libxl(control.rename(id, from: name, to: machine.awayName), "cannot rename the domain here to '\(machine.awayName)'")
        case .sendGo:
            return transport.send(.permissionToGo)
        case .expectReport:
            let report = transport.expect(.report, timeout: timeout)
            guard report == .done else { return report }
            switch transport.receive(1, timeout: timeout) {
            case .success(let status): return .status(status[0])
            case .failure(.timedOut): return .timedOut("the status after the report")
            case .failure(let failure): return .failed(StepFailure(problem: "no status after the report (\(failure.text))"))
            }
        case .expectPermission:
            return transport.expect(.permissionToGo, timeout: timeout)
        case .renameBack:
            return Self.libxl(control.rename(id, from: machine.awayName, to: name), "cannot rename it back")
        case .resume:
            return Self.libxl(control.resume(id), "cannot resume it")
        case .destroy:
            return Self.libxl(control.destroy(id), "cannot destroy it")
        case .inspect:
            switch control.info(id) {
            case .success(let info):
                guard info.isShutdown else { return .domain(info.isPaused ? .paused : .running) }
                return .domain(info.shutdownReason == .suspend ? .suspended : .gone)
            case .failure(let failure) where failure.code == LibxlCode.domainNotFound:
                return .domain(.gone)
            case .failure(let failure):
                return .failed(StepFailure(failure, "cannot read its state"))
            }
        }
    }

    /// Whether libxc could not turn on log-dirty mode (a PV domain on a hypervisor without
    /// shadow paging): "Failed to enable logdirty" (xc_sr_save.c). Other messages that name
    /// log-dirty mode, such as turning it off after a guest that shut down mid-stream, are
    /// consequences and say nothing of the hypervisor.
    static func hypervisorRefusedLogDirty(_ messages: [String]) -> Bool {
        messages.contains { $0.contains("Failed to enable logdirty") }
    }

    private static func libxl(_ result: Result<Void, LibxlFailure>, _ what: String) -> MigrationStepResult {
        switch result {
        case .success: .done
        case .failure(let failure): .failed(StepFailure(failure, what))
        }
    }
}
