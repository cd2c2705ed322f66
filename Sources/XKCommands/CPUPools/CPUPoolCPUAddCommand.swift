import ArgumentParser
import XenKit

/// `xk cpupool-cpu-add`, as `xl cpupool-cpu-add`.
struct CPUPoolCPUAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cpupool-cpu-add",
        abstract: "Add free CPUs to a CPU pool.",
        discussion: """
            CPUS as xl takes them: "3", "2-5,^4", "node:1". A CPU in another pool is refused, \
            naming that pool (xl reports only that some may not have been added, and exits 0).
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The pool, by name or id.")
    var pool: String

    @Argument(help: "The CPUs.")
    var cpus: String

    func run() throws {
        let context = try CommandState(options: global).context
        try context.addCPUs(try cpuSet(cpus, context: context), toPool: pool)
    }
}

/// A CPU list from the command line, on this host.
func cpuSet(_ text: String, context: XenContext) throws(XenError) -> Set<Int> {
    let host = try context.hostTopology()
    let set: Set<Int>
    do throws(CPUList.Problem) {
        set = try CPUList.parse(text, host: host)
    } catch {
        throw XenError(code: .invalidArgument, message: "CPUs '\(text)': \(error.message)", hint: error.hint)
    }
    guard !set.isEmpty else { throw XenError(code: .invalidArgument, message: "CPUs '\(text)' names no CPU") }
    return set
}
