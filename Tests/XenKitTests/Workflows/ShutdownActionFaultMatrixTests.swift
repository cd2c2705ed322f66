import Testing
@testable import XenKit

/// Every shutdown action, with every fault at every step and every pair, as the watcher
/// carries them out: never two running copies of the domain; a restart that cannot build
/// leaves nothing of the new domain; a failed step is an error naming the domain; a failed
/// core dump does not stop the action; the outcome says where the domain is.
@Suite struct ShutdownActionFaultMatrixTests {
    static let id = DomainID(3)
    static let suffix = "-20261202T1200Z"

    static func run(_ action: ShutdownAction?, faults: [Int: Fault] = [:], goneAlready: Bool = false,
                    lockedByAnother: FakeHost.OtherLockHolder? = nil) throws -> (FakeHost, ShutdownActionOutcome, [WatchEvent]) {
        let host = FakeHost()
        host.domains[id] = FakeHost.Domain(name: "web", state: goneAlready ? .gone : .suspended)
        host.faults = faults
        host.lockedByAnother = lockedByAnother
        let config = try DomainConfiguration.parse(text: "name = \"web\"\ntype = \"pvh\"\nkernel = \"/k\"\nmemory = 128\n",
                                                   source: "web", options: .init(checkFiles: false))
        var driver = ShutdownActionDriver(machine: ShutdownActionWorkflow(id: id, name: "web", action: action),
                                          control: FakeControl(host: host), dumpPath: "/var/lib/xen/dump/web", suffix: suffix)
        var events: [WatchEvent] = []
        let outcome = driver.run(config) { events.append($0) }
        return (host, outcome, events)
    }

    static func violations(_ host: FakeHost, _ outcome: ShutdownActionOutcome, _ action: ShutdownAction?) -> [String] {
        var problems: [String] = []
        let named = host.domains.filter { $0.value.name == "web" && $0.value.state != .gone }
        if named.filter({ $0.value.state == .running }).count > 1 { problems.append("two running copies") }
        if named.count > 1 { problems.append("two domains named web: \(named)") }
        let old = host.domains[id]!
        switch outcome {
        case .leftAlone:
            if old.state == .gone || old.state == .running { problems.append("left alone, but the old domain is \(old.state)") }
        case .gone:
            if old.state != .gone { problems.append("gone, but the old domain is \(old.state)") }
            if !named.isEmpty { problems.append("gone, but a domain named web is there") }
        case .restarted(let newID, _):
            if host.domains[newID]?.state != .running || host.domains[newID]?.name != "web" { problems.append("restarted, but the new one is \(String(describing: host.domains[newID]))") }
            if action == .renameRestart {
                if old.name != "web" + suffix || old.state == .running { problems.append("the preserved domain is \(old)") }
            } else if old.state != .gone { problems.append("restarted, but the old domain is \(old.state)") }
        case .restartFailed:
            if !named.isEmpty { problems.append("a failed restart left \(named)") }
        case .continues:
            if old.state != .running { problems.append("soft reset, but it is \(old.state)") }
        case .failed(let error):
            if !error.message.contains("domain 'web'") && !error.message.contains("'web'") { problems.append("the error does not name the domain: \(error)") }
            if named.contains(where: { $0.key != id && $0.value.state == .running }) && old.state == .running { problems.append("two copies after a failure") }
        }
        return problems
    }

    static let actions: [ShutdownAction?] = ShutdownAction.allCases + [nil]

    @Test(arguments: actions) func everyFaultAndPair(action: ShutdownAction?) throws {
        let calls = try Self.run(action).0.calls.count + 3
        var runs = 0
        for first in 0..<calls {
            for fault in [Fault.error, .partial] {
                let (host, outcome, _) = try Self.run(action, faults: [first: fault])
                #expect(Self.violations(host, outcome, action) == [], "\(fault)@\(first) \(host.calls): \(outcome)")
                runs += 1
                for second in (first + 1)..<calls {
                    let (host, outcome, _) = try Self.run(action, faults: [first: fault, second: .error])
                    #expect(Self.violations(host, outcome, action) == [], "\(fault)@\(first) error@\(second) \(host.calls): \(outcome)")
                    runs += 1
                }
            }
        }
        print("fault matrix: shutdown action \(action?.rawValue ?? "none (suspend)"): \(runs) runs at \(calls) call positions")
    }

    @Test(arguments: actions) func withoutFaults(action: ShutdownAction?) throws {
        let (host, outcome, _) = try Self.run(action)
        #expect(Self.violations(host, outcome, action) == [])
        switch action {
        case nil, .preserve?: #expect(outcome == .leftAlone)
        case .destroy?, .coredumpDestroy?: #expect(outcome == .gone)
        case .restart?, .renameRestart?, .coredumpRestart?:
            guard case .restarted(_, nil) = outcome else { Issue.record("\(outcome)"); return }
        case .softReset?: #expect(outcome == .continues(warning: nil))
        }
    }

    /// The operator destroyed it between its shutdown and the action: nothing is restarted.
    @Test func anOperatorsDestroyWins() throws {
        for action in [ShutdownAction.restart, .renameRestart, .coredumpRestart] {
            let (host, outcome, events) = try Self.run(action, goneAlready: true)
            #expect(outcome == .gone && host.domains.count == 1, "\(action): \(outcome)")
            #expect(events.contains(.gone(Self.id, name: "web")))
        }
    }

    /// The operator's destroy holds the domain's lock while the watcher's destroy waits for it
    /// (libxl then says LOCK_FAIL): the domain is gone, nothing is restarted, nothing fails.
    @Test func anOperatorsDestroyDuringTheActionWins() throws {
        for action in [ShutdownAction.restart, .destroy, .coredumpRestart, .coredumpDestroy] {
            let (host, outcome, events) = try Self.run(action, lockedByAnother: .destroying)
            #expect(outcome == .gone && host.domains.count == 1, "\(action): \(outcome)")
            #expect(events.contains(.gone(Self.id, name: "web")), "\(action): \(events)")
            #expect(Self.violations(host, outcome, action) == [])
            // Every call of that path failing in turn, the look after LOCK_FAIL included.
            let calls = try Self.run(action, lockedByAnother: .destroying).0.calls.count
            for position in 0..<calls {
                let (host, outcome, _) = try Self.run(action, faults: [position: .error], lockedByAnother: .destroying)
                #expect(Self.violations(host, outcome, action) == [], "\(action) error@\(position) \(host.calls): \(outcome)")
            }
        }
    }

    /// LOCK_FAIL while the domain is still there is a failure, not taken for gone.
    @Test func aLockFailureWithTheDomainStillThereFails() throws {
        let (host, outcome, _) = try Self.run(.restart, lockedByAnother: .keeping)
        guard case .failed(let error) = outcome else { Issue.record("\(outcome)"); return }
        #expect(error.message.contains("'web'") && host.domains.count == 1)
        #expect(Self.violations(host, outcome, .restart) == [])
    }

    /// A failed core dump is reported and the action goes on, as with xl.
    @Test func aFailedDumpDoesNotStopTheAction() throws {
        let (_, outcome, events) = try Self.run(.coredumpRestart, faults: [0: .error])
        guard case .restarted = outcome else { Issue.record("\(outcome)"); return }
        #expect(events.contains { if case .coreDumpFailed = $0 { true } else { false } })
    }
}
