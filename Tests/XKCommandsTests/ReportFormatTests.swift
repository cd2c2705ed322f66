import Logging
import Testing
@testable import XKCommands
@testable import XenKit

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ListFormatTests {
    let dom0 = DomainInfo(
        id: .dom0, name: "Domain-0", uuid: "00000000-0000-0000-0000-000000000000", type: .pv,
        isRunning: true, currentMemory: .mebibytes(1024), maxMemory: .mebibytes(1024),
        cpuTimeNanoseconds: 12_345_678_901, onlineVCPUs: 2, maxVCPUID: 1)

    @Test func headerIsXls() {
        #expect(DomainInfo.listHeader
            == "Name                                        ID   Mem VCPUs\tState\tTime(s)")
    }

    @Test func rowMatchesXlsColumns() {
        #expect(dom0.listRow
            == "Domain-0                                     0  1024     2     r-----      12.3")
    }

    @Test func rowOfAShutDownGuestWithClaims() {
        var guest = dom0
        guest.id = DomainID(12)
        guest.name = "a-rather-long-guest-name-that-fills-40-c"
        guest.isRunning = false
        guest.isShutdown = true
        guest.shutdownReason = .crash
        guest.currentMemory = .kibibytes(131_072)
        guest.outstandingMemory = .kibibytes(4096)
        guest.cpuTimeNanoseconds = 0
        guest.onlineVCPUs = 1
        #expect(guest.listRow
            == "a-rather-long-guest-name-that-fills-40-c    12   132     1     ---sc-       0.0")
    }

    /// `xl list -v -Z -c -n`'s columns, as xl_info.c's list_domains prints them.
    @Test func extraColumnsAreXls() {
        let base = DomainInfo.listHeader
        #expect(ListColumns().header == base)
        #expect(ListColumns(verbose: true, context: true, cpupool: true, numa: true).header
            == base + "   UUID                            Reason-Code\tSecurity Label         Cpupool NODE Affinity")
        #expect(ListColumns(context: true).header == base + "   Security Label")
        let all = ListColumns(verbose: true, cpupool: true, numa: true)
        #expect(all.row(dom0, .init(poolName: "Pool-0", nodes: "all"))
            == dom0.listRow + " 00000000-0000-0000-0000-000000000000        -                -          Pool-0 all")
        #expect(ListColumns(context: true).row(dom0, .init()) == dom0.listRow + "                -")
        #expect(ListColumns(cpupool: true).row(dom0, .init()) == dom0.listRow + "          (null)")

        var guest = dom0
        guest.isShutdown = true
        guest.shutdownReason = .reboot
        guest.securityLabel = "system_u:system_r:domU_t"
        #expect(ListColumns(verbose: true).row(guest, .init()).hasSuffix("-0000-000000000000        1 system_u:system_r:domU_t"))
        guest.shutdownReason = .unknown
        guest.unnamedShutdownCode = 200   // a guest may give Xen any byte
        #expect(ListColumns(verbose: true).row(guest, .init()).hasSuffix("-0000-000000000000       c8 system_u:system_r:domU_t"))
    }

    @Test func nameMissingPrintsAsCDoes() {
        var guest = dom0
        guest.name = nil
        #expect(guest.listRow.hasPrefix("(null)   "))
    }

    @Test func jsonHasTheDocumentedKeysInOrder() {
        guard case .object(let members) = dom0.listJSON else {
            Issue.record("not an object")
            return
        }
        #expect(members.map(\.0) == [
            "name", "domid", "uuid", "type", "state", "running", "blocked", "paused", "shutdown",
            "dying", "shutdown_reason", "memory_kib", "current_kib", "outstanding_kib",
            "max_kib", "vcpus_online", "vcpus_max", "cpu_time_ns", "cpu_time_s", "cpupool_id",
        ])
        let text = dom0.listJSON.serialized(pretty: false)
        #expect(text.contains("\"shutdown_reason\":null"))
        #expect(text.contains("\"vcpus_max\":2"))
        #expect(text.contains("\"memory_kib\":1048576"))
        var unlimited = dom0
        unlimited.maxMemory = .kibibytes(.max)   // libxl's "no limit"
        #expect(unlimited.listJSON.serialized(pretty: false).contains("\"max_kib\":null"))
    }
}

