// The compressed stream between two xk ends of a migration (`xk migrate` to `xk
// migrate-receive --compressed`).
//
// What is compressed: everything the sender sends after the receiver's banner (xl's header
// and config, the libxl stream, GO), each as a zstd frame of its own, so that the receiver
// can read every message whole as soon as it is sent. Each frame ends with a checksum of its
// content, so a stream garbled on the way fails at the end of its frame at the latest, before
// the receiver can read GO: it then destroys its copy and the sender resumes the domain. The
// receiver's few answers (banner, "ready", the report) stay plain. xl's wire (to `xl
// migrate-receive`, from `xl migrate`) is never compressed.
//
// Why the receiver decompresses into a pipe: libxl reads the stream itself, from a descriptor.
// A thread of ours reads the compressed bytes, decompresses them and writes them into a pipe
// whose other end is what the receiver's workflow and libxl read, exactly as they read a
// plain stream. A stream zstd cannot decode ends that pipe at once, so libxl sees a stream
// that stops short and the receiver fails and destroys its copy as for any corrupt stream;
// the decoder's window is bounded (8 MiB), so a hostile stream cannot make it allocate more.
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// Why compressed bytes could not be sent or received.
enum CompressedStreamFailure: Error, Equatable, Sendable {
    case zstd(ZstdFailure)
    case system(SystemFailure)

    var reason: String {
        switch self {
        case .zstd(let failure): "zstd: \(failure.reason)"
        case .system(let failure): failure.reason
        }
    }
}

/// The sender's zstd stream, shared by the messages and the relay (one at a time).
final class StreamCompressor: @unchecked Sendable {
    // @unchecked: `compressor` is touched only under `lock`.
    let level: Int
    private let lock = Mutex(())
    private var compressor: ZstdCompressor

    init(level: Int) throws(ZstdFailure) {
        self.level = level
        compressor = try ZstdCompressor(level: level)
    }

    /// Compresses `input` and writes the result to `fd`, counting what was written.
    func write(_ input: UnsafeRawBufferPointer, _ flush: ZstdFlush, to fd: Int32,
               counter: ByteCounter? = nil) -> Result<Void, CompressedStreamFailure> {
        lock.withLock { _ -> Result<Void, CompressedStreamFailure> in
            var failure: SystemFailure?
            do throws(ZstdFailure) {
                _ = try compressor.compress(input, flush) { piece in
                    switch writeAll(fd, Array(piece)) {
                    case .success:
                        counter?.add(piece.count)
                        return true
                    case .failure(let problem):
                        failure = problem
                        return false
                    }
                }
            } catch {
                return .failure(.zstd(error))
            }
            return failure.map { .failure(.system($0)) } ?? .success(())
        }
    }
}

/// The receiver's side: decompresses what comes on `source` into a pipe, whose read end
/// (`readFD`) stands for the plain stream.
final class StreamDecompressFeed: Sendable {
    /// What the workflow and libxl read: the plain stream.
    let readFD: Int32
    private let writeFD: Int32
    private let source: Int32
    private let wake: (read: Int32, write: Int32)
    private let problem = Mutex<CompressedStreamFailure?>(nil)
    private let received = ByteCounter()
    /// Whether what was decoded so far ends a frame; whether the thread has ended.
    private let atFrameEnd = Atomic<Bool>(true)
    private let ended = Atomic<Bool>(false)
    private let thread = Mutex<JoinableThread?>(nil)

    /// Nil when no pipe, decoder or thread can be had.
    init?(from source: Int32) {
        var fds: [Int32] = [-1, -1]
        var wakeFDs: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return nil }
        guard makeNonBlockingPipe(&wakeFDs) else {
            close(fds[0]); close(fds[1])
            return nil
        }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        (readFD, writeFD, self.source, wake) = (fds[0], fds[1], source, (wakeFDs[0], wakeFDs[1]))
        _ = fcntl(writeFD, CXEN_F_SETPIPE_SZ, 1 << 20)
        guard let decoder = try? Box(ZstdDecompressor()),
              let started = JoinableThread.start({ [self] in run(decoder) }) else {
            for fd in [readFD, writeFD, wake.read, wake.write] { close(fd) }
            return nil
        }
        thread.withLock { $0 = started }
    }

    /// Compressed bytes read so far.
    var compressedBytes: UInt64 { received.count }

    private func run(_ decoder: Box) {
        var buffer = [UInt8](repeating: 0, count: 1 << 17)
        var failure: CompressedStreamFailure?
        while true {
            var ready = [pollfd(fd: source, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
            if poll(&ready, 2, -1) < 0 {
                if errno == EINTR { continue }
                failure = .system(.last)
                break
            }
            if ready[1].revents != 0 { break }   // finish(): nobody reads any more
            let n = buffer.withUnsafeMutableBytes { readDescriptor(source, $0.baseAddress, $0.count) }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            if n < 0 { failure = .system(.last); break }
            if n == 0 { break }   // the sender closed its side
            received.add(n)
            var writeFailure: SystemFailure?
            let decoded = buffer.withUnsafeBytes { raw -> Result<Bool, ZstdFailure> in
                do throws(ZstdFailure) {
                    return .success(try decoder.value.decompress(UnsafeRawBufferPointer(rebasing: raw[..<n])) { piece in
                        if case .failure(let problem) = writeAll(writeFD, Array(piece)) {
                            writeFailure = problem
                            return false
                        }
                        return true
                    })
                } catch {
                    return .failure(error)
                }
            }
            atFrameEnd.store(decoder.value.atFrameEnd, ordering: .releasing)
            switch decoded {
            case .success(true): continue
            case .success(false): failure = writeFailure.map { .system($0) }
            case .failure(let error): failure = .zstd(error)
            }
            break
        }
        close(writeFD)   // the reader now sees the stream end where the good bytes end
        problem.withLock { $0 = failure }
        ended.store(true, ordering: .releasing)
    }

    /// Waits until all the sender sent so far has been decoded to the end of its frame, and
    /// the frame's checksum checked: once libxl has read the whole domain, the rest of the
    /// stream's frame (its checksum) must come before the receiver says "ready".
    func waitForFrameEnd(timeout: Duration) -> Result<Void, TransportFailure> {
        let deadline = MonotonicSeconds.now() + timeout.inSeconds
        while true {
            if let failure = problem.withLock({ $0 }) {
                switch failure {
                case .zstd(let zstd): return .failure(.compression(zstd))
                case .system(let system): return .failure(.failed(system))
                }
            }
            if atFrameEnd.load(ordering: .acquiring) { return .success(()) }
            if ended.load(ordering: .acquiring) {
                // The thread may have stored its problem just now.
                if problem.withLock({ $0 }) != nil { continue }
                return .failure(.ended)
            }
            if MonotonicSeconds.now() >= deadline { return .failure(.timedOut) }
            usleep(5_000)
        }
    }

    /// Stops reading and waits for the thread. The problem with the stream, if it had one:
    /// a zstd error means the sender's bytes were not a stream xk sends.
    func finish() -> CompressedStreamFailure? {
        _ = write(wake.write, "x", 1)   // wakes a thread waiting for the sender
        close(readFD)                   // and fails one waiting for the reader (EPIPE)
        thread.withLock { $0.take() }?.join()
        for fd in [wake.read, wake.write] { close(fd) }
        return problem.withLock { $0 }
    }

    /// The decoder, moved into the thread that alone uses it.
    private final class Box: @unchecked Sendable {
        // @unchecked: only the feed's thread touches it, after the initializer gave it away.
        var value: ZstdDecompressor
        init(_ value: consuming ZstdDecompressor) { self.value = value }
    }
}
