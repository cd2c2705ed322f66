// The monitor's watch drain: a thread of its own reads every fired xenstore watch as it comes
// and folds it into a `FiredWatches` under a Mutex; the monitor takes that set when it is
// ready for it.
//
// Why a thread: libxenstore's reader thread moves every fired watch from xenstored's socket
// into a list in the handle, and that list has no limit. Once the monitor blocks writing its
// output (`xk monitor | reader` with a reader that stalls), nothing took events from the list
// any more, and a guest writing its own control/shutdown in a loop made xk grow for as long as
// the reader stalled. The drain never writes output, so the list stays short; what it keeps is
// bounded by the number of domains (see FiredWatches.swift).
//
// Why a pipe to say "something fired": the monitor waits in poll() for the next firing, for
// its poll timeout and for its stop descriptor at once. The drain writes one byte when the set
// goes from empty to not empty; the monitor clears the pipe before it takes the set, so a
// firing is never left unseen, at worst seen by a wake-up that finds the set empty.
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where a ``WatchDrain`` reads fired watches: a ``XenStoreWatcher``, or a fake in tests.
protocol WatchSource: Sendable {
    /// Waits up to `milliseconds` (-1: without end) for watches to fire or for `wake` to
    /// become readable. Returns at most `limit` events; empty on a timeout or a wake.
    func wait(milliseconds: Int32, wake: Int32?, limit: Int) throws(XenError) -> [XenStoreWatchEvent]
}

extension XenStoreWatcher: WatchSource {}

/// Reads fired watches on a joinable thread of its own into a bounded, coalescing set.
/// ``stop()`` ends the thread and waits for it; deinit does so too, so the thread never outlives
/// the drain (nor the source, which the caller closes after).
final class WatchDrain: Sendable {
    private let shared: Shared
    private let thread: JoinableThread

    /// Starts the thread.
    ///
    /// - Parameters:
    ///   - limit: the most events taken from `source` in one call.
    ///   - readRequest: reads a domain's `control/shutdown` (on the drain's thread) when its
    ///     watch fires and no request was read for it since the set was last taken.
    init(source: some WatchSource, limit: Int, readRequest: @escaping @Sendable (DomainID) -> String?) throws(XenError) {
        guard let stop = WakePipe(), let ready = WakePipe() else {
            throw XenError(code: .operationFailed, message: "cannot make the pipes of the monitor's watch thread", errno: errno)
        }
        let shared = Shared(source: source, limit: max(limit, 1), readRequest: readRequest, stop: stop, ready: ready)
        guard let started = JoinableThread.start({ shared.run() }) else {
            throw XenError(code: .operationFailed, message: "cannot start the monitor's watch thread", errno: errno)
        }
        self.shared = shared
        thread = started
    }

    deinit { stop() }

    /// Ends the thread and waits for it. Calling it again does nothing.
    func stop() {
        shared.stop.signal()
        thread.join()
    }

    /// Waits up to `milliseconds` for watches to fire, or for `wake` to become readable, and
    /// takes what fired (empty on a timeout or a wake).
    func wait(milliseconds: Int32, wake: Int32) throws(XenError) -> FiredWatches {
        var fds = [pollfd(fd: shared.ready.readEnd, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
        if poll(&fds, nfds_t(fds.count), milliseconds) < 0 && errno != EINTR {
            throw XenError(code: .operationFailed, message: "cannot wait for xenstore watches", errno: errno)
        }
        return try take()
    }

    /// Takes what fired since the last take, leaving an empty set. Throws the error that ended
    /// the thread (xenstored lost), once what fired before it is taken.
    func take() throws(XenError) -> FiredWatches {
        shared.ready.clear()
        let (fired, failure) = shared.state.withLock { state in
            defer { state.fired = FiredWatches() }
            return (state.fired, state.fired.isEmpty ? state.failure : nil)
        }
        if let failure { throw failure }
        return fired
    }

    /// What the thread and its takers share.
    private final class Shared: Sendable {
        struct State: Sendable {
            var fired = FiredWatches()
            var failure: XenError?
        }

        let source: any WatchSource
        let limit: Int
        let readRequest: @Sendable (DomainID) -> String?
        let stop: WakePipe
        let ready: WakePipe
        let state = Mutex(State())

        init(source: any WatchSource, limit: Int, readRequest: @escaping @Sendable (DomainID) -> String?, stop: WakePipe, ready: WakePipe) {
            self.source = source
            self.limit = limit
            self.readRequest = readRequest
            self.stop = stop
            self.ready = ready
        }

        /// The thread: read, fold, say so, until stopped or the source fails.
        func run() {
            while !stop.isSignalled {
                let events: [XenStoreWatchEvent]
                do throws(XenError) {
                    events = try source.wait(milliseconds: -1, wake: stop.readEnd, limit: limit)
                } catch {
                    state.withLock { $0.failure = error }
                    ready.signal()
                    return
                }
                guard !events.isEmpty else { continue }
                let (wasEmptyAtFold, toRead) = state.withLock { state in
                    let wasEmpty = state.fired.isEmpty
                    var toRead: Set<DomainID> = []
                    for event in events {
                        if let id = state.fired.record(event) { toRead.insert(id) }
                    }
                    return (wasEmpty, toRead)
                }
                // One read per domain per batch at most, outside the lock (it is a round trip
                // to xenstored); the monitor may take the set meanwhile.
                var wasEmpty = wasEmptyAtFold
                for id in toRead.sorted() {
                    guard let value = readRequest(id), !value.isEmpty else { continue }
                    let emptied = state.withLock { state in
                        let empty = state.fired.isEmpty
                        state.fired.record(request: value, for: id)
                        return empty
                    }
                    wasEmpty = wasEmpty || emptied
                }
                if wasEmpty { ready.signal() }
            }
        }
    }
}
