import ArgumentParser
import XenKit

/// `xk trigger`: an NMI or an ACPI event to a domain, as `xl trigger`.
struct TriggerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trigger",
        abstract: "Send a trigger (NMI, ACPI button, reset) to a domain.",
        discussion: """
            nmi interrupts the vCPU (a hung kernel may dump its state); power and sleep press \
            the ACPI buttons and s3resume wakes a guest from S3, for HVM guests only. Unlike xl, \
            xk fails when the trigger does not reach the guest: a vCPU it does not have, an ACPI \
            event for a PV or PVH guest, or a trigger the hypervisor does not implement (x86 Xen \
            has no reset or init trigger).
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The domain, by name or id.")
    var domain: String

    @Argument(help: "nmi, reset, init, power, sleep or s3resume.")
    var name: String

    @Argument(help: "The vCPU (0 when left out).")
    var vcpu: Int = 0

    /// The trigger named.
    var trigger: DomainTrigger? { DomainTrigger(rawValue: name) }

    func validate() throws {
        if trigger == nil {
            throw ValidationError("'\(name)' is not a trigger: use one of " + DomainTrigger.allCases.map(\.rawValue).joined(separator: ", "))
        }
    }

    func run() throws {
        let state = CommandState(options: global)
        guard let trigger else { return }
        try state.context.sendTrigger(try state.resolve(domain), trigger, vcpu: vcpu)
    }
}
