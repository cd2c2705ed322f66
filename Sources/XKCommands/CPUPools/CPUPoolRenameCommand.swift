import ArgumentParser
import XenKit

/// `xk cpupool-rename`, as `xl cpupool-rename`.
struct CPUPoolRenameCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cpupool-rename",
        abstract: "Rename a CPU pool.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The pool, by name or id.")
    var pool: String

    @Argument(help: "Its new name.")
    var newName: String

    func run() throws {
        try CommandState(options: global).context.renameCpupool(pool, to: newName)
    }
}
