import XenKit

extension DomainInfo {
    /// The header of `xl list` (without -v/-Z/-c/-n).
    static let listHeader = "Name                                        ID   Mem VCPUs\tState\tTime(s)"

    /// This domain's row of `xl list`, byte for byte as xl formats it.
    var listRow: String {
        // xl divides a float-converted cpu_time by 1e9; converting through Float first keeps
        // the rounding of the last digit identical.
        let seconds = Double(Float(cpuTimeNanoseconds)) / 1e9
        let flags = Array(stateFlags.utf8).map { CInt($0) }
        return (name ?? "(null)").withCString { cName in
            cFormat(
                "%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f",
                cName, CInt(bitPattern: id.rawValue), CUnsignedLong(totalMemory.mebibytes),
                CInt(bitPattern: onlineVCPUs), flags[0], flags[1], flags[2], flags[3], flags[4],
                flags[5], seconds)
        }
    }

    /// `max_kib`: null when libxl sets no limit (UInt64.max).
    var maxKiBJSON: JSONValue { maxMemory.kibibytes == UInt64.max ? .null : .uint(maxMemory.kibibytes) }

    /// `xk list --json` and `xk claims --json` (docs/json.md).
    static func listDocument(_ infos: [DomainInfo]) -> JSONValue { .document("domains", infos.map(\.listJSON)) }

    /// This domain as one object of `xk list --json` (docs/json.md).
    var listJSON: JSONValue {
        .object([
            ("name", .optional(name)),
            ("domid", .uint(UInt64(id.rawValue))),
            ("uuid", .string(uuid)),
            ("type", .string(type.rawValue)),
            ("state", .string(stateFlags)),
            ("running", .bool(isRunning)),
            ("blocked", .bool(isBlocked)),
            ("paused", .bool(isPaused)),
            ("shutdown", .bool(isShutdown)),
            ("dying", .bool(isDying)),
            ("shutdown_reason", .optional(shutdownReason?.rawValue)),
            ("memory_kib", .uint(totalMemory.kibibytes)),
            ("current_kib", .uint(currentMemory.kibibytes)),
            ("outstanding_kib", .uint(outstandingMemory.kibibytes)),
            ("max_kib", maxKiBJSON),
            ("vcpus_online", .uint(UInt64(onlineVCPUs))),
            ("vcpus_max", .uint(UInt64(vcpuCount))),
            ("cpu_time_ns", .uint(cpuTimeNanoseconds)),
            ("cpu_time_s", .double(Double(cpuTimeNanoseconds) / 1e9)),
            ("cpupool_id", .uint(UInt64(cpupool))),
        ])
    }
}

/// The columns `xl list` adds with -v (uuid, shutdown reason code, security label), -Z (the
/// label), -c (the CPU pool) and -n (the NUMA node affinity), byte for byte as xl prints them:
/// note the pool's column has no space before it, as in xl.
struct ListColumns: Equatable {
    var verbose = false
    var context = false
    var cpupool = false
    var numa = false

    /// What a row needs beyond ``DomainInfo``: its pool's name and node affinity, when shown.
    struct Extras {
        var poolName: String?
        var nodes: String?
    }

    var header: String {
        var text = DomainInfo.listHeader
        if verbose { text += "   UUID                            Reason-Code\tSecurity Label" }
        if context && !verbose { text += "   Security Label" }
        if cpupool { text += "         Cpupool" }
        if numa { text += " NODE Affinity" }
        return text
    }

    func row(_ info: DomainInfo, _ extras: Extras) -> String {
        var text = info.listRow
        if verbose {
            text += " " + info.uuid
            text += info.isShutdown ? cFormat(" %8x", UInt32(bitPattern: info.shutdownCode)) : cFormat(" %8s", "-")
        }
        if verbose || context { text += cFormat(" %16s", info.securityLabel ?? "-") }
        if cpupool { text += cFormat("%16s", extras.poolName ?? "(null)") }
        if numa { text += " " + (extras.nodes ?? "none") }
        return text
    }
}
