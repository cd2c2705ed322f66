// Watches as an AsyncSequence: a dedicated thread blocks in a `XenStoreWatcher` and feeds a
// bounded stream. When the consumer stops iterating (or its task is cancelled), the stream
// terminates, a byte on a pipe wakes the thread, and the thread unwatches and closes its
// connection. A slow consumer never makes memory grow: past `bufferLimit` events the oldest
// are kept and the newest dropped, and the next event delivered says how many were dropped.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension XenStore {
    /// The changes under `paths`, as they happen, starting with one event per path
    /// (xenstored fires every new watch once).
    ///
    /// The watch runs on a connection and a thread of its own, both released when iteration
    /// ends. The sequence throws ``XenError`` when xenstored cannot be reached.
    ///
    /// - Parameter bufferLimit: the most events held for a slow consumer; more are dropped
    ///   and counted in ``XenStoreWatchEvent/droppedBefore``.
    public static func watch(_ paths: [XenStorePath], bufferLimit: Int = 1024) -> XenStoreWatchSequence {
        XenStoreWatchSequence(paths: paths, bufferLimit: bufferLimit)
    }
}

/// An asynchronous sequence of fired xenstore watches; see ``XenStore/watch(_:bufferLimit:)``.
public struct XenStoreWatchSequence: AsyncSequence, Sendable {
    public typealias Element = XenStoreWatchEvent
    let paths: [XenStorePath]
    let bufferLimit: Int

    public func makeAsyncIterator() -> AsyncThrowingStream<XenStoreWatchEvent, any Error>.Iterator {
        let (stream, continuation) = AsyncThrowingStream<XenStoreWatchEvent, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(Swift.max(bufferLimit, 1)))
        guard let wake = WakePipe() else {
            continuation.finish(throwing: XenError(code: .operationFailed, message: "cannot make a pipe to stop a xenstore watch", errno: errno))
            return stream.makeAsyncIterator()
        }
        continuation.onTermination = { _ in wake.signal() }
        let paths = self.paths
        let started = startDetachedThread {
            do throws(XenError) {
                let watcher = try XenStoreWatcher()
                for path in paths { try watcher.add(path) }
                var dropped = 0
                while !wake.isSignalled {
                    for var event in try watcher.wait(milliseconds: -1, wake: wake.readEnd) {
                        event.droppedBefore = dropped
                        switch continuation.yield(event) {
                        case .enqueued: dropped = 0
                        case .dropped: dropped += 1
                        case .terminated: return
                        @unknown default: return
                        }
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        if !started {
            continuation.finish(throwing: XenError(code: .operationFailed, message: "cannot start a thread for a xenstore watch"))
        }
        return stream.makeAsyncIterator()
    }
}

/// A pipe whose read end becomes readable once ``signal()`` is called; both ends are closed
/// when the last owner lets go.
final class WakePipe: @unchecked Sendable {
    let readEnd: Int32
    private let writeEnd: Int32

    init?() {
        var fds: [Int32] = [-1, -1]
        guard makeNonBlockingPipe(&fds) else { return nil }
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    func signal() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Whether ``signal()`` was called (the byte stays in the pipe).
    var isSignalled: Bool { isReadable(readEnd) }

    /// Takes back every ``signal()`` made so far (the read end is non-blocking).
    func clear() {
        var bytes = [UInt8](repeating: 0, count: 64)
        while read(readEnd, &bytes, bytes.count) > 0 {}
    }
}

/// Whether `fd` has something to read now (poll with no wait).
func isReadable(_ fd: Int32) -> Bool {
    var fds = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    return poll(&fds, 1, 0) > 0
}

/// pipe(2) with both ends close-on-exec and non-blocking (pipe2 needs _GNU_SOURCE, which the
/// Glibc module lacks).
func makeNonBlockingPipe(_ fds: inout [Int32]) -> Bool {
    guard pipe(&fds) == 0 else { return false }
    for fd in fds {
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }
    return true
}
