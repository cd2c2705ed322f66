import ArgumentParser
import XenKit

/// `xk sched-credit`: the credit scheduler's parameters, as `xl sched-credit`.
struct SchedCreditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sched-credit",
        abstract: "Show or set credit scheduler parameters of domains and CPU pools.",
        discussion: """
            Without options, every domain of every pool that runs credit, with each pool's \
            parameters. -d DOMAIN shows one domain; with -w and/or -c, sets its weight (1 to \
            65535, default 256) and cap (percent of one CPU, 0 for none). -s shows a pool's \
            parameters (Pool-0, or -p POOL); with -t, -r and/or -m, sets its time slice (ms), \
            rate limit (us) and vCPU migration delay (us). A domain or pool under another \
            scheduler is refused, naming it.
            """)

    @OptionGroup var global: GlobalOptions

    @OptionGroup var options: ScheduleDomainOptions

    @Flag(name: [.customShort("s"), .customLong("schedparam")], help: "Show or set the pool's parameters.")
    var schedparam = false

    @Option(name: [.customShort("t"), .customLong("tslice_ms")], help: "Set the pool's time slice (ms).")
    var timeSlice: Int?

    @Option(name: [.customShort("r"), .customLong("ratelimit_us")], help: "Set the pool's rate limit (us).")
    var rateLimit: Int?

    @Option(name: [.customShort("m"), .customLong("migration_delay_us")], help: "Set the pool's vCPU migration delay (us).")
    var migrationDelay: Int?

    func validate() throws {
        if (options.cpupool != nil || schedparam) && options.namesDomain {
            throw ValidationError("Specifying a cpupool or schedparam is not allowed with domain options.")
        }
        if options.domain == nil && options.namesDomain { throw ValidationError("Must specify a domain.") }
        if !schedparam && (timeSlice != nil || rateLimit != nil || migrationDelay != nil) {
            throw ValidationError("Must specify schedparam to set schedule parameter values.")
        }
    }

    func run() throws {
        let state = CommandState(options: global)
        if schedparam {
            let context = try state.context
            if timeSlice != nil || rateLimit != nil || migrationDelay != nil {
                try context.setCreditParameters(pool: options.cpupool, timeSliceMs: timeSlice, rateLimitUs: rateLimit, migrationDelayUs: migrationDelay)
                return
            }
            let pool = try context.poolSchedule(try context.schedulerPool(options.cpupool, under: "credit"))
            print(options.json ? ScheduleTables.json(pool).serialized() : ScheduleTables.poolLine(pool))
            return
        }
        try ScheduleTables.runDomains(state, scheduler: "credit", domain: options.domain, pool: options.cpupool, weight: options.weight, cap: options.cap, json: options.json)
    }
}
