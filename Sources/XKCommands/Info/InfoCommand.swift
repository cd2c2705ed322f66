import ArgumentParser
import XenKit

/// `xk info`: the host facts `xl info` prints, as `key : value` lines or JSON.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show the Xen host's facts (version, CPUs, memory, scheduler, capabilities).",
        discussion: """
            Prints the same keys as `xl info`, in the same order. With a KEY, prints only that key's value, as `xl info KEY` does. With --json, one object with the same keys; numbers are numbers, and virt_caps and xen_caps are arrays of words (the keys are in docs/json.md (/usr/share/doc/xenkit/docs/json.md.gz)). With -n, also the NUMA layout, as `xl info -n`: each CPU's core, socket and node, each PCI device's node and each node's memory and distances (cpu_topology, device_topology and numa_info in JSON).
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Flag(name: .shortAndLong, help: "Also show the NUMA layout: CPU topology, device topology, nodes.")
    var numa = false

    @Argument(help: "Print only this key's value (e.g. xen_version, free_memory).")
    var key: String?

    /// What was asked, as plain values (the quick path builds it without the parser).
    var request: Request { Request(global: global.settings, json: json, numa: numa, key: key) }

    func run() throws { try request.run() }

    /// `xk info` with its command line read.
    struct Request: Equatable {
        var global: GlobalSettings
        var json = false
        var numa = false
        var key: String?
    }
}

extension InfoCommand.Request {
    func run() throws {
        let state = CommandState(settings: global)
        var fields = try state.context.hostInfo().reportFields
        if numa {
            // Where xl prints them: after the host's memory and CPUs, before Xen's version.
            let at = fields.firstIndex { $0.key == "xen_major" } ?? fields.endIndex
            fields.insert(contentsOf: try state.context.numa().reportFields, at: at)
        }
        let selected: [InfoField]
        if let key {
            selected = fields.filter { $0.key == key }
            guard !selected.isEmpty else {
                throw XenError(code: .invalidArgument,
                               message: "xk info has no key '\(key)'",
                               hint: "known keys: " + fields.map(\.key).joined(separator: ", "))
            }
        } else {
            selected = fields
        }
        if json {
            print(JSONValue.document(selected.map { ($0.key, $0.json) }).serialized())
        } else if key != nil {
            print(selected[0].text)
        } else {
            for field in selected { print(field.line) }
        }
    }
}
