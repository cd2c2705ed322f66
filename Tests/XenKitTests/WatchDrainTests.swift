import Synchronization
import Testing
@testable import XenKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The monitor's watch thread and its coalescing set, with a fake watch source: however many
/// watches a guest fires and however long the monitor does not take them, what is kept is
/// one entry per domain, and the thread goes on draining.
@Suite struct WatchDrainTests {
    static let shutdownToken = "/local/domain/7/control/shutdown"

    /// A guest's write under its own control/shutdown: the path is the guest's choice, the
    /// token is the watch the monitor set.
    static func junk(_ i: Int, domain: UInt32 = 7) -> XenStoreWatchEvent {
        XenStoreWatchEvent(path: "/local/domain/\(domain)/control/shutdown/junk-\(i)",
                           watched: "/local/domain/\(domain)/control/shutdown")
    }

    /// 1024 different writes, given again and again.
    static let writes = (0..<1024).map { junk($0) }

    @Test func aMillionFiredWatchesOfOneDomainKeepOneEntry() {
        var fired = FiredWatches()
        var toRead = 0
        for i in 0..<1_000_000 {
            if fired.record(Self.writes[i % Self.writes.count]) != nil {
                toRead += 1
                if i == 10 { fired.record(request: "poweroff", for: DomainID(7)) }
            }
        }
        #expect(fired.total == 1_000_000)
        #expect(fired.domains.count == 1)
        #expect(fired.domains[DomainID(7)] == FiredWatches.Domain(count: 1_000_000, nodes: .controlShutdown, request: "poweroff"))
        // Until a request is read, each event asks for a read; after it, none does.
        #expect(toRead == 11)
    }

    @Test func domainsComeFromTheWatchedTokenNotTheGuestsPath() {
        var fired = FiredWatches()
        // A path naming another domain under domain 7's watched node counts for 7.
        _ = fired.record(XenStoreWatchEvent(path: "/local/domain/9/name", watched: "/local/domain/7/name"))
        _ = fired.record(XenStoreWatchEvent(path: "/local/domain/7/memory/target", watched: "/local/domain/7/memory/target"))
        // Not a watched node, an id Xen never gives a domain, a token outside any home.
        _ = fired.record(XenStoreWatchEvent(path: "/local/domain/7/data", watched: "/local/domain/7/data"))
        _ = fired.record(XenStoreWatchEvent(path: "/local/domain/40000/name", watched: "/local/domain/40000/name"))
        _ = fired.record(XenStoreWatchEvent(path: "/vm/7/name", watched: "/vm/7/name"))
        #expect(fired.domains.keys.sorted() == [DomainID(7)])
        #expect(fired.domains[DomainID(7)]?.nodes == [.name, .memoryTarget])
        #expect(fired.total == 5 && !fired.introduced && !fired.released)
        fired.record(request: "reboot", for: DomainID(40000))
        #expect(fired.domains.count == 1)
        _ = fired.record(XenStoreWatchEvent(path: "@introduceDomain", watched: "@introduceDomain"))
        _ = fired.record(XenStoreWatchEvent(path: "@releaseDomain", watched: "@releaseDomain"))
        #expect(fired.introduced && fired.released && fired.total == 7)
    }

    @Test func everyWatchedNodeMapsBack() {
        for (path, node) in WatchedNodes.paths {
            #expect(FiredWatches.domainNode(ofToken: "/local/domain/3/" + path).map { [$0.0.rawValue, UInt32($0.1.rawValue)] }
                    == [3, UInt32(node.rawValue)])
        }
        #expect(HostMonitor.nodes == ["name", "memory/target", "cpu", "control/shutdown"])
    }

    @Test func theThreadDrainsWhileNobodyTakes() throws {
        let source = FakeWatchSource(events: 250_000, batch: 1024)
        let reads = Mutex(0)
        let drain = try WatchDrain(source: source, limit: 1024) { _ in
            reads.withLock { $0 += 1 }
            return "poweroff"
        }
        defer { drain.stop() }
        // The consumer is stalled: it takes nothing until the source has given everything.
        #expect(waitReadable(source.exhausted.readEnd, milliseconds: 120_000), "the drain stopped reading")
        let fired = try drain.take()
        #expect(fired.total == 250_000)
        #expect(fired.domains == [DomainID(7): FiredWatches.Domain(count: 250_000, nodes: .controlShutdown, request: "poweroff")])
        #expect(reads.withLock { $0 } == 1)
        #expect(try drain.take().isEmpty)
    }

    @Test func waitReturnsWhatFiredAndStopJoinsTheThread() throws {
        let source = FakeWatchSource(events: 5, batch: 5)
        let drain = try WatchDrain(source: source, limit: 64) { _ in "" }
        let never = try #require(WakePipe())
        let fired = try drain.wait(milliseconds: 60_000, wake: never.readEnd)
        #expect(fired.total == 5 && fired.domains[DomainID(7)]?.request == nil)
        #expect(try drain.wait(milliseconds: 10, wake: never.readEnd).isEmpty)
        drain.stop()
        #expect(source.woken, "stop() returned before the thread left its wait")
        drain.stop()
    }

    @Test func aLostSourceEndsTheThreadAfterWhatFiredIsTaken() throws {
        let source = FakeWatchSource(events: 10, batch: 10, failure: XenError(code: .xenstoreUnavailable, message: "lost"))
        let drain = try WatchDrain(source: source, limit: 64) { _ in nil }
        defer { drain.stop() }
        let never = try #require(WakePipe())
        // What fired before the failure is taken first; then the failure is thrown.
        var taken = 0
        var failure: XenError?
        for _ in 0..<10 where failure == nil {
            do { taken += try drain.wait(milliseconds: 1000, wake: never.readEnd).total } catch { failure = error }
        }
        #expect(taken == 10)
        #expect(failure?.code == .xenstoreUnavailable)
    }
}

/// Whether `fd` becomes readable within `milliseconds`.
func waitReadable(_ fd: Int32, milliseconds: Int32) -> Bool {
    var fds = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    return poll(&fds, 1, milliseconds) > 0
}

/// A watch source that gives `events` fired watches of domain 7's control/shutdown in batches,
/// then says so on `exhausted` and throws `failure`, or waits for its wake descriptor.
final class FakeWatchSource: WatchSource {
    let exhausted = WakePipe()!
    private let failure: XenError?
    private let batch: Int
    private let state: Mutex<(left: Int, next: Int, woken: Bool)>

    init(events: Int, batch: Int, failure: XenError? = nil) {
        state = Mutex((events, 0, false))
        self.batch = batch
        self.failure = failure
    }

    /// Whether a wait returned because its wake descriptor became readable.
    var woken: Bool { state.withLock { $0.woken } }

    func wait(milliseconds: Int32, wake: Int32?, limit: Int) throws(XenError) -> [XenStoreWatchEvent] {
        let (first, count) = state.withLock { state in
            let count = min(state.left, batch, limit)
            defer { state.left -= count; state.next += count }
            return (state.next, count)
        }
        if count > 0 { return (first..<first + count).map { WatchDrainTests.writes[$0 % WatchDrainTests.writes.count] } }
        exhausted.signal()
        if let failure { throw failure }
        if let wake, waitReadable(wake, milliseconds: milliseconds) { state.withLock { $0.woken = true } }
        return []
    }
}
