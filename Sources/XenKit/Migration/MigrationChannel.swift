// xl's migration handshake, byte for byte (xen: tools/xl/xl.h and xl_migrate.c), so that xk
// and xl can migrate to each other:
//
//   receiver -> sender  banner   "xl migration receiver ready, send binary domain data.\n"
//   sender -> receiver  xl's save-file header with the config, then the libxl stream
//   receiver -> sender  ready    "domain received, ready to unpause\0"
//   sender -> receiver  go       "domain is yours, you are cleared to unpause\0"
//   receiver -> sender  report   "my copy unpause results are as follows\0", one status byte
//   and, when the status is not 0 (the receiver could not start its copy and destroyed it):
//   receiver -> sender  go       (the sender may have its domain back)
//
// The banner is sent without its NUL, the other messages with it, as xl does (sizeof-1 for
// the banner, sizeof for the rest).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The fixed messages of xl's migration handshake.
public enum MigrationMessage: Sendable, CaseIterable {
    case banner, ready, permissionToGo, report

    public var bytes: [UInt8] {
        switch self {
        case .banner: Array("xl migration receiver ready, send binary domain data.\n".utf8)
        case .ready: Array("domain received, ready to unpause".utf8) + [0]
        case .permissionToGo: Array("domain is yours, you are cleared to unpause".utf8) + [0]
        case .report: Array("my copy unpause results are as follows".utf8) + [0]
        }
    }

    var what: String {
        switch self {
        case .banner: "the receiver's banner"
        case .ready: "the receiver's \"ready\""
        case .permissionToGo: "permission to go"
        case .report: "the receiver's report"
        }
    }
}

/// The two ends of a migration transport (the ssh command's pipes, or a socket): what we
/// write to and what we read from. The descriptors belong to the caller.
public struct MigrationChannel: Sendable {
    public let sendFD: Int32
    public let receiveFD: Int32

    public init(sendFD: Int32, receiveFD: Int32) {
        self.sendFD = sendFD
        self.receiveFD = receiveFD
    }

    /// Reads exactly `count` bytes; nil at the end of the stream or on an error.
    func read(_ count: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = buffer[got...].withUnsafeMutableBytes { readDescriptor(receiveFD, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            got += n
        }
        return buffer
    }

    /// Reads one fixed message; returns what went wrong, or nil.
    func expect(_ message: MigrationMessage) -> String? {
        guard let bytes = read(message.bytes.count) else {
            return "the stream ended before \(message.what)"
        }
        guard bytes == message.bytes else {
            return "the stream held unexpected data instead of \(message.what)"
        }
        return nil
    }

    /// Writes bytes; returns what went wrong, or nil.
    func send(_ bytes: [UInt8]) -> String? {
        writeAll(sendFD, bytes)
    }

    func send(_ message: MigrationMessage) -> String? {
        send(message.bytes).map { "cannot send \(message.what): \($0)" }
    }
}
