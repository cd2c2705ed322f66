// POSIX descriptors with one owner. A `FileDescriptor` closes itself when it goes, so no path
// through a workflow (an early return, a thrown error) can leak it; `close()` consumes it
// and says whether the close worked, which matters for a file whose data must be on disk
// (xl checks neither fsync nor close). `SystemFailure` is the errno of a failed call, kept
// as the cause of the XenError built from it.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failed system call: what was being done, and its errno.
struct SystemFailure: Error, Equatable, Sendable {
    var errno: Int32
    /// The errno's text, for messages ("No space left on device").
    var reason: String { String(cString: strerror(errno)) }

    /// The errno the last call left.
    static var last: SystemFailure { SystemFailure(errno: Glibc.errno) }
}

/// An open descriptor, closed exactly once: by ``close()`` or when it goes.
struct FileDescriptor: ~Copyable {
    let rawValue: Int32

    init(taking rawValue: Int32) { self.rawValue = rawValue }

    /// open(2) with O_CLOEXEC added.
    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0) -> Result<FileDescriptor, SystemFailure> {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        return fd >= 0 ? .success(FileDescriptor(taking: fd)) : .failure(.last)
    }

    /// Closes it now and says whether the close reported an error (a write that failed late).
    consuming func close() -> Result<Void, SystemFailure> {
        let fd = rawValue
        discard self
        return Glibc.close(fd) == 0 ? .success(()) : .failure(.last)
    }

    deinit { _ = Glibc.close(rawValue) }

    /// Writes all of `bytes`, again after EINTR and short writes.
    func writeAll(_ bytes: [UInt8]) -> Result<Void, SystemFailure> {
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { Glibc.write(rawValue, $0.baseAddress, $0.count) }
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                return .failure(.last)
            }
            written += n
        }
        return .success(())
    }

    func sync() -> Result<Void, SystemFailure> {
        fsync(rawValue) == 0 ? .success(()) : .failure(.last)
    }

    /// fchmod(2): the mode exactly, whatever the umask made of open's.
    func setMode(_ mode: mode_t) -> Result<Void, SystemFailure> {
        fchmod(rawValue, mode) == 0 ? .success(()) : .failure(.last)
    }
}

/// The folder that holds `path`, for an fsync after a rename or an unlink in it: "a/b" is
/// in "a", "/b" in "/", and a bare "b" in "." (not "/").
func parentFolder(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    let folder = path[..<slash]
    return folder.isEmpty ? "/" : String(folder)
}
