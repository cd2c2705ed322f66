// Counts the bytes of a migration stream as they go, for the progress line and the report.
//
// Why a relay: libxl hands the domain's stream to its save helper process, which writes into
// the descriptor we give it; nothing tells us how much has gone. So libxl gets the write end
// of a pipe, and a thread of ours moves the stream from the pipe to the real transport with
// splice(2), inside the kernel (no copy through our memory: under emulation a copy of the
// whole guest is seconds), counting what moved. Where splice cannot write (a transport that
// is neither a pipe, a socket nor a file), it falls back to read and write. When the
// transport breaks, the relay closes the pipe, so the save helper fails at once (EPIPE)
// instead of blocking forever. Between two xk ends the relay compresses instead
// (MigrationCompression.swift): it reads the stream and writes zstd's output.
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

final class StreamRelay: Sendable {
    /// What libxl writes into.
    let writeFD: Int32
    private let readFD: Int32
    private let destination: Int32
    private let sent: ByteCounter
    private let onWire: ByteCounter
    private let compressor: StreamCompressor?
    private let failure = Mutex<CompressedStreamFailure?>(nil)
    private let thread = Mutex<JoinableThread?>(nil)

    /// Nil when no pipe can be made.
    ///
    /// - Parameters:
    ///   - counter: counts the stream's bytes as libxl wrote them.
    ///   - wire: counts what went to the transport (fewer bytes when compressed).
    ///   - compressor: compresses the stream into the transport; nil sends it as it is.
    init?(to destination: Int32, counter: ByteCounter = ByteCounter(), wire: ByteCounter = ByteCounter(),
          compressor: StreamCompressor? = nil) {
        sent = counter
        onWire = wire
        self.compressor = compressor
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return nil }
        readFD = fds[0]
        writeFD = fds[1]
        _ = fcntl(readFD, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeFD, F_SETFD, FD_CLOEXEC)
        self.destination = destination
        // The save helper inherits writeFD by libxl's own arrangement; the pipe is large so
        // that the helper rarely waits for us.
        _ = fcntl(readFD, CXEN_F_SETPIPE_SZ, 1 << 20)
        // Likewise the transport, when it is a pipe (fails harmlessly on anything else): at
        // 1 MiB rather than 64 KiB, the relay and the transport wake each other far less often.
        _ = fcntl(destination, CXEN_F_SETPIPE_SZ, 1 << 20)
        guard let started = JoinableThread.start({ [self] in run() }) else {
            close(readFD)
            close(writeFD)
            return nil
        }
        thread.withLock { $0 = started }
    }

    /// Bytes sent to the transport so far.
    var bytesSent: UInt64 { sent.count }

    private func run() {
        if let compressor {
            compressing(with: compressor)
            return
        }
        var failure: CompressedStreamFailure?
        var useSplice = true
        var buffer: [UInt8] = []
        while true {
            if useSplice {
                let n = cxen_splice(readFD, nil, destination, nil, 1 << 20, CXEN_SPLICE_F_MOVE | CXEN_SPLICE_F_MORE)
                if n > 0 {
                    sent.add(n)
                    onWire.add(n)
                    continue
                }
                if n == 0 { break }
                if errno == EINTR || errno == EAGAIN { continue }
                if errno == EINVAL && sent.count == 0 {
                    useSplice = false   // this transport cannot be spliced into: copy
                    buffer = [UInt8](repeating: 0, count: 1 << 18)
                    continue
                }
                failure = .system(.last)
                break
            }
            let n = buffer.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            if case .failure(let problem) = writeAll(destination, Array(buffer[0..<n])) {
                failure = .system(problem)
                break
            }
            sent.add(n)
            onWire.add(n)
        }
        close(readFD)   // a writer still there now fails with EPIPE
        self.failure.withLock { $0 = failure }
    }

    /// Reads the stream and writes it compressed, as one frame ended (and checksummed) with
    /// the stream, so that the receiver can decode all of it before it answers.
    private func compressing(with compressor: StreamCompressor) {
        var buffer = [UInt8](repeating: 0, count: 1 << 18)
        var failure: CompressedStreamFailure?
        while true {
            let n = buffer.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { failure = .system(.last); break }
            let written = buffer.withUnsafeBytes { raw in
                compressor.write(UnsafeRawBufferPointer(rebasing: raw[..<n]), n == 0 ? .end : .none, to: destination, counter: onWire)
            }
            if case .failure(let problem) = written { failure = problem; break }
            if n == 0 { break }
            sent.add(n)
        }
        close(readFD)
        self.failure.withLock { $0 = failure }
    }

    /// Closes libxl's end and waits until everything written has gone to the transport.
    func finish() -> Result<Void, CompressedStreamFailure> {
        close(writeFD)
        thread.withLock { $0.take() }?.join()
        return failure.withLock { $0 }.map { .failure($0) } ?? .success(())
    }
}
