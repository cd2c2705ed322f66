import Testing
@testable import XenKit

/// The rules that turn readings of the domain list and xenstore into host events.
@Suite struct MonitorStateTests {
    func reading(_ id: UInt32 = 3, name: String = "web", paused: Bool = false, shutdown: ShutdownReason? = nil,
                 memory: UInt64 = 131_072, target: UInt64? = 131_072, vcpus: Int? = 1, request: String? = "") -> DomainReading {
        DomainReading(id: DomainID(id), name: name, isPaused: paused, shutdownReason: shutdown,
                      memoryKiB: memory, targetKiB: target, vcpusAvailable: vcpus, shutdownRequest: request)
    }

    func kinds(_ events: [HostEvent]) -> [String] { events.map(\.kind.rawValue) }

    @Test func existingDomainsAreTheBaselineNotEvents() {
        var state = MonitorState()
        state.baseline([reading(0, name: "Domain-0"), reading(paused: true)])
        #expect(state.apply([reading(0, name: "Domain-0"), reading(paused: true)], time: 1).isEmpty)
        // A domain paused at baseline was started before: its unpause is an unpause.
        #expect(kinds(state.apply([reading(0, name: "Domain-0"), reading()], time: 2)) == ["unpaused"])
    }

    @Test func aCreatedDomainStartsAtItsFirstUnpause() {
        var state = MonitorState()
        state.baseline([])
        #expect(kinds(state.apply([reading(paused: true)], time: 1)) == ["created"])
        #expect(kinds(state.apply([reading()], time: 2)) == ["started"])
        #expect(kinds(state.apply([reading(paused: true)], time: 3)) == ["paused"])
        #expect(kinds(state.apply([reading()], time: 4)) == ["unpaused"])
    }

    @Test func aDomainSeenRunningAtOnceIsCreatedAndStarted() {
        var state = MonitorState()
        state.baseline([])
        let events = state.apply([reading(5, name: "b"), reading(4, name: "a", paused: true)], time: 1)
        #expect(kinds(events) == ["created", "created", "started"])
        #expect(events.map(\.domain) == [DomainID(4), DomainID(5), DomainID(5)])
    }

    @Test func memoryTargetChangesThenIsReached() {
        var state = MonitorState()
        state.baseline([reading()])
        let changed = state.apply([reading(target: 98_304)], time: 1)
        #expect(kinds(changed) == ["memory-target-changed"])
        #expect(changed.first?.targetKiB == 98_304 && changed.first?.previousTargetKiB == 131_072)
        #expect(state.apply([reading(memory: 110_000, target: 98_304)], time: 2).isEmpty)
        let reached = state.apply([reading(memory: 98_304 + 512, target: 98_304)], time: 3)
        #expect(kinds(reached) == ["memory-target-reached"])
        #expect(reached.first?.memoryKiB == 98_816)
        // Reported once, not at every later reading.
        #expect(state.apply([reading(memory: 98_304, target: 98_304)], time: 4).isEmpty)
    }

    @Test func vcpuAvailabilityChanges() {
        var state = MonitorState()
        state.baseline([reading()])
        let events = state.apply([reading(vcpus: 2)], time: 1)
        #expect(kinds(events) == ["vcpus-changed"] && events.first?.vcpus == 2)
        #expect(kinds(state.apply([reading(vcpus: 1)], time: 2)) == ["vcpus-changed"])
    }

    @Test func shutdownIsRequestedThenHappensThenTheDomainIsGone() {
        var state = MonitorState()
        state.baseline([reading()])
        let requested = state.apply([reading(request: "poweroff")], time: 1)
        #expect(kinds(requested) == ["shutdown-requested"] && requested.first?.reason == "poweroff")
        // The guest takes the request (writes ""): nothing to report.
        #expect(state.apply([reading(request: "")], time: 2).isEmpty)
        let down = state.apply([reading(shutdown: .poweroff, request: "")], time: 3)
        #expect(kinds(down) == ["shutdown"] && down.first?.reason == "poweroff")
        // Shut down and paused is not a pause.
        #expect(state.apply([reading(paused: true, shutdown: .poweroff, request: "")], time: 4).isEmpty)
        #expect(kinds(state.apply([], time: 5)) == ["destroyed"])
    }