@Suite struct InfoFormatTests {
    let host = HostInfo(
        host: "lab", release: "6.1.0-40-amd64", version: "#1 SMP", machine: "x86_64",
        cpuCount: 2, maxCPUID: 1, nodeCount: 1, coresPerSocket: 2, threadsPerCore: 1,
        cpuKHz: 2_394_005, hardwareCapabilities: [0x1, 0xabcdef, 0, 0, 0, 0, 0, 0xffffffff],
        virtualizationCapabilities: ["pv", "hvm", "hap", "gnttab-v1", "gnttab-v2"],
        totalMemory: .mebibytes(3071), freeMemory: .mebibytes(2003),
        sharingFreedMemory: .mebibytes(0), sharingUsedMemory: .mebibytes(0),
        outstandingClaims: .mebibytes(0), freeCPUs: 0, xenMajor: 4, xenMinor: 17,
        xenExtra: ".6-pre", xenCapabilities: "xen-3.0-x86_64 hvm-3.0-x86_32",
        scheduler: "credit2", pageSize: 4096, virtStart: 0xffff800000000000,
        changeset: "", commandLine: "console=com1", compiler: "gcc", compileBy: "pkg",
        compileDomain: "debian.org", compileDate: "today", buildID: "abc")

    func line(_ key: String) -> String? {
        host.reportFields.first { $0.key == key }?.line
    }

    @Test func keysInXlsOrder() {
        let keys = host.reportFields.map(\.key)
        #expect(keys.first == "host")
        #expect(keys.last == "xend_config_format")
        #expect(keys.firstIndex(of: "free_cpus")! < keys.firstIndex(of: "xen_major")!)
        #expect(keys.count == 34)
    }

    @Test func linesAreFormattedAsXlPrintsThem() {
        #expect(line("host") == "host                   : lab")
        #expect(line("cpu_mhz") == "cpu_mhz                : 2394.005")
        #expect(line("hw_caps")
            == "hw_caps                : 00000001:00abcdef:00000000:00000000:00000000:00000000:00000000:ffffffff")
        #expect(line("virt_caps") == "virt_caps              : pv hvm hap gnttab-v1 gnttab-v2")
        #expect(line("xen_version") == "xen_version            : 4.17.6-pre")
        #expect(line("platform_params") == "platform_params        : virt_start=0xffff800000000000")
        #expect(line("xend_config_format") == "xend_config_format     : 4")
    }

    @Test func cpuMHzKeepsLeadingZerosOfTheFraction() {
        var slow = host
        slow.cpuKHz = 1_000_050
        #expect(slow.cpuMHz == "1000.050")
    }

    @Test func emptyVirtCapsHasNoTrailingSpace() {
        var bare = host
        bare.virtualizationCapabilities = []
        #expect(bare.reportFields.first { $0.key == "virt_caps" }?.line == "virt_caps              :")
    }

    @Test func jsonUsesNumbersAndArrays() {
        let json = JSONValue.object(host.reportFields.map { ($0.key, $0.json) }).serialized(pretty: false)
        #expect(json.contains("\"nr_cpus\":2"))
        #expect(json.contains("\"virt_caps\":[\"pv\",\"hvm\",\"hap\",\"gnttab-v1\",\"gnttab-v2\"]"))
        #expect(json.contains("\"xen_caps\":[\"xen-3.0-x86_64\",\"hvm-3.0-x86_32\"]"))
        #expect(json.contains("\"free_memory\":2003"))
    }
}

