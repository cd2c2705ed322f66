// Raw libxl calls for saving and restoring domains. libxl streams the domain through a
// helper process (libxl-save-helper) that it forks and reaps itself: see shim.h for the
// SIGCHLD mode that makes that safe in our multithreaded process.
//
// All run synchronously (ao_how NULL): libxl runs its own event loop until the operation is
// done, blocking the calling thread, never Swift's cooperative pool.
internal import CXen

extension Libxl {
    /// Writes the domain's libxl stream to `fd` and leaves the domain suspended (not
    /// destroyed). > "flags: LIBXL_SUSPEND_*" (libxl.h): live and debug, for migration.
    static func suspend(_ ctx: OpaquePointer, _ id: DomainID, fd: Int32, live: Bool = false, debug: Bool = false) -> Result<Void, LibxlFailure> {
        var flags: Int32 = 0
        if live { flags |= LIBXL_SUSPEND_LIVE }
        if debug { flags |= LIBXL_SUSPEND_DEBUG }
        return check(libxl_domain_suspend(ctx, id.rawValue, fd, flags, nil))
    }

    /// Lets a suspended domain run again where it stopped.
    /// > "suspend_cancel: If this parameter is true, use co-operative resume" (libxl.h),
    /// which is what xl uses after a save that keeps the domain.
    static func resume(_ ctx: OpaquePointer, _ id: DomainID) -> Result<Void, LibxlFailure> {
        check(libxl_domain_resume(ctx, id.rawValue, 1, nil))
    }

    /// Builds a domain from `config` and the libxl stream read from `fd`; the domain is left
    /// paused. On failure, the domid of what was half built, if any.
    static func createRestore(_ ctx: OpaquePointer, _ config: UnsafeMutablePointer<libxl_domain_config>,
                              fd: Int32, streamVersion: UInt32) -> Result<DomainID, CreateFailure> {
        var params = libxl_domain_restore_params()
        libxl_domain_restore_params_init(&params)
        defer { libxl_domain_restore_params_dispose(&params) }
        params.checkpointed_stream = 0   // LIBXL_CHECKPOINTED_STREAM_NONE
        params.stream_version = streamVersion
        var domid: UInt32 = UInt32.max
        let rc = libxl_domain_create_restore(ctx, config, &domid, fd, -1, &params, nil, nil)
        guard rc == 0 else {
            return .failure(CreateFailure(code: rc, domain: domid == UInt32.max ? nil : DomainID(domid)))
        }
        return .success(DomainID(domid))
    }
}