    /// A paused guest with a request pending takes it the moment it is unpaused, and can be
    /// down before the monitor's next reading (CI, stop 34): the unpause still happened, and
    /// comes before the shutdown. A running guest that is down and paused in one reading was
    /// not paused by anyone the monitor can name (xl destroy pauses what it destroys).
    @Test func anUnpauseSeenOnlyWithTheShutdownItLedToIsStillReported() {
        var state = MonitorState()
        state.baseline([reading(paused: true, request: "poweroff")])
        let events = state.apply([reading(shutdown: .poweroff, request: "")], time: 1)
        #expect(kinds(events) == ["unpaused", "shutdown"])
        state.baseline([reading()])
        #expect(kinds(state.apply([reading(paused: true, shutdown: .poweroff)], time: 2)) == ["shutdown"])
    }

    @Test func crashesAndOtherReasonsAreNamed() {
        var state = MonitorState()
        state.baseline([reading()])
        #expect(state.apply([reading(shutdown: .crash)], time: 1).first?.reason == "crash")
        state.baseline([reading()])
        #expect(state.apply([reading(shutdown: .softReset)], time: 1).first?.reason == "soft_reset")
    }

    @Test func aGuestsJunkIsIgnoredNotReportedAsARequest() {
        var state = MonitorState()
        state.baseline([reading()])
        let events = state.apply([reading(request: "xyzzy")], time: 1)
        #expect(kinds(events) == ["ignored"] && events.first?.detail == "control/shutdown")
    }

    @Test func renamesAndMigrations() {
        var state = MonitorState()
        state.baseline([reading(name: "web")])
        let away = state.apply([reading(name: "web--migratedaway", shutdown: .suspend)], time: 1)
        #expect(kinds(away) == ["renamed", "migration-out", "shutdown"])
        #expect(away.first?.previousName == "web")
        #expect(kinds(state.apply([], time: 2)) == ["destroyed"])

        state.baseline([])
        #expect(kinds(state.apply([reading(7, name: "db--incoming", paused: true)], time: 3)) == ["created", "migration-in-started"])
        let arrived = state.apply([reading(7, name: "db", paused: true)], time: 4)
        #expect(kinds(arrived) == ["renamed", "migration-in-completed"])
        #expect(kinds(state.apply([reading(7, name: "db")], time: 5)) == ["started"])

        #expect(kinds(state.apply([reading(7, name: "db2")], time: 6)) == ["renamed"])
    }

    @Test func aReusedIDAfterADestroyIsANewDomain() {
        var state = MonitorState()
        state.baseline([reading(name: "old")])
        #expect(kinds(state.apply([], time: 1)) == ["destroyed"])
        #expect(kinds(state.apply([reading(name: "new", paused: true)], time: 2)) == ["created"])
    }

    @Test func eventsNameTheirDomainForFilters() {
        let event = HostEvent(time: 0, kind: .renamed, domain: DomainID(7), name: "db--incoming")
        #expect(event.concerns("db") && event.concerns("7") && !event.concerns("d") && !event.concerns("8"))
        let renamed = HostEvent(time: 0, kind: .renamed, domain: DomainID(7), name: "db2", previousName: "db")
        #expect(renamed.concerns("db") && renamed.concerns("db2"))
    }

    @Test func pathsMapToTheirDomain() {
        #expect(HostMonitor.domain(ofPath: "/local/domain/12/control/shutdown") == DomainID(12))
        #expect(HostMonitor.domain(ofPath: "/local/domain/3") == DomainID(3))
        #expect(HostMonitor.domain(ofPath: "@releaseDomain") == nil)
        #expect(HostMonitor.domain(ofPath: "/local/domain/x/name") == nil)
        #expect(HostMonitor.domain(ofPath: "/vm/3/name") == nil)
    }
}
