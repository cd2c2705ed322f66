// xenstore watches, two ways: a blocking `XenStoreWatcher` for code that has a thread of its
// own (the host service, the monitor), and `XenStore.watch(_:)`, an AsyncSequence that runs
// such a watcher on a dedicated thread and unwatches when its consumer stops.
//
// Why a connection of its own per watcher: libxenstore queues every fired watch of a handle
// in one list, so two consumers of one handle would take each other's events.
// Why poll() and xs_check_watch, not xs_read_watch: xs_read_watch blocks with no timeout and
// cannot be interrupted; poll() also waits on a pipe that wakes the thread to stop.
// > "Callers should, after xs_fileno has become readable, repeatedly call xs_check_watch
// > until it returns NULL and sets errno to EAGAIN." (xenstore.h)
// Why one thread may wait while another adds and removes watches (the monitor does): the
// handle "may be used from several threads" (xenstore.h, xs_open), libxenstore taking its own
// request and watch mutexes; the set of watched paths here is under a Mutex of its own.
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A watch that fired: the node that changed (or the watched special path), and the path
/// the watch was set on.
public struct XenStoreWatchEvent: Hashable, Sendable {
    /// The node that changed, was created or removed; for `@introduceDomain` and
    /// `@releaseDomain`, that path itself.
    public var path: String
    /// The path the watch was set on (its token).
    public var watched: String
    /// How many events were dropped just before this one because the consumer was slower
    /// than xenstore (see ``XenStore/watch(_:bufferLimit:)``); 0 normally.
    public var droppedBefore: Int

    public init(path: String, watched: String, droppedBefore: Int = 0) {
        self.path = path
        self.watched = watched
        self.droppedBefore = droppedBefore
    }
}

/// A set of xenstore watches on a connection of its own, read by blocking waits. One thread
/// at a time waits; watches may be added and removed from another.
///
/// xenstored fires each new watch once at once (with the watched path), as a baseline.
/// The corresponding libxenstore functions are `xs_watch`, `xs_unwatch`, `xs_fileno` and
/// `xs_check_watch`.
public final class XenStoreWatcher: @unchecked Sendable {
    private let handle: OpaquePointer
    private let watched = Mutex<Set<String>>([])

    /// Opens a connection to xenstored for watching.
    public init() throws(XenError) {
        switch XenStoreCalls.open(readOnly: false) {
        case .success(let handle): self.handle = handle
        case .failure(let failure):
            throw XenError(code: .xenstoreUnavailable, message: "cannot connect to xenstored to watch it",
                           hint: "is xenstored running?", errno: failure.errno)
        }
    }

    deinit {
        for path in watched.withLock({ $0 }) { XenStoreCalls.unwatch(handle, path, token: path) }
        XenStoreCalls.close(handle)
    }

    /// The paths watched now.
    public var paths: Set<String> { watched.withLock { $0 } }

    /// Watches `path`: the node and everything below it, or a special `@` path. Watching a
    /// path twice does nothing.
    public func add(_ path: XenStorePath) throws(XenError) {
        guard !watched.withLock({ $0.contains(path.rawValue) }) else { return }
        try XenStore.check("watch \(path)") { XenStoreCalls.watch(handle, path.rawValue, token: path.rawValue) }
        watched.withLock { _ = $0.insert(path.rawValue) }
    }

    /// Stops watching `path`.
    public func remove(_ path: XenStorePath) {
        guard watched.withLock({ $0.remove(path.rawValue) }) != nil else { return }
        XenStoreCalls.unwatch(handle, path.rawValue, token: path.rawValue)
    }

    /// The file descriptor that becomes readable when a watch fires, for a caller's own poll().
    public var fileDescriptor: Int32 { XenStoreCalls.fileDescriptor(handle) }

    /// Waits up to `milliseconds` (-1: without end) for watches to fire, or for `wake` (a
    /// file descriptor, such as a pipe's read end) to become readable. Returns what fired,
    /// at most `limit` events (the rest stay queued for the next call); empty on a timeout
    /// or a wake.
    public func wait(milliseconds: Int32, wake: Int32? = nil, limit: Int = 4096) throws(XenError) -> [XenStoreWatchEvent] {
        var fired = try drain(limit: limit)   // libxenstore may hold events read earlier
        guard fired.isEmpty else { return fired }
        var fds = [pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)]
        if let wake { fds.append(pollfd(fd: wake, events: Int16(POLLIN), revents: 0)) }
        let ready = poll(&fds, nfds_t(fds.count), milliseconds)
        if ready < 0 && errno != EINTR {
            throw XenError(code: .operationFailed, message: "cannot wait for xenstore watches", errno: errno)
        }
        guard ready > 0, fds[0].revents != 0 else { return [] }
        fired = try drain(limit: limit)
        return fired
    }

    private func drain(limit: Int) throws(XenError) -> [XenStoreWatchEvent] {
        var fired: [XenStoreWatchEvent] = []
        while fired.count < limit {
            switch XenStoreCalls.checkWatch(handle) {
            case .success(let event?):
                fired.append(XenStoreWatchEvent(path: event.path, watched: event.token))
            case .success(nil):
                return fired
            case .failure(let failure):
                throw XenError(code: .xenstoreUnavailable, message: "lost the connection to xenstored while watching",
                               hint: "was xenstored restarted?", errno: failure.errno)
            }
        }
        return fired
    }
}
