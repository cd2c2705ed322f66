import Testing
@testable import XenKit

/// Making room in memory before a build (xl's autoballoon), step by step over the pure
/// machine and through the driver over the fake host.
@Suite struct MemoryRoomTests {
    typealias Machine = MemoryRoomWorkflow

    /// Drives the machine over scripted results; returns the steps asked for and the end.
    static func drive(_ machine: inout Machine, _ answer: (MemoryRoomStep) -> MemoryRoomResult) -> ([MemoryRoomStep], MemoryRoomOutcome) {
        var steps: [MemoryRoomStep] = []
        let outcome = driveWorkflow(from: machine.start()) { step in
            steps.append(step)
            return machine.completed(step, answer(step))
        }
        return (steps, outcome)
    }

    @Test func enoughFreeMemoryTouchesNoDom0() {
        var machine = Machine(what: "domain 'web'", ballooning: true)
        let (steps, outcome) = Self.drive(&machine) { step in
            step == .measureNeed ? .amount(.mebibytes(160)) : .amount(.mebibytes(500))
        }
        #expect(steps == [.measureNeed, .readFree])
        #expect(outcome == .fits(need: .mebibytes(160), dom0Before: nil))
    }

    @Test func autoballoonOffRefusesWithTheFigures() {
        var machine = Machine(what: "domain 'web'", ballooning: false)
        let (steps, outcome) = Self.drive(&machine) { step in
            step == .measureNeed ? .amount(.mebibytes(600)) : .amount(.mebibytes(500))
        }
        #expect(steps == [.measureNeed, .readFree])
        guard case .noRoom(let error, nil) = outcome else { Issue.record("\(outcome)"); return }
        #expect(error.message == "not enough free memory for domain 'web': it needs 600 MiB, the host has 500 MiB free")
        #expect(error.hint?.contains("autoballoon is off") == true)
    }

    /// `xk create` measured the need in its check just before: it is not measured again, and
    /// the refusal and dom0's share rest on it.
    @Test func aNeedMeasuredBeforeIsNotMeasuredAgain() {
        var tight = Machine(what: "domain 'web'", ballooning: false, need: .mebibytes(600))
        let (steps, outcome) = Self.drive(&tight) { _ in .amount(.mebibytes(500)) }
        #expect(steps == [.readFree])
        guard case .noRoom(let error, nil) = outcome else { Issue.record("\(outcome)"); return }
        #expect(error.message == "not enough free memory for domain 'web': it needs 600 MiB, the host has 500 MiB free")
        var ballooning = Machine(what: "domain 'web'", ballooning: true, need: .mebibytes(600))
        var free: UInt64 = 500
        let (given, end) = Self.drive(&ballooning) { step in
            switch step {
            case .readFree: return .amount(.mebibytes(free))
            case .readDom0Target: return .amount(.mebibytes(1024))
            case .shrinkDom0: free = 600; return .done
            case .waitForDom0: return .waited(seconds: 1)
            case .measureNeed: return .failed(StepFailure(problem: "measured again"))
            }
        }
        #expect(given == [.readFree, .readDom0Target, .shrinkDom0(to: .mebibytes(924)), .waitForDom0, .readFree])
        #expect(end == .fits(need: .mebibytes(600), dom0Before: .mebibytes(1024)))
    }

    @Test func dom0GivesTheDifference() {
        var machine = Machine(what: "domain 'web'", ballooning: true)
        var free: UInt64 = 500
        let (steps, outcome) = Self.drive(&machine) { step in
            switch step {
            case .measureNeed: return .amount(.mebibytes(600))
            case .readFree: return .amount(.mebibytes(free))
            case .readDom0Target: return .amount(.mebibytes(1024))
            case .shrinkDom0: return .done
            case .waitForDom0:
                free += 100
                return .waited(seconds: 2)
            }
        }
        #expect(steps == [.measureNeed, .readFree, .readDom0Target, .shrinkDom0(to: .mebibytes(924)), .waitForDom0, .readFree])
        #expect(outcome == .fits(need: .mebibytes(600), dom0Before: .mebibytes(1024)))
    }

    /// dom0 cannot go under libxl's 128 MiB: refused before dom0 is asked, with what it could give.
    @Test func dom0sFloorIsKept() {
        var machine = Machine(what: "domain 'web'", ballooning: true)
        let (steps, outcome) = Self.drive(&machine) { step in
            switch step {
            case .measureNeed: return .amount(.mebibytes(1500))
            case .readFree: return .amount(.mebibytes(500))
            case .readDom0Target: return .amount(.mebibytes(1024))
            default: return .done
            }
        }
        #expect(!steps.contains { if case .shrinkDom0 = $0 { true } else { false } })
        guard case .noRoom(let error, let before) = outcome else { Issue.record("\(outcome)"); return }
        #expect(before == .mebibytes(1024))
        #expect(error.hint?.contains("can give at most 896 MiB") == true, "\(error)")
    }

    /// A dom0 that keeps its memory: xl's 30 s of waiting, then a refusal.
    @Test func aDom0ThatDoesNotGiveRunsOutOfTime() {
        var machine = Machine(what: "domain 'web'", ballooning: true)
        var waits = 0
        let (_, outcome) = Self.drive(&machine) { step in
            switch step {
            case .measureNeed: return .amount(.mebibytes(600))
            case .readFree: return .amount(.mebibytes(500))
            case .readDom0Target: return .amount(.mebibytes(1024))
            case .shrinkDom0: return .done
            case .waitForDom0:
                waits += 1
                return .waited(seconds: 10)
            }
        }
        #expect(waits == 3)
        guard case .noRoom(let error, .mebibytes(1024)?) = outcome else { Issue.record("\(outcome)"); return }
        #expect(error.hint?.contains("after 30 s") == true, "\(error)")
    }

    /// Over the fake host, a failed build gives dom0 back its memory.
    @Test func aFailedBuildGivesDom0ItsMemoryBack() throws {
        let clean = try BuildFaultMatrixTests.run(tight: true).0.calls
        let build = clean.firstIndex(of: "createRestore")!
        let (host, outcome) = try BuildFaultMatrixTests.run(faults: [build: .error], tight: true)
        guard case .failed(let error, nil) = outcome else { Issue.record("\(outcome)"); return }
        #expect(host.dom0TargetMiB == 1024 && host.calls.last == "setTarget", "\(host.calls)")
        #expect(error.hint?.contains("dom0 got back the memory it gave (target 1024 MiB)") == true, "\(error)")
        // And when that fails too, the error says how to do it by hand.
        let (host2, outcome2) = try BuildFaultMatrixTests.run(faults: [build: .error, build + 1: .error], tight: true)
        guard case .failed(let error2, nil) = outcome2 else { Issue.record("\(outcome2)"); return }
        #expect(host2.dom0TargetMiB < 1024)
        #expect(error2.hint?.contains("xk mem-set 0 1024m") == true, "\(error2)")
    }
}
