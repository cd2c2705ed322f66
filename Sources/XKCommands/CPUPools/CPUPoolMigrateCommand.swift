import ArgumentParser
import XenKit

/// `xk cpupool-migrate`, as `xl cpupool-migrate`.
struct CPUPoolMigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cpupool-migrate",
        abstract: "Move a domain into another CPU pool.",
        discussion: "The domain keeps running; its vCPUs run on the new pool's CPUs under its scheduler.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The domain, by name or id.")
    var domain: String

    @Argument(help: "The pool, by name or id.")
    var pool: String

    func run() throws {
        let state = CommandState(options: global)
        try state.context.moveDomain(try state.resolve(domain), toPool: pool)
    }
}
