import Foundation
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

/// The figures libxl reports are whatever Xen holds, even mid-build: no arithmetic on them traps.
@Suite struct DomainFigureTests {
    static func info(current: UInt64, outstanding: UInt64 = 0, maxVCPUID: UInt32) -> DomainInfo {
        DomainInfo(id: DomainID(5), name: "d", uuid: "u", type: .pvh, currentMemory: .kibibytes(current),
                   outstandingMemory: .kibibytes(outstanding), maxMemory: .kibibytes(.max),
                   onlineVCPUs: 0, maxVCPUID: maxVCPUID)
    }

    @Test func aDomainWithoutVCPUsYetHasNone() {
        // Xen's XEN_INVALID_MAX_VCPU_ID (~0) until the domain's vCPUs exist.
        #expect(Self.info(current: 0, maxVCPUID: .max).vcpuCount == 0)
        #expect(Self.info(current: 0, maxVCPUID: 0).vcpuCount == 1)
        #expect(Self.info(current: 0, maxVCPUID: .max - 1).vcpuCount == .max)
    }

    @Test func memorySumsSaturate() {
        #expect(Self.info(current: .max, outstanding: 1, maxVCPUID: 0).totalMemory == .kibibytes(.max))
        #expect(Self.info(current: 3, outstanding: 4, maxVCPUID: 0).totalMemory == .kibibytes(7))
        #expect(Memory.kibibytes(.max) + .kibibytes(.max) == .kibibytes(.max))
        #expect(Memory.mebibytes(.max) == .kibibytes(.max) && Memory.gibibytes(.max) == .kibibytes(.max))
        #expect(Memory.gibibytes(2) == .kibibytes(2 << 20))
    }

    @Test func usageOfExtremeDomainsIsComputed() {
        var sampler = UsageSampler()
        let huge = Self.info(current: .max, outstanding: .max, maxVCPUID: .max)
        _ = sampler.sample([huge], at: 0, hostMemoryKiB: 1)
        let usage = sampler.sample([huge], at: 1, hostMemoryKiB: 1)
        #expect(usage.first?.memoryPercent.isFinite == true && usage.first?.cpuPercent == 0)
        #expect(UsageOrder.memory.sorted(usage + [sampler.sample([Self.info(current: 1, maxVCPUID: 0)], at: 2, hostMemoryKiB: 0)[0]]).count == 2)
    }
}

@Suite struct UUIDTextTests {
    @Test func bytesReadAsTheUsualTextForm() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let expected = UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                                       bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
                .uuidString.lowercased()
            #expect(Libxl.uuidText(bytes) == expected)
        }
        #expect(Libxl.uuidText([UInt8](repeating: 0, count: 16)) == "00000000-0000-0000-0000-000000000000")
        #expect(Libxl.uuidText([0x54, 0x75, 0x1b, 0x2f, 0x46, 0x86, 0x47, 0x87, 0x98, 0xa2, 0x73, 0x23, 0xb3, 0x43, 0xa4, 0xb3])
            == "54751b2f-4686-4787-98a2-7323b343a4b3")
    }
}
