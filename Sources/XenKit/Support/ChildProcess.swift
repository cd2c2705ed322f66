// The one way xk starts a process: posix_spawn, never fork (running Swift code in a forked
// child of a multithreaded process is unsafe), with its descriptors set up by the spawn
// itself, and a wait with a time limit on a pidfd (poll, no waitpid loop). The migration
// transport (`sh -c RUNE`) and the background watcher (`xk watch`) start this way.
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A child process of ours: waited for once, by ``wait(timeout:)``.
public final class ChildProcess {
    /// Where one of the child's standard descriptors goes.
    public enum Stream: Sendable {
        /// Ours, as it is.
        case inherit
        case null
        /// A file, opened for appending (created 0600 if need be).
        case appending(String)
        /// One of our descriptors (dup2'd onto the child's).
        case descriptor(Int32)
        /// The child's stdout, for its stderr.
        case standardOutput
    }

    /// How the child ended.
    public enum Ending: Equatable, Sendable, CustomStringConvertible {
        case exited(Int32)
        case killed(signal: Int32)

        public var description: String {
            switch self {
            case .exited(let code): "exited with status \(code)"
            case .killed(let signal): "was killed by signal \(signal)"
            }
        }
    }

    public let pid: Int32
    private var ended: Ending?

    /// Starts `path` with `arguments` (argv[0] included).
    ///
    /// - Parameters:
    ///   - newSession: the child gets its own session (setsid), so it outlives our terminal.
    ///   - environment: `NAME=value` entries the child gets beside our environment.
    /// - Throws: ``XenError`` naming the program and the errno.
    public init(_ path: String, _ arguments: [String], stdin: Stream = .inherit, stdout: Stream = .inherit,
                stderr: Stream = .inherit, newSession: Bool = false, environment: [String] = []) throws(XenError) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, stream) in [(Int32(0), stdin), (1, stdout), (2, stderr)] {
            switch stream {
            case .inherit: break
            case .null: posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            case .appending(let file): posix_spawn_file_actions_addopen(&actions, target, file, O_WRONLY | O_CREAT | O_APPEND, 0o600)
            case .descriptor(let fd): posix_spawn_file_actions_adddup2(&actions, fd, target)
            case .standardOutput: posix_spawn_file_actions_adddup2(&actions, 1, target)
            }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts with no signal blocked and every signal at its default: ours
        // (SIGPIPE ignored for the migration, stop signals caught) are not its business.
        var noSignals = sigset_t(), allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if newSession { flags |= Int32(CXEN_POSIX_SPAWN_SETSID) }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        var cArguments = arguments.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var cEnvironment: [UnsafeMutablePointer<CChar>?] = []
        if !environment.isEmpty {
            var index = 0
            while let entry = environ[index] { cEnvironment.append(entry); index += 1 }
            cEnvironment += environment.map { strdup($0) }
            cEnvironment.append(nil)
        }
        defer { cEnvironment.suffix(environment.count + 1).forEach { free($0) } }
        var pid: pid_t = 0
        let rc = environment.isEmpty ? posix_spawn(&pid, path, &actions, &attributes, &cArguments, environ)
            : posix_spawn(&pid, path, &actions, &attributes, &cArguments, &cEnvironment)
        guard rc == 0 else {
            throw XenError(code: .operationFailed, message: "cannot start \(arguments.first ?? path): \(String(cString: strerror(rc)))",
                           errno: rc)
        }
        self.pid = pid
    }

    /// Waits for the child to end, at most `timeout` (nil: for as long as it takes).
    ///
    /// - Returns: how it ended, or nil when it had not ended in time (it is left running, and
    ///   a later wait may still collect it).
    public func wait(timeout: Duration?) -> Ending? {
        if let ended { return ended }
        if let timeout {
            let pidfd = cxen_pidfd_open(pid)
            if pidfd >= 0 {
                defer { close(pidfd) }
                var ready = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
                let milliseconds = Int32(clamping: Int((timeout.inSeconds * 1000).rounded(.up)))
                var polled: Int32
                repeat { polled = poll(&ready, 1, milliseconds) } while polled < 0 && errno == EINTR
                if polled == 0 { return nil }
            } else if !waitable(within: timeout) {
                return nil   // no pidfd (a kernel before 5.3): the plain check below
            }
        }
        var status: Int32 = 0
        var done: pid_t
        repeat { done = waitpid(pid, &status, 0) } while done < 0 && errno == EINTR
        guard done == pid else { return nil }
        let ending: Ending = status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .killed(signal: status & 0x7f)
        ended = ending
        return ending
    }

    /// Without a pidfd: whether the child ends within `timeout`, checked every 10 ms.
    private func waitable(within timeout: Duration) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var info = siginfo_t()
        while clock.now < deadline {
            info.si_signo = 0
            if waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_signo != 0 { return true }
            usleep(10_000)
        }
        return false
    }
}
