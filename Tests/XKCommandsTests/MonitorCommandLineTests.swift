import ArgumentParser
import Testing
@testable import XKCommands
@testable import XenKit

/// The command lines of monitor, top and the xenstore commands, parsed without running them.
@Suite struct MonitorCommandLineTests {
    @Test func monitorTakesFiltersAndACount() throws {
        let monitor = try #require(try XK.parseAsRoot(["monitor", "--json", "--domain", "web", "--domain", "7", "-n", "3"]) as? MonitorCommand)
        #expect(monitor.json && monitor.domain == ["web", "7"] && monitor.count == 3 && monitor.poll == 0.5)
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["monitor", "--poll", "0"]) }
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["monitor", "-n", "0"]) }
    }

    @Test func topTakesXentopsAndTheIssuesFlags() throws {
        let top = try #require(try XK.parseAsRoot(["top", "-b", "-i", "1", "-n", "2", "--sort", "cpu", "--json"]) as? TopCommand)
        #expect(top.batch && top.interval == 1 && top.iterations == 2 && top.sort == "cpu" && top.json)
        let xentop = try #require(try XK.parseAsRoot(["top", "-b", "-d", "3"]) as? TopCommand)
        #expect(xentop.interval == 3)
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["top", "--sort", "colour"]) }
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["top", "-i", "0"]) }
    }

    @Test func xenstoreCommandsCheckTheirArguments() throws {
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["xenstore-write", "/a"]) }
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["xenstore-read"]) }
        let write = try #require(try XK.parseAsRoot(["xenstore-write", "/a", "1", "/b", "two words"]) as? XenStoreWriteCommand)
        #expect(write.pairs == ["/a", "1", "/b", "two words"])
        let list = try #require(try XK.parseAsRoot(["xenstore-ls", "-f", "-p", "/local"]) as? XenStoreListCommand)
        #expect(list.fullPaths && list.permissions && list.path == "/local")
        #expect(throws: XenError.self) { try XenStorePath.argument("/bad path") }
    }

    @Test func lsEscapesWhatCouldGarbleATerminalAsXenstoreLsDoes() {
        #expect(XenStoreListCommand.line(name: "a", value: Array("plain-text 1".utf8)) == "a = \"plain-text 1\"")
        #expect(XenStoreListCommand.line(name: " b", value: Array("a\"b\\c\n\t\u{1B}[2J\u{7F}".utf8) + [0xFF, 0])
                == #" b = "a"b\\c\n\t\x1b[2J\x7f\xff\000""#)
        #expect(XenStoreListCommand.line(name: "c", value: nil) == "c = \"\"")
    }

    @Test func xenstoreReadTakesRawAsXenstoreReadDoes() throws {
        let read = try #require(try XK.parseAsRoot(["xenstore-read", "-R", "/a"]) as? XenStoreReadCommand)
        #expect(read.raw && read.paths == ["/a"])
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["xenstore-read", "-R", "--json", "/a"]) }
    }

    @Test func monitorJSONLinesCarryOnlyTheirFields() {
        let event = HostEvent(time: 12.5, kind: .memoryTargetChanged, domain: DomainID(3), name: "web",
                              targetKiB: 98_304, previousTargetKiB: 131_072)
        #expect(event.json.serialized(pretty: false)
                == #"{"schema":1,"time_s":12.5,"event":"memory-target-changed","domid":3,"name":"web","target_kib":98304,"previous_target_kib":131072}"#)
        #expect(event.description == "memory-target-changed web (3): target 96 MiB (was 128 MiB)")
        let junk = HostEvent(time: 0, kind: .ignored, domain: DomainID(3), name: "web", count: 40, detail: "control/shutdown")
        #expect(junk.description == "ignored web (3): 40 values not understood in control/shutdown")
    }

    @Test func topColumnsLineUp() {
        let info = DomainInfo(id: DomainID(3), name: "web", uuid: "u", type: .pv, isRunning: true,
                              currentMemory: .mebibytes(128), maxMemory: .mebibytes(256),
                              cpuTimeNanoseconds: 5_500_000_000, onlineVCPUs: 1, maxVCPUID: 1)
        let row = DomainUsage(info: info, name: "web", cpuPercent: 12.34, memoryPercent: 4.16, targetKiB: 131_072)
        let line = TopCommand.line(row)
        #expect(line.count == TopCommand.tableHeader.count, "\(line)\n\(TopCommand.tableHeader)")
        #expect(line.contains(" 12.3 ") && line.contains(" 4.2 ") && line.contains(" 1/2 ") && line.contains("r-----"))
        #expect(TopCommand.fixed(0.04, 1) == "0.0" && TopCommand.fixed(199.96, 1) == "200.0")
    }

    /// A domain being built has no vCPU yet (Xen reports the highest vCPU id as ~0) and its
    /// figures may be anything: xk top and xk list show it, they do not trap.
    @Test func extremeFiguresDoNotTrap() {
        let building = DomainInfo(id: DomainID(7), name: "new", uuid: "u", type: .hvm,
                                  currentMemory: .kibibytes(.max), outstandingMemory: .kibibytes(.max),
                                  maxMemory: .kibibytes(.max), cpuTimeNanoseconds: .max,
                                  onlineVCPUs: .max, maxVCPUID: .max)
        let other = DomainInfo(id: DomainID(8), name: "other", uuid: "v", type: .pv, currentMemory: .kibibytes(.max),
                               maxMemory: .mebibytes(1), onlineVCPUs: 0, maxVCPUID: .max - 1)
        var sampler = UsageSampler()
        _ = sampler.sample([building, other], at: 1, hostMemoryKiB: 0)
        let rows = sampler.sample([building, other], at: 2, hostMemoryKiB: .max, targets: [DomainID(7): .max])
        for order in UsageOrder.allCases { #expect(order.sorted(rows).count == 2) }
        let line = TopCommand.line(rows[0])
        #expect(line.contains(" \(UInt32.max)/0 "), "\(line)")
        #expect(TopCommand.line(rows[1]).contains(" 0/\(UInt32.max) "))
        #expect(TopCommand.header(rows, time: 0, hostMemoryKiB: .max).contains("\(UInt64.max)k used by domains"))
        let json = TopCommand.frameJSON(rows, time: 0, hostMemoryKiB: .max).serialized(pretty: false)
        #expect(json.contains(#""vcpus_max":0"#) && json.contains(#""memory_kib":\#(UInt64.max)"#), "\(json)")
        #expect(building.listRow.contains("new"))
        #expect(building.listJSON.serialized(pretty: false).contains(#""vcpus_max":0"#))
    }
}
