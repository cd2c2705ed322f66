import Foundation
import Testing
@testable import XKCommands

/// The watcher `xk create` starts niced takes its creator's priority back once it watches
/// (BackgroundWatcher.swift); the lab checks the priority a real watcher waits and acts at.
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
            setenv(BackgroundWatcher.creatorNicenessVariable, "\(before + 3)", 1)
            BackgroundWatcher.takeCreatorsPriority()
            let after = Self.threadNiceness()
            BackgroundWatcher.takeCreatorsPriority()   // the variable is gone: nothing changes
            seen = (before, after, Self.threadNiceness(), getenv(BackgroundWatcher.creatorNicenessVariable) != nil)
        }
        #expect(seen.after == seen.before + 3)
        #expect(seen.again == seen.after)
        #expect(!seen.left)
    }

    @Test func anyOtherWatcherKeepsItsPriority() {
        nonisolated(unsafe) var seen: (Int32, Int32) = (0, 0)
        unsetenv(BackgroundWatcher.creatorNicenessVariable)
        Self.onOwnThread {
            let before = Self.threadNiceness()
            BackgroundWatcher.takeCreatorsPriority()
            seen = (before, Self.threadNiceness())
        }
        #expect(seen.0 == seen.1)
    }
}
