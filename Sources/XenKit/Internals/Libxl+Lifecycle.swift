// Raw libxl calls that change a domain: create, pause, shutdown, destroy, rename.
// Synchronous: each passes a NULL ao_how, so libxl runs the operation to completion on the
// calling thread (> "If ao_how==NULL, the function will be synchronous", libxl.h).
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension Libxl {
    /// Builds a domain (left paused: libxl never unpauses). On failure libxl destroys what
    /// it had built; the domid it reports (if any) is returned with the failure for a check.
    static func createDomain(
        _ ctx: OpaquePointer, _ config: UnsafeMutablePointer<libxl_domain_config>
    ) -> Result<DomainID, CreateFailure> {
        var domid: UInt32 = UInt32.max  // INVALID_DOMID
        let rc = libxl_domain_create_new(ctx, config, &domid, nil, nil)
        guard rc == 0 else {
            let half = domid == UInt32.max ? nil : DomainID(domid)
            return .failure(CreateFailure(code: rc, domain: half))
        }
        return .success(DomainID(domid))
    }

    struct CreateFailure: Error, Equatable {
        var code: Int32
        var domain: DomainID?
        var messages: [String] = []
    }

    static func pause(_ ctx: OpaquePointer, _ id: DomainID) -> Result<Void, LibxlFailure> {
        check(libxl_domain_pause(ctx, id.rawValue, nil))
    }

    static func unpause(_ ctx: OpaquePointer, _ id: DomainID) -> Result<Void, LibxlFailure> {
        check(libxl_domain_unpause(ctx, id.rawValue, nil))
    }

    static func shutdown(_ ctx: OpaquePointer, _ id: DomainID) -> Result<Void, LibxlFailure> {
        check(libxl_domain_shutdown(ctx, id.rawValue, nil))
    }

    static func reboot(_ ctx: OpaquePointer, _ id: DomainID) -> Result<Void, LibxlFailure> {
        check(libxl_domain_reboot(ctx, id.rawValue, nil))
    }

    static func powerButton(_ ctx: OpaquePointer, _ id: DomainID) -> Result<Void, LibxlFailure> {
        trigger(ctx, id, .power, vcpu: 0)
    }

    static func resetButton(_ ctx: OpaquePointer, _ id: DomainID) -> Result<Void, LibxlFailure> {
        trigger(ctx, id, .reset, vcpu: 0)
    }

    /// `libxl_send_trigger`: an NMI, an ACPI button or a reset event delivered to one vCPU.
    static func trigger(_ ctx: OpaquePointer, _ id: DomainID, _ trigger: DomainTrigger, vcpu: Int) -> Result<Void, LibxlFailure> {
        let raw: libxl_trigger = switch trigger {
        case .nmi: LIBXL_TRIGGER_NMI
        case .reset: LIBXL_TRIGGER_RESET
        case .initialize: LIBXL_TRIGGER_INIT
        case .power: LIBXL_TRIGGER_POWER
        case .sleep: LIBXL_TRIGGER_SLEEP
        case .s3resume: LIBXL_TRIGGER_S3RESUME
        }
        return check(libxl_send_trigger(ctx, id.rawValue, raw, UInt32(clamping: vcpu), nil))
    }

    static func destroy(_ ctx: OpaquePointer, _ id: DomainID) -> Result<Void, LibxlFailure> {
        check(libxl_domain_destroy(ctx, id.rawValue, nil))
    }

    /// Renames transactionally: fails if the domain's name is no longer `old`.
    static func rename(_ ctx: OpaquePointer, _ id: DomainID, from old: String?, to new: String) -> Result<Void, LibxlFailure> {
        check(libxl_domain_rename(ctx, id.rawValue, old, new))
    }

    /// Replaces this process with xenconsole attached to the domain's primary console.
    /// Returns only on failure.
    static func execPrimaryConsole(_ ctx: OpaquePointer, _ id: DomainID) -> LibxlFailure {
        LibxlFailure(code: libxl_primary_console_exec(ctx, id.rawValue, -1))
    }

    static func execConsole(_ ctx: OpaquePointer, _ id: DomainID, number: Int32, serial: Bool) -> LibxlFailure {
        LibxlFailure(code: libxl_console_exec(ctx, id.rawValue, number, serial ? LIBXL_CONSOLE_TYPE_SERIAL : LIBXL_CONSOLE_TYPE_PV, -1))
    }

    static let noParavirt: Int32 = ERROR_NOPARAVIRT.rawValue

    static func check(_ rc: Int32) -> Result<Void, LibxlFailure> {
        rc == 0 ? .success(()) : .failure(LibxlFailure(code: rc))
    }
}

extension Libxl {
    /// What building the domain will take from the host, in KiB. Applies libxl's defaults
    /// to `config` first, as xl does before it creates (libxl_domain_need_memory).
    static func memoryNeeded(
        _ ctx: OpaquePointer, _ config: UnsafeMutablePointer<libxl_domain_config>
    ) -> Result<UInt64, LibxlFailure> {
        var need: UInt64 = 0
        let rc = libxl_domain_need_memory(ctx, config, UInt32.max, &need)
        return rc == 0 ? .success(need) : .failure(LibxlFailure(code: rc))
    }

    /// Free host memory in KiB.
    static func freeMemory(_ ctx: OpaquePointer) -> Result<UInt64, LibxlFailure> {
        var free: UInt64 = 0
        let rc = libxl_get_free_memory(ctx, &free)
        return rc == 0 ? .success(free) : .failure(LibxlFailure(code: rc))
    }
}
