// xl's lock around ballooning and building (acquire_lock in tools/xl/xl_vmcontrol.c): an
// fcntl write lock on the whole of xl.conf's `lockfile` (/var/lock/xl), waited for. xk takes
// the same lock the same way, so that an xk build and an xl build on one host never both
// count the same free memory, nor balloon dom0 for it twice. fcntl, not flock: the two do
// not see each other on Linux, and xl's is fcntl.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// xl's build lock, held until released or the value goes.
struct HostBuildLock: ~Copyable {
    private let descriptor: FileDescriptor

    private init(descriptor: consuming FileDescriptor) { self.descriptor = descriptor }

    /// Waits for the lock (as xl: F_SETLKW, again after EINTR).
    static func acquire(_ path: String) throws(SystemFailure) -> HostBuildLock {
        let descriptor: FileDescriptor
        switch FileDescriptor.open(path, O_WRONLY | O_CREAT, mode: S_IWUSR) {
        case .success(let opened): descriptor = opened
        case .failure(let failure): throw failure
        }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        while fcntl(descriptor.rawValue, F_SETLKW, &lock) != 0 {
            if errno == EINTR { continue }
            throw SystemFailure.last
        }
        return HostBuildLock(descriptor: descriptor)
    }

    /// Releases it now; closing the descriptor drops the lock.
    consuming func release() {}
}

extension HostBuildLock {
    /// Runs `body` holding the lock when `policy` balloons (as xl takes it only then).
    static func holding<T>(for policy: BuildPolicy, _ body: () -> T) -> Result<T, SystemFailure> {
        guard policy.ballooning, let path = policy.lockfile else { return .success(body()) }
        let lock: HostBuildLock
        do throws(SystemFailure) {
            lock = try acquire(path)
        } catch {
            return .failure(error)
        }
        let result = body()
        lock.release()
        return .success(result)
    }
}
