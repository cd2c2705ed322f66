// A connection to xenstored: read, write, list, remove, permissions and transactions.
// It needs no libxl context, so it works wherever xenstored can be reached (dom0, or a
// driver domain through /dev/xen/xenbus).
//
// Why a final class: it owns one xs_handle, closed once in deinit. libxenstore serialises
// requests on a handle itself, so one connection may be shared between threads. Every call
// is a round trip to xenstored that blocks: call it from a thread of your own (xk's
// commands are synchronous), never from Swift's cooperative pool.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A connection to the xenstore daemon.
///
/// An absent node is `nil` (or an empty list), never an error: errors are for what the
/// operator must look at (no xenstored, no permission, a bad path, a quota).
///
/// The corresponding libxenstore functions are `xs_open`, `xs_read`, `xs_write`,
/// `xs_directory`, `xs_rm`, `xs_get_permissions`, `xs_set_permissions` and
/// `xs_transaction_start`/`_end`.
public final class XenStore: @unchecked Sendable {
    let handle: OpaquePointer
    /// Whether the connection was opened read-only.
    public let isReadOnly: Bool

    /// Opens a connection to xenstored.
    ///
    /// - Parameter readOnly: open the daemon's read-only socket (writes then fail with
    ///   ``XenError/Code-swift.struct/permissionDenied``).
    /// - Throws: ``XenError`` with code `xenstoreUnavailable` when xenstored cannot be reached.
    public init(readOnly: Bool = false) throws(XenError) {
        switch XenStoreCalls.open(readOnly: readOnly) {
        case .success(let handle):
            self.handle = handle
            isReadOnly = readOnly
        case .failure(let failure):
            throw XenError(code: .xenstoreUnavailable, message: "cannot connect to xenstored",
                           hint: "is xenstored running, and is this a Xen domain with /dev/xen/xenbus?",
                           errno: failure.errno)
        }
    }

    deinit { XenStoreCalls.close(handle) }

    /// The node's value as bytes, or nil when there is no such node.
    public func readBytes(_ path: XenStorePath) throws(XenError) -> [UInt8]? {
        try Self.check("read \(path)") { XenStoreCalls.read(handle, XenStoreCalls.noTransaction, path.rawValue) }
    }

