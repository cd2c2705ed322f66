import ArgumentParser
import XenKit

/// `xk vcpu-list`: each vCPU of each domain, in xl's columns or as JSON.
struct VCPUListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vcpu-list",
        abstract: "List the vCPUs of domains: where each runs, its state, CPU time and affinity.",
        discussion: """
            State: r running, b blocked, p offline (not brought up by the guest). With --json, one JSON \
            document; the keys are in docs/json.md (/usr/share/doc/xenkit/docs/json.md.gz).
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON instead of the table.")
    var json = false

    @Argument(help: "Domains, by name or id (default: all).")
    var domains: [String] = []

    func run() throws {
        let state = CommandState(options: global)
        let context = try state.context
        let ids = domains.isEmpty ? try context.domains().map(\.id) : try domains.map { argument throws(XenError) in try state.resolve(argument) }
        var rows: [(name: String, info: VCPUInfo)] = []
        for id in ids {
            let name = context.name(of: id) ?? "(null)"
            rows += try context.vcpus(of: id).map { (name, $0) }
        }
        if json {
            print(Self.document(rows).serialized())
            return
        }
        print(Self.header)
        for row in rows { print(Self.line(name: row.name, row.info)) }
    }

    /// xl's header line (xl_vcpu.c's vcpulist).
    static let header = "Name" + String(repeating: " ", count: 28)
        + "    ID  VCPU   CPU State   Time(s) Affinity (Hard / Soft)"

    /// One row exactly as xl prints it (xl_vcpu.c's print_vcpuinfo).
    static func line(name: String, _ info: VCPUInfo) -> String {
        var text = name.withCString { cName in
            cFormat("%-32s %5u %5u", cName, info.domain.rawValue, UInt32(info.vcpu))
        }
        if let cpu = info.cpu, info.isOnline {
            let running = CInt(UInt8(ascii: info.isRunning ? "r" : "-"))
            let blocked = CInt(UInt8(ascii: info.isBlocked ? "b" : "-"))
            text += cFormat("%5u %3c%c- ", UInt32(cpu), running, blocked)
        } else {
            text += cFormat("%5c %3c%cp ", CInt(UInt8(ascii: "-")), CInt(UInt8(ascii: "-")), CInt(UInt8(ascii: "-")))
        }
        // As xl: the nanoseconds go through a float first, which sets the last digit's rounding.
        text += cFormat("%9.1f  ", Double(Float(info.cpuTimeNanoseconds)) / 1e9)
        text += VCPUInfo.describe(info.hardAffinity, hostCPUCount: info.hostCPUCount) + " / "
            + VCPUInfo.describe(info.softAffinity, hostCPUCount: info.hostCPUCount)
        return text
    }
}

extension VCPUListCommand {
    /// `xk vcpu-list --json` (docs/json.md).
    static func document(_ rows: [(name: String, info: VCPUInfo)]) -> JSONValue {
        .document("vcpus", rows.map { row in
            .object([
                ("name", .string(row.name)), ("domid", .uint(UInt64(row.info.domain.rawValue))),
                ("vcpu", .int(Int64(row.info.vcpu))), ("cpu", row.info.cpu.map { .int(Int64($0)) } ?? .null),
                ("online", .bool(row.info.isOnline)), ("running", .bool(row.info.isRunning)),
                ("blocked", .bool(row.info.isBlocked)),
                ("cpu_time_ns", .uint(row.info.cpuTimeNanoseconds)),
                ("cpu_time_s", .double(Double(row.info.cpuTimeNanoseconds) / 1e9)),
                ("hard_affinity", .array(row.info.hardAffinity.sorted().map { .int(Int64($0)) })),
                ("soft_affinity", .array(row.info.softAffinity.sorted().map { .int(Int64($0)) })),
            ])
        })
    }
}
