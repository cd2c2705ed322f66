// Waiting for a guest to act on a resize: its balloon driver moving towards a memory target,
// or its kernel bringing vCPUs online or offline.
//
// Why polling: the guest's progress shows only in the hypervisor's counters (the domain's
// pages, each vCPU's up/down state); xenstore carries the request, not the progress. xk reads
// those counters every 100 ms, which costs one hypercall each time, and decides from how they
// move: converged, stalled (no progress for a while), or timed out.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How a wait for a guest ended.
public struct MemoryWaitOutcome: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// The guest reached the target (within ``XenContext/memoryTolerance``).
        case converged
        /// The guest stopped moving short of the target.
        case stalled
        /// The time was up while the guest was still moving.
        case timedOut = "timed_out"
    }
    public var kind: Kind
    /// The domain's memory when the wait ended.
    public var current: Memory
    /// How long the wait took.
    public var seconds: Double
}

extension XenContext {
    /// How close to the target counts as there: a guest's balloon driver works in pages and
    /// keeps a few for itself.
    public static let memoryTolerance = Memory.mebibytes(1)

    /// Follows the domain's memory until it is within ``memoryTolerance`` of `target`, has not
    /// moved for `stallAfter` seconds, or `timeout` seconds have passed. `progress` sees each
    /// new reading. Blocks the calling thread.
    public func waitForMemory(_ id: DomainID, target: Memory, timeout: Double, stallAfter: Double,
                              progress: (Memory) -> Void = { _ in }) throws(XenError) -> MemoryWaitOutcome {
        let result = try follow(timeout: timeout, stallAfter: stallAfter, progress: progress,
                                read: { () throws(XenError) in try domain(id).currentMemory },
                                reached: { current in
                                    let distance = current > target ? current.kibibytes - target.kibibytes
                                        : target.kibibytes - current.kibibytes
                                    return distance <= Self.memoryTolerance.kibibytes
                                })
        return MemoryWaitOutcome(kind: result.kind, current: result.value, seconds: result.seconds)
    }

    /// Follows the domain's vCPUs until `count` are online, nothing changed for `stallAfter`
    /// seconds, or `timeout` passed. Returns the outcome and the online count at the end.
    public func waitForVCPUs(_ id: DomainID, count: Int, timeout: Double, stallAfter: Double)
        throws(XenError) -> (kind: MemoryWaitOutcome.Kind, online: Int, seconds: Double) {
        let result = try follow(timeout: timeout, stallAfter: stallAfter, progress: { _ in },
                                read: { () throws(XenError) in try vcpus(of: id).filter(\.isOnline).count },
                                reached: { $0 == count })
        return (result.kind, result.value, result.seconds)
    }

    /// Reads a value every 100 ms until it is `reached`, stops changing for `stallAfter`
    /// seconds, or `timeout` seconds pass (as waitUntilStopped polls, on the same clock).
    private func follow<Value: Equatable>(
        timeout: Double, stallAfter: Double, progress: (Value) -> Void,
        read: () throws(XenError) -> Value, reached: (Value) -> Bool
    ) throws(XenError) -> (kind: MemoryWaitOutcome.Kind, value: Value, seconds: Double) {
        let clock = ContinuousClock()
        let start = clock.now
        func seconds(since instant: ContinuousClock.Instant) -> Double {
            (clock.now - instant).inSeconds
        }
        var last = try read()
        var lastChange = start
        progress(last)
        while true {
            if reached(last) { return (.converged, last, seconds(since: start)) }
            if seconds(since: lastChange) >= stallAfter { return (.stalled, last, seconds(since: start)) }
            if seconds(since: start) >= timeout { return (.timedOut, last, seconds(since: start)) }
            usleep(100_000)
            let current = try read()
            if current != last {
                last = current
                lastChange = clock.now
                progress(current)
            }
        }
    }
}
