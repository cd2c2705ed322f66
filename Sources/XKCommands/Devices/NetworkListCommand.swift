import ArgumentParser
import XenKit

/// `xk network-list`: a domain's network interfaces, in xl's columns or as JSON.
struct NetworkListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network-list",
        abstract: "List the network interfaces of domains.",
        discussion: """
            The columns are xl's, as xl prints them (its rows do not line up with its header). \
            A domain that is not there is reported on stderr and the others are still listed; \
            the exit status is then 1. With --json, one JSON document; \
            the keys are in docs/json.md (/usr/share/doc/xenkit/docs/json.md.gz).
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON instead of the table.")
    var json = false

    @Argument(help: "Domains, by name or id.")
    var domains: [String]

    func run() throws {
        try listDevices(domains, global: global, json: json, jsonKey: "interfaces", header: DeviceTables.networkHeader,
                        rows: { context, id throws(XenError) in try context.networkDevices(id) }, line: DeviceTables.networkRow,
                        object: { nic, domain, _ in DeviceTables.json(nic, domain: domain) })
    }
}
