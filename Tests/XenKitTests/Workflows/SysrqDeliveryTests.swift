import Testing
@testable import XenKit

/// A guest behind the SysrqControl seam: it takes the key after some looks, or never; any
/// call can fail.
final class FakeSysrqGuest: SysrqControl {
    var node: String? = nil
    var takesAfterLooks: Int?
    var failSend = false
    var unreadableLooks: Set<Int> = []
    var failWithdraw = false
    var looks = 0
    var clock = 0.0
    var calls: [String] = []

    func send(_ key: UInt8) throws(XenError) {
        calls.append("send")
        if failSend { throw XenError(code: .operationFailed, message: "cannot send SysRq to domain 'web' (5)") }
        node = String(UnicodeScalar(key))
    }

    func pending() throws(XenError) -> String? {
        looks += 1
        calls.append("look")
        if unreadableLooks.contains(looks) { throw XenError(code: .operationFailed, message: "xenstore busy") }
        if let takes = takesAfterLooks, looks >= takes { node = "" }
        return node
    }

    func withdraw() throws(XenError) {
        calls.append("withdraw")
        if failWithdraw { throw XenError(code: .permissionDenied, message: "write refused") }
        node = ""
    }

    func now() -> Double { clock }
    func pause() { clock += 0.1 }
}

@Suite struct SysrqDeliveryTests {
    static func deliver(_ guest: FakeSysrqGuest) throws(XenError) {
        try SysrqDelivery(control: guest).deliver(UInt8(ascii: "s"), label: "domain 'web' (5)", domain: DomainID(5), timeout: 2)
    }

    @Test func aGuestThatTakesItLeavesNothing() throws {
        let guest = FakeSysrqGuest()
        guest.takesAfterLooks = 3
        guest.unreadableLooks = [1]   // a look that fails is looked at again
        try Self.deliver(guest)
        #expect(guest.node == "" && !guest.calls.contains("withdraw"))
    }

    @Test func aFailedSendWithdrawsNothing() {
        let guest = FakeSysrqGuest()
        guest.failSend = true
        #expect(throws: XenError.self) { try Self.deliver(guest) }
        #expect(guest.calls == ["send"])
    }

    /// Never taken: withdrawn, so the guest cannot act on it later; every look unreadable
    /// ends the same way.
    @Test(arguments: [false, true]) func anUntakenKeyIsWithdrawn(unreadable: Bool) throws {
        let guest = FakeSysrqGuest()
        if unreadable { guest.unreadableLooks = Set(1...100) }
        let error = try #require(throws: XenError.self) { try Self.deliver(guest) }
        #expect(error.message == "domain 'web' (5) did not take SysRq 's' within 2 s; it is withdrawn", "\(error)")
        #expect(guest.node == "" && guest.calls.last == "withdraw" && guest.calls.filter { $0 == "withdraw" }.count == 1)
    }

    @Test func aFailedWithdrawalIsReportedWithTheWayOut() throws {
        let guest = FakeSysrqGuest()
        guest.failWithdraw = true
        let error = try #require(throws: XenError.self) { try Self.deliver(guest) }
        #expect(error.message.hasSuffix("it is withdrawn, but withdrawing it failed too (write refused)"), "\(error)")
        #expect(error.hint?.contains("xk xenstore-write /local/domain/5/control/sysrq") == true, "\(error)")
        #expect(guest.node == "s")
    }
}
