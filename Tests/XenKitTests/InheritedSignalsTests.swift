import Testing
@testable import XenKit
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What a child started after `InheritedSignals.reset()` inherits: no blocked signal and no
/// ignored SIGHUP/SIGTERM, whatever the parent left (a blocked SIGHUP, a nohup'd SIGTERM).
@Suite(.serialized) struct InheritedSignalsTests {
    /// SigBlk and SigIgn of a grep started with plain posix_spawn (no attributes: it takes
    /// the calling thread's mask and the process's dispositions, as libxl's fork and exec do).
    static func childSignals() throws -> (blocked: UInt64, ignored: UInt64) {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        let argv = ["/bin/grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"]
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        #expect(posix_spawn(&pid, argv[0], &actions, nil, &cArgs, environ) == 0)
        close(fds[1])
        let output = Self.output(of: pid, from: fds[0])
        var fields: [String: UInt64] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: ":")
            if parts.count == 2 { fields[String(parts[0])] = UInt64(parts[1].trimmingCharacters(in: .whitespaces), radix: 16) }
        }
        return (try #require(fields["SigBlk"]), try #require(fields["SigIgn"]))
    }

    /// What the child `pid` writes to the pipe's read end `fd` until it closes it; closes
    /// `fd` and reaps the child.
    static func output(of pid: pid_t, from fd: Int32) -> String {
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            output += buffer[..<n]
        }
        close(fd)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return String(decoding: output, as: UTF8.self)
    }

    static func bit(_ signal: Int32) -> UInt64 { 1 << UInt64(signal - 1) }

    @Test func aBlockedOrIgnoredStopSignalDoesNotReachTheChildren() throws {
        var saved = sigset_t()
        var hup = sigset_t()
        sigemptyset(&hup)
        sigaddset(&hup, SIGHUP)
        pthread_sigmask(SIG_BLOCK, &hup, &saved)
        let previous = signal(SIGTERM, SIG_IGN)
        defer {
            pthread_sigmask(SIG_SETMASK, &saved, nil)
            signal(SIGTERM, previous)
        }
        let before = try Self.childSignals()
        #expect(before.blocked & Self.bit(SIGHUP) != 0 && before.ignored & Self.bit(SIGTERM) != 0,
                "the setup did not take: \(before)")

        InheritedSignals.reset()
        let after = try Self.childSignals()
        #expect(after.blocked == 0, "still blocked in the child: \(String(after.blocked, radix: 16))")
        #expect(after.ignored & (Self.bit(SIGHUP) | Self.bit(SIGINT) | Self.bit(SIGTERM)) == 0,
                "still ignored in the child: \(String(after.ignored, radix: 16))")
        // xk itself still ignores SIGTERM: a handler that does nothing, not the default action.
        var current = sigaction()
        sigaction(SIGTERM, nil, &current)
        let handler = InheritedSignals.handlerValue(current)
        #expect(handler != InheritedSignals.defaultValue && handler != InheritedSignals.ignoreValue)
    }

    /// SigBlk of a grep that `fork` starts from this thread (then dup2 and exec, nothing else,
    /// as libxl does in the child).
    static func blockedInForkedChild(_ fork: () -> pid_t) throws -> UInt64 {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        let argv = ["/bin/grep", "^SigBlk:", "/proc/self/status"]
        let cArgs = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: argv.count + 1)
        for (i, arg) in argv.enumerated() { cArgs[i] = strdup(arg) }
        cArgs[argv.count] = nil
        defer {
            for i in 0..<argv.count { free(cArgs[i]) }
            cArgs.deallocate()
        }
        let write = fds[1]
        let pid = fork()
        if pid == 0 {
            dup2(write, 1)
            execv(cArgs[0]!, cArgs)
            _exit(127)
        }
        close(fds[1])
        let line = Self.output(of: pid, from: fds[0])
        return try #require(UInt64(line.dropFirst("SigBlk:".count).trimmingCharacters(in: .whitespacesAndNewlines), radix: 16), "\(line)")
    }

    /// The processes libxl starts (device models, hotplug scripts) begin with no signal
    /// blocked, even when libxl forks on a thread that blocks them: xk's threads made from
    /// Swift's concurrency pool do (libdispatch's workers block every signal), and a device
    /// model that inherited a blocked SIGHUP outlived its domain (the host service's HVM lab
    /// test). libxl forks through shim.h's fork_replacement.
    @Test func libxlsChildrenStartWithNoSignalBlocked() throws {
        let result = Mutex<Result<(plain: UInt64, libxl: UInt64), any Error>?>(nil)
        let thread = JoinableThread.start {
            var all = sigset_t()
            sigfillset(&all)
            pthread_sigmask(SIG_SETMASK, &all, nil)
            result.withLock {
                $0 = Result { (try Self.blockedInForkedChild { fork() }, try Self.blockedInForkedChild { Libxl.forkAsLibxlDoes() }) }
            }
        }
        thread?.join()
        let masks = try #require(try result.withLock { $0 }?.get())
        #expect(masks.plain & Self.bit(SIGHUP) != 0, "the setup did not take: \(String(masks.plain, radix: 16))")
        #expect(masks.libxl == 0, "blocked in libxl's child: \(String(masks.libxl, radix: 16))")
    }
}
