import ArgumentParser
import XenKit

/// `xk monitor`: a live stream of what happens to the host's domains.
struct MonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Print host events as they happen: domains created, started, paused, shut down, destroyed, renamed, resized, migrated.",
        discussion: """
            Driven by xenstore watches (@introduceDomain, @releaseDomain, each domain's name, memory/target, cpu and control/shutdown nodes), plus one hypercall every --poll seconds for what no event tells (pause state, memory on its way to a target). One line per event with a timestamp; with --json, one JSON object per line (the keys are in docs/json.md (/usr/share/doc/xenkit/docs/json.md.gz)). A line on stderr says when the monitor is ready. A guest flooding its own xenstore area is reported (watch-flood, ignored), never followed line by line; at most 5 shutdown requests per domain per second are printed, more are counted as ignored (rate-limited). Watches are read on a thread of their own, so a reader that stalls makes xk wait, not grow; Ctrl-C and SIGTERM stop it even then. Stops on Ctrl-C or SIGTERM, or after -n events.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print one JSON object per line.")
    var json = false

    @Option(name: .long, help: "Only events of this domain (name or id; a name also matches its migration names). Repeatable.")
    var domain: [String] = []

    @Option(name: .long, help: "Seconds between polls of the domain list.")
    var poll: Double = 0.5

    @Option(name: .customShort("n"), help: "Stop after this many events.")
    var count: Int?

    func validate() throws {
        guard poll >= 0.05 && poll <= 60 else { throw ValidationError("--poll must be between 0.05 and 60 seconds") }
        if let count, count < 1 { throw ValidationError("-n must be at least 1") }
    }

    func run() throws {
        let state = CommandState(options: global)
        let monitor = try HostMonitor(context: try state.context, options: .init(pollInterval: poll))
        let stop = StopSignals.install()
        // Lines go through StoppableOutput: a reader that stalls makes it wait in poll(),
        // where Ctrl-C and SIGTERM are still heard.
        let output = StoppableOutput(stop: stop)
        var printed = 0
        var failure: XenError?
        try monitor.run(stop: stop, ready: { domains in
            printError("xk monitor: following \(domains) domain\(domains == 1 ? "" : "s"); Ctrl-C stops")
        }, emit: { event in
            guard domain.isEmpty || domain.contains(where: event.concerns) else { return true }
            let line = json ? event.json.serialized(pretty: false) : WallClock.format(event.time) + " " + event.description
            do throws(XenError) {
                guard try output.write(line + "\n") == .written else { return false }
            } catch {
                failure = error
                return false
            }
            printed += 1
            return count.map { printed < $0 } ?? true
        })
        if let failure { throw failure }
    }
}

extension HostEvent {
    /// The JSON line `xk monitor --json` prints (docs/json.md).
    var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("schema", .int(JSONValue.schemaVersion)),
            ("time_s", .double(time)),
            ("event", .string(kind.rawValue)),
            ("domid", .uint(UInt64(domain.rawValue))),
            ("name", .string(name)),
        ]
        if let reason { members.append(("reason", .string(reason))) }
        if let previousName { members.append(("previous_name", .string(previousName))) }
        if let targetKiB { members.append(("target_kib", .uint(targetKiB))) }
        if let previousTargetKiB { members.append(("previous_target_kib", .uint(previousTargetKiB))) }
        if let memoryKiB { members.append(("current_kib", .uint(memoryKiB))) }
        if let vcpus { members.append(("vcpus_available", .int(Int64(vcpus)))) }
        if let count { members.append(("count", .int(Int64(count)))) }
        if let detail { members.append(("detail", .string(detail))) }
        return .object(members)
    }
}
