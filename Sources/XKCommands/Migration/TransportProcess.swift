// The migration transport: `sh -c RUNE` (ssh to the receiver, or any command), with a pipe to
// its stdin and one from its stdout. Started with posix_spawn, never fork: running Swift code
// in a forked child of a multithreaded process is unsafe. Its stderr is ours, so the remote
// side's messages reach the operator.
import XenKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

final class TransportProcess {
    let channel: MigrationChannel
    private let pid: pid_t
    private let command: String
    private var finished = false

    init(command: String) throws(XenError) {
        self.command = command
        var toChild: [Int32] = [0, 0]
        var fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else {
            throw XenError(code: .operationFailed, message: "cannot make pipes for the migration transport: \(String(cString: strerror(errno)))")
        }
        for fd in toChild + fromChild { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        let arguments = ["sh", "-c", command]
        var cArguments = arguments.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/bin/sh", &actions, nil, &cArguments, environ)
        close(toChild[0])
        close(fromChild[1])
        guard rc == 0 else {
            close(toChild[1])
            close(fromChild[0])
            throw XenError(code: .operationFailed, message: "cannot start the migration transport `\(command)`: \(String(cString: strerror(rc)))")
        }
        self.pid = pid
        channel = MigrationChannel(sendFD: toChild[1], receiveFD: fromChild[0])
    }

    /// Closes our ends and waits up to 5 s for the transport to exit; reports a failure exit.
    func finish() {
        guard !finished else { return }
        finished = true
        close(channel.sendFD)
        close(channel.receiveFD)
        var status: Int32 = 0
        for _ in 0..<500 {
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid {
                let exited = status & 0x7f == 0
                let code = (status >> 8) & 0xff
                if !exited || code != 0 {
                    printError("xk: the migration transport `\(command)` " + (exited ? "exited with status \(code)" : "was killed by signal \(status & 0x7f)"))
                }
                return
            }
            if done < 0 { return }
            usleep(10_000)
        }
        printError("xk: the migration transport `\(command)` has not exited; not waiting for it")
    }

    deinit { finish() }
}
