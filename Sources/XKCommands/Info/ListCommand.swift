import ArgumentParser
import XenKit

/// `xk list`: the domains on the host, in xl's columns or as JSON.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List domains: name, id, memory, vCPUs, state and CPU time, as xl list.",
        discussion: """
            State letters: r running, b blocked, p paused, s shut down, then the shutdown reason (r reboot, s suspend, c crash, w watchdog, S soft reset; - poweroff), d dying. With DOMAIN arguments (names or ids), lists just those, in the order given; an unknown domain is an error and nothing is listed. With --json, prints an array of objects whose keys are documented in README.md.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON instead of the table.")
    var json = false

    @Argument(help: "Domains to list, by name or id (default: all).")
    var domains: [String] = []

    func run() throws {
        let state = CommandState(options: global)
        let context = try state.context
        let infos: [DomainInfo]
        if domains.isEmpty {
            infos = try context.domains()
        } else {
            infos = try domains.map { argument throws(XenError) in
                guard let qualifier = DomainQualifier(argument) else {
                    throw XenError(code: .invalidArgument, message: "'\(argument)' is not a domain name or id")
                }
                return try context.domain(qualifier)
            }
        }
        if json {
            print(JSONValue.array(infos.map(\.listJSON)).serialized())
        } else {
            print(DomainInfo.listHeader)
            for info in infos { print(info.listRow) }
        }
    }
}
