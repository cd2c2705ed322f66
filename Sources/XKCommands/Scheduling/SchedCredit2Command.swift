import ArgumentParser
import XenKit

/// `xk sched-credit2`: the credit2 scheduler's parameters, as `xl sched-credit2`.
struct SchedCredit2Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sched-credit2",
        abstract: "Show or set credit2 scheduler parameters of domains and CPU pools.",
        discussion: """
            Without options, every domain of every pool that runs credit2, with each pool's \
            rate limit. -d DOMAIN shows one domain; with -w and/or -c, sets its weight (1 to \
            65535, default 256) and cap (percent of one CPU, 0 for none). -s shows a pool's \
            rate limit (Pool-0, or -p POOL); with -r, sets it (us; 0, or 100 to 500000). A \
            domain or pool under another scheduler is refused, naming it.
            """)

    @OptionGroup var global: GlobalOptions

    @OptionGroup var options: ScheduleDomainOptions

    @Flag(name: [.customShort("s"), .customLong("schedparam")], help: "Show or set the pool's rate limit.")
    var schedparam = false

    @Option(name: [.customShort("r"), .customLong("ratelimit_us")], help: "Set the pool's rate limit (us).")
    var rateLimit: Int?

    func validate() throws {
        if options.cpupool != nil && options.namesDomain {
            throw ValidationError("Specifying a cpupool is not allowed with other options.")
        }
        if options.domain == nil && options.namesDomain { throw ValidationError("Must specify a domain.") }
        if rateLimit != nil && !schedparam { throw ValidationError("-r sets a pool's parameter: give -s with it.") }
    }

    func run() throws {
        let state = CommandState(options: global)
        if schedparam {
            let context = try state.context
            if let rateLimit {
                try context.setCredit2RateLimit(pool: options.cpupool, rateLimitUs: rateLimit)
                return
            }
            let pool = try context.poolSchedule(try context.schedulerPool(options.cpupool, under: "credit2"))
            print(options.json ? ScheduleTables.json(pool).serialized() : ScheduleTables.poolLine(pool))
            return
        }
        try ScheduleTables.runDomains(state, scheduler: "credit2", domain: options.domain, pool: options.cpupool, weight: options.weight, cap: options.cap, json: options.json)
    }
}
