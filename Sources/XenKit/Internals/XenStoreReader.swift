// A minimal read-only xenstore connection, for the few values libxl keeps there but does not
// return (a domain's memory/static-max). The full xenstore library is issue 6's.
//
// Ownership: the xs_handle belongs to this object and is closed once, in deinit.
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

final class XenStoreReader {
    private let handle: OpaquePointer

    /// Nil when xenstored cannot be reached.
    init?() {
        guard let handle = xs_open(UInt(XS_OPEN_READONLY)) else { return nil }
        self.handle = handle
    }

    deinit { xs_close(handle) }

    /// The node's value; nil when it does not exist (or cannot be read).
    func read(_ path: String) -> String? {
        var length: UInt32 = 0
        guard let value = xs_read(handle, 0 /* XBT_NULL */, path, &length) else { return nil }
        defer { free(value) }
        let bytes = UnsafeRawBufferPointer(start: value, count: Int(length))
        return String(decoding: bytes, as: UTF8.self)
    }
}
