// A thread whose end is waited for with pthread_join, instead of a flag polled in a sleep
// loop (which costs a wake-up every few milliseconds and still leaves the thread running
// a moment after "done"). For work that blocks in C: a migration stream's relay, the watch
// that times a migration's downtime.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// A running thread, joined exactly once: by ``join()``, or when the last reference goes.
final class JoinableThread: Sendable {
    private let thread: Mutex<pthread_t?>

    private init(_ thread: pthread_t) { self.thread = Mutex(thread) }

    /// Starts `body` on a new thread; nil when the system has no thread to give.
    static func start(_ body: @escaping @Sendable () -> Void) -> JoinableThread? {
        let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            Unmanaged<ThreadBody>.fromOpaque(raw).takeRetainedValue().run()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(box).release()
            return nil
        }
        return JoinableThread(thread)
    }

    /// Waits until the thread has ended; at once if it was joined already.
    func join() {
        guard let thread = thread.withLock({ $0.take() }) else { return }
        pthread_join(thread, nil)
    }

    // Whoever drops a thread without joining it still waits for it: its body may use what
    // the owner is about to free.
    deinit { join() }
}
