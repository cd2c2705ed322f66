import ArgumentParser
import XenKit

/// `xk cpupool-create`: a CPU pool from xl's cpupool config, as `xl cpupool-create`.
struct CPUPoolCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cpupool-create",
        abstract: "Create a CPU pool from a cpupool config file and/or KEY=VALUE arguments.",
        discussion: """
            Takes xl's cpupool config (xlcpupool.cfg): name (else the file's name), sched \
            (else the host's scheduler), and its CPUs as cpus=[ "1", "2" ], cpus="1-3" or \
            nodes=[ "0" ] (the free CPUs of those nodes). Each CPU must be free: one that is \
            in another pool is refused, naming that pool (xk cpupool-cpu-remove frees it). \
            Prints what it creates as xl does; with -n, only that.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: [.customShort("f"), .customLong("defconfig")], help: "The cpupool config file.")
    var defconfig: String?

    @Flag(name: [.customShort("n"), .customLong("dryrun")], help: "Only check and print what would be created.")
    var dryRun = false

    @Argument(help: "The cpupool config file, then KEY=VALUE settings appended to it.")
    var arguments: [String] = []

    func validate() throws {
        if arguments.filter({ !$0.contains("=") }).count + (defconfig == nil ? 0 : 1) > 1 {
            throw ValidationError("give one cpupool config file")
        }
    }

    func run() throws {
        let state = CommandState(options: global)
        let file = defconfig ?? arguments.first { !$0.contains("=") }
        let spec = try CPUPoolSpecification.load(path: file, overrides: arguments.filter { $0.contains("=") })
        let context = try state.context
        let pool = try context.createCpupool(spec, dryRun: true)
        print("Using config file \"\(spec.source)\"")
        print("cpupool name:   \(pool.name)")
        print("scheduler:      \(pool.scheduler)")
        print("number of cpus: \(pool.cpus.count)")
        if !dryRun { _ = try context.createCpupool(spec) }
    }
}
