import Testing
@testable import XenKit

#if canImport(Glibc)
import Glibc
#endif

/// The one spawn helper: descriptors set up by the spawn, a wait with a time limit that
/// neither blocks past it nor loses the child.
@Suite struct ChildProcessTests {
    @Test func itsEndIsReported() throws {
        #expect(try ChildProcess("/bin/sh", ["sh", "-c", "exit 3"]).wait(timeout: .seconds(10)) == .exited(3))
        #expect(try ChildProcess("/bin/sh", ["sh", "-c", "kill -TERM $$"]).wait(timeout: nil) == .killed(signal: SIGTERM))
    }

    /// Entries given are added to ours; ours stay.
    @Test func itGetsOurEnvironmentAndTheEntriesGiven() throws {
        #expect(getenv("PATH") != nil)
        let script = #"[ "$XENKIT_TEST_A" = "one two" ] && [ "$XENKIT_TEST_B" = "" ] && [ -n "$PATH" ]"#
        let given = try ChildProcess("/bin/sh", ["sh", "-c", script], environment: ["XENKIT_TEST_A=one two", "XENKIT_TEST_B="])
        #expect(given.wait(timeout: .seconds(10)) == .exited(0))
        let none = try ChildProcess("/bin/sh", ["sh", "-c", #"[ -z "${XENKIT_TEST_A+set}" ] && [ -n "$PATH" ]"#])
        #expect(none.wait(timeout: .seconds(10)) == .exited(0))
    }

    @Test func aTimedWaitComesBackInTimeAndTheChildCanStillBeCollected() throws {
        let child = try ChildProcess("/bin/sleep", ["sleep", "2"])
        let clock = ContinuousClock()
        let started = clock.now
        #expect(child.wait(timeout: .milliseconds(200)) == nil)
        #expect(started.duration(to: clock.now) < .seconds(1))
        #expect(child.wait(timeout: .seconds(10)) == .exited(0))
        #expect(child.wait(timeout: .seconds(1)) == .exited(0))   // once ended, always ended
    }

    @Test func itsOutputGoesWhereItIsSent() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let child = try ChildProcess("/bin/sh", ["sh", "-c", "printf out; printf err >&2"], stdin: .null,
                                     stdout: .descriptor(fds[1]), stderr: .standardOutput)
        close(fds[1])
        #expect(child.wait(timeout: .seconds(10)) == .exited(0))
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = read(fds[0], &buffer, 64)
        close(fds[0])
        #expect(String(decoding: buffer.prefix(max(n, 0)), as: UTF8.self) == "outerr")
    }

    @Test func aProgramThatIsNotThereIsAnError() {
        #expect(throws: XenError.self) { try ChildProcess("/nonexistent/xk", ["xk"]) }
    }
}
