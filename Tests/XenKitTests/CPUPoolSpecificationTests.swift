import Testing
@testable import XenKit

/// xl's cpupool configs, and the refusals xk makes before libxl is asked.
@Suite struct CPUPoolSpecificationTests {
    static let host = HostTopology(cpuCount: 4, nodeCPUs: [[0, 1], [2, 3]])
    static let pools = [CPUPool(CPUPoolRecord(id: 0, name: "Pool-0", scheduler: "credit2", cpus: [0, 1, 2], domainCount: 1))]

    static func spec(_ text: String, path: String = "/etc/xen/batch.cfg", overrides: [String] = []) throws -> CPUPoolSpecification {
        let file = try XLConfigFile(source: path, text: text + overrides.joined(separator: "\n") + "\n",
                                    firstOverrideLine: text.split(separator: "\n").count + 1, overrides: overrides)
        return try CPUPoolSpecification.parse(file, path: path)
    }

    @Test func xlsThreeWaysToNameCPUs() throws {
        #expect(try Self.spec("name=\"batch\"\nsched=\"credit\"\ncpus=[\"3\"]\n")
            == CPUPoolSpecification(source: "/etc/xen/batch.cfg", name: "batch", scheduler: "credit", cpus: .list([3])))
        #expect(try Self.spec("cpus=\"2-3\"\n").cpus == .range("2-3"))
        #expect(try Self.spec("nodes=[\"1\"]\n").cpus == .nodes([1]))
        // No name: the file's name, as xl (libxl_basename).
        #expect(try Self.spec("cpus=[\"3\"]\n").name == "batch.cfg")
        #expect(try Self.spec("", overrides: ["name=\"x\""]).name == "x")
    }

    @Test func badValuesAreNamed() {
        for (text, expected) in [
            ("name=\"b\"\nsched=\"fifo\"\n", "/etc/xen/batch.cfg:2: sched: unknown scheduler \"fifo\""),
            ("name=\"b\"\ncpus=[\"x\"]\n", "/etc/xen/batch.cfg:2: cpus: \"x\" is not a CPU number"),
            ("name=\"b\"\nweight=2\n", "/etc/xen/batch.cfg:2: unknown key 'weight'"),
            ("name=\"a b\"\n", "/etc/xen/batch.cfg:1: name: 'a b' cannot be a pool name"),
        ] {
            #expect { try Self.spec(text) } throws: { ($0 as? XenError)?.message == expected }
        }
    }

    @Test func cpusMustBeFree() throws {
        let free: Set<Int> = [3]
        #expect(try Self.spec("cpus=[\"3\"]\n").resolveCPUs(free: free, pools: Self.pools, host: Self.host) == [3])
        #expect(try Self.spec("nodes=[\"1\"]\n").resolveCPUs(free: free, pools: Self.pools, host: Self.host) == [3])
        #expect(try Self.spec("").resolveCPUs(free: free, pools: Self.pools, host: Self.host) == [])
        #expect {
            try Self.spec("cpus=\"2-3\"\n").resolveCPUs(free: free, pools: Self.pools, host: Self.host)
        } throws: { error in
            let error = error as? XenError
            return error?.message == "/etc/xen/batch.cfg: CPU 2 is in CPU pool 'Pool-0'" && error?.hint == "free it first: xk cpupool-cpu-remove Pool-0 2"
        }
        #expect { try Self.spec("cpus=[\"9\"]\n").resolveCPUs(free: free, pools: Self.pools, host: Self.host) } throws: {
            ($0 as? XenError)?.message == "/etc/xen/batch.cfg: CPU 9 does not exist (the host has 4)"
        }
        #expect { try Self.spec("nodes=[\"0\"]\n").resolveCPUs(free: free, pools: Self.pools, host: Self.host) } throws: {
            ($0 as? XenError)?.message == "/etc/xen/batch.cfg: no free CPU in node(s) 0"
        }
    }

    @Test func cpuLists() throws {
        #expect(try CPUList.parse("0-3,^2", host: Self.host) == [0, 1, 3])
        #expect(try CPUList.parse("node:1", host: Self.host) == [2, 3])
        #expect(CPUList.commaSeparated([3, 0, 1]) == "0,1,3")
        #expect(throws: CPUList.Problem.self) { try CPUList.parse("node:5", host: Self.host) }
    }
}

/// RTDS values are checked as Xen checks them (rt.c), naming the vCPU, before any is set.
@Suite struct RTDSParameterTests {
    @Test func xensLimits() throws {
        try RTDSParameters(periodUs: 10, budgetUs: 10, extratime: false).check("vCPU 0")
        try RTDSParameters.xenDefaults.check("vCPU 0")
        for (period, budget, words) in [(9, 9, "period 9 us is out of range"), (1000, 9, "budget 9 us is below"),
                                        (1000, 2000, "budget 2000 us is more than its period 1000 us"),
                                        (Int(Int32.max) + 1, 100, "out of range")] {
            let error = try #require(throws: XenError.self) { try RTDSParameters(periodUs: period, budgetUs: budget, extratime: true).check("vCPU 1 of domain 'web'") }
            #expect(error.message.hasPrefix("vCPU 1 of domain 'web': ") && error.message.contains(words), "\(error.message)")
        }
    }
}
