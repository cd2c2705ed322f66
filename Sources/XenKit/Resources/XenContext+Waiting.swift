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
        let start = Self.now()
        var last = try domain(id).currentMemory
        var lastChange = start
        progress(last)
        while true {
            let now = Self.now()
            let distance = last > target ? last.kibibytes - target.kibibytes : target.kibibytes - last.kibibytes
            if distance <= Self.memoryTolerance.kibibytes {
                return MemoryWaitOutcome(kind: .converged, current: last, seconds: now - start)
            }
            if now - lastChange >= stallAfter {
                return MemoryWaitOutcome(kind: .stalled, current: last, seconds: now - start)
            }
            if now - start >= timeout {
                return MemoryWaitOutcome(kind: .timedOut, current: last, seconds: now - start)
            }
            Self.sleep(0.1)
            let current = try domain(id).currentMemory
            if current != last {
                last = current
                lastChange = Self.now()
                progress(current)
            }
        }
    }

    /// Follows the domain's vCPUs until `count` are online, nothing changed for `stallAfter`
    /// seconds, or `timeout` passed. Returns the outcome and the online count at the end.
    public func waitForVCPUs(_ id: DomainID, count: Int, timeout: Double, stallAfter: Double)
        throws(XenError) -> (kind: MemoryWaitOutcome.Kind, online: Int, seconds: Double) {
        let start = Self.now()
        var last = try vcpus(of: id).filter(\.isOnline).count
        var lastChange = start
        while true {
            let now = Self.now()
            if last == count { return (.converged, last, now - start) }
            if now - lastChange >= stallAfter { return (.stalled, last, now - start) }
            if now - start >= timeout { return (.timedOut, last, now - start) }
            Self.sleep(0.1)
            let online = try vcpus(of: id).filter(\.isOnline).count
            if online != last {
                last = online
                lastChange = Self.now()
            }
        }
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    static func sleep(_ seconds: Double) {
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
