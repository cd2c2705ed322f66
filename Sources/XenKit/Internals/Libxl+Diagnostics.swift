// Raw libxl calls behind xl's diagnostic and rescue verbs: the hypervisor's console ring
// (xl dmesg), debug keys (xl debug-keys), a guest's magic SysRq key (xl sysrq) and when a
// domain started (xl uptime). Triggers are in Libxl+Lifecycle.swift, beside shutdown -F.
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension Libxl {
    /// The hypervisor's console ring, read to its end (and emptied with `clear`). Xen bounds
    /// the ring (its conring_size), so the text is bounded too.
    static func hypervisorConsole(_ ctx: OpaquePointer, clear: Bool) -> Result<[UInt8], LibxlFailure> {
        guard let reader = libxl_xen_console_read_start(ctx, clear ? 1 : 0) else {
            return .failure(LibxlFailure(code: LibxlCode.fail))
        }
        defer { libxl_xen_console_read_finish(ctx, reader) }
        var text: [UInt8] = []
        while true {
            var chunk: UnsafeMutablePointer<CChar>?
            let rc = libxl_xen_console_read_line(ctx, reader, &chunk)
            if rc < 0 { return .failure(LibxlFailure(code: rc)) }
            if rc == 0 { return .success(text) }
            if let chunk { text += UnsafeRawBufferPointer(start: chunk, count: strlen(chunk)) }
        }
    }

    /// `libxl_send_debug_keys`: each character is one key to the hypervisor's key handler.
    static func sendDebugKeys(_ ctx: OpaquePointer, _ keys: String) -> Result<Void, LibxlFailure> {
        var bytes = Array(keys.utf8CString)
        return check(bytes.withUnsafeMutableBufferPointer { libxl_send_debug_keys(ctx, $0.baseAddress) })
    }

    /// `libxl_send_sysrq`: writes the key to the guest's control/sysrq node, which its PV
    /// drivers watch.
    static func sendSysrq(_ ctx: OpaquePointer, _ id: DomainID, _ key: UInt8) -> Result<Void, LibxlFailure> {
        check(libxl_send_sysrq(ctx, id.rawValue, CChar(bitPattern: key)))
    }

    /// `libxl_vm_get_start_time`: seconds since the epoch when the domain was built; nil when
    /// xenstore does not say (libxl's -1).
    static func startTime(_ ctx: OpaquePointer, _ id: DomainID) -> UInt32? {
        let time = libxl_vm_get_start_time(ctx, id.rawValue)
        return time == UInt32.max ? nil : time
    }
}
