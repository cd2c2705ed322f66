import Testing
@testable import XenKit

/// Every fault at every step of `xk save`, one at a time and in pairs, through the same
/// driver as the live code over a fake host; after each run the invariants of issue 12 are
/// checked: an existing FILE is never lost nor replaced by a bad one, nothing partial is
/// left, no descriptor leaks, the domain is where the outcome says, and every failed
/// rollback step is reported.
@Suite struct SaveFaultMatrixTests {
    static let path = "/var/lib/xen/save/web.save"
    static let temporary = SaveWorkflow.temporaryName(for: path, pid: 42)
    static let old = Array("AN EARLIER SAVE".utf8)
    static let json = "{\"c_info\": {\"name\": \"web\"}}\n"
    static let id = DomainID(7)
    static var good: [UInt8] { SaveFileHeader(configJSON: json).encoded() + FakeHost.stream }

    static func run(_ after: XenContext.AfterSave, faults: [Int: Fault] = [:], existing: Bool = true) -> (FakeHost, SaveOutcome) {
        let host = FakeHost()
        host.domains[id] = FakeHost.Domain(name: "web", state: .running)
        if existing { host.files[path] = old }
        host.faults = faults
        var driver = SaveDriver(
            machine: SaveWorkflow(name: "web", path: path, temporary: temporary, after: after),
            control: FakeControl(host: host), files: FakeFiles(host: host), id: id,
            header: SaveFileHeader(configJSON: json).encoded(), configJSON: json,
            stopRequested: { host.stop })
        return (host, driver.run())
    }

    /// What is wrong after a run, if anything.
    static func violations(_ host: FakeHost, _ outcome: SaveOutcome, _ after: XenContext.AfterSave,
                           faults: [Int: Fault], existing: Bool = true) -> [String] {
        var problems: [String] = []
        let file = host.files[path]
        let domain = host.domains[id]!.state
        if host.openFiles != 0 { problems.append("\(host.openFiles) descriptor(s) leaked") }
        if file != good && file != (existing ? old : nil) { problems.append("FILE holds neither the earlier save nor a good one") }
        if existing && file == nil { problems.append("the earlier FILE was lost") }
        switch outcome {
        case .saved(let bytes, let fate, _):
            if file != good || bytes != good.count { problems.append("saved, but FILE is not the new save") }
            if host.files[temporary] != nil { problems.append("the temporary file was left") }
            let expected: (FakeHost.RunState, DomainFate) = switch after {
            case .destroy: (.gone, .destroyed)
            case .keepRunning: (.running, .running)
            case .keepPaused: (.paused, .paused)
            }
            if domain != expected.0 || fate != expected.1 { problems.append("saved, but the domain is \(domain) (said \(fate))") }
        case .failed(let error, let fate, _):
            let hint = error.hint ?? ""
            if !error.message.contains("cannot save domain 'web' to \(path)") { problems.append("the error does not name the domain and FILE: \(error.message)") }
            if hint.contains("was not touched") && file != (existing ? old : nil) { problems.append("says FILE was not touched, but it changed") }
            if host.files[temporary] != nil && !hint.contains("remove \(temporary) by hand") { problems.append("the temporary file was left unreported") }
            switch domain {
            case _ where fate == .unknown:
                if !hint.contains("not known") { problems.append("the domain's state is not known and the error does not say so") }
            case .running: if fate != .running && fate != .untouched { problems.append("the domain runs, but the outcome says \(fate)") }
            case .paused: if fate != .paused { problems.append("the domain is paused, but the outcome says \(fate)") }
            case .suspended: if fate != .suspended || !hint.contains("suspended") { problems.append("the domain is left suspended and the error does not say so: \(hint)") }
            case .gone: problems.append("a failed save destroyed the domain")
            }
            // A failed rollback step is reported.
            for (index, fault) in faults where fault != .signal && index < host.calls.count {
                let call = host.calls[index]
                if call == "remove" && !hint.contains("could not be removed") { problems.append("a failed removal was not reported") }
                if call == "resume" && !hint.lowercased().contains("resum") && !error.message.contains("resum") { problems.append("a failed resume was not reported: \(hint)") }
            }
        }
        // A signal before FILE was replaced rolls the save back; after, it completes.
        if let signalled = faults.first(where: { $0.value == .signal })?.key, signalled < host.calls.count,
           let renamed = host.calls.firstIndex(of: "rename-file"), faults.count == 1 {
            let completed = if case .saved = outcome { true } else { false }
            if signalled < renamed && completed { problems.append("a signal at call \(signalled) did not roll the save back") }
            if signalled >= renamed && !completed { problems.append("a signal after the rename did not let the save complete") }
        }
        return problems
    }

