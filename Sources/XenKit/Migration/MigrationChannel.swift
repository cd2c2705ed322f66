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
public struct MigrationChannel: Sendable, MigrationTransport {
    public let sendFD: Int32
    public let receiveFD: Int32
    /// What the relay has moved so far, as libxl wrote it (for a progress line).
    let relayed = ByteCounter()
    /// What the relay has written to the transport: fewer bytes than `relayed` when compressed.
    let onWire = ByteCounter()
    /// Compresses all that is sent, between two xk ends (MigrationCompression.swift).
    let compressor: StreamCompressor?
    /// Decompresses what `receiveFD` gives (whose bytes it writes there).
    let feed: StreamDecompressFeed?

    public init(sendFD: Int32, receiveFD: Int32) {
        self.init(sendFD: sendFD, receiveFD: receiveFD, compressor: nil)
    }

    init(sendFD: Int32, receiveFD: Int32, compressor: StreamCompressor? = nil, feed: StreamDecompressFeed? = nil) {
        self.sendFD = sendFD
        self.receiveFD = receiveFD
        self.compressor = compressor
        self.feed = feed
    }

    func streamComplete(timeout: Duration) -> Result<Void, TransportFailure> {
        feed?.waitForFrameEnd(timeout: timeout) ?? .success(())
    }

    /// The same descriptors, with everything sent compressed at zstd `level`
    /// (``ZstdCompressor/levels``), for an `xk migrate-receive --compressed`.
    func compressing(level: Int) throws(XenError) -> MigrationChannel {
        do throws(ZstdFailure) {
            return MigrationChannel(sendFD: sendFD, receiveFD: receiveFD, compressor: try StreamCompressor(level: level))
        } catch {
            throw XenError(code: .invalidArgument, message: "cannot compress the migration stream at level \(level): \(error.reason)")
        }
    }

    var receiveDescriptor: Int32 { receiveFD }

    func peek(_ count: Int, timeout: Duration) -> Result<[UInt8], TransportFailure> {
        guard let bytes = StreamPeek.peek(receiveFD, count: count, timeout: timeout.inSeconds) else {
            return .failure(.timedOut)   // or ended: StreamPeek does not tell them apart
        }
        return .success(bytes)
    }

    func receive(_ count: Int, timeout: Duration?) -> Result<[UInt8], TransportFailure> {
        var buffer = [UInt8](repeating: 0, count: count)
        var got = 0
        let milliseconds = timeout.map { Int32(clamping: Int(($0.inSeconds * 1000).rounded(.up))) } ?? -1
        while got < count {
            var ready = pollfd(fd: receiveFD, events: Int16(POLLIN), revents: 0)
            let polled = poll(&ready, 1, milliseconds)
            if polled < 0 {
                if errno == EINTR { continue }
                return .failure(.failed(.last))
            }
            if polled == 0 { return .failure(.timedOut) }
            let n = buffer[got...].withUnsafeMutableBytes { readDescriptor(receiveFD, $0.baseAddress, $0.count) }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            if n < 0 { return .failure(.failed(.last)) }
            if n == 0 { return .failure(.ended) }
            got += n
        }
        return .success(buffer)
    }

    func send(_ bytes: [UInt8]) -> Result<Void, TransportFailure> {
        guard let compressor else { return writeAll(sendFD, bytes).mapError { .failed($0) } }
        // A frame of its own: the receiver decodes (and checks) the whole message before it answers.
        switch bytes.withUnsafeBytes({ compressor.write($0, .end, to: sendFD) }) {
        case .success: return .success(())
        case .failure(.system(let failure)): return .failure(.failed(failure))
        case .failure(.zstd(let failure)): return .failure(.compression(failure))
        }
    }

    func relay(_ body: (Int32) -> Result<Void, LibxlFailure>) -> (Result<Void, LibxlFailure>, relayProblem: String?) {
        guard let relay = StreamRelay(to: sendFD, counter: relayed, wire: onWire, compressor: compressor) else {
            return (.failure(LibxlFailure(code: LibxlCode.fail)), "cannot set up the stream (no pipe or thread)")
        }
        let result = body(relay.writeFD)
        switch relay.finish() {
        case .success: return (result, nil)
        case .failure(.system(let failure)): return (result, "the transport broke: \(failure.reason)")
        case .failure(.zstd(let failure)): return (result, "cannot compress the stream: \(failure.reason)")
        }
    }
}
