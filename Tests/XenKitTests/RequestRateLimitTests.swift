import Testing
@testable import XenKit

/// Shutdown requests a guest writes into its own control/shutdown are reported at most 5
/// times a second per domain; the rest are counted as ignored, reason rate-limited. The clock
/// is the readings' time, so these tests give it.
@Suite struct RequestRateLimitTests {
    func reading(_ id: UInt32 = 3, request: String) -> DomainReading {
        DomainReading(id: DomainID(id), name: "web", isPaused: false, memoryKiB: 131_072, targetKiB: 131_072,
                      vcpusAvailable: 1, shutdownRequest: request)
    }

    @Test func fiveAdmissionsPerDomainPerSecond() {
        var limit = RequestRateLimit(perSecond: 5)
        let first = (0..<8).map { limit.admit(DomainID(3), at: 100 + Double($0) * 0.1) }
        #expect(first == [true, true, true, true, true, false, false, false])
        // Another domain has its own window; the window of domain 3 began at 100, so at 101 a
        // new one begins.
        let other = limit.admit(DomainID(4), at: 100.5), next = limit.admit(DomainID(3), at: 101.0)
        #expect(other && next)
        #expect(limit.domains == [DomainID(3), DomainID(4)])
        limit.forget(DomainID(3))
        #expect(limit.domains == [DomainID(4)])
    }

    @Test func aClockThatGoesBackStartsANewWindow() {
        var limit = RequestRateLimit(perSecond: 1)
        let admitted = [500, 500.5, 200, 200.9].map { limit.admit(DomainID(3), at: $0) }
        #expect(admitted == [true, false, true, false])
    }

    /// A guest alternating poweroff and reboot, read 20 times within one second.
    @Test func aGuestAlternatingPoweroffAndRebootIsReportedFiveTimesASecond() {
        var state = MonitorState()
        state.baseline([reading(request: "")])
        var events: [HostEvent] = []
        for i in 0..<20 {
            events += state.apply([reading(request: i % 2 == 0 ? "poweroff" : "reboot")], time: 1000 + Double(i) * 0.04)
        }
        let requested = events.filter { $0.kind == .shutdownRequested }
        #expect(requested.map { $0.reason ?? "" } == ["poweroff", "reboot", "poweroff", "reboot", "poweroff"])
        let ignored = events.filter { $0.kind == .ignored }
        #expect(ignored.count == 15)
        #expect(ignored.allSatisfy { $0.reason == "rate-limited" && $0.detail == "control/shutdown" && $0.count == 1 })
        // A second later the next five are reported again.
        let later = state.apply([reading(request: "poweroff")], time: 1001.5)
        #expect(later.map(\.kind) == [.shutdownRequested])
    }

    @Test func junkStaysJunkAndDoesNotUseTheLimit() {
        var state = MonitorState(requestsPerSecond: 1)
        state.baseline([reading(request: "")])
        let junk = state.apply([reading(request: "xyzzy")], time: 1)
        #expect(junk.map(\.kind) == [.ignored] && junk.first?.reason == nil)
        #expect(state.apply([reading(request: "poweroff")], time: 1.1).map(\.kind) == [.shutdownRequested])
        let over = state.apply([reading(request: "reboot")], time: 1.2)
        #expect(over.map(\.kind) == [.ignored] && over.first?.reason == MonitorState.rateLimited)
    }

    @Test func aDestroyedDomainIsForgotten() {
        var state = MonitorState()
        state.baseline([reading(request: "")])
        _ = state.apply([reading(request: "poweroff")], time: 1)
        #expect(state.requestLimit.domains == [DomainID(3)])
        _ = state.apply([], time: 2)
        #expect(state.requestLimit.domains.isEmpty)
    }

    @Test func rateLimitedReportsSayWhatTheyCount() {
        let over = HostEvent(time: 0, kind: .ignored, domain: DomainID(3), name: "web", reason: "rate-limited",
                             count: 12, detail: "control/shutdown")
        #expect(over.description == "ignored web (3): 12 requests in control/shutdown over the rate limit")
        let junk = HostEvent(time: 0, kind: .ignored, domain: DomainID(3), name: "web", count: 1, detail: "control/shutdown")
        #expect(junk.description == "ignored web (3): 1 value not understood in control/shutdown")
    }
}
