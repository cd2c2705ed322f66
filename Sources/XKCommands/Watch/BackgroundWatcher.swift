// Starts `xk watch DOMID` as a detached process after `xk create`, as xl daemonises after its
// create. Why a new process (posix_spawn of /proc/self/exe) and not fork: forking a
// multithreaded Swift process and running Swift code in the child is unsafe; a fresh exec is
// not. The child gets its own session (setsid), /dev/null as stdin, and the domain's log file
// as stdout and stderr, so it outlives the terminal and the command that started it.
//
// It starts at a lower priority than the command that started it (nice +10), and takes that
// command's priority back once it watches the domain, before it waits. Why: on a busy dom0 its
// start-up (a new process, a libxl context, the domain's config) competed with the operator's
// next command: in the lab, `xk destroy` right after `xk create` took 843 ms (median of 4),
// 506 ms with no watcher, and xl's 466 ms. Not niced while it waits: its answer to a shutdown
// (and what it starts then, a restarted domain and its device model) must not queue behind
// the device models of other HVM guests, which keep a dom0 under TCG busy.
import XenKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

#if canImport(Glibc)
private let processPriority = __priority_which_t(PRIO_PROCESS.rawValue)
#else
private let processPriority = PRIO_PROCESS
#endif

enum BackgroundWatcher {
    /// The log of the watcher of domain `name`, beside xl's `xl-NAME.log`.
    static func logPath(for name: String) -> String { "/var/log/xen/xk-\(name).log" }

    /// How much lower the watcher's priority is while it starts.
    static let startingNiceness: Int32 = 10

    /// Where the watcher finds the priority to watch at: its creator's niceness.
    static let creatorNicenessVariable = "XENKIT_WATCHER_CREATOR_NICENESS"

    /// Starts the watcher, in a session of its own; returns its pid. It is never waited
    /// for: it outlives this command (init reaps it).
    static func start(domain id: DomainID, name: String) throws(XenError) -> pid_t {
        do throws(XenError) {
            errno = 0
            var own = getpriority(processPriority, 0)
            if own == -1 && errno != 0 { own = 0 }
            let pid = try ChildProcess("/proc/self/exe", ["xk", "watch", String(id.rawValue)], stdin: .null,
                                       stdout: .appending(logPath(for: name)), stderr: .standardOutput, newSession: true,
                                       environment: ["\(creatorNicenessVariable)=\(own)"]).pid
            // A hint: a watcher left at our priority works the same, only competes more.
            _ = setpriority(processPriority, id_t(pid), min(own + startingNiceness, 19))
            return pid
        } catch {
            throw XenError(code: .operationFailed,
                           message: "cannot start the watcher of domain '\(name)' (\(id)): \(error.message)",
                           hint: "its shutdown actions will not be carried out; run `xk watch \(name)` or `xk daemon`", errno: error.errno)
        }
    }
}

extension BackgroundWatcher {
    /// In a watcher that `start` started: back to its creator's priority, once it watches.
    /// The variable goes too, so that what the watcher starts does not inherit it. Elsewhere
    /// (`xk watch` run by hand, `nice` or not), nothing changes. Linux keeps a nice value per
    /// thread: this is the calling thread's, the one that waits and acts.
    static func takeCreatorsPriority() {
        guard let value = getenv(creatorNicenessVariable) else { return }
        let niceness = Int32(String(cString: value))
        unsetenv(creatorNicenessVariable)
        if let niceness { _ = setpriority(processPriority, 0, niceness) }   // a hint, as above
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
