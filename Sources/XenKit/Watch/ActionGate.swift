import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A gate that shutdown actions pass through, so that a process can stop watching without
/// leaving an action half done (a domain destroyed but not yet built again).
///
/// Watchers ``enter()`` before an action and ``leave()`` after it; ``close(waitingUpTo:)``
/// turns new actions away and waits for those under way. A domain whose action was turned
/// away stays shut down, and the next watcher to follow it carries the action out.
public final class ActionGate: Sendable {
    private struct State {
        var underWay = 0
        var closed = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Lets an action through; false once the gate is closed.
    func enter() -> Bool {
        state.withLock { state in
            guard !state.closed else { return false }
            state.underWay += 1
            return true
        }
    }

    /// Marks an action entered with ``enter()`` as done.
    func leave() {
        state.withLock { $0.underWay -= 1 }
    }

    /// The number of actions under way.
    public var actionsUnderWay: Int { state.withLock { $0.underWay } }

    /// Closes the gate and blocks the calling thread until no action is under way, or
    /// `seconds` have passed. Returns whether all actions finished.
    public func close(waitingUpTo seconds: Double) -> Bool {
        state.withLock { $0.closed = true }
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int(seconds * 1000))
        while actionsUnderWay > 0 {
            if clock.now >= deadline { return false }
            usleep(20_000)
        }
        return true
    }
}
