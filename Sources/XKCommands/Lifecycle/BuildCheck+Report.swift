import XenKit

/// How `xk create --check` prints its verdict.
extension BuildCheck {
    var text: String {
        var lines = ["\(source): domain '\(name)'"]
        if let memory {
            var line = "  memory: needs \(memory.need.mebibytes) MiB; \(memory.free.mebibytes) MiB free"
            line += memory.ballooning ? "; dom0 could give \(memory.dom0CanGive.mebibytes) MiB (autoballoon on)" : " (autoballoon off)"
            lines.append(line)
        } else {
            lines.append("  memory: not known (libxl could not work it out)")
        }
        lines.append("  vCPUs: \(vcpus); pool \(pool)" + (poolCPUs.map { " has \($0) CPU(s)" } ?? " does not exist"))
        for finding in findings {
            lines.append("\(finding.severity.rawValue): \(finding.subject): \(finding.message)")
        }
        let errors = findings.filter { $0.severity == .error }.count
        lines.append(fits ? "It fits this host." : "It does not fit this host: \(errors) problem(s).")
        return lines.joined(separator: "\n")
    }

    var json: JSONValue {
        .document([
            ("source", .string(source)),
            ("name", .string(name)),
            ("fits", .bool(fits)),
            ("memory", memory.map { memory in
                .object([
                    ("need_kib", .uint(memory.need.kibibytes)), ("free_kib", .uint(memory.free.kibibytes)),
                    ("dom0_can_give_kib", .uint(memory.dom0CanGive.kibibytes)), ("autoballoon", .bool(memory.ballooning)),
                ])
            } ?? .null),
            ("vcpus_max", .uint(UInt64(vcpus))),
            ("cpupool", .string(pool)),
            ("cpupool_cpu_count", poolCPUs.map { .uint(UInt64($0)) } ?? .null),
            ("findings", .array(findings.map { finding in
                .object([("severity", .string(finding.severity.rawValue)), ("subject", .string(finding.subject)),
                         ("message", .string(finding.message))])
            })),
        ])
    }
}
