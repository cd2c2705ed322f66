import ArgumentParser
import XenKit

/// `xk cpupool-numa-split`, as `xl cpupool-numa-split`.
struct CPUPoolNUMASplitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cpupool-numa-split",
        abstract: "Make one CPU pool per NUMA node.",
        discussion: """
            As xl: Pool-0 keeps the node of CPU 0 and is renamed Pool-nodeN, Domain-0 keeps \
            at most as many online vCPUs as that node has CPUs, and every other node's CPUs \
            move to a new pool Pool-nodeM under Pool-0's scheduler. Refused while any pool \
            other than Pool-0 exists. Unlike xl, a step that fails undoes every step before \
            it; what could not be undone is named, with the command that does it.
            """)

    @OptionGroup var global: GlobalOptions

    func run() throws {
        _ = try CommandState(options: global).context.numaSplit()
    }
}
