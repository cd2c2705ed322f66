import ArgumentParser
import Testing
@testable import XenKit
@testable import XKCommands

/// xk dmesg, debug-keys, uptime, sysrq and trigger: arguments as xl takes them, what is refused
/// before libxl is asked, and xl's formats (xl_info.c's uptime_to_string).
@Suite struct HostDiagnosticsCommandTests {
    @Test func dmesgEscapesWhatCouldGarbleATerminal() {
        let log = Array("(XEN) ok\tline\n".utf8) + [0x1b, 0x5b, 0x32, 0x4a, 0x5c, 0xff, 0x0a]
        #expect(String(decoding: DmesgCommand.escaped(log), as: UTF8.self) == "(XEN) ok\tline\n\\x1b[2J\\\\\\xff\n")
    }

    @Test func uptimeAsXlPrintsIt() {
        #expect(UptimeCommand.duration(59, short: false) == " 0:00:59")
        #expect(UptimeCommand.duration(3 * 3600 + 4 * 60 + 5, short: false) == " 3:04:05")
        #expect(UptimeCommand.duration(86400 + 10, short: false) == "1 day,  0:00:10")
        #expect(UptimeCommand.duration(3 * 86400 + 14 * 3600 + 60, short: true) == "3 days, 14:01")
        #expect(UptimeCommand.clock().count == 8)
    }

    @Test func keysAreOnePrintableCharacter() throws {
        #expect(try XenContext.sysrqKey("h") == UInt8(ascii: "h"))
        for bad in ["", "hs", " ", "\u{1b}", "é"] {
            #expect(throws: XenError.self, "\(bad)") { try XenContext.sysrqKey(bad) }
        }
        try XenContext.checkDebugKeys("qh")
        for bad in ["", "q h", "q\n"] {
            #expect(throws: XenError.self, "\(bad)") { try XenContext.checkDebugKeys(bad) }
        }
    }

    @Test func argumentsAsXlTakesThem() throws {
        let trigger = try #require(try XK.parseAsRoot(["trigger", "web", "nmi", "1"]) as? TriggerCommand)
        #expect(trigger.trigger == .nmi && trigger.vcpu == 1)
        #expect((try XK.parseAsRoot(["trigger", "web", "init"]) as? TriggerCommand)?.trigger == .initialize)
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["trigger", "web", "poweroff"]) }
        #expect(DomainTrigger.allCases.filter(\.needsHVM) == [.power, .sleep, .s3resume])
        #expect((try XK.parseAsRoot(["dmesg", "-c"]) as? DmesgCommand)?.clear == true)
        #expect((try XK.parseAsRoot(["uptime", "-s", "a", "b"]) as? UptimeCommand)?.domains == ["a", "b"])
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["sysrq", "web"]) }
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["debug-keys"]) }
    }
}
