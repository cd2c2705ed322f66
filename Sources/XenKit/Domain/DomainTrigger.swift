/// An event delivered to a domain's vCPU, as `xl trigger` sends it.
///
/// The corresponding libxl type is `libxl_trigger`.
public enum DomainTrigger: String, CaseIterable, Sendable {
    /// A non-maskable interrupt: a hung guest's kernel may dump its state.
    case nmi
    case reset
    /// xl's "init".
    case initialize = "init"
    /// The ACPI power button (HVM guests).
    case power
    /// The ACPI sleep button (HVM guests).
    case sleep
    /// Resumes an HVM guest from ACPI S3 (suspend to RAM).
    case s3resume

    /// Whether only an HVM guest can take it: the ACPI events exist only there.
    public var needsHVM: Bool { self == .power || self == .sleep || self == .s3resume }
}
