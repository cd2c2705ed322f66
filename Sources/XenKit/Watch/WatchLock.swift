// Who carries out a domain's shutdown actions: exactly one process at a time.
//
// Why flock: a watcher (the per-domain process `xk create` leaves, or the host service) holds
// an exclusive lock on a file named after the domain's UUID while it follows the domain, and
// the kernel drops the lock when that process dies, however it dies. Whoever wants to act
// takes the lock without waiting; if it cannot, someone else is watching. The UUID survives a
// restart (the new domain gets the old UUID), so one lock covers the domain across restarts.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An exclusive lock on a file, released when the value goes away (or the process dies).
public struct LockFile: ~Copyable {
    private let fd: Int32
    /// The locked file's path.
    public let path: String

    /// Takes the lock without waiting; nil when another process holds it.
    ///
    /// - Throws: ``XenError`` when the file cannot be created or opened.
    public static func acquire(_ path: String) throws(XenError) -> LockFile? {
        try makeDirectories(parentOf: path)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw XenError(code: .operationFailed, message: "cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            close(fd)
            return nil
        }
        // The holder's pid, for messages ("watched by pid 123").
        let pid = String(getpid()) + "\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
        return LockFile(fd: fd, path: path)
    }

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    /// Releases the lock now (it is also released when the value goes away).
    public consuming func release() {}

    deinit {
        close(fd)   // closing the last descriptor releases the flock
    }

    /// Whether some process holds the lock on `path` now, and its pid when it wrote one.
    public static func holder(of path: String) -> Int32?? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var held = false
        while flock(fd, LOCK_SH | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            held = true
            break
        }
        guard held else { return nil }
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = pread(fd, &buffer, buffer.count, 0)
        let text = String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self)
        return .some(Int32(text.prefix { $0 != "\n" }))
    }
}

/// Where watchers keep their locks and notes.
public enum WatchPaths {
    /// Run-time state; gone when the host reboots, as the domains are.
    public static let runDirectory = "/run/xenkit"

    /// The lock held by whoever carries out the shutdown actions of the domain with this UUID.
    public static func domainLock(uuid: String) -> String { "\(runDirectory)/watch/\(uuid).lock" }

    /// The lock the host service (`xk daemon`) holds while it runs.
    public static var serviceLock: String { "\(runDirectory)/daemon.lock" }

    /// The libxl userdata key that marks a domain whose shutdown actions xk carries out.
    static let userdataKey = "xenkit"
}
