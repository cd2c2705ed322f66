import Testing
@testable import XenKit
import Synchronization

/// Review finding 15: the host service opens a libxl context and a thread per followed domain.
/// With fake domains: what 500 domains take, that they fit within the limit the service runs
/// with, and that past its limit the service leaves domains unfollowed and says so once,
/// instead of failing to open a context for each of them at every scan.
@Suite struct WatchCapacityTests {
    /// A host of fake domains, all marked by xk. Each thread the supervisor starts is kept,
    /// not run: a kept thread is a watcher waiting in libxl_event_wait on its own context.
    /// ``endWatchers(_:)`` runs some, and their domains go.
    final class FakeHost: WatchHost {
        struct State {
            var domains: [DomainInfo]
            var waitingWatchers: [@Sendable () -> Void] = []
            var threadsStarted = 0
            var contextsOpened = 0
            var mostFollowedAtOnce = 0
        }
        let state: Mutex<State>

        init(domains count: Int) {
            let domains = (1...count).map { n in
                DomainInfo(id: DomainID(UInt32(n)), name: "guest\(n)", uuid: "uuid-\(n)", type: .pvh, isRunning: true,
                           currentMemory: .kibibytes(262_144), maxMemory: .kibibytes(262_144), onlineVCPUs: 1, maxVCPUID: 0)
            }
            state = Mutex(State(domains: domains))
        }

        func domains() throws(XenError) -> [DomainInfo] { state.withLock { $0.domains } }
        func isMarkedWatched(_ id: DomainID) -> Bool { true }
        func isWatchedElsewhere(uuid: String) -> Bool { false }

        func follow(_ id: DomainID, gate: ActionGate,
                    report: @escaping @Sendable (WatchEvent) -> Void) throws(XenError) -> DomainWatcher.Outcome {
            // The live host opens the domain's context here and holds it until this returns;
            // here the domain is destroyed and the watcher ends.
            state.withLock { state in
                state.contextsOpened += 1
                state.domains.removeAll { $0.id == id }
            }
            return .gone
        }

        func startThread(_ body: @escaping @Sendable () -> Void) -> Bool {
            state.withLock { state in
                state.threadsStarted += 1
                state.waitingWatchers.append(body)
                state.mostFollowedAtOnce = max(state.mostFollowedAtOnce, state.waitingWatchers.count)
            }
            return true
        }

        /// Lets `count` watchers see their domain destroyed and end.
        func endWatchers(_ count: Int) {
            let ending = state.withLock { state in
                let ending = Array(state.waitingWatchers.prefix(count))
                state.waitingWatchers.removeFirst(ending.count)
                return ending
            }
            ending.forEach { $0() }
        }

        var following: Int { state.withLock { $0.waitingWatchers.count } }
    }

    final class Events: Sendable {
        let all = Mutex<[WatchSupervisor.Event]>([])
        func record(_ event: WatchSupervisor.Event) { all.withLock { $0.append(event) } }
        var capacityReports: [(waiting: Int, following: Int)] {
            all.withLock { events in
                events.compactMap { if case .atCapacity(let w, let f, _) = $0 { (w, f) } else { nil } }
            }
        }
        var failures: Int {
            all.withLock { $0.filter { if case .failed = $0 { true } else { false } }.count }
        }
    }

    /// The service's open-file limit: xenkit.service's LimitNOFILE, whose hard part the daemon
    /// raises its soft limit to.
    static func serviceDescriptorLimit() throws -> Int? {
        guard let value = try ServiceUnitTests.serviceSettings()["LimitNOFILE"] else { return nil }
        let hard = value.split(separator: ":").last.map(String.init) ?? value
        return hard == "infinity" ? OpenFileLimit.target(soft: 0, hard: Int.max) : Int(hard)
    }

