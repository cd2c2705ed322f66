import ArgumentParser
import XenKit

/// `xk cpupool-destroy`: removes an empty CPU pool, as `xl cpupool-destroy`.
struct CPUPoolDestroyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cpupool-destroy",
        abstract: "Destroy an empty CPU pool (its CPUs become free).",
        discussion: "A pool that still has domains is refused, naming them; Pool-0 cannot be destroyed.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The pool, by name or id.")
    var pool: String

    func run() throws {
        try CommandState(options: global).context.destroyCpupool(pool)
    }
}
