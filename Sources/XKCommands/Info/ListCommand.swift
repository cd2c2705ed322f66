import ArgumentParser
import XenKit

/// `xk list`: the domains on the host, in xl's columns or as JSON.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List domains: name, id, memory, vCPUs, state and CPU time, as xl list.",
        discussion: """
            State letters: r running, b blocked, p paused, s shut down, then the shutdown reason (r reboot, s suspend, c crash, w watchdog, S soft reset; - poweroff), d dying. With DOMAIN arguments (names or ids), lists just those, in the order given; an unknown domain is an error and nothing is listed. -v, -Z, -c and -n add xl's columns to the table: the UUID, the shutdown reason's number in hex and the FLASK security label (-v); the label alone (-Z); the CPU pool (-c); the NUMA nodes of the domain's memory (-n). libxl's messages come with a -v before the subcommand (xk -v list), as with xl. With --json, one JSON document; the keys are in docs/json.md (/usr/share/doc/xenkit/docs/json.md.gz).
            """
    )

    /// Only the options before the subcommand: list's own -v is xl's.
    @OptionGroup var global: LeadingGlobalOptions

    @Flag(name: .shortAndLong,
          help: "Add each domain's UUID, shutdown reason code and security label, as xl list -v (libxl's messages: xk -v list).")
    var verbose = false

    @Flag(name: [.customShort("Z"), .long], help: "Add each domain's security label (FLASK), as xl list -Z.")
    var context = false

    @Flag(name: .shortAndLong, help: "Add each domain's CPU pool, as xl list -c.")
    var cpupool = false

    @Flag(name: .shortAndLong, help: "Add the NUMA nodes each domain's memory is placed on, as xl list -n.")
    var numa = false

    @Flag(help: "Print JSON instead of the table.")
    var json = false

    @Flag(help: "List the defined domains (xk define) instead: autostart, order, and the id if running.")
    var defined = false

    @Flag(name: .shortAndLong, help: "Print each running domain's configuration as libxl JSON, as xl list -l.")
    var long = false

    @Argument(help: "Domains to list, by name or id (default: all).")
    var domains: [String] = []

    /// What was asked, as plain values (the quick path builds it without the parser).
    var request: Request {
        Request(global: global.settings, verbose: verbose, context: context, cpupool: cpupool, numa: numa,
                json: json, defined: defined, long: long, domains: domains)
    }

    func run() throws { try request.run() }

    /// `xk list` with its command line read.
    struct Request: Equatable {
        var global: GlobalSettings
        var verbose = false
        var context = false
        var cpupool = false
        var numa = false
        var json = false
        var defined = false
        var long = false
        var domains: [String] = []
    }
}

extension ListCommand.Request {
    func run() throws {
        let state = CommandState(settings: global)
        if defined { return try listDefinitions(state) }
        let context = try state.context
        if long { return try listConfigurations(context) }
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
            print(DomainInfo.listDocument(infos).serialized())
        } else {
            let columns = self.columns
            print(columns.header)
            let pools = columns.cpupool ? try context.cpupools() : []
            let nodeCount = columns.numa ? try context.hostNodeCount() : 0
            for info in infos {
                var extras = ListColumns.Extras()
                if columns.cpupool { extras.poolName = pools.first { $0.id == info.cpupool }?.name }
                if columns.numa {
                    // A domain gone since the listing has no affinity to read: xl prints what
                    // its bitmap held, this prints "none".
                    let nodes = (try? context.nodeAffinity(of: info.id, nodeCount: nodeCount)) ?? []
                    extras.nodes = VCPUInfo.describe(nodes, hostCPUCount: nodeCount)
                }
                print(columns.row(info, extras))
            }
        }
    }

    /// The table's extra columns asked for.
    var columns: ListColumns { ListColumns(verbose: verbose, context: context, cpupool: cpupool, numa: numa) }
}

extension ListCommand.Request {
    /// `xk list -l`: `[{"domid": N, "config": {...}}, ...]` byte for byte as xl prints it (its
    /// yajl generator, 4-space indents, nests libxl's JSON of each config). A domain libxl keeps
    /// no config for (dom0) is left out, as xl leaves it out; an unknown DOMAIN is an error.
    func listConfigurations(_ context: XenContext) throws {
        let ids: [DomainID] = domains.isEmpty ? try context.domains().map(\.id)
            : try domains.map { argument throws(XenError) in
                guard let qualifier = DomainQualifier(argument) else {
                    throw XenError(code: .invalidArgument, message: "'\(argument)' is not a domain name or id")
                }
                return try context.resolve(qualifier)
            }
        var entries: [(DomainID, String)] = []
        for id in ids {
            guard let json = try? context.runningConfigurationJSON(id) else { continue }
            entries.append((id, json))
        }
        print(ListCommand.xlLongListing(entries))
    }

    /// `xk list --defined`: the definitions, and which of them run now. Works without Xen
    /// (every domain is then shown as not running).
    func listDefinitions(_ state: CommandState) throws {
        var definitions = try DefinitionStore().definitions()
        if !domains.isEmpty {
            let known = Set(definitions.map(\.name))
            if let missing = domains.first(where: { !known.contains($0) }) {
                throw XenError(code: .domainNotFound, message: "no domain named '\(missing)' is defined")
            }
            definitions = domains.compactMap { name in definitions.first { $0.name == name } }
        }
        let context = try? state.context
        let running = definitions.map { definition in try? context?.resolve(.name(definition.name)) }
        if json {
            print(ListCommand.definitionsDocument(zip(definitions, running).map { ($0.name, $0.autostart, $0.order, $1, $0.configPath) })
                .serialized())
        } else {
            func row(_ name: String, _ autostart: String, _ order: String, _ id: String) -> String {
                func right(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(width - text.count, 0)) + text }
                return left(name, 40) + " " + left(autostart, 9) + " " + right(order, 5) + " " + right(id, 5)
            }
            print(row("Name", "Autostart", "Order", "ID"))
            for (definition, id) in zip(definitions, running) {
                print(row(definition.name, definition.autostart ? "on" : "off", "\(definition.order)",
                          id.map { "\($0.rawValue)" } ?? "-"))
            }
        }
    }
}

extension ListCommand {
    /// What xl list -l prints before puts' newline: yajl's beautified array, ending in yajl's own
    /// final newline.
    static func xlLongListing(_ entries: [(DomainID, String)]) -> String {
        guard !entries.isEmpty else { return "[]\n" }
        let items = entries.map { id, json in
            var config = Substring(json)
            while config.last == "\n" { config = config.dropLast() }
            // yajl indents what it nests; an empty map's blank line stays empty ("{\n\n}").
            let nested = config.split(separator: "\n", omittingEmptySubsequences: false)
                .enumerated().map { $0.offset == 0 || $0.element.isEmpty ? String($0.element) : "        " + $0.element }
                .joined(separator: "\n")
            return "    {\n        \"domid\": \(id.rawValue),\n        \"config\": \(nested)\n    }"
        }
        return "[\n" + items.joined(separator: ",\n") + "\n]\n"
    }
}

extension ListCommand {
    /// `xk list --defined --json` (docs/json.md): each definition, and its domid while it runs.
    static func definitionsDocument(_ rows: [(name: String, autostart: Bool, order: Int, domid: DomainID?, config: String)]) -> JSONValue {
        .document("definitions", rows.map { row in
            .object([
                ("name", .string(row.name)),
                ("autostart", .bool(row.autostart)),
                ("order", .int(Int64(row.order))),
                ("domid", row.domid.map { .uint(UInt64($0.rawValue)) } ?? .null),
                ("config_path", .string(row.config)),
            ])
        })
    }
}
