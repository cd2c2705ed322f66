import ArgumentParser
import XenKit

/// `xk cpupool-list`: the CPU pools, as `xl cpupool-list` prints them.
struct CPUPoolListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cpupool-list",
        abstract: "List the CPU pools.",
        discussion: """
            Each pool's name, CPU count, scheduler and domain count, in xl's columns; with -c, \
            its CPUs. With POOL, only that pool. With --json, one JSON document; \
            the keys are in docs/json.md (/usr/share/doc/xenkit/docs/json.md.gz).
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: [.short, .customLong("cpus")], help: "List each pool's CPUs.")
    var cpus = false

    @Flag(help: "Print JSON instead of the table.")
    var json = false

    @Argument(help: "Only this pool.")
    var pool: String?

    func run() throws {
        let state = CommandState(options: global)
        var pools = try state.context.cpupools()
        if let pool {
            guard let found = pools.first(where: { $0.name == pool }) else {
                throw XenError(code: .invalidArgument, message: "Pool '\(pool)' does not exist",
                               hint: "pools: " + pools.map(\.name).joined(separator: ", "))
            }
            pools = [found]
        }
        if json {
            print(Self.document(pools).serialized())
            return
        }
        print(left("Name", 19) + (cpus ? "CPU list" : "CPUs   Sched     Active   Domain count"))
        for pool in pools {
            if cpus {
                print(left(pool.name, 19) + CPUList.commaSeparated(pool.cpus))
            } else {
                print(left(pool.name, 19) + pool.scheduler.withCString {
                    cFormat("%3d %9s       y       %4d", CInt(pool.cpus.count), $0, CInt(pool.domainCount))
                })
            }
        }
    }
}

extension CPUPoolListCommand {
    /// `xk cpupool-list --json` (docs/json.md).
    static func document(_ pools: [CPUPool]) -> JSONValue {
        .document("cpupools", pools.map { pool in
            .object([("cpupool", .string(pool.name)), ("cpupool_id", .uint(UInt64(pool.id))), ("scheduler", .string(pool.scheduler)),
                     ("cpus", .array(pool.cpus.map { .uint(UInt64($0)) })), ("domain_count", .uint(UInt64(pool.domainCount)))])
        })
    }
}
