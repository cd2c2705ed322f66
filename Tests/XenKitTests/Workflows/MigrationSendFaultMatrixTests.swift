import Testing
@testable import XenKit

#if canImport(Glibc)
import Glibc
#endif

/// A scripted receiver, as `xk migrate-receive` behaves, on the far end of the fake
/// transport. Its copy of the domain lives in the same fake host (so "never two running
/// copies" is one count), under the receiver's names. Transport faults come from the host's
/// fault plan: a receive that ends, stalls or reads garbage; a send that fails, or that
/// reaches the peer and still reports an error (`.partial`).
final class ScriptedReceiver: MigrationTransport, @unchecked Sendable {
    let host: FakeHost
    /// The receiver cannot start its copy after GO (its report says 1).
    var failsToStart = false
    var copy: DomainID?
    private var gotHeader = false
    private var gotStream: [UInt8] = []
    private var outbox: [UInt8] = []
    var receiveDescriptor: Int32 { 5 }

    init(host: FakeHost) {
        self.host = host
        outbox = MigrationMessage.banner.bytes
    }

    func send(_ bytes: [UInt8]) -> Result<Void, TransportFailure> {
        let fault = host.fault("send")
        if fault == .error { return .failure(.failed(SystemFailure(errno: EPIPE))) }
        deliver(bytes)
        return fault == .partial ? .failure(.failed(SystemFailure(errno: EPIPE))) : .success(())
    }

    private func deliver(_ bytes: [UInt8]) {
        if !gotHeader {
            gotHeader = true
            return
        }
        if bytes == MigrationMessage.permissionToGo.bytes, let copy {
            if failsToStart {
                host.domains[copy]?.state = .gone
                self.copy = nil
                outbox += MigrationMessage.report.bytes + [1] + MigrationMessage.permissionToGo.bytes
            } else {
                host.domains[copy]?.name = "web"
                host.domains[copy]?.state = .running
                outbox += MigrationMessage.report.bytes + [0]
            }
        }
    }

    func receive(_ count: Int, timeout: Duration?) -> Result<[UInt8], TransportFailure> {
        switch host.fault("receive") {
        case .error: return .failure(.ended)
        case .partial: return .success([UInt8](repeating: 0x21, count: count))   // garbage
        default: break
        }
        guard outbox.count >= count else {
            // The real receiver waits for GO with a time limit, then destroys its copy.
            return .failure(.timedOut)
        }
        let bytes = Array(outbox.prefix(count))
        outbox.removeFirst(count)
        return .success(bytes)
    }

    func relay(_ body: (Int32) -> Result<Void, LibxlFailure>) -> (Result<Void, LibxlFailure>, relayProblem: String?) {
        host.streamSink = { self.gotStream += $0 }
        let result = body(6)
        host.streamSink = nil
        let broken = host.fault("relay") != nil
        if !broken && gotStream == FakeHost.stream {
            // The receiver builds its copy, paused, and says it is ready.
            let id = DomainID(100)
            host.domains[id] = FakeHost.Domain(name: "web--incoming", state: .paused, pausedFlag: true)
            copy = id
            outbox += MigrationMessage.ready.bytes
        }
        return (result, broken ? "the transport broke: Broken pipe" : nil)
    }

    func peek(_ count: Int, timeout: Duration) -> Result<[UInt8], TransportFailure> { .failure(.ended) }
    func streamComplete(timeout: Duration) -> Result<Void, TransportFailure> { .success(()) }

    /// The receiver gives up (its GO wait ran out, or the sender went away): its copy goes.
    func senderGone() {
        if let copy, host.domains[copy]?.state == .paused { host.domains[copy]?.state = .gone }
    }
}

/// Every fault at every step of `xk migrate`, one at a time and in pairs, against a
/// scripted receiver; after each run: never two running copies; before GO the source runs
/// under its own name (or the error says why it cannot); a failed rollback is reported.
@Suite struct MigrationSendFaultMatrixTests {
    static let id = DomainID(7)
    static let header = SaveFileHeader(configJSON: "{\"c_info\": {\"name\": \"web\"}}\n").encoded()

    static func run(faults: [Int: Fault] = [:], failsToStart: Bool = false) -> (FakeHost, ScriptedReceiver, MigrationSendOutcome) {
        let host = FakeHost()
        host.domains[id] = FakeHost.Domain(name: "web", state: .running)
        host.faults = faults
        let peer = ScriptedReceiver(host: host)
        peer.failsToStart = failsToStart
        var driver = MigrationSendDriver(
            machine: MigrationSendWorkflow(name: "web"), control: FakeControl(host: host), transport: peer,
            id: id, header: header, timeout: .seconds(1), stopRequested: { host.stop })
        let outcome = driver.run()
        if case .migrated = outcome {} else { peer.senderGone() }
        return (host, peer, outcome)
    }

