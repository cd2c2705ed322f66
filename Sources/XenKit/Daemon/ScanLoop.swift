// The host service's scan loop and what watches it, apart from what it scans, so that both
// can be tested without Xen.
//
// Why: `xk daemon` is worth running only while its scan loop runs; it is what adopts new
// domains and so carries out their shutdown actions. Before, the loop ran in a task nobody
// awaited: when it threw (xenstored gone, its watch broken), the service stayed active and
// idle, and every domain's on_poweroff/on_reboot/on_crash was silently lost. Now a loop that
// ends without being asked to, or whose scans keep failing, ends the service with an error:
// the process exits non-zero, with the reason logged, and systemd's Restart=on-failure
// starts it afresh (with a new libxl context and xenstore connection).

/// The host service's scan loop.
public enum ScanLoop {
    /// How many scans in a row may fail before the loop gives up (at the default 5 s
    /// rescan, half a minute of failing scans).
    public static let failureLimit = 5

    /// Scans, then waits, until `isStopping()`. A failed scan is reported and tried again
    /// after the next wait; ``failureLimit`` failures in a row end the loop with an error, and
    /// so does a failed wait.
    static func run(scan: () throws(XenError) -> Void, wait: () throws(XenError) -> Void,
                    isStopping: () -> Bool, failureLimit: Int = ScanLoop.failureLimit,
                    reportFailure: (XenError) -> Void) throws(XenError) {
        var failures = 0
        while !isStopping() {
            do {
                try scan()
                failures = 0
            } catch {
                failures += 1
                reportFailure(error)
                if failures >= failureLimit {
                    throw XenError(code: .operationFailed,
                                   message: "the host service's scans failed \(failures) times in a row, last: \(error)",
                                   hint: "the service exits so that it is restarted")
                }
            }
            try wait()
        }
    }

    private enum Ending: Sendable {
        case shutdown
        case loopReturned
        case loopFailed(XenError)
    }

    /// Runs the blocking `loop` on a thread of its own beside `untilShutdown`, which returns
    /// when the service is asked to stop (it may do other work first, such as autostart).
    ///
    /// - When the shutdown comes first: calls `stop` (which must make `loop` return), waits
    ///   for the loop to end, and returns.
    /// - When the loop ends first, by returning or throwing: calls `stop` (actions under way
    ///   finish), cancels `untilShutdown`, and throws.
    ///
    /// - Throws: ``XenError`` saying why the loop ended, so that the service exits non-zero.
    public static func supervise(loop: @escaping @Sendable () throws(XenError) -> Void,
                                 untilShutdown: @escaping @Sendable () async -> Void,
                                 stop: @escaping @Sendable () async -> Void) async throws(XenError) {
        let ending = await withTaskGroup(of: Ending.self) { group -> Ending in
            group.addTask {
                do throws(XenError) {
                    try await runOnDedicatedThread(loop)
                    return .loopReturned
                } catch {
                    return .loopFailed(error)
                }
            }
            group.addTask {
                await untilShutdown()
                return .shutdown
            }
            let first = await group.next() ?? .shutdown
            if case .shutdown = first {
                await stop()
                _ = await group.next()   // the loop, which ends at its next wake-up
                return .shutdown
            }
            group.cancelAll()   // untilShutdown's wait
            await stop()
            return first
        }
        switch ending {
        case .shutdown:
            return
        case .loopReturned:
            throw XenError(code: .operationFailed, message: "the host service's scan loop ended although no stop was asked for",
                           hint: "the service exits so that it is restarted")
        case .loopFailed(let error):
            throw XenError(code: error.code, message: "the host service's scan loop failed: \(error.message)",
                           hint: error.hint ?? "the service exits so that it is restarted",
                           libxlCode: error.libxlCode, libxlMessages: error.libxlMessages, errno: error.errno)
        }
    }
}
