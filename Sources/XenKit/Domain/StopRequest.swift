// Why this is its own type: in Xen 4.17 a shutdown or reboot request is one libxl call that
// writes the request into the guest's control/shutdown node and then waits up to 60 s for the
// guest to take it. What that call answers is final. xk used to send the request a second
// time to word the failure, so a paused guest (which cannot take it) cost 121 s where xl
// took 60, and a guest whose drivers were merely slow saw the request twice. The decision
// is kept apart from libxl here so that a unit test can count the calls.

/// Sends one shutdown or reboot request: the PV request once; an ACPI button press instead
/// only for a guest without PV control and only when asked for (`xl shutdown -F`).
struct StopRequest {
    /// "shut down" or "reboot", for messages.
    let verb: String
    /// "domain 'web' (7)", for messages.
    let label: String
    /// Send an ACPI event to a guest that has no PV control interface.
    let acpiFallback: Bool

    /// - Parameters:
    ///   - paravirtual: writes the request and waits for the guest to take it (libxl).
    ///   - acpi: presses the guest's ACPI button.
    ///   - failed: the error for a failed call, with the domain's state checked.
    func send(
        paravirtual: () -> Result<Void, LibxlFailure>,
        acpi: () -> Result<Void, LibxlFailure>,
        failed: (LibxlFailure) -> XenError
    ) throws(XenError) -> XenContext.RequestPath {
        switch paravirtual() {
        case .success:
            return .paravirtual
        case .failure(let failure) where failure.code == Libxl.noParavirt:
            guard acpiFallback else {
                throw XenError(code: .operationFailed,
                               message: "cannot \(verb) \(label): it has no PV control interface",
                               hint: "use -F to send an ACPI power event instead",
                               libxlCode: failure.code)
            }
            if case .failure(let failure) = acpi() { throw failed(failure) }
            return .acpi
        case .failure(let failure):
            throw failed(failure)
        }
    }

    /// The hint for a request the guest did not take within libxl's time.
    static func notTakenHint(paused: Bool) -> String {
        paused
            ? "the domain is paused, so its guest cannot take the request; the request stays written and the guest takes it once unpaused (xk unpause)"
            : "the guest did not take the request within libxl's 60 s: its PV drivers are busy or gone; wait, or use xk destroy"
    }
}