    static func violations(_ host: FakeHost, _ peer: ScriptedReceiver, _ outcome: MigrationSendOutcome, faults: [Int: Fault]) -> [String] {
        var problems: [String] = []
        let running = host.domains.values.filter { $0.state == .running }
        if running.count > 1 { problems.append("two running copies: \(running.map(\.name))") }
        let source = host.domains[id]!
        let copy = peer.copy.flatMap { host.domains[$0] }
        switch outcome {
        case .migrated:
            if source.state != .gone { problems.append("migrated, but the source is \(source.state)") }
            if copy?.state != .running || copy?.name != "web" { problems.append("migrated, but the receiver's copy is \(String(describing: copy))") }
        case .migratedWithLeftover(let error):
            if copy?.state != .running { problems.append("the receiver does not run it") }
            if source.state == .running || !error.message.contains("web--migratedaway") { problems.append("the leftover is not named: \(error)") }
        case .undefined(let error):
            if source.state != .suspended || source.name != "web--migratedaway" { problems.append("undefined, but the source is \(source)") }
            if !(error.hint ?? "").contains("stays suspended as 'web--migratedaway'") { problems.append("the undefined state is not explained: \(error)") }
        case .failed(let error, let fate, _):
            if copy?.state == .running { problems.append("failed, but the receiver runs its copy") }
            let hint = error.hint ?? ""
            if !error.message.hasPrefix("cannot migrate domain 'web'") { problems.append("the error does not name the domain: \(error.message)") }
            switch source.state {
            case .running:
                if source.name != "web" && !hint.contains("renaming it back") { problems.append("the source runs as \(source.name), unreported") }
                if fate != .running && fate != .untouched && fate != .unknown { problems.append("the source runs, but the outcome says \(fate)") }
            case .suspended:
                if !hint.contains("suspended") && !hint.contains("not known") { problems.append("the source is left suspended and the error does not say so: \(hint)") }
            case .paused, .gone:
                problems.append("a failed migration left the source \(source.state)")
            }
            for (index, fault) in faults where fault != .signal && index < host.calls.count {
                // (A failed resume of a domain that runs anyway, never suspended, is no problem.)
                if host.calls[index] == "resume" && source.state != .running && !hint.contains("resuming it failed") {
                    problems.append("a failed resume was not reported")
                }
                if host.calls[index] == "rename" && source.name != "web" && !hint.contains("renaming it back") && !hint.contains("suspended as") {
                    problems.append("a failed rename back was not reported")
                }
            }
        }
        return problems
    }

    @Test(arguments: [false, true]) func withoutFaults(failsToStart: Bool) {
        let (host, peer, outcome) = Self.run(failsToStart: failsToStart)
        #expect(Self.violations(host, peer, outcome, faults: [:]) == [])
        if failsToStart {
            guard case .failed(_, .running, true) = outcome else { Issue.record("\(outcome)"); return }
        } else {
            #expect(outcome == .migrated)
        }
    }

    @Test(arguments: [false, true]) func everyFaultAtEveryStep(failsToStart: Bool) {
        let calls = Self.run(failsToStart: failsToStart).0.calls.count + 4
        defer { print("fault matrix: migrate send (receiver fails to start: \(failsToStart)): \(calls * 3) runs with one fault at each of \(calls) call positions") }
        for index in 0..<calls {
            for fault in [Fault.error, .partial, .signal] {
                let faults = [index: fault]
                let (host, peer, outcome) = Self.run(faults: faults, failsToStart: failsToStart)
                #expect(Self.violations(host, peer, outcome, faults: faults) == [], "\(fault)@\(index) \(host.calls): \(outcome)")
            }
        }
    }

    @Test(arguments: [false, true]) func everyPairOfFaults(failsToStart: Bool) {
        let calls = Self.run(failsToStart: failsToStart).0.calls.count + 4
        defer { print("fault matrix: migrate send (receiver fails to start: \(failsToStart)): \(calls * (calls - 1) / 2 * 5) runs with a pair of faults") }
        for first in 0..<calls {
            for second in (first + 1)..<calls {
                for (a, b) in [(Fault.error, Fault.error), (.partial, .error), (.error, .partial), (.signal, .error), (.partial, .partial)] {
                    let faults = [first: a, second: b]
                    let (host, peer, outcome) = Self.run(faults: faults, failsToStart: failsToStart)
                    #expect(Self.violations(host, peer, outcome, faults: faults) == [], "\(a)@\(first) \(b)@\(second) \(host.calls): \(outcome)")
                }
            }
        }
    }

