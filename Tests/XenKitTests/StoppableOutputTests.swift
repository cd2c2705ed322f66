import Testing
@testable import XenKit

#if canImport(Glibc)
import Glibc
#endif

/// Output a stop can interrupt: with the reader stalled (a full pipe, a full socket), a stop
/// ends the write instead of leaving it blocked; once the reader reads, every byte arrives in
/// order; and the descriptor shared with others stays blocking.
@Suite struct StoppableOutputTests {
    /// A pipe or socket pair whose write end is full: nothing more fits until the reader reads.
    struct Stalled: ~Copyable {
        let read: Int32
        let write: Int32
        let filled: Int

        init(socket: Bool = false) {
            var fds: [Int32] = [-1, -1]
            if socket {
                #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
            } else {
                #expect(pipe(&fds) == 0)
            }
            let end = fds[1]
            let flags = fcntl(end, F_GETFL)
            _ = fcntl(end, F_SETFL, flags | O_NONBLOCK)
            var total = 0
            let chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = chunk.withUnsafeBytes { Glibc.write(end, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                total += n
            }
            _ = fcntl(end, F_SETFL, flags)
            (read, write, filled) = (fds[0], end, total)
        }

        deinit {
            close(read)
            close(write)
        }
    }

    /// A stop descriptor: the read end of a pipe, readable once a byte is written to `write`.
    struct Stop: ~Copyable {
        let read: Int32
        let write: Int32

        init() {
            var fds: [Int32] = [-1, -1]
            #expect(pipe(&fds) == 0)
            (read, write) = (fds[0], fds[1])
        }

        deinit {
            close(read)
            close(write)
        }
    }

    @Test(arguments: [false, true])
    func aStopEndsAWriteTheReaderStalls(socket: Bool) throws {
        let stalled = Stalled(socket: socket)
        let stop = Stop()
        let output = StoppableOutput(descriptor: stalled.write, stop: stop.read)
        let stopWrite = stop.write
        let stopper = try #require(JoinableThread.start {
            usleep(100_000)
            var byte: UInt8 = 1
            _ = Glibc.write(stopWrite, &byte, 1)
        })
        #expect(try output.write(String(repeating: "x", count: 10_000) + "\n") == .stopped)
        stopper.join()
        // The pipe's own description was never made non-blocking (the shell shares it).
        #expect(fcntl(stalled.write, F_GETFL) & O_NONBLOCK == 0)
    }

    @Test(arguments: [false, true])
    func onceTheReaderReadsEveryByteArrivesInOrder(socket: Bool) throws {
        let stalled = Stalled(socket: socket)
        let stop = Stop()
        let output = StoppableOutput(descriptor: stalled.write, stop: stop.read)
        let lines = (0..<2000).map { "line \($0) " + String(repeating: "y", count: $0 % 97) + "\n" }
        let expected = Array(lines.joined().utf8)
        let (read, filled) = (stalled.read, stalled.filled)
        let reader = try #require(JoinableThread.start {
            usleep(100_000)
            let all = Stalled.drainFrom(read, count: filled + expected.count)
            #expect(all.count == filled + expected.count)
            #expect(Array(all.dropFirst(filled)) == expected)
        })
        for line in lines {
            #expect(try output.write(line) == .written)
        }
        reader.join()
    }

    @Test func aClosedReaderIsAnErrorWithItsErrno() throws {
        var fds: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        close(fds[0])
        defer { close(fds[1]) }
        let stop = Stop()
        let output = StoppableOutput(descriptor: fds[1], stop: stop.read)
        #expect(throws: XenError.self) { try output.write("lost\n") }
        do {
            _ = try output.write("lost\n")
        } catch {
            #expect(error.errno == EPIPE)
        }
    }
}

extension StoppableOutputTests.Stalled {
    static func drainFrom(_ fd: Int32, count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while bytes.count < count {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += buffer[..<n]
        }
        return bytes
    }
}
