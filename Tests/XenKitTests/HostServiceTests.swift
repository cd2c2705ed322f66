import Testing
@testable import XenKit
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The host service's systemd unit, read from the repository as Scripts/install-service
/// installs it.
@Suite struct ServiceUnitTests {
    /// This file is Tests/XenKitTests/HostServiceTests.swift in the repository.
    static let unitPath = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
        .dropLast(3).joined(separator: "/") + "/Scripts/systemd/xenkit.service"

    /// The unit's `[Service]` settings, KEY -> VALUE, comments left out.
    static func serviceSettings() throws -> [String: String] {
        let text = try readFile(unitPath)
        var section = ""
        var settings: [String: String] = [:]
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = raw.trimmingBlanks
            if line.hasPrefix("#") || line.hasPrefix(";") || line.isEmpty { continue }
            if line.hasPrefix("[") { section = line; continue }
            guard section == "[Service]", let equals = line.firstIndex(of: "=") else { continue }
            settings[line[..<equals].trimmingBlanks] = line[line.index(after: equals)...].trimmingBlanks
        }
        return settings
    }

    /// The device models (QEMU) and helpers libxl starts for a domain belong to the
    /// service's cgroup; systemd's default KillMode=control-group would kill them, and so
    /// every HVM guest's emulator, whenever the service stops or restarts.
    @Test func stoppingTheServiceKillsOnlyItsMainProcess() throws {
        let settings = try Self.serviceSettings()
        #expect(settings["KillMode"] == "process", "\(Self.unitPath): KillMode is \(settings["KillMode"] ?? "unset (control-group)")")
        // What the service still relies on: SIGTERM to the main process, and a restart
        // when it fails.
        #expect(settings["KillSignal"] == "SIGTERM")
        #expect(settings["Restart"] == "on-failure")
    }
}

/// The host service's scan loop, without Xen: a loop that ends, or keeps failing, must end
/// the service with an error (so that systemd's Restart=on-failure restarts it), never leave
/// it active and idle.
@Suite(.timeLimit(.minutes(1))) struct ScanLoopTests {
    /// A flag for the closures to set (Atomic itself cannot be captured by them).
    final class Flag: Sendable {
        private let atomic = Atomic<Bool>(false)
        func set() { atomic.store(true, ordering: .relaxed) }
        var isSet: Bool { atomic.load(ordering: .relaxed) }
    }
    static let scanError = XenError(code: .operationFailed, message: "cannot list the host's domains")

    @Test func scansThatKeepFailingEndTheLoopWithTheLastReason() {
        let scans = Mutex(0), reported = Mutex(0)
        let error = #expect(throws: XenError.self) {
            try ScanLoop.run(scan: { () throws(XenError) in scans.withLock { $0 += 1 }; throw Self.scanError },
                             wait: {}, isStopping: { false }, reportFailure: { _ in reported.withLock { $0 += 1 } })
        }
        #expect(scans.withLock { $0 } == ScanLoop.failureLimit && reported.withLock { $0 } == ScanLoop.failureLimit)
        #expect(error?.message.contains("\(ScanLoop.failureLimit) times in a row") == true, "\(String(describing: error))")
        #expect(error?.message.contains("cannot list the host's domains") == true)
    }

    @Test func aScanThatSucceedsResetsTheCount() throws {
        let scans = Mutex(0)
        try ScanLoop.run(scan: { () throws(XenError) in
            let n = scans.withLock { $0 += 1; return $0 }
            if n % ScanLoop.failureLimit != 0 { throw Self.scanError }   // every 5th succeeds
        }, wait: {}, isStopping: { scans.withLock { $0 } >= 4 * ScanLoop.failureLimit }, reportFailure: { _ in })
        #expect(scans.withLock { $0 } == 4 * ScanLoop.failureLimit)
    }

    @Test func aWaitThatFailsEndsTheLoop() {
        #expect(throws: XenError.self) {
            try ScanLoop.run(scan: {}, wait: { () throws(XenError) in throw XenError(code: .operationFailed, message: "poll failed") },
                             isStopping: { false }, reportFailure: { _ in })
        }
    }

    @Test func theLoopEndsQuietlyWhenStopped() throws {
        let scans = Mutex(0)
        try ScanLoop.run(scan: { scans.withLock { $0 += 1 } }, wait: {}, isStopping: { scans.withLock { $0 } == 3 },
                         reportFailure: { _ in })
        #expect(scans.withLock { $0 } == 3)
    }

    /// What the service does while no shutdown comes: wait for it (gracefulShutdown()).
    static let forever: @Sendable () async -> Void = { try? await Task.sleep(for: .seconds(3600)) }

    @Test func aLoopThatThrowsEndsTheServiceWithItsError() async {
        let stopped = Flag()
        let error = await #expect(throws: XenError.self) {
            try await ScanLoop.supervise(loop: { () throws(XenError) in throw Self.scanError },
                                         untilShutdown: Self.forever, stop: { stopped.set() })
        }
        #expect(error?.message.contains("cannot list the host's domains") == true, "\(String(describing: error))")
        #expect(stopped.isSet, "actions under way were waited for")
    }

    @Test func aLoopThatReturnsUnaskedEndsTheServiceWithAnError() async {
        let error = await #expect(throws: XenError.self) {
            try await ScanLoop.supervise(loop: {}, untilShutdown: Self.forever, stop: {})
        }
        #expect(error?.message.contains("ended") == true, "\(String(describing: error))")
    }

    @Test func aShutdownStopsTheLoopAndEndsTheServiceCleanly() async throws {
        let stopping = Flag()
        try await ScanLoop.supervise(
            loop: { while !stopping.isSet { usleep(1000) } },
            untilShutdown: { try? await Task.sleep(for: .milliseconds(50)) },
            stop: { stopping.set() })
        #expect(stopping.isSet)
    }
}
