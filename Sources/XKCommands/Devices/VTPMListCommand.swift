import ArgumentParser
import XenKit

/// `xk vtpm-list`: a domain's virtual TPMs, in xl's columns or as JSON.
struct VTPMListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vtpm-list",
        abstract: "List the virtual TPMs of domains.",
        discussion: """
            The columns are xl's. A domain that is not there is reported on stderr and the others \
            are still listed; the exit status is then 1 (xl's is 0). With --json, one JSON \
            document; the keys are in docs/json.md (/usr/share/doc/xenkit/docs/json.md.gz).
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON instead of the table.")
    var json = false

    @Argument(help: "Domains, by name or id.")
    var domains: [String]

    func run() throws {
        try listDevices(domains, global: global, json: json, jsonKey: "vtpms", header: DeviceTables.vtpmHeader,
                        rows: { context, id throws(XenError) in try context.vtpms(id) }, line: DeviceTables.vtpmRow,
                        object: { vtpm, domain, id in DeviceTables.json(vtpm, domain: domain, domid: Int(id.rawValue)) })
    }
}
