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
    /// `POSIX_SPAWN_SETSID` (glibc >= 2.26); Swift's Glibc module does not export the macro.
    private static let spawnSetSID: Int16 = 0x80

    /// The log of the watcher of domain `name`, beside xl's `xl-NAME.log`.
    static func logPath(for name: String) -> String { "/var/log/xen/xk-\(name).log" }

    /// Starts the watcher; returns its pid.
    static func start(domain id: DomainID, name: String) throws(XenError) -> pid_t {
        let log = logPath(for: name)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, spawnSetSID)

        let arguments = ["xk", "watch", String(id.rawValue)]
        var cArguments = arguments.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/proc/self/exe", &actions, &attributes, &cArguments, environ)
        guard rc == 0 else {
            throw XenError(code: .operationFailed,
                           message: "cannot start the watcher of domain '\(name)' (\(id)): \(String(cString: strerror(rc)))",
                           hint: "its shutdown actions will not be carried out; run `xk watch \(name)` or `xk daemon`")
        }
        return pid
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
