import Testing
@testable import XenKit

/// A model of a host's CPU pools behind the PoolControl seam, with libxl's rules (a CPU is
/// added only when free, a destroyed pool's CPUs become free); call N can fail.
final class FakePools: PoolControl {
    struct State: Equatable {
        var pools: [UInt32: (name: String, scheduler: String, cpus: Set<Int>)]
        var free: Set<Int>
        var dom0VCPUs: Int

        static func == (a: State, b: State) -> Bool {
            a.free == b.free && a.dom0VCPUs == b.dom0VCPUs && a.pools.count == b.pools.count
                && a.pools.allSatisfy { id, pool in b.pools[id].map { $0.name == pool.name && $0.scheduler == pool.scheduler && $0.cpus == pool.cpus } ?? false }
        }
    }

    var state: State
    var faults: Set<Int> = []
    var calls: [String] = []
    private var nextID: UInt32 = 1

    init(_ state: State) { self.state = state }

    private func failing(_ name: String) -> Bool {
        calls.append(name)
        return faults.contains(calls.count - 1)
    }

    func addCPUs(_ pool: UInt32, _ cpus: Set<Int>) -> Result<Void, LibxlFailure> {
        guard !failing("add"), state.pools[pool] != nil, cpus.isSubset(of: state.free) else { return .failure(LibxlFailure(code: -3)) }
        state.free.subtract(cpus)
        state.pools[pool]!.cpus.formUnion(cpus)
        return .success(())
    }

    func removeCPUs(_ pool: UInt32, _ cpus: Set<Int>) -> Result<Void, LibxlFailure> {
        guard !failing("remove"), let current = state.pools[pool], cpus.isSubset(of: current.cpus) else { return .failure(LibxlFailure(code: -3)) }
        state.pools[pool]!.cpus.subtract(cpus)
        state.free.formUnion(cpus)
        return .success(())
    }

    func rename(_ pool: UInt32, to name: String) -> Result<Void, LibxlFailure> {
        guard !failing("rename"), state.pools[pool] != nil else { return .failure(LibxlFailure(code: -3)) }
        state.pools[pool]!.name = name
        return .success(())
    }

    func create(name: String, scheduler: String, cpus: Set<Int>) -> Result<UInt32, LibxlFailure> {
        guard !failing("create"), cpus.isSubset(of: state.free) else { return .failure(LibxlFailure(code: -3)) }
        let id = nextID
        nextID += 1
        state.pools[id] = (name, scheduler, cpus)
        state.free.subtract(cpus)
        return .success(id)
    }

    func destroy(_ pool: UInt32) -> Result<Void, LibxlFailure> {
        guard !failing("destroy"), let current = state.pools[pool] else { return .failure(LibxlFailure(code: -3)) }
        state.free.formUnion(current.cpus)
        state.pools[pool] = nil
        return .success(())
    }

    func setDom0VCPUs(_ count: Int) -> Result<Void, LibxlFailure> {
        guard !failing("dom0") else { return .failure(LibxlFailure(code: -3)) }
        state.dom0VCPUs = count
        return .success(())
    }
}

@Suite struct NUMASplitFaultMatrixTests {
    /// Three nodes of two CPUs; Pool-0 (credit2) has CPUs 0 to 4, CPU 5 is free; dom0 runs
    /// three vCPUs.
    static let topology = HostTopology(cpuCount: 6, nodeCPUs: [[0, 1], [2, 3], [4, 5]])
    static let initial = FakePools.State(pools: [0: ("Pool-0", "credit2", [0, 1, 2, 3, 4])], free: [5], dom0VCPUs: 3)

    static func host(_ state: FakePools.State, topology: HostTopology = topology) -> NUMASplitWorkflow.Host {
        NUMASplitWorkflow.Host(pools: state.pools.map { id, pool in
            CPUPool(CPUPoolRecord(id: id, name: pool.name, scheduler: pool.scheduler, cpus: pool.cpus.sorted(), domainCount: 1))
        }.sorted { $0.id < $1.id }, freeCPUs: state.free, topology: topology, dom0OnlineVCPUs: state.dom0VCPUs)
    }

