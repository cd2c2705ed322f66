import ArgumentParser
import XenKit

/// `xk block-list`: a domain's virtual disks, in xl's columns or as JSON.
struct BlockListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "block-list",
        abstract: "List the virtual disks of domains.",
        discussion: """
            The columns are xl's: Vdev is the device number the guest sees (51712 is xvda), \
            handle is the guest's domain id, state the frontend's xenbus state (4 connected). \
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
        try listDevices(domains, global: global, json: json, jsonKey: "disks", header: DeviceTables.blockHeader,
                        rows: { context, id throws(XenError) in try context.disks(id) }, line: DeviceTables.blockRow,
                        object: { disk, domain, _ in DeviceTables.json(disk, domain: domain) })
    }
}
