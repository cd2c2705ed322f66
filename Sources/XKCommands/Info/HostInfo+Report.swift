import XenKit

/// One line of `xl info`: its key, its text as xl prints it, and its JSON value.
struct InfoField {
    var key: String
    var text: String
    var json: JSONValue
    /// A section printed as it is (info -n's tables), not as `key : value`.
    var block = false
}

extension HostInfo {
    /// The fields of `xl info`, in xl's order (without `--numa`).
    var reportFields: [InfoField] {
        func number<T: BinaryInteger>(_ key: String, _ value: T) -> InfoField {
            InfoField(key: key, text: String(value), json: .int(Int64(value)))
        }
        func text(_ key: String, _ value: String) -> InfoField {
            InfoField(key: key, text: value, json: .string(value))
        }
        func mib(_ key: String, _ value: Memory) -> InfoField {
            InfoField(key: key, text: String(value.mebibytes), json: .uint(value.mebibytes))
        }
        let hwCaps = hardwareCapabilities.map { cFormat("%08x", $0) }.joined(separator: ":")
        var fields = [
            text("host", host), text("release", release), text("version", version),
            text("machine", machine),
            number("nr_cpus", cpuCount), number("max_cpu_id", maxCPUID),
            number("nr_nodes", nodeCount), number("cores_per_socket", coresPerSocket),
            number("threads_per_core", threadsPerCore),
            InfoField(key: "cpu_mhz", text: cpuMHz, json: .double(Double(cpuKHz) / 1000)),
            text("hw_caps", hwCaps),
            InfoField(key: "virt_caps", text: virtualizationCapabilities.joined(separator: " "),
                      json: .array(virtualizationCapabilities.map(JSONValue.string))),
            mib("total_memory", totalMemory), mib("free_memory", freeMemory),
            mib("sharing_freed_memory", sharingFreedMemory),
            mib("sharing_used_memory", sharingUsedMemory),
            mib("outstanding_claims", outstandingClaims),
        ]
        if let freeCPUs { fields.append(number("free_cpus", freeCPUs)) }
        fields += [
            number("xen_major", xenMajor), number("xen_minor", xenMinor),
            text("xen_extra", xenExtra), text("xen_version", xenVersion),
            InfoField(key: "xen_caps", text: xenCapabilities,
                      json: .array(xenCapabilities.split(separator: " ").map { .string(String($0)) })),
            text("xen_scheduler", scheduler), number("xen_pagesize", pageSize),
            InfoField(key: "platform_params", text: cFormat("virt_start=0x%llx", virtStart),
                      json: .object([("virt_start", .uint(virtStart))])),
            text("xen_changeset", changeset), text("xen_commandline", commandLine),
            text("cc_compiler", compiler), text("cc_compile_by", compileBy),
            text("cc_compile_domain", compileDomain), text("cc_compile_date", compileDate),
            text("build_id", buildID), number("xend_config_format", 4),
        ]
        return fields
    }
}

extension InfoField {
    /// The line as xl prints it: the key padded to 23 columns, ':', a space and the value.
    /// (virt_caps is the one line xl writes without that space when it is empty.)
    var line: String {
        if block { return text }
        let padded = key + String(repeating: " ", count: max(0, 23 - key.count))
        if key == "virt_caps" && text.isEmpty { return padded + ":" }
        return padded + ": " + text
    }
}
