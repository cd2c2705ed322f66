import ArgumentParser
import XenKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `xk top`: a live per-domain view of the host, like xentop.
struct TopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "Show each domain's CPU %, memory and target, vCPUs and state, refreshed live (like xentop).",
        discussion: """
            CPU(%) is the CPU time a domain used between two refreshes over the time between them, in percent of one physical CPU (a domain busy on two vCPUs shows 200), as xentop counts it; the first frame comes one interval after start. MEM(k) is what xl list counts (current plus outstanding), TARGET(k) the balloon target, VCPUS online/maximum, STATE xl list's letters. On a terminal the view redraws until Ctrl-C; with -b (or when output is not a terminal) frames are printed one after another, each preceded by a header line, and -n stops after COUNT frames. With --json, each frame is one JSON object on one line; the keys are in docs/json.md (/usr/share/doc/xenkit/docs/json.md.gz).
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customShort("b"), help: "Batch mode: print frames one after another (for scripts).")
    var batch = false

    @Option(name: [.customShort("i"), .customShort("d"), .customLong("interval"), .customLong("delay")],
            help: "Seconds between refreshes.")
    var interval: Double = 2

    @Option(name: [.customShort("n"), .customLong("iterations")], help: "Stop after this many frames.")
    var iterations: Int?

    @Option(name: .long, help: "Sort by: \(UsageOrder.allCases.map(\.rawValue).joined(separator: ", ")).")
    var sort: String = "name"

    @Flag(help: "Print one JSON object per frame, one per line.")
    var json = false

    func validate() throws {
        guard interval >= 0.1 && interval <= 3600 else { throw ValidationError("the interval must be between 0.1 and 3600 seconds") }
        if let iterations, iterations < 1 { throw ValidationError("-n must be at least 1") }
        guard UsageOrder(rawValue: sort) != nil else {
            throw ValidationError("--sort takes one of: \(UsageOrder.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        let state = CommandState(options: global)
        let context = try state.context
        let order = UsageOrder(rawValue: sort) ?? .name
        let hostMemory = try context.hostInfo().totalMemory.kibibytes
        let store = try? XenStore(readOnly: true)
        let live = !batch && !json && isatty(STDOUT_FILENO) == 1
        let stop = StopSignals.install()
        var sampler = UsageSampler()
        _ = sampler.sample(try context.domains(), at: MonotonicSeconds.now(), hostMemoryKiB: hostMemory)
        var frames = 0
        while true {
            if Self.sleep(interval, orUntil: stop) { break }
            let infos = try context.domains()
            var targets: [DomainID: UInt64] = [:]
            for info in infos {
                if let path = XenStorePath.domainHome(info.id).appending("memory/target"),
                   let text = try? store?.read(path), let kib = UInt64(text) { targets[info.id] = kib }
            }
            let rows = order.sorted(sampler.sample(infos, at: MonotonicSeconds.now(), hostMemoryKiB: hostMemory, targets: targets))
            let time = WallClock.now()
            if json {
                print(Self.frameJSON(rows, time: time, hostMemoryKiB: hostMemory).serialized(pretty: false))
            } else {
                if live { print("\u{1B}[H\u{1B}[2J", terminator: "") }
                print(Self.header(rows, time: time, hostMemoryKiB: hostMemory))
                print(Self.tableHeader)
                for row in rows { print(Self.line(row)) }
                if !live { print("") }
            }
            flushStandardOutput()
            frames += 1
            if let iterations, frames >= iterations { break }
        }
    }

    /// Sleeps `seconds`; returns true when a stop signal came first.
    static func sleep(_ seconds: Double, orUntil stop: Int32) -> Bool {
        var fds = pollfd(fd: stop, events: Int16(POLLIN), revents: 0)
        let deadline = MonotonicSeconds.now() + seconds
        while true {
            let left = deadline - MonotonicSeconds.now()
            if left <= 0 { return false }
            if poll(&fds, 1, Int32(left * 1000) + 1) > 0 { return true }
        }
    }

    static func header(_ rows: [DomainUsage], time: Double, hostMemoryKiB: UInt64) -> String {
        let running = rows.filter { $0.info.isRunning }.count
        let paused = rows.filter { $0.info.isPaused }.count
        let used = rows.reduce(Memory.kibibytes(0)) { $0 + $1.info.totalMemory }   // saturating
        return "xk top - \(WallClock.format(time)): \(rows.count) domains: \(running) running, \(paused) paused; "
            + "memory \(hostMemoryKiB)k total, \(used.kibibytes)k used by domains"
    }

    static let tableHeader = pad("NAME", 20, left: true) + pad("ID", 6) + pad("STATE", 7) + pad("CPU(sec)", 10)
        + pad("CPU(%)", 8) + pad("MEM(k)", 10) + pad("MEM(%)", 7) + pad("TARGET(k)", 10) + pad("MAXMEM(k)", 10) + pad("VCPUS", 7)

    static func line(_ row: DomainUsage) -> String {
        let info = row.info
        return pad(row.name, 20, left: true) + pad("\(info.id)", 6) + pad(info.stateFlags, 7)
            + pad("\(info.cpuTimeNanoseconds / 1_000_000_000)", 10)
            + pad(row.cpuPercent.map { fixed($0, 1) } ?? "-", 8)
            + pad("\(info.totalMemory.kibibytes)", 10) + pad(fixed(row.memoryPercent, 1), 7)
            + pad(row.targetKiB.map(String.init) ?? "-", 10)
            + pad(info.maxMemory.kibibytes == UInt64.max ? "no limit" : "\(info.maxMemory.kibibytes)", 10)
            + pad("\(info.onlineVCPUs)/\(info.vcpuCount)", 7)
    }

    static func frameJSON(_ rows: [DomainUsage], time: Double, hostMemoryKiB: UInt64) -> JSONValue {
        .document([
            ("time_s", .double(time)),
            ("host_memory_kib", .uint(hostMemoryKiB)),
            ("domains", .array(rows.map { row in
                .object([
                    ("name", .string(row.name)),
                    ("domid", .uint(UInt64(row.info.id.rawValue))),
                    ("state", .string(row.info.stateFlags)),
                    ("cpu_time_ns", .uint(row.info.cpuTimeNanoseconds)),
                    ("cpu_time_s", .double(Double(row.info.cpuTimeNanoseconds) / 1e9)),
                    ("cpu_percent", row.cpuPercent.map { .double(($0 * 10).rounded() / 10) } ?? .null),
                    ("memory_kib", .uint(row.info.totalMemory.kibibytes)),
                    ("memory_percent", .double((row.memoryPercent * 10).rounded() / 10)),
                    ("target_kib", row.targetKiB.map { .uint($0) } ?? .null),
                    ("max_kib", row.info.maxKiBJSON),
                    ("vcpus_online", .uint(UInt64(row.info.onlineVCPUs))),
                    ("vcpus_max", .uint(UInt64(row.info.vcpuCount))),
                ])
            })),
        ])
    }

    static func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return left ? text + fill : fill + text + " "
    }

    /// `value` with `digits` decimals, rounded as printf rounds.
    static func fixed(_ value: Double, _ digits: Int) -> String {
        cFormat("%.*f", Int32(digits), value)
    }
}
