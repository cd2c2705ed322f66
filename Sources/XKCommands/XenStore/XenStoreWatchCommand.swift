import ArgumentParser
import XenKit

/// `xk xenstore-watch`: print each change under the given paths as it happens.
struct XenStoreWatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xenstore-watch",
        abstract: "Print the path of each xenstore change below PATHs, as it happens.",
        discussion: """
            As xenstore-watch: one line per fired watch, the node that changed. xenstored fires each watch once when it is set, so the first lines are the watched paths themselves. Stops after -n events, or on Ctrl-C/SIGTERM. With --json, one JSON object per line (the keys are in docs/json.md (/usr/share/doc/xenkit/docs/json.md.gz)); dropped_count is how many dropped counts events lost just before this one because output could not keep up.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .customShort("n"), help: "Stop after this many events.")
    var count: Int?

    @Flag(help: "Print JSON lines.")
    var json = false

    @Argument(help: "Paths to watch: a node and everything below it, or @introduceDomain / @releaseDomain.")
    var paths: [String]

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one PATH") }
        if let count, count < 1 { throw ValidationError("-n must be at least 1") }
    }

    func run() async throws {
        let parsed = try paths.map(XenStorePath.argument)
        let (json, count) = (self.json, self.count)
        let printer = Task {
            var seen = 0
            for try await event in XenStore.watch(parsed) {
                if json {
                    print(Self.line(time: WallClock.now(), path: event.path, watched: event.watched, dropped: event.droppedBefore)
                        .serialized(pretty: false))
                } else {
                    if event.droppedBefore > 0 { print("(\(event.droppedBefore) events dropped)") }
                    print(event.path)
                }
                flushStandardOutput()
                seen += 1
                if let count, seen >= count { return }
            }
        }
        // Ctrl-C or SIGTERM cancels the iteration, which ends the watch and its thread.
        _ = StopSignals.install()
        let stopper = Task.detached { await waitForStopSignal(); printer.cancel() }
        defer { stopper.cancel() }
        try await printer.value
    }
}

extension XenStoreWatchCommand {
    /// One line of `xk xenstore-watch --json` (docs/json.md).
    static func line(time: Double, path: String, watched: String, dropped: Int) -> JSONValue {
        .document([
            ("time_s", .double(time)), ("path", .string(path)), ("watched", .string(watched)),
            ("dropped_count", .int(Int64(dropped))),
        ])
    }
}
