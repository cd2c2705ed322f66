import Testing
@testable import XenKit

@Suite struct ContextDiagnosisTests {
    let failure = LibxlFailure(code: -3)

    func diagnose(xen: Bool = true, root: Bool = true, privcmd: Bool = true,
                  xenstored: Bool = true, messages: [String] = []) -> XenError {
        XenError.contextUnavailable(
            failure, messages: messages,
            host: HostProbe(runsOnXen: xen, isRoot: root, hasPrivcmd: privcmd, hasXenstored: xenstored))
    }

    @Test func noHypervisor() {
        let error = diagnose(xen: false, root: false, privcmd: false, xenstored: false)
        #expect(error.code == .hypervisorUnavailable)
        #expect(error.description.contains("not running Xen"))
        #expect(!error.description.contains("\n"))
    }

    @Test func notRoot() {
        let error = diagnose(root: false)
        #expect(error.code == .permissionDenied)
        #expect(error.description.contains("root"))
    }

    @Test func noControlDevice() {
        let error = diagnose(privcmd: false)
        #expect(error.code == .hypervisorUnavailable)
        #expect(error.description.contains("privcmd"))
    }

    @Test func noXenstored() {
        #expect(diagnose(xenstored: false).code == .xenstoreUnavailable)
        #expect(diagnose(messages: ["libxl: error: cannot connect to xenstore"]).code == .xenstoreUnavailable)
    }

    @Test func otherwiseLibxlsOwnWordsAreTheHint() {
        let error = diagnose(messages: ["libxl: error: something odd"])
        #expect(error.code == .operationFailed)
        #expect(error.hint == "libxl: error: something odd")
        #expect(error.description.hasSuffix("(libxl rc -3 FAIL)"))
    }
}

@Suite struct XenErrorTests {
    @Test func domainNotFoundNamesTheDomain() {
        let error = XenError.domainNotFound(.name("web1"))
        #expect(error.code == .domainNotFound)
        #expect(error.description == "domain 'web1' does not exist")
    }

    @Test func libxlCodesHaveNames() {
        #expect(LibxlCode.name(-21) == "rc -21 DOMAIN_NOTFOUND")
        #expect(LibxlCode.name(-3) == "rc -3 FAIL")
        #expect(LibxlCode.name(-999) == "rc -999")
    }

    @Test func locationIsRecorded() {
        let error = XenError(code: .invalidArgument, message: "bad")
        #expect(error.location.file.hasSuffix("XenErrorTests.swift"))
    }
}

/// On a machine that is not a Xen host (a laptop, CI's host side), opening the toolstack
/// must fail cleanly with the diagnosis, and libxl's own log must be captured, not printed.
@Suite(.enabled(if: !HostProbe().runsOnXen, "this host runs Xen"))
struct NoHypervisorTests {
    @Test func openingTheContextFailsCleanly() {
        #expect {
            _ = try XenContext()
        } throws: { error in
            guard let error = error as? XenError else { return false }
            return error.code == .hypervisorUnavailable && error.libxlCode == -3
                && error.libxlMessages.contains { $0.contains("cannot open libxc handle") }
        }
    }
}

@Suite struct LibxlReasonTests {
    @Test func keepsTheReasonWithoutLibxlsPrefix() {
        #expect(XenError.libxlReason("libxl: error: libxl_mem.c:278:libxl_set_memory_target: memory_dynamic_max must be less than or equal to memory_static_max")
            == "memory_dynamic_max must be less than or equal to memory_static_max")
        #expect(XenError.libxlReason("libxl_mem.c:278:libxl_set_memory_target: a: b") == "a: b")
        #expect(XenError.libxlReason("something plain") == "something plain")
    }
}
