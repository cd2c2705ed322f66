// A xenstore connection that waits for watches, for the host service: it learns of new
// domains to adopt without polling. The full xenstore library is issue 6's; this is the
// least the service needs (watch, wait with a timeout, write).
//
// Why poll() on xs_fileno and not xs_read_watch: xs_read_watch blocks with no timeout, and
// the service must also wake up now and then to re-check domains whose watcher died.
// > "Callers should, after xs_fileno has become readable, repeatedly call xs_check_watch
// > until it returns NULL and sets errno to EAGAIN." (xenstore.h)
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Owns one xs_handle, closed once in deinit. Used from one thread.
final class XenStoreWatch {
    private let handle: OpaquePointer

    /// Nil when xenstored cannot be reached.
    init?() {
        guard let handle = xs_open(0) else { return nil }
        self.handle = handle
    }

    deinit { xs_close(handle) }

    /// Watches `path` (a node and everything under it, or a special path like
    /// `@introduceDomain`). The watch fires once at once, as xenstored always does.
    func watch(_ path: String) -> Bool {
        xs_watch(handle, path, path)
    }

    /// Waits up to `milliseconds` for watches to fire; returns the paths that fired (empty
    /// on a timeout).
    func wait(milliseconds: Int32) -> [String] {
        var fds = pollfd(fd: xs_fileno(handle), events: Int16(POLLIN), revents: 0)
        guard poll(&fds, 1, milliseconds) > 0 else { return [] }
        var fired: [String] = []
        while let event = xs_check_watch(handle) {
            if let path = event[0] { fired.append(String(cString: path)) }   // [0]: XS_WATCH_PATH
            free(event)
        }
        return fired
    }

    /// Writes `value` at `path`; false when xenstored refused.
    @discardableResult
    func write(_ path: String, _ value: String) -> Bool {
        let bytes = Array(value.utf8)
        return xs_write(handle, 0 /* XBT_NULL */, path, bytes, UInt32(bytes.count))
    }
}