    @Test func fiveHundredDomainsFitWithinTheServicesLimit() throws {
        let limit = try #require(try Self.serviceDescriptorLimit(), "xenkit.service sets no LimitNOFILE: systemd's soft default of 1024 applies")
        let host = FakeHost(domains: 500)
        let events = Events()
        let supervisor = WatchSupervisor(host: host, budget: WatchBudget(descriptorLimit: limit), report: events.record)

        let adopted = try supervisor.scan()

        #expect(adopted.count == 500 && supervisor.followedCount == 500)
        let threads = host.state.withLock { $0.threadsStarted }
        #expect(threads == 500, "one watcher thread per domain")
        // What those watchers hold once each has opened its context: 500 contexts, 1,000
        // threads with libxenstore's readers, 8,256 descriptors with the reserve.
        let descriptors = WatchBudget.descriptors(following: threads)
        #expect(descriptors <= limit, "\(descriptors) descriptors for 500 domains exceed LimitNOFILE=\(limit)")
        #expect(threads * WatchBudget.threadsPerDomain == 1000)
        // xk's own share of the unit's task limit (the device models share it too).
        let tasks = try ServiceUnitTests.serviceSettings()["TasksMax"].flatMap { $0 == "infinity" ? Int.max : Int($0) }
        #expect((tasks ?? 0) >= 2 * threads * WatchBudget.threadsPerDomain, "TasksMax=\(tasks.map(String.init) ?? "unset")")
        #expect(events.capacityReports.isEmpty)
    }

    /// systemd's default soft limit, what the service had before xenkit.service set one.
    @Test func pastItsLimitTheServiceLeavesDomainsWaitingAndSaysSoOnce() throws {
        let budget = WatchBudget(descriptorLimit: 1024)
        let host = FakeHost(domains: 500)
        let events = Events()
        let supervisor = WatchSupervisor(host: host, budget: budget, report: events.record)

        let first = try supervisor.scan()
        let capacity = budget.capacity
        #expect(capacity == (1024 - WatchBudget.reserve) / WatchBudget.descriptorsPerDomain)
        #expect(first.count == capacity && host.following == capacity)
        #expect(WatchBudget.descriptors(following: host.following) <= 1024)
        #expect(events.capacityReports.map(\.waiting) == [500 - capacity])

        // Rescans while full start nothing and repeat nothing.
        for _ in 0..<5 { #expect(try supervisor.scan().isEmpty) }
        #expect(host.state.withLock { $0.threadsStarted } == capacity)
        #expect(events.capacityReports.count == 1)

        // Ten domains go: ten waiting ones are adopted at the next scan.
        host.endWatchers(10)
        #expect(supervisor.followedCount == capacity - 10)
        let next = try supervisor.scan()
        #expect(next.count == 10 && host.following == capacity)
        #expect(events.capacityReports.map(\.waiting) == [500 - capacity, 500 - capacity - 10])
        #expect(host.state.withLock { $0.mostFollowedAtOnce } == capacity)
        #expect(events.failures == 0)
    }

    @Test func theLastWaitingDomainAdoptedIsReported() throws {
        let budget = WatchBudget(descriptorLimit: WatchBudget.reserve + 3 * WatchBudget.descriptorsPerDomain)
        let host = FakeHost(domains: 5)
        let events = Events()
        let supervisor = WatchSupervisor(host: host, budget: budget, report: events.record)
        #expect(try supervisor.scan().count == 3)
        host.endWatchers(2)
        #expect(try supervisor.scan().count == 2)
        let last = events.all.withLock { $0.last }
        guard case .belowCapacity(let following) = last else {
            Issue.record("expected belowCapacity last, got \(String(describing: last))")
            return
        }
        #expect(following == 3)
    }

    @Test func aLimitBelowTheReserveFollowsNothing() throws {
        let host = FakeHost(domains: 2)
        let events = Events()
        let supervisor = WatchSupervisor(host: host, budget: WatchBudget(descriptorLimit: 64), report: events.record)
        #expect(try supervisor.scan().isEmpty)
        #expect(host.state.withLock { $0.threadsStarted } == 0)
        #expect(events.capacityReports.map(\.waiting) == [2])
        let message = events.all.withLock { $0.first?.description } ?? ""
        #expect(message.contains("LimitNOFILE") && message.contains("64"), "\(message)")
    }

    @Test func theDaemonAsksForItsHardLimit() {
        #expect(OpenFileLimit.target(soft: 1024, hard: 524_288) == 524_288)
        #expect(OpenFileLimit.target(soft: 65_536, hard: 65_536) == 65_536)
        #expect(OpenFileLimit.target(soft: 1024, hard: Int.max) == OpenFileLimit.kernelCeiling)
        #expect(OpenFileLimit.target(soft: 4096, hard: 2048) == 4096, "never lowered")
    }

    @Test func raisingTheLimitLeavesItAtTheReturnedValue() throws {
        let before = OpenFileLimit.current
        let raised = try OpenFileLimit.raiseToHardLimit()
        #expect(raised >= before)
        #expect(OpenFileLimit.current == raised)
    }
}
