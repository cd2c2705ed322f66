// The migration transport: `sh -c RUNE` (ssh to the receiver, or any command), with a pipe to
// its stdin and one from its stdout, started by XenKit's ChildProcess (posix_spawn, never
// fork; a timed wait on a pidfd). Its stderr is ours, so the remote side's messages reach
// the operator.
import XenKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

final class TransportProcess {
    let channel: MigrationChannel
    private let child: ChildProcess
    private let command: String
    private var finished = false

    init(command: String) throws(XenError) {
        self.command = command
        var toChild: [Int32] = [0, 0]
        var fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else {
            throw XenError(code: .operationFailed, message: "cannot make pipes for the migration transport: \(String(cString: strerror(errno)))", errno: errno)
        }
        for fd in toChild + fromChild { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        do throws(XenError) {
            child = try ChildProcess("/bin/sh", ["sh", "-c", command], stdin: .descriptor(toChild[0]), stdout: .descriptor(fromChild[1]))
        } catch {
            for fd in toChild + fromChild { close(fd) }
            throw XenError(code: .operationFailed, message: "cannot start the migration transport `\(command)`: \(error.message)", errno: error.errno)
        }
        close(toChild[0])
        close(fromChild[1])
        channel = MigrationChannel(sendFD: toChild[1], receiveFD: fromChild[0])
    }

    /// Closes our ends and waits up to 5 s for the transport to exit; reports a failure exit.
    func finish() {
        guard !finished else { return }
        finished = true
        close(channel.sendFD)
        close(channel.receiveFD)
        switch child.wait(timeout: .seconds(5)) {
        case .exited(0): break
        case let ending?: printError("xk: the migration transport `\(command)` \(ending)")
        case nil: printError("xk: the migration transport `\(command)` has not exited; not waiting for it")
        }
    }

    deinit { finish() }
}
