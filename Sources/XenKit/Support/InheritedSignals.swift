// Signals as the parent left them, put right before libxl starts anything. A blocked mask and
// an ignored disposition survive fork and exec, and libxl stops a device model with SIGHUP
// (libxl__kill_xs_path on device-model-pid): a QEMU started by an xk that inherited SIGHUP
// blocked (the lab's test runner does) or ignored (`nohup xk create ...`) outlives the
// destroy of its domain, and one stays behind per save, migration and destroy. Seen in the
// lab with xl as with xk when run from the test runner; from a shell, neither left one.
//
// So xk, first thing, unblocks every signal, and where SIGHUP, SIGINT or SIGTERM is ignored
// it installs a handler that does nothing instead: xk itself still ignores them (nohup keeps
// its meaning), and a child gets the default action back at exec, as handlers do not survive
// exec while SIG_IGN does.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public enum InheritedSignals {
    /// The signals whose inherited SIG_IGN would reach the children libxl starts.
    static let stopping: [Int32] = [SIGHUP, SIGINT, SIGTERM]

    /// Unblocks every signal on the calling thread (call it before any thread starts) and
    /// turns an ignored SIGHUP, SIGINT or SIGTERM into a handler that does nothing.
    public static func reset() {
        var none = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, nil)
        for signal in stopping {
            var current = sigaction()
            guard sigaction(signal, nil, &current) == 0, handlerValue(current) == ignoreValue else { continue }
            var ignoring = sigaction()
            ignoring.__sigaction_handler.sa_handler = { _ in }
            sigemptyset(&ignoring.sa_mask)
            ignoring.sa_flags = SA_RESTART
            sigaction(signal, &ignoring, nil)
        }
    }

    /// SIG_IGN, as a number: C's handler constants are not Equatable in Swift.
    static let ignoreValue = 1
    /// SIG_DFL, as a number.
    static let defaultValue = 0

    /// The handler of `action` as a number (0: SIG_DFL, 1: SIG_IGN, else a function).
    static func handlerValue(_ action: sigaction) -> Int {
        unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self)
    }
}
