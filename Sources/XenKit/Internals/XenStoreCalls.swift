// The only file that makes raw libxenstore calls (swift-system's Syscalls.swift is the model).
// Each function turns libxenstore's NULL/false-and-errno into a `Result` once, and copies what
// it returns into Swift values at once, freeing the C memory in a `defer`. The public API is
// `XenStore` and `XenStoreWatcher`; nothing here needs libxl.
//
// > "xs_handle ... may be used from several threads" (xenstore.h, xs_open: the library takes
// > its own request and watch mutexes), which is what lets `XenStore` be Sendable.
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failed libxenstore call: the errno it left.
struct XenStoreFailure: Error {
    var errno: Int32
}

enum XenStoreCalls {
    /// `XBT_NULL`: no transaction.
    static let noTransaction: UInt32 = 0

    static func open(readOnly: Bool) -> Result<OpaquePointer, XenStoreFailure> {
        let flags = readOnly ? UInt(XS_OPEN_READONLY) : 0
        guard let handle = xs_open(flags) else { return .failure(XenStoreFailure(errno: errno)) }
        return .success(handle)
    }

    static func close(_ handle: OpaquePointer) {
        xs_close(handle)
    }

    /// The node's bytes; nil when it does not exist (ENOENT).
    static func read(_ h: OpaquePointer, _ t: UInt32, _ path: String) -> Result<[UInt8]?, XenStoreFailure> {
        var length: UInt32 = 0
        guard let value = xs_read(h, t, path, &length) else {
            let code = errno
            return code == ENOENT ? .success(nil) : .failure(XenStoreFailure(errno: code))
        }
        defer { free(value) }
        return .success(Array(UnsafeRawBufferPointer(start: value, count: Int(length))))
    }

    static func write(_ h: OpaquePointer, _ t: UInt32, _ path: String, _ bytes: [UInt8]) -> Result<Void, XenStoreFailure> {
        let ok = bytes.withUnsafeBytes { xs_write(h, t, path, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, UInt32($0.count)) }
        return ok ? .success(()) : .failure(XenStoreFailure(errno: errno))
    }

    static func mkdir(_ h: OpaquePointer, _ t: UInt32, _ path: String) -> Result<Void, XenStoreFailure> {
        xs_mkdir(h, t, path) ? .success(()) : .failure(XenStoreFailure(errno: errno))
    }

    /// The children's names; nil when the node does not exist.
    static func directory(_ h: OpaquePointer, _ t: UInt32, _ path: String) -> Result<[String]?, XenStoreFailure> {
        var count: UInt32 = 0
        guard let list = xs_directory(h, t, path, &count) else {
            let code = errno
            return code == ENOENT ? .success(nil) : .failure(XenStoreFailure(errno: code))
        }
        defer { free(list) }   // one allocation holds the array and the strings
        return .success((0..<Int(count)).compactMap { list[$0].map { String(cString: $0) } })
    }

    /// Removes the node and everything under it; a node that is not there is not an error.
    static func remove(_ h: OpaquePointer, _ t: UInt32, _ path: String) -> Result<Void, XenStoreFailure> {
        if xs_rm(h, t, path) { return .success(()) }
        let code = errno
        return code == ENOENT ? .success(()) : .failure(XenStoreFailure(errno: code))
    }

    /// (domain, bits) pairs, owner first; nil when the node does not exist.
    static func permissions(_ h: OpaquePointer, _ t: UInt32, _ path: String) -> Result<[(UInt32, UInt32)]?, XenStoreFailure> {
        var count: UInt32 = 0
        guard let list = xs_get_permissions(h, t, path, &count) else {
            let code = errno
            return code == ENOENT ? .success(nil) : .failure(XenStoreFailure(errno: code))
        }
        defer { free(list) }
        return .success((0..<Int(count)).map { (UInt32(list[$0].id), UInt32(list[$0].perms)) })
    }

    static func setPermissions(_ h: OpaquePointer, _ t: UInt32, _ path: String, _ entries: [(UInt32, UInt32)]) -> Result<Void, XenStoreFailure> {
        var raw = entries.map { xs_permissions(id: $0.0, perms: $0.1) }
        let ok = raw.withUnsafeMutableBufferPointer { xs_set_permissions(h, t, path, $0.baseAddress, UInt32($0.count)) }
        return ok ? .success(()) : .failure(XenStoreFailure(errno: errno))
    }

    static func transactionStart(_ h: OpaquePointer) -> Result<UInt32, XenStoreFailure> {
        let t = xs_transaction_start(h)
        return t == noTransaction ? .failure(XenStoreFailure(errno: errno)) : .success(t)
    }

    /// Commits (or aborts); EAGAIN means another transaction won and this one must be retried.
    static func transactionEnd(_ h: OpaquePointer, _ t: UInt32, abort: Bool) -> Result<Void, XenStoreFailure> {
        xs_transaction_end(h, t, abort) ? .success(()) : .failure(XenStoreFailure(errno: errno))
    }

    static func watch(_ h: OpaquePointer, _ path: String, token: String) -> Result<Void, XenStoreFailure> {
        xs_watch(h, path, token) ? .success(()) : .failure(XenStoreFailure(errno: errno))
    }

    static func unwatch(_ h: OpaquePointer, _ path: String, token: String) {
        _ = xs_unwatch(h, path, token)
    }

    static func fileDescriptor(_ h: OpaquePointer) -> Int32 {
        xs_fileno(h)
    }

    /// One fired watch already read from the connection, as (path, token); nil when none is
    /// waiting (EAGAIN) or the connection failed (then errno is not EAGAIN).
    static func checkWatch(_ h: OpaquePointer) -> Result<(path: String, token: String)?, XenStoreFailure> {
        guard let event = xs_check_watch(h) else {
            let code = errno
            return code == EAGAIN ? .success(nil) : .failure(XenStoreFailure(errno: code))
        }
        defer { free(event) }
        let path = event[Int(XS_WATCH_PATH.rawValue)].map { String(cString: $0) } ?? ""
        let token = event[Int(XS_WATCH_TOKEN.rawValue)].map { String(cString: $0) } ?? ""
        return .success((path, token))
    }
}
