import XenKit

/// The tables of `xl sched-rtds`: a pool line, then a domain table (Xen's defaults for each
/// domain) or a vCPU table (each vCPU's own parameters), in xl's columns.
enum RTDSTables {
    /// "%-33s %4s %9s %9s %10s" of Name, ID, Period, Budget, Extratime.
    static let domainHeader = left("Name", 33) + "   ID    Period    Budget  Extratime"
    /// "%-33s %4s %4s %9s %9s %10s", with VCPU.
    static let vcpuHeader = left("Name", 33) + "   ID VCPU    Period    Budget  Extratime"

    static func poolLine(_ pool: CPUPool) -> String { "Cpupool \(pool.name): sched=RTDS" }

    static func domainRow(_ schedule: RTDSDomainSchedule) -> String {
        let d = schedule.defaults
        return schedule.name.withCString { name in
            cFormat("%-33s %4d %9d %9d ", name, CInt(bitPattern: schedule.id.rawValue), CInt(d.periodUs), CInt(d.budgetUs))
        } + yesNo(d.extratime)
    }

    static func vcpuRows(_ schedule: RTDSDomainSchedule) -> [String] {
        schedule.vcpus.map { v in
            schedule.name.withCString { name in
                cFormat("%-33s %4d %4d %9u %9u ", name, CInt(bitPattern: schedule.id.rawValue), CInt(v.vcpu),
                        CUnsignedInt(truncatingIfNeeded: v.parameters.periodUs), CUnsignedInt(truncatingIfNeeded: v.parameters.budgetUs))
            } + yesNo(v.parameters.extratime)
        }
    }

    /// "%10s" of yes or no.
    private static func yesNo(_ value: Bool) -> String { value ? "       yes" : "        no" }

    static func json(_ p: RTDSParameters) -> [(String, JSONValue)] {
        [("period_us", .int(Int64(p.periodUs))), ("budget_us", .int(Int64(p.budgetUs))), ("extratime", .bool(p.extratime))]
    }

    /// `xk sched-rtds -d DOMAIN --json`.
    static func document(_ schedule: RTDSDomainSchedule, perVCPU: Bool) -> JSONValue {
        guard case .object(let fields) = json(schedule, perVCPU: perVCPU) else { return .null }
        return .document(fields)
    }

    static func json(_ schedule: RTDSDomainSchedule, perVCPU: Bool) -> JSONValue {
        var fields: [(String, JSONValue)] = [("name", .string(schedule.name)), ("domid", .uint(UInt64(schedule.id.rawValue))),
                                             ("defaults", .object(json(schedule.defaults)))]
        if perVCPU {
            fields.append(("vcpus", .array(schedule.vcpus.map { .object([("vcpu", .int(Int64($0.vcpu)))] + json($0.parameters)) })))
        }
        return .object(fields)
    }
}
