import Testing
@testable import XenKit

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
