// A plain detached thread for work that blocks in C (libxl_event_wait), so that it never
// holds a thread of Swift's cooperative pool. The closure reaches the thread through an
// Unmanaged box, retained once here and released once by the thread.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A thread's closure, passed to pthread_create through an Unmanaged box.
final class ThreadBody {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

/// Runs `body` on a new detached thread; false when the system has no thread to give.
func startDetachedThread(_ body: @escaping @Sendable () -> Void) -> Bool {
    let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { raw in
        guard let raw else { return nil }
        Unmanaged<ThreadBody>.fromOpaque(raw).takeRetainedValue().run()
        return nil
    }, box)
    guard rc == 0 else {
        Unmanaged<ThreadBody>.fromOpaque(box).release()
        return false
    }
    pthread_detach(thread)
    return true
}

/// Runs blocking work (libxl, xenstore) on a thread of its own and waits for it without
/// holding a thread of Swift's cooperative pool.
public func runOnDedicatedThread<T: Sendable>(_ body: @escaping @Sendable () throws(XenError) -> T) async throws(XenError) -> T {
    let result: Result<T, XenError> = await withCheckedContinuation { continuation in
        let started = startDetachedThread {
            do throws(XenError) {
                continuation.resume(returning: .success(try body()))
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
        if !started {
            continuation.resume(returning: .failure(XenError(code: .operationFailed, message: "cannot start a thread")))
        }
    }
    return try result.get()
}
