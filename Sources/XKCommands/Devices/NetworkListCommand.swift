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
            the exit status is then 1. With --json, one object per interface: domain, domid, \
            devid, backend_domid, mac, state, evtch, tx_ring_ref, rx_ring_ref, backend_path, \
            bridge, script and vifname (null when libxl's default applies).
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON instead of the table.")
    var json = false

    @Argument(help: "Domains, by name or id.")
    var domains: [String]

    func run() throws {
        try listDevices(domains, global: global, json: json, header: DeviceTables.networkHeader,
                        rows: { context, id throws(XenError) in try context.networkDevices(id) }, line: DeviceTables.networkRow,
                        object: { nic, domain, _ in DeviceTables.json(nic, domain: domain) })
    }
}