    /// Finding 11: a receiver that takes the stream and never answers: the wait for "ready"
    /// runs out, and the source resumes under its own name.
    @Test func aSilentReceiverTimesOutAndTheSourceRuns() {
        let host = FakeHost()
        host.domains[Self.id] = FakeHost.Domain(name: "web", state: .running)
        let peer = SilentAfterStream(inner: ScriptedReceiver(host: host))
        var driver = MigrationSendDriver(
            machine: MigrationSendWorkflow(name: "web"), control: FakeControl(host: host), transport: peer,
            id: Self.id, header: Self.header, timeout: .seconds(1), stopRequested: { false })
        let outcome = driver.run()
        guard case .failed(let error, .running, true) = outcome else { Issue.record("\(outcome)"); return }
        #expect(error.message.contains("timed out waiting for the receiver's \"ready\""), "\(error)")
        #expect(host.domains[Self.id]?.state == .running && host.domains[Self.id]?.name == "web")
    }

    /// xl's failed_suspend: a guest that never acknowledged the suspend is looked at, not
    /// resumed blindly.
    @Test func aGuestThatTimedOutIsInspectedNotResumed() {
        var machine = MigrationSendWorkflow(name: "web")
        #expect(machine.completed(.expectBanner, .done) == .perform(.sendHeader))
        #expect(machine.completed(.sendHeader, .done) == .perform(.stream))
        let timedOut = StepFailure(problem: "guest did not respond", libxlCode: LibxlCode.guestTimedOut)
        #expect(machine.completed(.stream, .failed(timedOut)) == .perform(.inspect))
        guard case .finish(.failed(_, .running, _)) = machine.completed(.inspect, .domain(.running)) else {
            Issue.record("a running guest must be left running"); return
        }
    }

    /// A stream that broke in the pre-copy (a receiver that refused the config) never
    /// suspended the domain; libxc then refuses the resume (EINVAL), and the domain runs on:
    /// that is no failed rollback (lab, stop 21: "resuming it failed (xc_domain_resume failed:
    /// Invalid argument)" beside "the domain runs here again"). Still suspended, it is one.
    @Test(arguments: [DomainFate.running, .suspended]) func aResumeRefusedForARunningDomainIsNoProblem(seen: DomainFate) {
        var machine = MigrationSendWorkflow(name: "web")
        #expect(machine.completed(.expectBanner, .done) == .perform(.sendHeader))
        #expect(machine.completed(.sendHeader, .done) == .perform(.stream))
        #expect(machine.completed(.stream, .failed(StepFailure(problem: "the save helper died: Broken pipe"))) == .perform(.resume))
        let refused = StepFailure(problem: "xc_domain_resume failed: Invalid argument")
        #expect(machine.completed(.resume, .failed(refused)) == .perform(.inspect))
        guard case .finish(.failed(let error, let fate, _)) = machine.completed(.inspect, .domain(seen)) else {
            Issue.record("the migration must end failed"); return
        }
        #expect(fate == seen)
        #expect((error.hint ?? "").contains("resuming it failed") == (seen == .suspended), "\(error)")
    }

    /// Only libxc's failure to turn log-dirty mode on means the hypervisor cannot migrate the
    /// domain live; a message about log-dirty mode after an HVM guest rebooted under the
    /// suspend request was once explained as that (lab, stop 20).
    @Test func onlyAFailedLogDirtyEnableIsBlamedOnTheHypervisor() {
        typealias D = MigrationSendDriver<SilentAfterStream>
        #expect(D.hypervisorRefusedLogDirty(["xc: error: Failed to enable logdirty: -1,-1,-1 (95 = Operation not supported): Internal error"]))
        #expect(!D.hypervisorRefusedLogDirty(["xc: error: Failed to disable logdirty mode: Internal error"]))
        #expect(!D.hypervisorRefusedLogDirty(["xc: error: Couldn't set log-dirty mode on a dying domain"]))
        #expect(!D.hypervisorRefusedLogDirty(["libxl: error: the guest did not respond to suspend request"]))
    }
}

/// A receiver that takes the stream and then never answers (finding 11).
struct SilentAfterStream: MigrationTransport {
    let inner: ScriptedReceiver
    var receiveDescriptor: Int32 { 5 }
    func send(_ bytes: [UInt8]) -> Result<Void, TransportFailure> { inner.send(bytes) }
    func receive(_ count: Int, timeout: Duration?) -> Result<[UInt8], TransportFailure> {
        count == MigrationMessage.banner.bytes.count ? inner.receive(count, timeout: timeout) : .failure(.timedOut)
    }
    func relay(_ body: (Int32) -> Result<Void, LibxlFailure>) -> (Result<Void, LibxlFailure>, relayProblem: String?) { inner.relay(body) }
    func peek(_ count: Int, timeout: Duration) -> Result<[UInt8], TransportFailure> { .failure(.ended) }
    func streamComplete(timeout: Duration) -> Result<Void, TransportFailure> { .success(()) }
}
