// SIGINT, SIGTERM and SIGHUP as a file descriptor: the long-running commands (monitor, top,
// xenstore-watch) wait in poll() on their work and on this pipe, and stop cleanly when it
// becomes readable; save and migrate poll it between steps (`pending`), and roll back or
// complete instead of dying half way. The handler only write()s a byte, which is
// async-signal-safe.
import XenKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

enum StopSignals {
    nonisolated(unsafe) private static var pipeEnds: (read: Int32, write: Int32) = (-1, -1)

    /// Installs the handlers (once) and returns the pipe's read end, which becomes readable
    /// at the first SIGINT or SIGTERM and stays so.
    static func install() -> Int32 {
        if pipeEnds.read >= 0 { return pipeEnds.read }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return -1 }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        pipeEnds = (fds[0], fds[1])
        let handler: @convention(c) (Int32) -> Void = { _ in
            var byte: UInt8 = 1
            _ = write(StopSignals.pipeEnds.write, &byte, 1)
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
        signal(SIGHUP, handler)
        // A mask a parent left blocked (some test runners and service managers do) was cleared
        // when xk started (InheritedSignals, called by XK.main), so these arrive.
        return fds[0]
    }

    /// Whether a stop signal has arrived (installing the handlers first if need be); does
    /// not block.
    static func pending() -> Bool {
        var fds = pollfd(fd: install(), events: Int16(POLLIN), revents: 0)
        return poll(&fds, 1, 0) > 0
    }

    /// Blocks the calling thread until a stop signal arrives.
    static func wait() {
        let fd = install()
        var fds = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while poll(&fds, 1, -1) <= 0 {}
    }
}


/// Waits for SIGINT or SIGTERM on a thread of its own, not on Swift's pool.
func waitForStopSignal() async {
    _ = try? await runOnDedicatedThread { () throws(XenError) in StopSignals.wait() }
}
