#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import XenKit

/// printf's %-Ns: the text, padded with spaces to at least `width` (xl's column layouts).
func left(_ text: String, _ width: Int) -> String {
    text + String(repeating: " ", count: max(0, width - text.count))
}

/// Writes to standard error (diagnostics never go to stdout, which scripts parse).
func printError(_ text: String, terminator: String = "\n") {
    _ = (text + terminator).withCString { write(STDERR_FILENO, $0, strlen($0)) }
}

/// Flushes `print`'s buffer: a watcher's log is a file, which stdio buffers in full.
func flushStandardOutput() {
    fflush(nil)   // all output streams; stdout itself is a C global Swift 6 will not touch
}

/// Writes bytes to standard output as they are (after what `print` buffered), whatever they
/// are: not text, maybe not UTF-8.
func writeStandardOutput(_ bytes: [UInt8]) {
    flushStandardOutput()
    var done = 0
    while done < bytes.count {
        let n = bytes[done...].withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return }   // stdout closed: like print, nothing more to do
        done += n
    }
}

/// Local wall-clock time for log lines: "2026-11-25 12:00:01".
enum Timestamp {
    static func now() -> String { WallClock.local("%Y-%m-%d %H:%M:%S") }
}
