import Foundation
import Testing
@testable import XKCommands
@testable import XenKit

/// docs/json.md against the code: every JSON document xk prints of its own is built here from
/// sample values by the function its command prints with, and its keys (as paths such as
/// `domains[].name`) must be exactly those the document's table lists, no more and no fewer;
/// the example under each table may use only documented keys; and every document carries
/// `"schema"` first. A key renamed in the code and not in the docs, or the other way round,
/// fails here.
@Suite struct JSONVocabularyTests {
    static let docs: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("docs/json.md"), encoding: .utf8)) ?? ""
    }()

    /// Each output's samples: several when keys appear only in some documents (monitor's events).
    static let samples: [String: [JSONValue]] = {
        let domain = DomainInfo(id: DomainID(3), name: "web", uuid: "6e5d0c1a-7f3b-4c1e-9a57-2f0d3c4b5a69", type: .pvh, isRunning: true,
                                currentMemory: .mebibytes(512), maxMemory: .mebibytes(1024), cpuTimeNanoseconds: 5_500_000_000,
                                onlineVCPUs: 2, maxVCPUID: 1)
        let host = InfoFormatTests().host
        let numa = NUMAReportTests().numa
        var info = host.reportFields
        info.insert(contentsOf: numa.reportFields, at: info.firstIndex { $0.key == "xen_major" } ?? info.endIndex)
        var check = BuildCheck(source: "web.cfg", name: "web", memory: .init(need: .mebibytes(520), free: .mebibytes(300),
                               dom0CanGive: .mebibytes(700), ballooning: true), vcpus: 2, pool: "Pool-0", poolCPUs: 2)
        check.findings = [.init(severity: .warning, subject: "vcpus", message: "2 vCPUs on the 2 CPU(s) of pool Pool-0")]
        let vcpu = VCPUInfo(domain: DomainID(3), vcpu: 0, cpu: 1, isOnline: true, isRunning: true, isBlocked: false,
                            cpuTimeNanoseconds: 2_000_000_000, hardAffinity: [1], softAffinity: [0, 1], hostCPUCount: 2)
        let pool = CPUPool(CPUPoolRecord(id: 0, name: "Pool-0", scheduler: "credit", cpus: [0, 1], domainCount: 2))
        let poolSchedule = PoolSchedule(pool: pool, timeSliceMs: 30, rateLimitUs: 1000, migrationDelayUs: 0)
        let schedule = DomainSchedule(id: DomainID(3), name: "web", scheduler: "credit", weight: 256, cap: 0)
        let disk = BlockDevice(devid: 51712, vdev: "xvda", backendDomain: 0, frontendDomain: 3, state: 4, eventChannel: 12, ringRef: 8,
                               backendPath: "/local/domain/0/backend/vbd/3/51712", target: "/srv/web.img", format: "raw",
                               isWritable: true, isCDROM: false)
        let nic = NetworkDevice(devid: 0, backendDomain: 0, mac: "00:16:3e:01:02:03", frontendDomain: 3, state: 4, eventChannel: 13,
                                txRingRef: 1280, rxRingRef: 1281, backendPath: "/local/domain/0/backend/vif/3/0", bridge: "xenbr0",
                                script: "vif-bridge", interfaceName: "vif3.0")
        let channel = ChannelDevice(devid: 0, backendDomain: 0, state: 4, eventChannel: 15, ringRef: 1234, connection: "pty",
                                    name: "org.qemu.guest_agent.0", ptyPath: "/dev/pts/3", socketPath: nil)
        let vtpm = VTPMDevice(devid: 0, backendDomain: 2, uuid: "0b2a3c4d-0000-4000-8000-00000000abcd", state: 4, eventChannel: 20,
                              ringRef: 8, backendPath: "/local/domain/2/backend/vtpm/3/0")
        let usb = USBController(devid: 0, type: "devicemodel", backendDomain: 0, state: 1, version: 2, portCount: 1,
                                ports: [.init(port: 1, hostBus: 3, hostAddress: 27)])
        let usage = DomainUsage(info: domain, name: "web", cpuPercent: 12.3, memoryPercent: 16.7, targetKiB: 524_288)
        return [
            "list": [DomainInfo.listDocument([domain])],
            "list-defined": [ListCommand.definitionsDocument([("web", true, 10, DomainID(3), "/var/lib/xenkit/domains/web.cfg")])],
            "info": [JSONValue.document(info.map { ($0.key, $0.json) })],
            "domid": [DomidCommand.document(name: "web", id: DomainID(3))],
            "create": [CreateCommand.builtDocument(name: "web", id: DomainID(3), paused: false)],
            "create-check": [check.json],
            "save": [SaveCommand.document(name: "web", id: DomainID(3), file: "/srv/web.save", bytes: 541_065_216, seconds: 4.2,
                                          mibPerSecond: 122.9, outcome: "destroyed")],
            "migrate": [MigrateCommand.document(name: "web", host: "host2", bytes: 580_000_000, wireBytes: 61_000_000, compression: 1,
                                                seconds: 12.5, downtimeSeconds: 0.21,
                                                iterations: 3)],
            "mem-set": [MemSetCommand.document(MemoryWaitOutcome(kind: .converged, current: .mebibytes(384), seconds: 3.1),
                                               target: .mebibytes(384), name: "web", id: DomainID(3))],
            "vcpu-list": [VCPUListCommand.document([("web", vcpu)])],
            "uptime": [UptimeCommand.document([("web", DomainID(3), 3725)])],
            "dmesg": [DmesgCommand.document(["(XEN) Xen version 4.17.6-pre"])],
            "cpupool-list": [CPUPoolListCommand.document([pool])],
            "block-list": [JSONValue.document("disks", [DeviceTables.json(disk, domain: "web")])],
            "network-list": [JSONValue.document("interfaces", [DeviceTables.json(nic, domain: "web")])],
            "channel-list": [JSONValue.document("channels", [DeviceTables.json(channel, domain: "web", domid: 3)])],
            "vtpm-list": [JSONValue.document("vtpms", [DeviceTables.json(vtpm, domain: "web", domid: 3)])],
            "usb-list": [JSONValue.document("controllers", [DeviceTables.json(usb, domain: "web", domid: 3)])],
            "sched-domain": [ScheduleTables.json(schedule)],
            "sched-pool": [ScheduleTables.json(poolSchedule)],
            "sched-all": [ScheduleTables.document([(poolSchedule, [schedule])])],
            "monitor": [
                HostEvent(time: 1_764_841_200.25, kind: .shutdown, domain: DomainID(3), name: "web", reason: "reboot").json,
                HostEvent(time: 0, kind: .renamed, domain: DomainID(3), name: "web", previousName: "old").json,
                HostEvent(time: 0, kind: .memoryTargetChanged, domain: DomainID(3), name: "web", targetKiB: 1, previousTargetKiB: 2).json,
                HostEvent(time: 0, kind: .memoryTargetReached, domain: DomainID(3), name: "web", memoryKiB: 1).json,
                HostEvent(time: 0, kind: .vcpusChanged, domain: DomainID(3), name: "web", vcpus: 2).json,
                HostEvent(time: 0, kind: .ignored, domain: DomainID(3), name: "web", count: 40, detail: "control/shutdown").json,
            ],
            "top": [TopCommand.frameJSON([usage], time: 1_764_841_200.25, hostMemoryKiB: 3_145_728)],
            "xenstore-read": [XenStoreReadCommand.document([("/local/domain/3/name", Array("web".utf8))])],
            "xenstore-ls": [XenStoreListCommand.document([("/local/domain/3/name", Array("web".utf8), "n0 r3")])],
            "xenstore-watch": [XenStoreWatchCommand.line(time: 1_764_841_200.25, path: "/local/domain/3/memory/target",
                                                         watched: "/local/domain/3/memory", dropped: 0)],
        ]
    }()

    /// Every key of a document as a path: `a`, `a.b` inside an object, `a[].b` inside an array's objects.
    static func paths(_ value: JSONValue, prefix: String = "") -> Set<String> {
        switch value {
        case .object(let members):
            return members.reduce(into: Set<String>()) { found, member in
                let path = prefix + member.0
                found.insert(path)
                found.formUnion(paths(member.1, prefix: path + "."))
            }
        case .array(let items):
            let inner = prefix.hasSuffix(".") ? String(prefix.dropLast()) + "[]." : prefix
            return items.reduce(into: Set<String>()) { $0.formUnion(paths($1, prefix: inner)) }
        default:
            return []
        }
    }

    /// The documented sections: `<!-- output: NAME -->`, then a table whose first column is
    /// the key's path in backquotes, then an example in a ```json block.
    static func sections() -> [String: (keys: [String], example: String)] {
        var result: [String: (keys: [String], example: String)] = [:]
        let parts = docs.components(separatedBy: "<!-- output: ").dropFirst()
        for part in parts {
            guard let end = part.range(of: " -->") else { continue }
            let name = String(part[..<end.lowerBound])
            let body = part[end.upperBound...]
            let keys = body.split(separator: "\n").compactMap { line -> String? in
                guard line.hasPrefix("| `") else { return nil }
                return line.dropFirst(3).prefix { $0 != "`" }.description
            }
            var example = ""
            if let open = body.range(of: "```json\n"), let close = body.range(of: "\n```", range: open.upperBound..<body.endIndex) {
                example = String(body[open.upperBound..<close.lowerBound])
            }
            result[name] = (keys, example)
        }
        return result
    }

    @Test func everyOutputIsDocumented() {
        let documented = Self.sections()
        #expect(Set(documented.keys) == Set(Self.samples.keys),
                "documented but not built: \(Set(documented.keys).subtracting(Self.samples.keys).sorted()); built but not documented: \(Set(Self.samples.keys).subtracting(documented.keys).sorted())")
    }

    @Test(arguments: samples.keys.sorted())
    func keysAreTheDocumentedOnes(output: String) throws {
        let section = try #require(Self.sections()[output], "docs/json.md has no section for \(output)")
        #expect(section.keys.count == Set(section.keys).count, "\(output): a key is listed twice")
        let built = Self.samples[output, default: []].reduce(into: Set<String>()) { $0.formUnion(Self.paths($1)) }
        let documented = Set(section.keys)
        #expect(built.subtracting(documented).isEmpty, "\(output): not documented: \(built.subtracting(documented).sorted())")
        #expect(documented.subtracting(built).isEmpty, "\(output): documented, not printed: \(documented.subtracting(built).sorted())")
        for sample in Self.samples[output, default: []] {
            guard case .object(let members) = sample else { Issue.record("\(output): not an object"); continue }
            #expect(members.first?.0 == "schema" && members.first?.1 == .int(JSONValue.schemaVersion), "\(output): schema is not first")
        }
    }

    @Test(arguments: samples.keys.sorted())
    func theExampleUsesDocumentedKeys(output: String) throws {
        let section = try #require(Self.sections()[output])
        #expect(!section.example.isEmpty, "\(output): no example")
        // Line-delimited outputs have one document per line; the others one document.
        let texts = ["monitor", "top", "xenstore-watch"].contains(output)
            ? section.example.split(separator: "\n").map(String.init) : [section.example]
        for text in texts {
            let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8))
            let keys = Self.paths(Self.value(parsed))
            #expect(keys.subtracting(section.keys).isEmpty, "\(output): the example has undocumented keys \(keys.subtracting(section.keys).sorted())")
            #expect((parsed as? [String: Any])?["schema"] as? Int == Int(JSONValue.schemaVersion), "\(output): the example has no schema")
        }
    }

    /// Foundation's parse as a JSONValue (key order does not matter for paths).
    static func value(_ any: Any) -> JSONValue {
        switch any {
        case let object as [String: Any]: .object(object.map { ($0.key, value($0.value)) })
        case let array as [Any]: .array(array.map(value))
        case let string as String: .string(string)
        default: .null
        }
    }
}