    /// The node's value as text (invalid UTF-8 repaired), or nil when there is no such node.
    public func read(_ path: XenStorePath) throws(XenError) -> String? {
        try readBytes(path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Writes `value` at `path`, creating the node and its parents as needed.
    public func write(_ path: XenStorePath, _ value: String) throws(XenError) {
        try write(path, bytes: Array(value.utf8))
    }

    /// Writes raw bytes at `path`.
    public func write(_ path: XenStorePath, bytes: [UInt8]) throws(XenError) {
        try Self.check("write \(path)") { XenStoreCalls.write(handle, XenStoreCalls.noTransaction, path.rawValue, bytes) }
    }

    /// Creates an empty node (and its parents); an existing node is left as it is.
    public func makeDirectory(_ path: XenStorePath) throws(XenError) {
        try Self.check("create \(path)") { XenStoreCalls.mkdir(handle, XenStoreCalls.noTransaction, path.rawValue) }
    }

    /// The names of the node's children, in xenstored's order; empty when there is no such node.
    public func list(_ path: XenStorePath) throws(XenError) -> [String] {
        try Self.check("list \(path)") { XenStoreCalls.directory(handle, XenStoreCalls.noTransaction, path.rawValue) } ?? []
    }

    /// Whether the node exists.
    public func exists(_ path: XenStorePath) throws(XenError) -> Bool {
        try Self.check("look up \(path)") { XenStoreCalls.directory(handle, XenStoreCalls.noTransaction, path.rawValue) } != nil
    }

    /// Removes the node and everything below it; removing an absent node does nothing.
    public func remove(_ path: XenStorePath) throws(XenError) {
        try Self.check("remove \(path)") { XenStoreCalls.remove(handle, XenStoreCalls.noTransaction, path.rawValue) }
    }

    /// The node's permissions, or nil when there is no such node.
    public func permissions(_ path: XenStorePath) throws(XenError) -> XenStorePermissions? {
        try Self.check("read the permissions of \(path)") {
            XenStoreCalls.permissions(handle, XenStoreCalls.noTransaction, path.rawValue)
        }.flatMap(XenStorePermissions.init(raw:))
    }

    /// Replaces the node's permissions.
    public func setPermissions(_ path: XenStorePath, _ permissions: XenStorePermissions) throws(XenError) {
        try Self.check("set the permissions of \(path)") {
            XenStoreCalls.setPermissions(handle, XenStoreCalls.noTransaction, path.rawValue, permissions.raw)
        }
    }

    /// The node and everything below it, depth first, in xenstored's order: each node's
    /// path relative to `path`, its depth (0 for `path` itself) and its value as stored
    /// (bytes: a guest's value need not be UTF-8; see ``sanitised(_:)`` to print it).
    ///
    /// - Parameter limit: the most nodes to read; a guest's area can be large, and a tree
    ///   walk is one round trip per node.
    public func tree(_ path: XenStorePath, limit: Int = 100_000) throws(XenError) -> [(path: XenStorePath, depth: Int, value: [UInt8]?)] {
        var out: [(XenStorePath, Int, [UInt8]?)] = []
        var stack: [(XenStorePath, Int)] = [(path, 0)]
        while let (node, depth) = stack.popLast(), out.count < limit {
            out.append((node, depth, try readBytes(node)))
            let children = try list(node)
            for child in children.reversed() {
                guard let childPath = node.appending(child) else { continue }
                stack.append((childPath, depth + 1))
            }
        }
        return out
    }

    /// Runs `body` in a transaction and commits it, running it again from the start when
    /// xenstored reports that another transaction changed the same nodes (EAGAIN), up to
    /// `attempts` times. `body` must therefore only read and write through the transaction.
    ///
    /// If `body` throws, the transaction is aborted and the error rethrown.
    public func withTransaction<T>(attempts: Int = 16, _ body: (borrowing Transaction) throws(XenError) -> T) throws(XenError) -> T {
        var attempt = 0
        while true {
            attempt += 1
            let id = try Self.check("start a transaction") { XenStoreCalls.transactionStart(handle) }
            let transaction = Transaction(store: self, id: id)
            let result: T
            do {
                result = try body(transaction)
            } catch {
                _ = XenStoreCalls.transactionEnd(handle, id, abort: true)
                throw error
            }
            switch XenStoreCalls.transactionEnd(handle, id, abort: false) {
            case .success:
                return result
            case .failure(let failure) where failure.errno == EAGAIN && attempt < attempts:
                continue
            case .failure(let failure):
                throw XenError.xenstore(failure, operation: "commit a transaction (attempt \(attempt) of \(attempts))")
            }
        }
    }

    /// Reads and writes inside one transaction: they all take effect together when
    /// ``XenStore/withTransaction(attempts:_:)`` commits, or none does.
    public struct Transaction: ~Copyable {
        let store: XenStore
        let id: UInt32

        /// The node's value as seen by the transaction, or nil when there is no such node.
        public func read(_ path: XenStorePath) throws(XenError) -> String? {
            try XenStore.check("read \(path)") { XenStoreCalls.read(store.handle, id, path.rawValue) }
                .map { String(decoding: $0, as: UTF8.self) }
        }

        /// Writes `value` at `path` when the transaction commits.
        public func write(_ path: XenStorePath, _ value: String) throws(XenError) {
            try XenStore.check("write \(path)") { XenStoreCalls.write(store.handle, id, path.rawValue, Array(value.utf8)) }
        }

        /// The names of the node's children; empty when there is no such node.
        public func list(_ path: XenStorePath) throws(XenError) -> [String] {
            try XenStore.check("list \(path)") { XenStoreCalls.directory(store.handle, id, path.rawValue) } ?? []
        }

        /// Removes the node and everything below it when the transaction commits.
        public func remove(_ path: XenStorePath) throws(XenError) {
            try XenStore.check("remove \(path)") { XenStoreCalls.remove(store.handle, id, path.rawValue) }
        }

        /// Replaces the node's permissions when the transaction commits.
        public func setPermissions(_ path: XenStorePath, _ permissions: XenStorePermissions) throws(XenError) {
            try XenStore.check("set the permissions of \(path)") {
                XenStoreCalls.setPermissions(store.handle, id, path.rawValue, permissions.raw)
            }
        }
    }

    static func check<T>(_ operation: String, _ call: () -> Result<T, XenStoreFailure>) throws(XenError) -> T {
        switch call() {
        case .success(let value): return value
        case .failure(let failure): throw XenError.xenstore(failure, operation: operation)
        }
    }
}

extension XenStore {
    /// A value as xenstore-utils print it (xenstore-read without -R, xenstore-ls), so what a
    /// guest wrote cannot reach the operator's terminal as escape sequences.
    ///
    /// Byte for byte as xen 4.17's `sanitise_value` (tools/xenstore/xs_lib.c):
    /// > if (c >= ' ' && c <= '~' && c != '\\') { ADD(c); continue; }
    /// > ... '\t' 't', '\n' 'n', '\r' 'r', '\\' '\\'; default: if (c < 010) ADDF("%03o", c);
    /// > else ADDF("x%02x", c);
    /// Each byte is escaped on its own, so bytes that are not UTF-8 come out as they were sent.
    public static func sanitised(_ value: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(value.count)
        for byte in value {
            if byte >= 0x20 && byte <= 0x7E && byte != UInt8(ascii: "\\") {
                out.append(byte)
                continue
            }
            out.append(UInt8(ascii: "\\"))
            switch byte {
            case 0x09: out.append(UInt8(ascii: "t"))
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case ..<0o10: out += [UInt8(ascii: "0"), UInt8(ascii: "0"), UInt8(ascii: "0") + byte]
            default: out += [UInt8(ascii: "x"), digits[Int(byte >> 4)], digits[Int(byte & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
