// The receiving side of a live migration (xl's migrate_receive), for `xk migrate-receive`
// run by the sender through ssh: the stream comes on stdin, the answers go to stdout.
//
// The steps and what each failure leaves are MigrationReceiveWorkflow's (Workflows/).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension XenContext {
    /// Receives a migrating domain over `channel`.
    ///
    /// The steps and what each failure leaves are MigrationReceiveWorkflow's
    /// (Workflows/MigrationReceiveWorkflow.swift).
    ///
    /// - Parameters:
    ///   - paused: leave the domain paused once it is here (`-p`).
    ///   - compressed: the sender compresses what it sends (`xk migrate` to an xk receiver,
    ///     MigrationCompression.swift); a stream zstd cannot decode is refused like any
    ///     corrupt stream.
    ///   - timeout: the longest wait for the sender at each step (its header, the start of
    ///     the stream, GO).
    ///   - trustSender: build a config that reaches into this host (dom0 disks, scripts,
    ///     bootloaders, device models, passthrough); without, such a config is refused.
    ///   - stopRequested: polled between steps; once true before GO, the copy here goes.
    ///   - log: called with each step, for stderr (stdout is the channel).
    /// - Returns: the domain's id and name once it runs here.
    /// - Throws: ``XenError``; nothing is left here then, unless the error names a domain
    ///   that could not be destroyed.
    public func receiveMigration(over channel: MigrationChannel, paused: Bool = false, compressed: Bool = false,
                                 timeout: Duration = .seconds(60),
                                 trustSender: Bool = false, policy: BuildPolicy = .fixed,
                                 stopRequested: @escaping () -> Bool = { false },
                                 log: @escaping (String) -> Void = { _ in }) throws(XenError) -> (id: DomainID, name: String) {
        var feed: StreamDecompressFeed?
        var plain = channel
        if compressed {
            guard let started = StreamDecompressFeed(from: channel.receiveFD) else {
                throw XenError(code: .operationFailed, message: "migration receiver: cannot set up the decompression of the stream (no pipe, memory or thread)",
                               hint: "nothing was built")
            }
            feed = started
            plain = MigrationChannel(sendFD: channel.sendFD, receiveFD: started.readFD, feed: started)
        }
        var driver = MigrationReceiveDriver(machine: MigrationReceiveWorkflow(paused: paused),
                                            control: LiveDomainControl(context: self), transport: plain,
                                            timeout: timeout, trustSender: trustSender, policy: policy,
                                            stopRequested: stopRequested, log: log)
        // xl holds its build lock while it balloons and builds (the whole stream); so does xk.
        let outcome: MigrationReceiveOutcome
        let held = HostBuildLock.holding(for: policy, { driver.run() })
        let streamProblem = feed?.finish()
        switch held {
        case .success(let ran): outcome = ran
        case .failure(let failure):
            throw XenError(code: .operationFailed, message: "migration receiver: cannot take xl's lock \(policy.lockfile ?? ""): \(failure.reason)",
                           hint: "nothing was built", errno: failure.errno)
        }
        switch outcome {
        case .received:
            return (driver.id!, driver.machine.name)
        case .failed(var error, _):
            if case .zstd(let failure)? = streamProblem, !error.message.contains("zstd") {
                error.message += " (the sender's compressed stream is corrupt: zstd says \"\(failure.reason)\")"
            }
            throw error
        }
    }
}

extension DomainConfiguration {
    /// Changes `name =` (the receiver builds the domain as NAME--incoming, as xl does).
    func rename(to newName: String) {
        free(raw.pointee.c_info.name)
        raw.pointee.c_info.name = strdup(newName)
    }
}
