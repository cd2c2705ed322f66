import ArgumentParser
import XenKit

/// `xk cpupool-cpu-remove`, as `xl cpupool-cpu-remove`.
struct CPUPoolCPURemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cpupool-cpu-remove",
        abstract: "Remove CPUs from a CPU pool (they become free).",
        discussion: "CPUS as xl takes them. A pool with domains keeps at least one CPU.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The pool, by name or id.")
    var pool: String

    @Argument(help: "The CPUs.")
    var cpus: String

    func run() throws {
        let context = try CommandState(options: global).context
        try context.removeCPUs(try cpuSet(cpus, context: context), fromPool: pool)
    }
}