@Suite struct JSONValueTests {
    @Test func escapesStrings() {
        #expect(JSONValue.string("a\"b\\c\n\u{1}").serialized() == #""a\"b\\c\n\u0001""#)
        // DEL and the C1 controls (CSI U+009B) too: valid JSON either way, but a terminal
        // that shows the JSON must not act on them.
        #expect(JSONValue.string("\u{1B}[2J\u{7F}\u{9B}2J\u{A0}é").serialized() == #""\u001b[2J\u007f\u009b2J\#u{A0}é""#)
    }

    @Test func prettyPrintsNested() {
        let value = JSONValue.object([("a", .array([.int(1), .null])), ("b", .object([]))])
        #expect(value.serialized() == "{\n  \"a\": [\n    1,\n    null\n  ],\n  \"b\": {}\n}")
        #expect(value.serialized(pretty: false) == #"{"a":[1,null],"b":{}}"#)
    }

    @Test func nonFiniteDoublesBecomeNull() {
        #expect(JSONValue.double(.nan).serialized() == "null")
    }
}

@Suite struct VCPUListFormatTests {
    @Test func rowsAreXlsColumns() {
        let online = VCPUInfo(domain: DomainID(0), vcpu: 1, cpu: 0, isOnline: true, isRunning: true, isBlocked: false,
                              cpuTimeNanoseconds: 12_345_000_000, hardAffinity: [0, 1], softAffinity: [0, 1], hostCPUCount: 2)
        #expect(VCPUListCommand.line(name: "Domain-0", online)
            == "Domain-0                             0     1    0   r--      12.3  all / all")
        let offline = VCPUInfo(domain: DomainID(7), vcpu: 1, cpu: nil, isOnline: false, isRunning: false, isBlocked: false,
                               cpuTimeNanoseconds: 0, hardAffinity: [1], softAffinity: [0, 1], hostCPUCount: 2)
        #expect(VCPUListCommand.line(name: "lab-pv", offline)
            == "lab-pv                               7     1    -   --p       0.0  1 / all")
        #expect(VCPUListCommand.header
            == "Name                                ID  VCPU   CPU State   Time(s) Affinity (Hard / Soft)")
    }
}

/// `xk info -n`'s sections, as xl_info.c prints them.
@Suite struct NUMAReportTests {
    let numa = HostNUMA(
        cpus: [.init(cpu: 0, core: 0, socket: 0, node: 0), .init(cpu: 1, core: 1, socket: 0, node: 0)],
        devices: [.init(segment: 0, bus: 0, device: 3, function: 1, node: 0)],
        nodes: [.init(node: 0, size: .mebibytes(3071), free: .mebibytes(1850), distances: [10, 20])])

