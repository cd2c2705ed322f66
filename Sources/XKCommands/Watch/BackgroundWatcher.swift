// Starts `xk watch DOMID` as a detached process after `xk create`, as xl daemonises after its
// create. Why a new process (posix_spawn of /proc/self/exe) and not fork: forking a
// multithreaded Swift process and running Swift code in the child is unsafe; a fresh exec is
// not. The child gets its own session (setsid), /dev/null as stdin, and the domain's log file
// as stdout and stderr, so it outlives the terminal and the command that started it.
import XenKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

enum BackgroundWatcher {
    /// The log of the watcher of domain `name`, beside xl's `xl-NAME.log`.
    static func logPath(for name: String) -> String { "/var/log/xen/xk-\(name).log" }

    /// Starts the watcher, in a session of its own; returns its pid. It is never waited
    /// for: it outlives this command (init reaps it).
    static func start(domain id: DomainID, name: String) throws(XenError) -> pid_t {
        do throws(XenError) {
            return try ChildProcess("/proc/self/exe", ["xk", "watch", String(id.rawValue)], stdin: .null,
                                    stdout: .appending(logPath(for: name)), stderr: .standardOutput, newSession: true).pid
        } catch {
            throw XenError(code: .operationFailed,
                           message: "cannot start the watcher of domain '\(name)' (\(id)): \(error.message)",
                           hint: "its shutdown actions will not be carried out; run `xk watch \(name)` or `xk daemon`", errno: error.errno)
        }
    }
}

/// Who carries out a new domain's shutdown actions, for `xk create` and `xk start`.
enum ShutdownActions {
    /// Marks the domain, so that a host service started later adopts it, then: with
    /// `foreground`, watches it in this process until it is gone (`xl create -F`); else asks
    /// the host service to adopt it if one runs; else starts a background `xk watch`, as xl
    /// leaves a process per domain.
    ///
    /// - Parameter afterSuspend: the domain was suspended and resumed (a save with -c or -p):
    ///   its old watcher ended at the suspend; wait for it to let go of the domain.
    static func arrange(for id: DomainID, name: String, context: XenContext, foreground: Bool,
                        afterSuspend: Bool = false) throws {
        try context.markWatched(id)
        if afterSuspend, let uuid = try? context.domain(id).uuid {
            for _ in 0..<100 where LockFile.holder(of: WatchPaths.domainLock(uuid: uuid)) != nil {
                usleep(100_000)
            }
        }
        if foreground {
            let outcome = try DomainWatcher(context: context).watch(id) { event in
                printError(Timestamp.now() + " " + event.description)
            }
            if case .alreadyWatched(let pid) = outcome {
                printError("xk: domain '\(name)' is already watched by " + (pid.map { "process \($0)" } ?? "another process"))
            }
            return
        }
        if WatchSupervisor.serviceIsRunning {
            WatchSupervisor.requestAdoption(of: id)   // else its next rescan adopts it
            return
        }
        _ = try BackgroundWatcher.start(domain: id, name: name)
    }
}
