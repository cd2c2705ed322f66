// Looking at the start of the libxl stream before libxl reads it. libxl 4.17 crashes (a call
// through a NULL pointer in its stream reader) when a migration stream's header is wrong,
// which would leave a half-built NAME--incoming domain behind; so the receiver checks the
// header first and refuses the stream itself. The bytes must stay in the descriptor for
// libxl: a socket gives them with MSG_PEEK, a pipe with tee(2).
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

enum StreamPeek {
    /// libxl's stream header: "LibxlFmt", then the version (2) and options, big-endian.
    static let libxlIdent = LibxlStreamHeader.ident
    static let headerSize = LibxlStreamHeader.size

    /// What is wrong with a libxl stream header, or nil when it is one libxl can read
    /// (``LibxlStreamHeader/problem(_:)``).
    static func problem(withHeader bytes: [UInt8]) -> String? {
        LibxlStreamHeader.problem(bytes)
    }

    /// The first `count` bytes waiting in `fd`, left unread; nil when they do not come within
    /// `timeout` seconds, the stream ends first, or `fd` is neither a socket nor a pipe.
    static func peek(_ fd: Int32, count: Int, timeout: Double) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        let deadline = MonotonicSeconds.now() + timeout
        // A socket: wait for the bytes and look at them.
        var pollfds = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while MonotonicSeconds.now() < deadline {
            let n = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress, count, Int32(MSG_PEEK)) }
            if n == count { return bytes }
            if n < 0 && errno == ENOTSOCK { break }
            if n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN) { return nil }
            _ = poll(&pollfds, 1, 10)
            usleep(10_000)   // the bytes may be there in part: give the rest time to come
        }
        // A pipe: copy what it holds into a scratch pipe with tee, without consuming it.
        var scratch: [Int32] = [-1, -1]
        guard pipe(&scratch) == 0 else { return nil }
        defer { close(scratch[0]); close(scratch[1]) }
        while MonotonicSeconds.now() < deadline {
            let n = cxen_tee(fd, scratch[1], count, CXEN_SPLICE_F_NONBLOCK)
            if n >= count {
                var got = 0
                while got < count {
                    let r = bytes[got...].withUnsafeMutableBytes { read(scratch[0], $0.baseAddress, count - got) }
                    if r <= 0 { return nil }
                    got += r
                }
                return bytes
            }
            if n < 0 && errno != EAGAIN && errno != EINTR { return nil }
            if n > 0 {   // part of it: empty the scratch pipe and look again once more came
                var junk = [UInt8](repeating: 0, count: n)
                _ = junk.withUnsafeMutableBytes { read(scratch[0], $0.baseAddress, n) }
            }
            if n == 0 { return nil }   // the writer closed the pipe
            _ = poll(&pollfds, 1, 10)
            usleep(10_000)
        }
        return nil
    }
}
