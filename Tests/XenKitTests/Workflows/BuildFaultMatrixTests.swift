import Testing
@testable import XenKit

/// Every fault at every step of building a domain (create, restore, start, a watcher's
/// restart), one at a time and in pairs: no half-built domain is left unless the error
/// names it, and a domain that is left is never running.
@Suite struct BuildFaultMatrixTests {
    static func config() throws -> DomainConfiguration {
        try DomainConfiguration.parse(text: "name = \"web\"\ntype = \"pvh\"\nkernel = \"/k\"\nmemory = 128\n",
                                      source: "web.cfg", options: .init(checkFiles: false))
    }

    /// `tight`: the host has too little free memory, and dom0 gives the rest (autoballoon).
    /// `checked`: `xk create`'s check ran just before, with the need it measured.
    static func run(faults: [Int: Fault] = [:], paused: Bool = false, tight: Bool = false, checked: Bool = false) throws -> (FakeHost, BuildOutcome) {
        let host = FakeHost()
        host.faults = faults
        if tight { host.freeMiB = 100 }
        let config = try config()
        let verdict = BuildCheck(source: "web.cfg", name: "web",
                                 memory: .init(need: .mebibytes(FakeHost.domainNeed), free: .mebibytes(host.freeMiB), dom0CanGive: .mebibytes(0), ballooning: tight),
                                 vcpus: 1, pool: "Pool-0", poolCPUs: 4)
        var driver = BuildDriver(machine: BuildWorkflow(name: "web", what: "create domain 'web' from web.cfg", paused: paused),
                                 control: FakeControl(host: host), source: .new,
                                 policy: BuildPolicy(ballooning: tight), checked: checked ? verdict : nil)
        return (host, driver.run(config))
    }

    static func violations(_ host: FakeHost, _ outcome: BuildOutcome, paused: Bool) -> [String] {
        let left = host.domains.filter { $0.value.state != .gone }
        switch outcome {
        case .built(let id):
            guard left.count == 1, let domain = host.domains[id] else { return ["built, but \(left.count) domains are there"] }
            return domain.state == (paused ? .paused : .running) ? [] : ["built, but it is \(domain.state)"]
        case .failed(let error, let leftover):
            var problems: [String] = []
            // dom0 has back what it gave, or the error says how to give it back.
            if host.dom0TargetMiB != 1024 && !(error.hint ?? "").contains("xk mem-set 0 1024m") {
                problems.append("dom0's target is \(host.dom0TargetMiB) MiB, unnamed: \(error)")
            }
            // A build that failed says what it was; a refusal before it names the file or domain.
            if !error.message.hasPrefix("cannot create domain 'web' from web.cfg") && !error.message.contains("web") {
                problems.append("unnamed: \(error.message)")
            }
            for (id, domain) in left {
                if leftover != id || !(error.hint ?? "").contains("xk destroy \(id)") { problems.append("domain \(id) left, unnamed: \(error)") }
                if domain.state == .running { problems.append("a failed build left domain \(id) running") }
            }
            return problems
        }
    }

    @Test(arguments: [false, true], [(false, false), (true, false), (false, true), (true, true)])
    func everyFaultAndPair(checked: Bool, flags: (paused: Bool, tight: Bool)) throws {
        let (paused, tight) = flags
        func run(faults: [Int: Fault] = [:]) throws -> (FakeHost, BuildOutcome) {
            try Self.run(faults: faults, paused: paused, tight: tight, checked: checked)
        }
        let clean = try run()
        // After a check, neither the name lookup nor the need is asked of libxl again.
        #expect(clean.0.calls.contains("check") != checked && clean.0.calls.contains("need") != checked, "\(clean.0.calls)")
        #expect(Self.violations(clean.0, clean.1, paused: paused) == [])
        if tight { #expect(clean.0.calls.contains("waitTarget") && clean.0.dom0TargetMiB < 1024, "\(clean.0.calls)") }
        let calls = clean.0.calls.count + 3
        var runs = 0
        for first in 0..<calls {
            for fault in [Fault.error, .partial] {
                let (host, outcome) = try run(faults: [first: fault])
                #expect(Self.violations(host, outcome, paused: paused) == [], "\(fault)@\(first) \(host.calls): \(outcome)")
                runs += 1
                for second in (first + 1)..<calls {
                    let (host, outcome) = try run(faults: [first: fault, second: .error])
                    #expect(Self.violations(host, outcome, paused: paused) == [], "\(fault)@\(first) error@\(second) \(host.calls): \(outcome)")
                    runs += 1
                }
            }
        }
        #expect(runs > 10)
        print("fault matrix: build (paused: \(paused), ballooning: \(tight), checked: \(checked)): \(runs) runs, one fault or a pair at \(calls) calls")
    }

    /// A domain that cannot be started is destroyed; when that fails too, the error names it.
    @Test func aFailedRollbackNamesTheDomain() throws {
        let calls = try Self.run().0.calls
        let unpause = calls.firstIndex(of: "unpause")!
        let (host, outcome) = try Self.run(faults: [unpause: .error, unpause + 1: .error])
        guard case .failed(let error, let leftover?) = outcome else { Issue.record("\(outcome)"); return }
        #expect(host.domains[leftover]?.state == .paused)
        #expect(error.description.contains("destroying what was built failed too") && error.description.contains("xk destroy \(leftover)"), "\(error)")
    }
}
