import Testing
@testable import XenKit

/// `xk shutdown`/`reboot`: each request reaches libxl once, whatever libxl answers.
@Suite struct StopRequestTests {
    /// Counts the calls and answers with what the test chose.
    final class Calls {
        var paravirtual = 0, acpi = 0, failed: [Int32] = []
        let pvAnswer: Result<Void, LibxlFailure>, acpiAnswer: Result<Void, LibxlFailure>
        init(pv: Result<Void, LibxlFailure>, acpi: Result<Void, LibxlFailure> = .success(())) {
            pvAnswer = pv; acpiAnswer = acpi
        }
        func send(fallback: Bool) throws(XenError) -> XenContext.RequestPath {
            try StopRequest(verb: "shut down", label: "domain 'web' (7)", acpiFallback: fallback).send(
                paravirtual: { paravirtual += 1; return pvAnswer },
                acpi: { acpi += 1; return acpiAnswer },
                failed: { failed.append($0.code); return XenError(code: .operationFailed, message: "failed \($0.code)") })
        }
    }

    static let timedOut = LibxlFailure(code: LibxlCode.timedOut)
    static let noPV = LibxlFailure(code: Libxl.noParavirt)

    /// A guest that does not take the request within libxl's 60 s (a paused one cannot) is
    /// reported, not asked again: asking again cost another 60 s (121 s where xl took 60).
    @Test(arguments: [false, true])
    func aRequestTheGuestDidNotTakeIsSentOnce(fallback: Bool) {
        let calls = Calls(pv: .failure(Self.timedOut))
        #expect(throws: XenError.self) { try calls.send(fallback: fallback) }
        #expect(calls.paravirtual == 1)
        #expect(calls.acpi == 0)
        #expect(calls.failed == [LibxlCode.timedOut])
    }

    @Test func aTakenRequestIsDoneAfterOneCall() throws {
        let calls = Calls(pv: .success(()))
        #expect(try calls.send(fallback: true) == .paravirtual)
        #expect(calls.paravirtual == 1 && calls.acpi == 0 && calls.failed.isEmpty)
    }

    /// No PV control: refused without -F (pointing to it), one ACPI press with it.
    @Test func aGuestWithoutPVControlGetsOneACPIPressOnlyWithF() throws {
        let refused = Calls(pv: .failure(Self.noPV))
        #expect { try refused.send(fallback: false) } throws: { error in
            let error = error as? XenError
            return error?.message.contains("no PV control interface") == true && error?.hint?.contains("-F") == true
        }
        #expect(refused.paravirtual == 1 && refused.acpi == 0)

        let pressed = Calls(pv: .failure(Self.noPV))
        #expect(try pressed.send(fallback: true) == .acpi)
        #expect(pressed.paravirtual == 1 && pressed.acpi == 1 && pressed.failed.isEmpty)

        let failedPress = Calls(pv: .failure(Self.noPV), acpi: .failure(LibxlFailure(code: LibxlCode.fail)))
        #expect(throws: XenError.self) { try failedPress.send(fallback: true) }
        #expect(failedPress.paravirtual == 1 && failedPress.acpi == 1 && failedPress.failed == [LibxlCode.fail])
    }

    @Test func theHintSaysWhyTheRequestWasNotTaken() {
        #expect(StopRequest.notTakenHint(paused: true).contains("unpause"))
        #expect(StopRequest.notTakenHint(paused: false).contains("60 s"))
    }
}
