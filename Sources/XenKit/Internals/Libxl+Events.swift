// Raw libxl calls for following a domain until it dies and acting on its shutdown: death
// events, the domain's stored config, userdata, preserve, core dump and soft reset.
//
// Why events and not polling: libxl's domain death events come from a xenstore watch on
// @releaseDomain, so a waiting watcher costs nothing until a domain actually changes, and
// > the first event reports a domain that had already shut down before we asked
// (libxl_evenable_domain_death checks the state when the watch fires on registration), so
// a watcher that starts late misses nothing. Each event is copied into `LibxlEvent` and freed.
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One libxl event, copied.
enum LibxlEvent: Equatable {
    case shutdown(DomainID, reason: UInt8)
    case death(DomainID)
    case other(DomainID, type: UInt32)

    var domain: DomainID {
        switch self {
        case .shutdown(let id, _), .death(let id), .other(let id, _): id
        }
    }
}

extension Libxl {
    /// Asks for DOMAIN_SHUTDOWN and DOMAIN_DEATH events of one domain. The handle is passed
    /// to `disableDeathEvents` exactly once.
    static func enableDeathEvents(_ ctx: OpaquePointer, _ id: DomainID) -> Result<OpaquePointer, LibxlFailure> {
        var handle: OpaquePointer?
        let rc = libxl_evenable_domain_death(ctx, id.rawValue, UInt64(id.rawValue), &handle)
        guard rc == 0, let handle else { return .failure(LibxlFailure(code: rc == 0 ? LibxlCode.fail : rc)) }
        return .success(handle)
    }

    static func disableDeathEvents(_ ctx: OpaquePointer, _ handle: OpaquePointer) {
        libxl_evdisable_domain_death(ctx, handle)
    }

    /// Blocks the calling thread until libxl has an event.
    static func waitEvent(_ ctx: OpaquePointer) -> Result<LibxlEvent, LibxlFailure> {
        var event: UnsafeMutablePointer<libxl_event>?
        let rc = libxl_event_wait(ctx, &event, UInt64.max, nil, nil)   // LIBXL_EVENTMASK_ALL
        guard rc == 0, let event else { return .failure(LibxlFailure(code: rc == 0 ? LibxlCode.fail : rc)) }
        defer { libxl_event_free(ctx, event) }
        return .success(copy(event.pointee))
    }

    /// Discards queued events (after a death watch is disabled, as xl does before a restart).
    static func drainEvents(_ ctx: OpaquePointer) {
        var event: UnsafeMutablePointer<libxl_event>?
        while libxl_event_check(ctx, &event, UInt64.max, nil, nil) == 0, let queued = event {
            libxl_event_free(ctx, queued)
            event = nil
        }
    }

    private static func copy(_ raw: libxl_event) -> LibxlEvent {
        let id = DomainID(raw.domid)
        switch raw.type {
        case LIBXL_EVENT_TYPE_DOMAIN_SHUTDOWN: return .shutdown(id, reason: raw.u.domain_shutdown.shutdown_reason)
        case LIBXL_EVENT_TYPE_DOMAIN_DEATH: return .death(id)
        default: return .other(id, type: raw.type.rawValue)
        }
    }

    /// The config libxl keeps for a running domain ("libxl-json" userdata), updated with
    /// what changed since it was built: what xl rebuilds a restarted domain from.
    static func retrieveConfiguration(_ ctx: OpaquePointer, _ id: DomainID) -> Result<UnsafeMutablePointer<libxl_domain_config>, LibxlFailure> {
        let raw = UnsafeMutablePointer<libxl_domain_config>.allocate(capacity: 1)
        libxl_domain_config_init(raw)
        let rc = libxl_retrieve_domain_configuration(ctx, id.rawValue, raw, nil)
        guard rc == 0 else {
            libxl_domain_config_dispose(raw)
            raw.deallocate()
            return .failure(LibxlFailure(code: rc))
        }
        return .success(raw)
    }

    /// Parses libxl's own JSON form of a domain config (what `xl -N create` prints).
    /// Unlike the JSON generator, the parser needs a real ctx: it allocates from its gc.
    static func configuration(_ ctx: OpaquePointer, json: String) -> Result<UnsafeMutablePointer<libxl_domain_config>, LibxlFailure> {
        let raw = UnsafeMutablePointer<libxl_domain_config>.allocate(capacity: 1)
        libxl_domain_config_init(raw)
        let rc = libxl_domain_config_from_json(ctx, raw, json)
        guard rc == 0 else {
            libxl_domain_config_dispose(raw)
            raw.deallocate()
            return .failure(LibxlFailure(code: rc))
        }
        return .success(raw)
    }

    /// Stores `bytes` under `key` for the domain; libxl removes it when the domain is destroyed.
    static func storeUserdata(_ ctx: OpaquePointer, _ id: DomainID, key: String, _ bytes: [UInt8]) -> Result<Void, LibxlFailure> {
        check(libxl_userdata_store(ctx, id.rawValue, key, bytes, Int32(bytes.count)))
    }

    /// The domain's userdata under `key`, or nil when it has none.
    static func retrieveUserdata(_ ctx: OpaquePointer, _ id: DomainID, key: String) -> Result<[UInt8]?, LibxlFailure> {
        var data: UnsafeMutablePointer<UInt8>?
        var length: Int32 = 0
        let rc = libxl_userdata_retrieve(ctx, id.rawValue, key, &data, &length)
        guard rc == 0 else { return .failure(LibxlFailure(code: rc)) }
        guard let data, length > 0 else { return .success(nil) }
        defer { free(data) }
        return .success(Array(UnsafeBufferPointer(start: data, count: Int(length))))
    }

    /// Renames a shut-down domain to its name plus `suffix` and gives it a new UUID, so that
    /// it stays for inspection while a new copy starts under the old name and UUID.
    static func preserve(_ ctx: OpaquePointer, _ id: DomainID,
                         _ config: UnsafeMutablePointer<libxl_domain_config>, suffix: String) -> Result<Void, LibxlFailure> {
        var uuid = libxl_uuid()
        libxl_uuid_generate(&uuid)
        return check(libxl_domain_preserve(ctx, id.rawValue, &config.pointee.c_info, suffix, uuid))
    }

    static func coreDump(_ ctx: OpaquePointer, _ id: DomainID, to path: String) -> Result<Void, LibxlFailure> {
        check(libxl_domain_core_dump(ctx, id.rawValue, path, nil))
    }

    /// Rebuilds a domain that asked for a soft reset in place (same domid), from `config`.
    static func softReset(_ ctx: OpaquePointer, _ id: DomainID,
                          _ config: UnsafeMutablePointer<libxl_domain_config>) -> Result<Void, LibxlFailure> {
        check(libxl_domain_soft_reset(ctx, config, id.rawValue, nil, nil))
    }
}
