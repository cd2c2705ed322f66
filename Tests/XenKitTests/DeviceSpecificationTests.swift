import Foundation
import Testing
@testable import XenKit

/// Disk and vif specs from the command line go through the config file's parsers: same
/// meaning, same complaints (naming the spec and what is wrong in it).
@Suite struct DeviceSpecificationTests {
    @Test func aDiskSpecInOneWordOrManyIsTheSameDisk() throws {
        let one = try DiskSpecification(words: ["/srv/d.img,raw,xvdb,w"])
        let many = try DiskSpecification(words: ["target=/srv/d.img", "vdev=xvdb", "format=raw", "access=w"])
        #expect(one.vdev == "xvdb" && one.target == "/srv/d.img" && !one.isEmpty && !one.hasScript)
        #expect(try one.json() == many.json())
        #expect(try one.json().contains(#""pdev_path": "/srv/d.img""#))
    }

    @Test func aBadDiskSpecIsNamedWithLibxlutilsReason() {
        for (words, reason) in [(["/srv/d.img,raw"], "no vdev specified"),
                                (["/d,raw,xvdb,w", "foo=bar"], "unknown"),
                                ([String](), "no disk specification")] {
            do {
                _ = try DiskSpecification(words: words)
                Issue.record("\(words) was accepted")
            } catch {
                #expect(error.code == .invalidArgument)
                #expect(error.message.contains(reason), "\(error.message)")
                if !words.isEmpty { #expect(error.message.contains("'\(words.joined(separator: " "))'")) }
            }
        }
    }

    @Test func anEmptyCDROMNeedsNoTarget() throws {
        let cd = try DiskSpecification(words: [",raw,hdc,cdrom"])
        #expect(cd.isEmpty && cd.target.isEmpty)
    }

    @Test func aVifSpecIsReadAsAConfigItemOverTheDefaults() throws {
        let defaults = NetworkSpecification.Defaults(bridge: "xenbr1", script: "vif-bridge")
        let plain = try NetworkSpecification(words: [], defaults: defaults)
        #expect(plain.bridge == "xenbr1" && plain.script == "vif-bridge" && plain.mac == nil)
        let given = try NetworkSpecification(words: ["bridge=br0,mac=00:16:3E:00:c8:05", "mtu=1400"], defaults: defaults)
        #expect(given.bridge == "br0" && given.mac == "00:16:3e:00:c8:05")
        #expect(try given.json().contains(#""mtu": 1400"#))
    }

    @Test func aBadVifOptionIsNamed() {
        #expect(throws: XenError.self) { _ = try NetworkSpecification(words: ["mac=zz"]) }
        do {
            _ = try NetworkSpecification(words: ["bridge=br0", "colour=red"])
            Issue.record("accepted")
        } catch {
            #expect(error.message.contains("colour"), "\(error.message)")
            #expect(error.message.contains("item 2"), "\(error.message)")
        }
    }

    @Test func xlConfGivesTheVifDefaults() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xenkit-xlconf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("xl.conf").path
        try "autoballoon=\"off\"\nvif.default.bridge=\"br9\"\nvif.default.script=\"vif-route\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try NetworkSpecification.Defaults.fromXLConf(path: path)
            == .init(bridge: "br9", script: "vif-route"))
        #expect(try NetworkSpecification.Defaults.fromXLConf(path: directory.appendingPathComponent("none").path) == .init())
        try "vif.default.bridge=\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: XenError.self) { try NetworkSpecification.Defaults.fromXLConf(path: path) }
    }
}