    @Test func sectionsAsXlPrintsThem() {
        let text = numa.reportFields.map(\.line).joined(separator: "\n")
        #expect(text == """
            cpu_topology           :
            cpu:    core    socket     node
              0:       0        0        0
              1:       1        0        0
            device topology        :
            device           node
            0000:00:03.1      0
            numa_info              :
            node:    memsize    memfree    distances
               0:      3071       1850      10,20
            """)
        var none = numa
        none.devices = []
        #expect(none.reportFields[1].line.hasSuffix("device           node\nNo device topology data available"))
        none.devices = nil   // libxl could not list them: the section is left out, as xl
        #expect(none.reportFields.map(\.key) == ["cpu_topology", "numa_info"])
    }

    @Test func json() {
        let json = JSONValue.object(numa.reportFields.map { ($0.key, $0.json) }).serialized(pretty: false)
        #expect(json.contains("\"numa_info\":[{\"node\":0,\"memsize_mib\":3071,\"memfree_mib\":1850,\"distances\":[10,20]}]"), "\(json)")
        #expect(json.contains("\"device_topology\":[{\"device\":\"0000:00:03.1\",\"node\":0}]"))
    }
}

/// `xk sched-credit` and `sched-credit2`'s lines, as xl_sched.c prints them.
@Suite struct ScheduleTableTests {
    @Test func linesAsXl() {
        #expect(ScheduleTables.header == "Name                                ID Weight  Cap")
        let row = ScheduleTables.row(DomainSchedule(id: DomainID(7), name: "lab-pv", scheduler: "credit2", weight: 512, cap: 50))
        #expect(row == "lab-pv                               7    512   50")
        let pool = CPUPool(CPUPoolRecord(id: 0, name: "Pool-0", scheduler: "credit", cpus: [0], domainCount: 1))
        #expect(ScheduleTables.poolLine(PoolSchedule(pool: pool, timeSliceMs: 30, rateLimitUs: 1000, migrationDelayUs: 0))
            == "Cpupool Pool-0: tslice=30ms ratelimit=1000us migration-delay=0us")
        #expect(ScheduleTables.poolLine(PoolSchedule(pool: pool, timeSliceMs: nil, rateLimitUs: 1000, migrationDelayUs: nil))
            == "Cpupool Pool-0: ratelimit=1000us")
    }
}

/// `xk sched-rtds`'s lines, as xl_sched.c prints them.
@Suite struct RTDSTableTests {
    @Test func linesAsXl() {
        #expect(RTDSTables.domainHeader == "Name                                ID    Period    Budget  Extratime")
        #expect(RTDSTables.vcpuHeader == "Name                                ID VCPU    Period    Budget  Extratime")
        let schedule = RTDSDomainSchedule(id: DomainID(3), name: "lab-pv", defaults: .xenDefaults,
                                          vcpus: [RTDSVCPUSchedule(vcpu: 0, parameters: RTDSParameters(periodUs: 20000, budgetUs: 5000, extratime: false)),
                                                  RTDSVCPUSchedule(vcpu: 1, parameters: .xenDefaults)])
        #expect(RTDSTables.domainRow(schedule) == "lab-pv                               3     10000      4000        yes")
        #expect(RTDSTables.vcpuRows(schedule) == ["lab-pv                               3    0     20000      5000         no",
                                                  "lab-pv                               3    1     10000      4000        yes"])
        let pool = CPUPool(CPUPoolRecord(id: 1, name: "rt", scheduler: "rtds", cpus: [1], domainCount: 1))
        #expect(RTDSTables.poolLine(pool) == "Cpupool rt: sched=RTDS")
        #expect(RTDSTables.json(schedule, perVCPU: true).serialized(pretty: false)
            == #"{"name":"lab-pv","domid":3,"defaults":{"period_us":10000,"budget_us":4000,"extratime":true},"vcpus":[{"vcpu":0,"period_us":20000,"budget_us":5000,"extratime":false},{"vcpu":1,"period_us":10000,"budget_us":4000,"extratime":true}]}"#)
    }
}

/// The host service's lines for journald: the priority first, no timestamp, one line each.
@Suite struct JournalLogTests {
    @Test func prioritiesAsSdDaemon() {
        #expect(JournalLogHandler.line(.error, "cannot follow 'web'", metadata: [:]) == "<3>cannot follow 'web'\n")
        #expect(JournalLogHandler.line(.info, "started", metadata: ["domains": "3"]) == "<6>started domains=3\n")
        #expect(JournalLogHandler.line(.warning, "a\nb", metadata: [:]) == "<4>a / b\n")
        #expect(JournalLogHandler.priority(.critical) == 2 && JournalLogHandler.priority(.debug) == 7)
    }

    /// JOURNAL_STREAM names stdout's device and inode; any other value, or none, is not the
    /// journal.
    @Test func journalStreamMustBeStdout() {
        var status = stat()
        #expect(fstat(STDOUT_FILENO, &status) == 0)
        #expect(JournalLogHandler.stdoutIsJournal(environment: "\(status.st_dev):\(status.st_ino)"))
        #expect(!JournalLogHandler.stdoutIsJournal(environment: "\(status.st_dev):\(status.st_ino + 1)"))
        #expect(!JournalLogHandler.stdoutIsJournal(environment: nil))
        #expect(!JournalLogHandler.stdoutIsJournal(environment: "garbage"))
    }
}
