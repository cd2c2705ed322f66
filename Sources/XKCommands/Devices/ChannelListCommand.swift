import ArgumentParser
import XenKit

/// `xk channel-list`: a domain's channels, in xl's columns or as JSON.
struct ChannelListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "channel-list",
        abstract: "List the channels of domains.",
        discussion: """
            The columns are xl's; a pty channel's row ends with its dom0 pty. A domain that is \
            not there is reported on stderr and the others are still listed; the exit status is \
            then 1. With --json, one JSON \
            document; the keys are in docs/json.md (/usr/share/doc/xenkit/docs/json.md.gz).
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON instead of the table.")
    var json = false

    @Argument(help: "Domains, by name or id.")
    var domains: [String]

    func run() throws {
        try listDevices(domains, global: global, json: json, jsonKey: "channels", header: DeviceTables.channelHeader,
                        rows: { context, id throws(XenError) in try context.channels(id) }, line: DeviceTables.channelRow,
                        object: { channel, domain, id in DeviceTables.json(channel, domain: domain, domid: Int(id.rawValue)) })
    }
}
