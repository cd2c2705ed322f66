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
            then 1. With --json, one object per channel: domain, domid, devid, backend_domid, \
            state, evtch, ring_ref, connection, name, pty and path.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON instead of the table.")
    var json = false

    @Argument(help: "Domains, by name or id.")
    var domains: [String]

    func run() throws {
        let state = CommandState(options: global)
        if !json { print(DeviceTables.channelHeader) }
        let (rows, failed) = try eachDomain(domains, state: state) { id throws(XenError) in try state.context.channels(id).map { (id, $0) } }
        if json {
            print(JSONValue.array(rows.map { DeviceTables.json($0.1.1, domain: $0.0, domid: Int($0.1.0.rawValue)) }).serialized())
        } else {
            for (_, row) in rows { print(DeviceTables.channelRow(row.1)) }
        }
        if failed { throw ExitCode.failure }
    }
}
