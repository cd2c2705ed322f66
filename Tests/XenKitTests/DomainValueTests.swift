import Testing
@testable import XenKit

@Suite struct DomainQualifierTests {
    @Test func digitsAreAnID() {
        #expect(DomainQualifier("0") == .id(.dom0))
        #expect(DomainQualifier("17") == .id(DomainID(17)))
    }

    @Test func anythingElseIsAName() {
        #expect(DomainQualifier("Domain-0") == .name("Domain-0"))
        #expect(DomainQualifier("web1") == .name("web1"))
        #expect(DomainQualifier("-3") == .name("-3"))
        #expect(DomainQualifier("1 ") == .name("1 "))
    }

    @Test func emptyAndOverflowingAreRejected() {
        #expect(DomainQualifier("") == nil)
        #expect(DomainQualifier("99999999999") == nil)
    }
}

@Suite struct DomainStateTests {
    func info(
        running: Bool = false, blocked: Bool = false, paused: Bool = false,
        shutdown: Bool = false, reason: ShutdownReason? = nil, dying: Bool = false
    ) -> DomainInfo {
        DomainInfo(
            id: DomainID(3), name: "web", uuid: "00000000-0000-0000-0000-000000000000", type: .pvh,
            isRunning: running, isBlocked: blocked, isPaused: paused, isShutdown: shutdown,
            isDying: dying, shutdownReason: reason, currentMemory: .mebibytes(128),
            maxMemory: .mebibytes(256), onlineVCPUs: 1, maxVCPUID: 1)
    }

    @Test func flagsFollowXlsLetters() {
        #expect(info().stateFlags == "------")
        #expect(info(running: true).stateFlags == "r-----")
        #expect(info(blocked: true, paused: true).stateFlags == "-bp---")
        #expect(info(dying: true).stateFlags == "-----d")
    }

    @Test(arguments: [
        (ShutdownReason.poweroff, "---s--"), (.reboot, "---sr-"), (.suspend, "---ss-"),
        (.crash, "---sc-"), (.watchdog, "---sw-"), (.softReset, "---sS-"), (.unknown, "---s?-"),
    ])
    func shutdownReasonTakesTheFifthColumn(reason: ShutdownReason, flags: String) {
        #expect(info(shutdown: true, reason: reason).stateFlags == flags)
    }

    @Test func memColumnAddsOutstandingClaims() {
        var domain = info()
        domain.outstandingMemory = .kibibytes(2048)
        #expect(domain.totalMemory.mebibytes == 130)
    }
}

@Suite struct MemoryTests {
    @Test func unitsConvert() {
        #expect(Memory.mebibytes(2).kibibytes == 2048)
        #expect(Memory.gibibytes(1).mebibytes == 1024)
        #expect(Memory.kibibytes(1536).mebibytes == 1)
        #expect(Memory.kibibytes(1536).description == "1536 KiB")
        #expect(Memory.mebibytes(512).description == "512 MiB")
        #expect(Memory.gibibytes(2).description == "2 GiB")
    }
}