    static let afters: [XenContext.AfterSave] = [.destroy, .keepRunning, .keepPaused]

    @Test(arguments: afters) func withoutFaultsTheSaveCompletes(after: XenContext.AfterSave) {
        for existing in [true, false] {
            let (host, outcome) = Self.run(after, existing: existing)
            #expect(Self.violations(host, outcome, after, faults: [:], existing: existing) == [])
            #expect(host.modes[Self.path] == 0o600)
            guard case .saved = outcome else { Issue.record("\(outcome)"); continue }
        }
    }

    @Test(arguments: afters) func everyFaultAtEveryStep(after: XenContext.AfterSave) {
        let calls = Self.run(after).0.calls.count
        var runs = 0
        for index in 0..<calls + 4 {   // rollback steps come after the forward ones
            for fault in [Fault.error, .partial, .signal] {
                let faults = [index: fault]
                let (host, outcome) = Self.run(after, faults: faults)
                runs += 1
                let problems = Self.violations(host, outcome, after, faults: faults)
                #expect(problems == [], "fault \(fault) at call \(index) (\(host.calls)): \(outcome)")
            }
        }
        #expect(runs >= 3 * calls)
        print("fault matrix: save (\(after)): \(runs) runs with one fault at each of \(calls + 4) call positions")
    }

    @Test(arguments: afters) func everyPairOfFaults(after: XenContext.AfterSave) {
        let calls = Self.run(after).0.calls.count + 4
        var runs = 0
        defer { print("fault matrix: save (\(after)): \(runs) runs with a pair of faults") }
        for first in 0..<calls {
            for second in (first + 1)..<calls {
                for (a, b) in [(Fault.error, Fault.error), (.partial, .error), (.error, .partial), (.signal, .error)] {
                    let faults = [first: a, second: b]
                    let (host, outcome) = Self.run(after, faults: faults)
                    runs += 1
                    let problems = Self.violations(host, outcome, after, faults: faults)
                    #expect(problems == [], "faults \(a)@\(first) \(b)@\(second) (\(host.calls)): \(outcome)")
                }
            }
        }
    }

    /// Finding 1: a save that fails once the stream is written (a full disk at the flush, a
    /// read-back that finds a short file) keeps the earlier FILE as it was.
    @Test func aFailedSaveKeepsTheEarlierFile() {
        let calls = Self.run(.destroy).0.calls
        for step in ["flush", "close", "verify", "rename-file"] {
            let index = calls.firstIndex(of: step)!
            let (host, outcome) = Self.run(.destroy, faults: [index: .error])
            #expect(host.files[Self.path] == Self.old, "\(step)")
            #expect(host.domains[Self.id]?.state == .running, "\(step)")
            guard case .failed(let error, .running, true) = outcome else { Issue.record("\(step): \(outcome)"); continue }
            #expect(error.hint?.contains("\(Self.path) was not touched") == true, "\(error)")
        }
    }

    /// A resume that fails after a failed save leaves the domain suspended, and says so.
    @Test func aFailedResumeIsReported() {
        let calls = Self.run(.destroy).0.calls
        let flush = calls.firstIndex(of: "flush")!
        // flush fails; then close, remove, resume (which fails), inspect.
        let (host, outcome) = Self.run(.destroy, faults: [flush: .error, flush + 3: .error])
        #expect(host.calls[flush + 3] == "resume")
        guard case .failed(let error, .suspended, false) = outcome else { Issue.record("\(outcome)"); return }
        #expect(error.description.contains("resuming the domain failed") && error.description.contains("still suspended"), "\(error)")
    }

    @Test func temporaryNamesStayBesideTheFile() {
        #expect(SaveWorkflow.temporaryName(for: "/a/b/web.save", pid: 9) == "/a/b/.web.save.xk-partial-9")
        #expect(SaveWorkflow.temporaryName(for: "web.save", pid: 9) == "./.web.save.xk-partial-9")
        #expect(SaveWorkflow.temporaryName(for: "/web.save", pid: 9) == "/.web.save.xk-partial-9")
        // Finding 17: a relative path's folder is the working folder, not /.
        #expect(parentFolder(of: "web.save") == ".")
        #expect(parentFolder(of: "/web.save") == "/")
        #expect(parentFolder(of: "saves/web.save") == "saves")
    }
}
