import Foundation
import Testing
@testable import XKCommands

/// The watcher `xk create` starts waits niced and takes its creator's priority back before it
/// acts (BackgroundWatcher.swift); the lab checks both on a real watcher.
@Suite(.serialized) struct BackgroundWatcherTests {
    /// This thread's nice value (Linux keeps one per thread).
    static func threadNiceness() -> Int32 {
        getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)   // 0: the calling thread, on Linux
    }

    /// On a thread of its own, so that no other test's thread changes priority.
    static func onOwnThread(_ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        Thread { body(); done.signal() }.start()
        done.wait()
    }

    @Test func aWatcherItStartedTakesTheNicenessItWasGivenOnceAndPassesNoneOn() {
        nonisolated(unsafe) var seen: (before: Int32, after: Int32, again: Int32, left: Bool) = (0, 0, 0, true)
        Self.onOwnThread {
            let before = Self.threadNiceness()
            setenv(BackgroundWatcher.actingNicenessVariable, "\(before + 3)", 1)
            BackgroundWatcher.takeActingPriority()
            let after = Self.threadNiceness()
            BackgroundWatcher.takeActingPriority()   // the variable is gone: nothing changes
            seen = (before, after, Self.threadNiceness(), getenv(BackgroundWatcher.actingNicenessVariable) != nil)
        }
        #expect(seen.after == seen.before + 3)
        #expect(seen.again == seen.after)
        #expect(!seen.left)
    }

    @Test func anyOtherWatcherKeepsItsPriority() {
        nonisolated(unsafe) var seen: (Int32, Int32) = (0, 0)
        unsetenv(BackgroundWatcher.actingNicenessVariable)
        Self.onOwnThread {
            let before = Self.threadNiceness()
            BackgroundWatcher.takeActingPriority()
            seen = (before, Self.threadNiceness())
        }
        #expect(seen.0 == seen.1)
    }
}