    @Test func planAsXl() throws {
        let steps = try NUMASplitWorkflow.plan(Self.host(Self.initial))
        let pool0 = PoolReference(id: 0, name: "Pool-node0")
        #expect(steps == [.rename(PoolReference(id: 0, name: "Pool-0"), to: "Pool-node0"),
                          .setDom0VCPUs(from: 3, to: 2),
                          .removeCPUs(pool0, [2, 3]), .create(name: "Pool-node1", scheduler: "credit2", cpus: [2, 3]),
                          .removeCPUs(pool0, [4]), .create(name: "Pool-node2", scheduler: "credit2", cpus: [4, 5])])
        // The lab: one node, CPU 1 free: it joins Pool-0, which is renamed; nothing else.
        let lab = FakePools.State(pools: [0: ("Pool-0", "credit2", [0])], free: [1], dom0VCPUs: 1)
        #expect(try NUMASplitWorkflow.plan(Self.host(lab, topology: HostTopology(cpuCount: 2, nodeCPUs: [[0, 1]])))
            == [.addCPUs(PoolReference(id: 0, name: "Pool-0"), [1]), .rename(PoolReference(id: 0, name: "Pool-0"), to: "Pool-node0")])
    }

    @Test func otherPoolsAreNamedAndNothingIsDone() throws {
        var state = Self.initial
        state.pools[3] = ("batch", "credit", [5])
        state.free = []
        let error = try #require(throws: XenError.self) { try NUMASplitWorkflow.plan(Self.host(state)) }
        #expect(error.message.contains("splitting not possible") && error.message.contains("'batch'"), "\(error)")
    }

    @Test func aCleanSplit() throws {
        let fake = FakePools(Self.initial)
        let outcome = NUMASplitDriver(control: fake).run(try NUMASplitWorkflow.plan(Self.host(Self.initial)))
        #expect(outcome == .split(["Pool-node0", "Pool-node1", "Pool-node2"]))
        #expect(fake.state == FakePools.State(pools: [0: ("Pool-node0", "credit2", [0, 1]), 1: ("Pool-node1", "credit2", [2, 3]),
                                                      2: ("Pool-node2", "credit2", [4, 5])], free: [], dom0VCPUs: 2))
    }

    /// Every call failing, alone and with any one later call (an undo) failing too: the host
    /// ends as it began, or the error names each undo left, with its command.
    @Test func everyFaultIsUndoneOrNamed() throws {
        let steps = try NUMASplitWorkflow.plan(Self.host(Self.initial))
        let clean = FakePools(Self.initial)
        _ = NUMASplitDriver(control: clean).run(steps)
        let count = clean.calls.count
        var runs = 0
        for first in 0..<count {
            for second in [nil] + Array(first + 1..<count + 8).map(Optional.some) {
                let fake = FakePools(Self.initial)
                fake.faults = Set([first] + (second.map { [$0] } ?? []))
                guard case .failed(let error) = NUMASplitDriver(control: fake).run(steps) else {
                    Issue.record("fault at call \(first) did not fail the split")
                    continue
                }
                runs += 1
                #expect(error.message.hasPrefix("cpupool-numa-split: cannot "), "\(error)")
                let undoFailed = second.map { $0 < fake.calls.count } ?? false
                if undoFailed {
                    #expect(error.hint?.hasPrefix("not undone, do it by hand: xk ") == true, "faults \(fake.faults): \(error)")
                } else {
                    #expect(fake.state == Self.initial, "fault at call \(first) (\(fake.calls[first])): \(fake.state)")
                    #expect(error.hint?.hasPrefix("nothing was left changed") == true, "\(error)")
                }
            }
        }
        #expect(runs > count)
    }
}
