import Testing
@testable import XenKit

@Suite struct MemorySizeTests {
    @Test(arguments: [
        ("512", Memory.mebibytes(512)), ("512m", .mebibytes(512)), ("512M", .mebibytes(512)),
        ("2g", .gibibytes(2)), ("1t", .gibibytes(1024)), ("4096k", .mebibytes(4)),
        ("1048576b", .mebibytes(1)), ("0", .kibibytes(0)),
    ])
    func sizesReadAsXlReadsThem(text: String, memory: Memory) {
        #expect(Memory(parsing: text) == memory)
    }

    @Test(arguments: ["", "m", "12x", "1.5g", "-1", "12mb", "99999999999999999999", "18014398509481984t"])
    func otherTextIsNotASize(text: String) {
        #expect(Memory(parsing: text) == nil)
    }
}

@Suite struct AffinityTextTests {
    @Test func describesLikeXlsPrintBitmap() {
        #expect(VCPUInfo.describe([0, 1], hostCPUCount: 2) == "all")
        #expect(VCPUInfo.describe([], hostCPUCount: 2) == "none")
        #expect(VCPUInfo.describe([1], hostCPUCount: 2) == "1")
        #expect(VCPUInfo.describe([0, 1, 2, 5, 7, 8], hostCPUCount: 16) == "0-2,5,7-8")
    }

    @Test func offlineVCPUsShowP() {
        let info = VCPUInfo(domain: DomainID(3), vcpu: 1, cpu: nil, isOnline: false, isRunning: false,
                            isBlocked: false, cpuTimeNanoseconds: 0, hardAffinity: [0, 1], softAffinity: [0, 1],
                            hostCPUCount: 2)
        #expect(info.stateFlags == "--p")
    }
}
