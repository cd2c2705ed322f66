// Delivering a magic SysRq key (xl sysrq) and knowing it was taken: libxl writes the key to
// the guest's control/sysrq, and the guest's PV drivers empty the node when they act on it.
// A guest that never does (no PV drivers, a hung kernel) would find the key still there
// later and act on it then, at a moment nobody chose: so after the wait, the key is
// withdrawn, and a withdrawal that fails is reported with the rest. The steps go through
// SysrqControl, which the unit tests fake to fail any of them
// (Tests/XenKitTests/Workflows/SysrqDeliveryTests.swift).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

protocol SysrqControl {
    /// `libxl_send_sysrq`; the error names the domain.
    func send(_ key: UInt8) throws(XenError)
    /// The guest's control/sysrq; nil when the node is gone.
    func pending() throws(XenError) -> String?
    /// Empties control/sysrq.
    func withdraw() throws(XenError)
    /// Monotonic seconds.
    func now() -> Double
    /// Waits before looking again.
    func pause()
}

struct SysrqDelivery {
    let control: any SysrqControl

    /// Sends `key` and waits up to `timeout` seconds for the guest to take it.
    /// - Throws: the send's error; or, when the guest did not take it, an error saying the
    ///   key is withdrawn (or that withdrawing failed too).
    func deliver(_ key: UInt8, label: String, domain: DomainID, timeout: Double) throws(XenError) {
        try control.send(key)
        let shown = String(UnicodeScalar(key))
        let deadline = control.now() + timeout
        repeat {
            do throws(XenError) {
                if try control.pending()?.isEmpty ?? true { return }   // emptied or gone: taken
            } catch {}   // unreadable for now: look again
            control.pause()
        } while control.now() < deadline
        var error = XenError(code: .operationFailed, message: "\(label) did not take SysRq '\(shown)' within \(Int(timeout)) s; it is withdrawn",
                             hint: "the guest's PV drivers take it (a guest without them, or a hung kernel, never does); try xk trigger \(domain) nmi")
        do {
            try control.withdraw()
        } catch let failure {
            error.message += ", but withdrawing it failed too (\(failure.message))"
            error.hint = "empty it by hand, or the guest acts on it later: xk xenstore-write /local/domain/\(domain)/control/sysrq \"\""
        }
        throw error
    }
}

/// libxl and xenstore for one domain.
struct LiveSysrqControl: SysrqControl {
    let context: XenContext
    let id: DomainID
    let node: XenStorePath
    let store: XenStore

    func send(_ key: UInt8) throws(XenError) {
        try context.act("send SysRq '\(String(UnicodeScalar(key)))' to", id) { Libxl.sendSysrq($0, $1, key) }
    }

    func pending() throws(XenError) -> String? { try store.read(node) }
    func withdraw() throws(XenError) { try store.write(node, "") }
    func now() -> Double { MonotonicSeconds.now() }
    func pause() { usleep(100_000) }
}
