import ArgumentParser
import XenKit

/// `xk sched-rtds`: the RTDS scheduler's parameters, as `xl sched-rtds`.
struct SchedRTDSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sched-rtds",
        abstract: "Show or set RTDS scheduler parameters of domains and their vCPUs.",
        discussion: """
            Without options, every domain of every pool that runs RTDS (or of -c POOL), with \
            Xen's defaults for each domain; with -v all, every vCPU of each. -d DOMAIN shows \
            one domain; -d DOMAIN -v N (repeated) or -v all shows its vCPUs. To set, give -d, \
            the vCPUs (-v N ... or -v all) and one -p PERIOD, -b BUDGET (us) and -e 0|1 \
            (extratime) for each vCPU in the same order, or one of each for -v all. Every \
            value is checked before any vCPU changes: period and budget at least 10 us, the \
            budget no more than the period. A domain under another scheduler is refused, \
            naming it.
            """)

    @OptionGroup var global: LongGlobalOptions

    @Option(name: [.customShort("d"), .customLong("domain")], help: "The domain.")
    var domain: String?

    @Option(name: [.customShort("p"), .customLong("period")], help: "A vCPU's period (us), once per vCPU.")
    var periods: [Int] = []

    @Option(name: [.customShort("b"), .customLong("budget")], help: "A vCPU's budget (us), once per vCPU.")
    var budgets: [Int] = []

    @Option(name: [.customShort("e"), .customLong("extratime")], help: "A vCPU's extratime (0 or 1), once per vCPU.")
    var extratimes: [String] = []

    @Option(name: [.customShort("v"), .customLong("vcpuid")], help: "A vCPU (repeat), or all.")
    var vcpuArguments: [String] = []

    @Option(name: [.customShort("c"), .customLong("cpupool")], help: "The CPU pool.")
    var cpupool: String?

    @Flag(help: "Print JSON instead of the table.")
    var json = false

    private var allVCPUs: Bool { vcpuArguments.contains("all") }
    private var vcpus: [Int] { vcpuArguments.compactMap { Int($0) } }
    private var setting: Bool { !periods.isEmpty || !budgets.isEmpty || !extratimes.isEmpty }

    func validate() throws {
        for value in vcpuArguments where value != "all" && Int(value) == nil {
            throw ValidationError("Invalid VCPU ID '\(value)': give a number or all.")
        }
        if extratimes.contains(where: { $0 != "0" && $0 != "1" }) { throw ValidationError("Invalid extratime (give 0 or 1).") }
        if cpupool != nil && (domain != nil || setting || !vcpuArguments.isEmpty) {
            throw ValidationError("Specifying a cpupool is not allowed with other options.")
        }
        if domain == nil && (setting || !vcpus.isEmpty) { throw ValidationError("Missing parameters: give -d DOMAIN.") }
        if domain != nil && vcpuArguments.isEmpty && setting { throw ValidationError("Must specify VCPU (-v N or -v all).") }
        if allVCPUs && !vcpus.isEmpty { throw ValidationError("Incorrect VCPU IDs: -v all goes alone.") }
        if setting {
            let wanted = allVCPUs ? 1 : vcpus.count
            if periods.count != wanted || budgets.count != wanted || extratimes.count != wanted {
                throw ValidationError("Incorrect number of period, budget and extratime: give \(wanted) of each, one per vCPU named.")
            }
        }
    }

    func run() throws {
        let state = CommandState(options: global.options)
        let context = try state.context
        guard let domain else {
            let pools = try context.rtdsSchedules(pool: cpupool, perVCPU: allVCPUs)
            if json {
                print(JSONValue.document("cpupools", pools.map { pool, domains in
                    .object([("cpupool", .string(pool.name)), ("scheduler", .string(pool.scheduler)),
                             ("domains", .array(domains.map { RTDSTables.json($0, perVCPU: allVCPUs) }))])
                }).serialized())
                return
            }
            for (pool, domains) in pools {
                print(RTDSTables.poolLine(pool))
                print(allVCPUs ? RTDSTables.vcpuHeader : RTDSTables.domainHeader)
                for schedule in domains {
                    if allVCPUs { RTDSTables.vcpuRows(schedule).forEach { print($0) } } else { print(RTDSTables.domainRow(schedule)) }
                }
            }
            return
        }
        let id = try state.resolve(domain)
        if setting {
            let targets = allVCPUs ? [0] : vcpus
            let settings = targets.indices.map { i in
                RTDSVCPUSchedule(vcpu: targets[i], parameters: RTDSParameters(periodUs: periods[i], budgetUs: budgets[i], extratime: extratimes[i] == "1"))
            }
            try context.setRTDS(of: id, settings, all: allVCPUs)
            return
        }
        let perVCPU = !vcpuArguments.isEmpty
        let schedule = try context.rtdsSchedule(of: id, vcpus: allVCPUs ? nil : vcpus)
        if json {
            print(RTDSTables.document(schedule, perVCPU: perVCPU).serialized())
        } else if perVCPU {
            print(RTDSTables.vcpuHeader)
            RTDSTables.vcpuRows(schedule).forEach { print($0) }
        } else {
            print(RTDSTables.domainHeader)
            print(RTDSTables.domainRow(schedule))
        }
    }
}
