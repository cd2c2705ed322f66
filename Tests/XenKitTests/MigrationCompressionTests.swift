import Testing
@testable import XenKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The compressed stream between two xk ends, without Xen: what the sender's channel writes
/// (messages and the relayed stream, through real pipes and the relay's thread) comes out of
/// the receiver's feed byte for byte; a stream zstd cannot decode, or one that asks for more
/// than the bounded window, ends the plain side where the good bytes end and says why.
@Suite struct MigrationCompressionTests {
    init() { signal(SIGPIPE, SIG_IGN) }   // a closed pipe is an error here, as in xk

    /// A pipe's two ends.
    static func pipeEnds() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        try #require(pipe(&fds) == 0)
        return (fds[0], fds[1])
    }

    /// Everything readable from `fd` until its writer closes it, read on a thread of its own.
    final class Drain: @unchecked Sendable {
        // @unchecked: `bytes` is written by the thread and read only after join().
        private var bytes: [UInt8] = []
        private var thread: JoinableThread?
        init(_ fd: Int32) {
            thread = JoinableThread.start { [self] in
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { break }
                    bytes += buffer[0..<n]
                }
            }
        }
        func result() -> [UInt8] {
            thread?.join()
            return bytes
        }
    }

    /// A guest's memory as libxc streams it: mostly empty pages, some text, some noise.
    static func guestLikeStream(pages: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(pages * 4096)
        for page in 0..<pages {
            switch page % 8 {
            case 0: bytes += (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
            case 1: bytes += Array(String(repeating: "init: page \(page) of the guest's memory\n", count: 100).utf8.prefix(4096))
            default: bytes += [UInt8](repeating: 0, count: 4096)
            }
        }
        return bytes
    }

    @Test func whatTheSenderWritesTheReceiverReadsByteForByte() throws {
        let wire = try Self.pipeEnds()
        let feed = try #require(StreamDecompressFeed(from: wire.read))
        let plain = Drain(feed.readFD)
        let channel = try MigrationChannel(sendFD: wire.write, receiveFD: -1).compressing(level: 1)
        let header = SaveFileHeader(configJSON: "{\"c_info\": {\"name\": \"web\"}}\n").encoded()
        let stream = Self.guestLikeStream(pages: 2048)   // 8 MiB

        #expect(channel.send(header).isSuccess)
        let (streamed, problem) = channel.relay { fd in
            writeAll(fd, stream).mapError { LibxlFailure(code: -3, messages: ["\($0.reason)"]) }
        }
        #expect(problem == nil)
        #expect(streamed.isSuccess)
        // The stream's frame ended whole before GO was sent (the receiver waits for this
        // before it says "ready").
        #expect(MigrationChannel(sendFD: -1, receiveFD: feed.readFD, feed: feed).streamComplete(timeout: .seconds(30)).isSuccess)
        #expect(channel.send(MigrationMessage.permissionToGo.bytes).isSuccess)
        close(wire.write)

        let received = plain.result()
        #expect(received == header + stream + MigrationMessage.permissionToGo.bytes)
        #expect(feed.finish() == nil)
        close(wire.read)
        // Counted before and after: three quarters of the pages are empty, an eighth is text.
        #expect(channel.relayed.count == UInt64(stream.count))
        #expect(channel.onWire.count > 0 && channel.onWire.count < UInt64(stream.count) / 4, "\(channel.onWire.count)")
        #expect(feed.compressedBytes >= channel.onWire.count)
    }

    /// Each message is flushed: the receiver can read the header whole before anything else
    /// is sent, as it must to answer.
    @Test func eachMessageArrivesWholeBeforeTheNext() throws {
        let wire = try Self.pipeEnds()
        let feed = try #require(StreamDecompressFeed(from: wire.read))
        let channel = try MigrationChannel(sendFD: wire.write, receiveFD: -1).compressing(level: 3)
        let header = SaveFileHeader(configJSON: "{}\n").encoded()
        #expect(channel.send(header).isSuccess)
        let reader = MigrationChannel(sendFD: -1, receiveFD: feed.readFD)
        #expect((try? reader.receive(header.count, timeout: .seconds(10)).get()) == header)
        close(wire.write)
        guard case .failure(.ended) = reader.receive(1, timeout: .seconds(10)) else {
            Issue.record("the stream did not end")
            return
        }
        #expect(feed.finish() == nil)
        close(wire.read)
    }

    @Test func aStreamZstdCannotDecodeEndsThePlainSide() throws {
        // A good frame's first part, then garbage.
        let good = try Self.pipeEnds()
        let channel = try MigrationChannel(sendFD: good.write, receiveFD: -1).compressing(level: 1)
        let header = SaveFileHeader(configJSON: "{}\n").encoded()
        #expect(channel.send(header).isSuccess)
        close(good.write)
        let compressedHeader = Drain(good.read).result()
        close(good.read)

        // The header comes and is read; then the garbage comes.
        let wire = try Self.pipeEnds()
        let feed = try #require(StreamDecompressFeed(from: wire.read))
        let reader = MigrationChannel(sendFD: -1, receiveFD: feed.readFD)
        #expect(writeAll(wire.write, compressedHeader).isSuccess)
        #expect((try? reader.receive(header.count, timeout: .seconds(10)).get()) == header)
        #expect(writeAll(wire.write, [0x02, 0xff, 0xff, 0x13] + Array(repeating: 0xa5, count: 4000)).isSuccess)
        // The plain side ends without the sender closing its side: the feed gave up.
        guard case .failure(.ended) = reader.receive(1, timeout: .seconds(10)) else {
            Issue.record("the plain side did not end")
            return
        }
        guard case .zstd(let failure)? = feed.finish() else {
            Issue.record("no zstd failure")
            return
        }
        #expect(!failure.reason.isEmpty)
        close(wire.write)
        close(wire.read)
    }

    @Test func notZstdAtAllIsRefusedAtOnce() throws {
        let wire = try Self.pipeEnds()
        let feed = try #require(StreamDecompressFeed(from: wire.read))
        let plain = Drain(feed.readFD)
        // xl's plain stream, sent to a receiver told to expect a compressed one.
        #expect(writeAll(wire.write, SaveFileHeader(configJSON: "{}\n").encoded()).isSuccess)
        #expect(plain.result().isEmpty)
        guard case .zstd(let failure)? = feed.finish() else {
            Issue.record("no zstd failure")
            return
        }
        #expect(failure.reason.lowercased().contains("unknown frame descriptor"), "\(failure.reason)")
        close(wire.write)
        close(wire.read)
    }

    /// A byte garbled on the way inside incompressible data (which zstd stores as it is) is
    /// caught by the frame's checksum: the plain side ends, and never with the whole stream.
    @Test func aGarbledByteIsCaughtByTheChecksum() throws {
        let sender = try Self.pipeEnds()
        let compressed = Drain(sender.read)
        let channel = try MigrationChannel(sendFD: sender.write, receiveFD: -1).compressing(level: 1)
        let stream = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255) }
        let (streamed, problem) = channel.relay { fd in
            writeAll(fd, stream).mapError { LibxlFailure(code: -3, messages: ["\($0.reason)"]) }
        }
        #expect(streamed.isSuccess && problem == nil)
        close(sender.write)
        var wireBytes = compressed.result()
        close(sender.read)
        wireBytes[wireBytes.count / 3] ^= 0x40   // inside a block (their headers fall every 128 KiB + 3)

        let wire = try Self.pipeEnds()
        let feed = try #require(StreamDecompressFeed(from: wire.read))
        let plain = Drain(feed.readFD)
        // From a thread of its own: once the feed gives up, nobody reads the rest.
        let writer = JoinableThread.start { [wireBytes] in
            _ = writeAll(wire.write, wireBytes)
            close(wire.write)
        }
        #expect(plain.result().count < stream.count)
        guard case .failure(.compression) = feed.waitForFrameEnd(timeout: .seconds(30)) else {
            Issue.record("the stream was taken as whole")
            return
        }
        guard case .zstd(let failure)? = feed.finish() else {
            Issue.record("the garbled byte went through")
            return
        }
        #expect(failure.reason.contains("checksum"), "\(failure.reason)")
        close(wire.read)   // the writer, if still there, fails (EPIPE)
        writer?.join()
    }

    /// A frame header that asks for a window of 2^windowLog bytes, then one raw block.
    static func frame(windowLog: UInt8, content: [UInt8]) -> [UInt8] {
        let magic: [UInt8] = [0x28, 0xb5, 0x2f, 0xfd]
        let descriptor: UInt8 = 0   // no content size, no checksum, no dictionary, not single-segment
        let window = (windowLog - 10) << 3   // exponent only, no mantissa
        let blockHeader = UInt32(1) | UInt32(content.count) << 3   // last block, raw
        return magic + [descriptor, window] + [UInt8(blockHeader & 0xff), UInt8(blockHeader >> 8 & 0xff), UInt8(blockHeader >> 16)] + content
    }

    /// The decoder's window is bounded: a hostile sender cannot make the receiver allocate
    /// 128 MiB or more. 8 MiB, what level 19 uses, is accepted.
    @Test func aWindowBeyondEightMebibytesIsRefused() throws {
        for (windowLog, accepted) in [(UInt8(23), true), (24, false), (27, false), (31, false)] {
            let wire = try Self.pipeEnds()
            let feed = try #require(StreamDecompressFeed(from: wire.read))
            let plain = Drain(feed.readFD)
            #expect(writeAll(wire.write, Self.frame(windowLog: windowLog, content: Array("data".utf8))).isSuccess)
            close(wire.write)
            let received = plain.result()
            let problem = feed.finish()
            close(wire.read)
            if accepted {
                #expect(received == Array("data".utf8) && problem == nil, "window 2^\(windowLog)")
            } else {
                #expect(received.isEmpty, "window 2^\(windowLog)")
                guard case .zstd(let failure)? = problem else {
                    Issue.record("window 2^\(windowLog) was not refused")
                    continue
                }
                #expect(failure.reason.contains("memory"), "\(failure.reason)")
            }
        }
    }

    @Test func onlyTheLevelsTheReceiverDecodesAreOffered() {
        #expect(XenContext.compressionLevels == 1...19)
        #expect(throws: XenError.self) { try MigrationChannel(sendFD: -1, receiveFD: -1).compressing(level: 20) }
        #expect(throws: XenError.self) { try MigrationChannel(sendFD: -1, receiveFD: -1).compressing(level: 0) }
    }
}

extension Result {
    fileprivate var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}
