// Standard output that a stop signal can interrupt. A long-running command (xk monitor) whose
// reader stalls would block in write(2) for ever, and a signal handler installed the usual way
// (SA_RESTART) restarts that write, so Ctrl-C and SIGTERM went unheard. Here a write that
// would block waits in poll() on the output and on the stop descriptor together instead.
//
// Why a second open of the output: O_NONBLOCK is a flag of the open file description, which a
// pipe's writer shares with the shell and the other processes of a pipeline; setting it on
// descriptor 1 would leak into them. Opening /proc/self/fd/1 again gives a description of our
// own on the same pipe or terminal. A socket cannot be opened that way, but send(2) takes
// MSG_DONTWAIT per call. A regular file never stalls and is written as it is.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Standard output, written so that a stop signal is heard even while the reader stalls.
public struct StoppableOutput: ~Copyable {
    /// What a write came to.
    public enum Outcome: Equatable, Sendable {
        /// All of it was written.
        case written
        /// The stop descriptor became readable while the reader stalled; part of it may be out.
        case stopped
    }

    private enum Mode { case plain, nonblocking, socket }

    /// Our own non-blocking description of the output, when it is a pipe or a terminal.
    private let reopened: FileDescriptor?
    private let descriptor: Int32
    private let mode: Mode
    private let stop: Int32

    /// Standard output (descriptor 1, or `descriptor`), interrupted by `stop` becoming readable.
    public init(descriptor: Int32 = 1, stop: Int32) {
        self.stop = stop
        var status = stat()
        let kind = fstat(descriptor, &status) == 0 ? status.st_mode & S_IFMT : 0
        let own = kind == S_IFIFO || kind == S_IFCHR
            ? Glibc.open("/proc/self/fd/\(descriptor)", O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC) : -1
        if own >= 0 {
            reopened = FileDescriptor(taking: own)
            self.descriptor = own
            mode = .nonblocking
        } else {
            // A socket, a regular file, or a pipe /proc cannot reopen (no /proc mounted).
            reopened = nil
            self.descriptor = descriptor
            mode = kind == S_IFSOCK ? .socket : .plain
        }
    }

    /// Writes `text` whole, waiting while the reader stalls, unless a stop comes first.
    ///
    /// - Throws: ``XenError`` with the errno when the output is gone (EPIPE, EIO, ENOSPC).
    public func write(_ text: String) throws(XenError) -> Outcome {
        let bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { chunk in
                mode == .socket
                    ? send(descriptor, chunk.baseAddress, chunk.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
                    : Glibc.write(descriptor, chunk.baseAddress, chunk.count)
            }
            if n > 0 { done += n; continue }
            let error = n < 0 ? Glibc.errno : EIO
            if error == EINTR { continue }
            guard error == EAGAIN || error == EWOULDBLOCK else {
                throw XenError(code: .operationFailed, message: "cannot write the output", errno: error)
            }
            if waitUntilWritable() == .stopped { return .stopped }
        }
        return .written
    }

    /// Blocks until the output takes more or the stop descriptor is readable.
    private func waitUntilWritable() -> Outcome {
        var fds = [pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0),
                   pollfd(fd: stop, events: Int16(POLLIN), revents: 0)]
        while poll(&fds, 2, -1) < 0 && Glibc.errno == EINTR {}
        return fds[1].revents & Int16(POLLIN) != 0 ? .stopped : .written
    }
}
