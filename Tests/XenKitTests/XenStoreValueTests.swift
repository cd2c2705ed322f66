import Testing
@testable import XenKit

@Suite struct XenStorePathTests {
    @Test func acceptsWhatXenstoredAccepts() {
        for text in ["/", "/local/domain/0/name", "name", "memory/target", "@introduceDomain", "/tool/xen-kit_1"] {
            #expect(XenStorePath(text) != nil, "\(text)")
        }
    }

    @Test func refusesEverythingElse() {
        for text in ["", "/local/", "//local", "/local//domain", "/a b", "/a.b", "/ä", "/x\n",
                     "/" + String(repeating: "a", count: XenStorePath.maximumLength)] {
            #expect(XenStorePath(text) == nil, "\(text)")
        }
    }

    @Test func joinsAndSplits() {
        let home = XenStorePath.domainHome(DomainID(4))
        #expect(home.rawValue == "/local/domain/4")
        #expect(home.appending("memory/target")?.rawValue == "/local/domain/4/memory/target")
        #expect(XenStorePath.root.appending("tool")?.rawValue == "/tool")
        #expect(home.appending("a//b") == nil)
        #expect(home.lastComponent == "4" && XenStorePath.root.lastComponent == "/")
        #expect(home.contains(XenStorePath("/local/domain/4/name")))
        #expect(!home.contains(XenStorePath("/local/domain/40")))
        #expect(XenStorePath.root.contains(home))
        #expect(XenStorePath.releaseDomain.isSpecial && !home.isSpecial)
    }
}

@Suite struct XenStorePermissionsTests {
    @Test func readsAndWritesXenstoreUtilsNotation() {
        let perms = XenStorePermissions(parsing: "n0 r3,w5")
        #expect(perms?.owner == .init(domain: .dom0, access: .none))
        #expect(perms?.exceptions == [.init(domain: DomainID(3), access: .read), .init(domain: DomainID(5), access: .write)])
        #expect(perms?.description == "n0 r3 w5")
        #expect(XenStorePermissions(parsing: "b7")?.description == "b7")
    }

    @Test func refusesMalformedNotation() {
        for text in ["", "x0", "r", "r-1", "rr3"] {
            #expect(XenStorePermissions(parsing: text) == nil, "\(text)")
        }
    }

    @Test func roundTripsThroughLibxenstoresBits() {
        let perms = XenStorePermissions(parsing: "n0 r3 w5 b9")!
        #expect(perms.raw.map { $0.1 } == [0, 1, 2, 3])
        #expect(XenStorePermissions(raw: perms.raw) == perms)
        // Internal bits (owner, ENOENT_OK) do not change what a domain may do.
        #expect(XenStorePermissions(raw: [(0, 0x08 | 0x01)])?.description == "r0")
        #expect(XenStorePermissions(raw: []) == nil)
    }
}

@Suite struct UsageSamplerTests {
    func info(_ id: UInt32, uuid: String = "u", cpu: UInt64, memory: UInt64 = 131_072) -> DomainInfo {
        DomainInfo(id: DomainID(id), name: "d\(id)", uuid: uuid, type: .pv, isRunning: true, isBlocked: false,
                   isPaused: false, isShutdown: false, isDying: false, shutdownReason: nil,
                   currentMemory: .kibibytes(memory), maxMemory: .mebibytes(256), cpuTimeNanoseconds: cpu,
                   onlineVCPUs: 1, maxVCPUID: 1)
    }

    @Test func cpuPercentIsCPUTimeOverWallTime() {
        var sampler = UsageSampler()
        let first = sampler.sample([info(1, cpu: 0)], at: 10, hostMemoryKiB: 1_048_576)
        #expect(first[0].cpuPercent == nil)
        #expect(first[0].memoryPercent == 12.5)
        let second = sampler.sample([info(1, cpu: 3_000_000_000)], at: 12, hostMemoryKiB: 1_048_576)
        #expect(second[0].cpuPercent == 150)
    }

    @Test func aReusedIDStartsAfresh() {
        var sampler = UsageSampler()
        _ = sampler.sample([info(1, uuid: "a", cpu: 9_000_000_000)], at: 10, hostMemoryKiB: 1)
        #expect(sampler.sample([info(1, uuid: "b", cpu: 1_000)], at: 11, hostMemoryKiB: 1)[0].cpuPercent == nil)
    }

    @Test func ordersPutTheBusiestFirst() {
        var sampler = UsageSampler()
        _ = sampler.sample([info(1, cpu: 0), info(2, cpu: 0, memory: 262_144)], at: 0, hostMemoryKiB: 1)
        let rows = sampler.sample([info(1, cpu: 2_000_000_000), info(2, cpu: 1_000_000_000, memory: 262_144)], at: 1, hostMemoryKiB: 1)
        #expect(UsageOrder.cpu.sorted(rows).map(\.info.id) == [DomainID(1), DomainID(2)])
        #expect(UsageOrder.memory.sorted(rows).map(\.info.id) == [DomainID(2), DomainID(1)])
        #expect(UsageOrder.name.sorted(rows).map(\.name) == ["d1", "d2"])
    }
}

/// xenstore-utils' escaping of values (xen 4.17 tools/xenstore/xs_lib.c, sanitise_value), byte
/// for byte: what a guest writes must not reach the operator's terminal as escape sequences.
@Suite struct XenStoreSanitiseTests {
    @Test func printableASCIIStaysAsItIs() {
        let printable = Array(UInt8(0x20)...UInt8(0x7E)).filter { $0 != UInt8(ascii: "\\") }
        #expect(XenStore.sanitised(printable) == String(decoding: printable, as: UTF8.self))
        #expect(XenStore.sanitised(Array("say \"hi\" 1".utf8)) == "say \"hi\" 1")   // quotes stay, as in xenstore-ls
        #expect(XenStore.sanitised([]) == "")
    }

    @Test func escapesAsSanitiseValueDoes() {
        #expect(XenStore.sanitised([UInt8(ascii: "\\")]) == #"\\"#)
        #expect(XenStore.sanitised([0x09, 0x0A, 0x0D]) == #"\t\n\r"#)
        // Below 010 (octal): three octal digits; everything else: \x and two hex digits.
        #expect(XenStore.sanitised([0x00, 0x01, 0x07]) == #"\000\001\007"#)
        #expect(XenStore.sanitised([0x08, 0x0B, 0x1B, 0x7F]) == #"\x08\x0b\x1b\x7f"#)
        #expect(XenStore.sanitised(Array("\u{1B}[31mX".utf8)) == #"\x1b[31mX"#)
    }

    @Test func bytesAboveASCIIAreEscapedOneByOneEvenWhenNotUTF8() {
        #expect(XenStore.sanitised([0x80, 0xFF, 0xC3]) == #"\x80\xff\xc3"#)   // not valid UTF-8
        #expect(XenStore.sanitised(Array("é".utf8)) == #"\xc3\xa9"#)
        #expect(XenStore.sanitised([0xC2, 0x9B, 0x32, 0x4A]) == #"\xc2\x9b2J"#)   // C1 CSI in UTF-8
    }

    @Test func everyByteValueComesOutPrintable() {
        for byte in UInt8.min...UInt8.max {
            let text = XenStore.sanitised([byte])
            #expect(text.utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E }, "byte \(byte): \(text)")
        }
    }
}
