import ArgumentParser
import XenKit

/// The options sched-credit and sched-credit2 share, as xl's: a domain with its weight and
/// cap, or a pool.
struct ScheduleDomainOptions: ParsableArguments {
    @Option(name: [.customShort("d"), .customLong("domain")], help: "The domain.")
    var domain: String?

    @Option(name: [.customShort("w"), .customLong("weight")], help: "Set the domain's weight.")
    var weight: Int?

    @Option(name: [.customShort("c"), .customLong("cap")], help: "Set the domain's cap.")
    var cap: Int?

    @Option(name: [.customShort("p"), .customLong("cpupool")], help: "The CPU pool.")
    var cpupool: String?

    @Flag(help: "Print JSON instead of the table.")
    var json = false

    /// Whether a domain option is given.
    var namesDomain: Bool { domain != nil || weight != nil || cap != nil }
}

/// The tables of `xl sched-credit` and `xl sched-credit2`, and their runs: both verbs take
/// the same domain options and differ in their pool parameters.
enum ScheduleTables {
    /// "%-33s %4s %6s %4s" of Name, ID, Weight, Cap.
    static let header = left("Name", 33) + "   ID Weight  Cap"

    static func row(_ schedule: DomainSchedule) -> String {
        schedule.name.withCString { cFormat("%-33s %4d %6d %4d", $0, CInt(bitPattern: schedule.id.rawValue), CInt(schedule.weight), CInt(schedule.cap)) }
    }

    /// "Cpupool Pool-0: tslice=30ms ratelimit=1000us migration-delay=0us" (credit) or
    /// "Cpupool Pool-0: ratelimit=1000us" (credit2).
    static func poolLine(_ pool: PoolSchedule) -> String {
        if let slice = pool.timeSliceMs {
            return "Cpupool \(pool.pool.name): tslice=\(slice)ms ratelimit=\(pool.rateLimitUs)us migration-delay=\(pool.migrationDelayUs ?? 0)us"
        }
        return "Cpupool \(pool.pool.name): ratelimit=\(pool.rateLimitUs)us"
    }

    static func domainFields(_ schedule: DomainSchedule) -> [(String, JSONValue)] {
        [("name", .string(schedule.name)), ("domid", .uint(UInt64(schedule.id.rawValue))),
         ("weight", .int(Int64(schedule.weight))), ("cap_percent", .int(Int64(schedule.cap)))]
    }

    static func poolFields(_ pool: PoolSchedule) -> [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = [("cpupool", .string(pool.pool.name)), ("scheduler", .string(pool.pool.scheduler))]
        if let slice = pool.timeSliceMs { fields.append(("tslice_ms", .int(Int64(slice)))) }
        fields.append(("ratelimit_us", .int(Int64(pool.rateLimitUs))))
        if let delay = pool.migrationDelayUs { fields.append(("migration_delay_us", .int(Int64(delay)))) }
        return fields
    }

    /// `xk sched-credit[2] -d DOMAIN --json` (docs/json.md).
    static func json(_ schedule: DomainSchedule) -> JSONValue { .document(domainFields(schedule)) }

    /// `xk sched-credit[2] -s --json` (docs/json.md).
    static func json(_ pool: PoolSchedule) -> JSONValue { .document(poolFields(pool)) }

    /// `xk sched-credit[2] --json` (docs/json.md): each pool under the scheduler, its domains in it.
    static func document(_ pools: [(PoolSchedule, [DomainSchedule])]) -> JSONValue {
        .document("cpupools", pools.map { pool, domains in
            .object(poolFields(pool) + [("domains", .array(domains.map { .object(domainFields($0)) }))])
        })
    }

    /// Shows or sets domains' weight and cap under `scheduler`: one domain (`-d`), else every
    /// domain of every pool under it (or of `-p POOL`), pool line first, as xl.
    static func runDomains(_ state: CommandState, scheduler: String, domain: String?, pool: String?,
                           weight: Int?, cap: Int?, json: Bool) throws {
        let context = try state.context
        if let domain {
            let id = try state.resolve(domain)
            if weight != nil || cap != nil {
                try context.setSchedule(of: id, under: scheduler, weight: weight, cap: cap)
                return
            }
            let schedule = try context.schedule(of: id, under: scheduler)
            print(json ? Self.json(schedule).serialized() : header + "\n" + row(schedule))
            return
        }
        let pools = try context.schedules(under: scheduler, pool: pool)
        if json {
            print(Self.document(pools.map { ($0, $1) }).serialized())
            return
        }
        for (pool, domains) in pools {
            print(poolLine(pool))
            print(header)
            for domain in domains { print(row(domain)) }
        }
    }
}
