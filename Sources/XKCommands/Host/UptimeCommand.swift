import ArgumentParser
import XenKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `xk uptime`: how long each domain has been up, as `xl uptime` prints it.
struct UptimeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uptime",
        abstract: "Print how long domains have been up.",
        discussion: """
            All domains, or those named. Domain-0's is dom0's kernel's; a guest's runs from when \
            it was built (a restored or migrated guest's from its restore). With -s, one line \
            each as uptime(1) prints it. With --json, one JSON document; \
            the keys are in docs/json.md (/usr/share/doc/xenkit/docs/json.md.gz).
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .short, help: "One uptime(1)-style line per domain.")
    var short = false

    @Flag(help: "Print JSON instead of the table.")
    var json = false

    @Argument(help: "Domains, by name or id.")
    var domains: [String] = []

    func run() throws {
        let state = CommandState(options: global)
        let uptimes = try state.context.uptimes(try domains.map { try state.resolve($0) })
        if json {
            print(Self.document(uptimes.map { ($0.name, $0.id, $0.seconds) }).serialized())
            return
        }
        if !short { print(left("Name", 33) + "   ID Uptime") }   // "%-33s %4s %s"
        let now = Self.clock()
        for uptime in uptimes {
            if short {
                print(" \(now) up \(Self.duration(uptime.seconds, short: true)), \(uptime.name) (\(uptime.id.rawValue))")
            } else {
                print(left(uptime.name, 33) + cFormat(" %4d ", CInt(truncatingIfNeeded: uptime.id.rawValue))
                      + Self.duration(uptime.seconds, short: false))
            }
        }
    }

    /// xl's uptime_to_string: "3 days,  4:05:06", "1 day,  0:00:10", " 4:05:06"; short
    /// leaves out the seconds.
    static func duration(_ seconds: UInt64, short: Bool) -> String {
        let days = seconds / 86400, hours = seconds % 86400 / 3600, minutes = seconds % 3600 / 60, rest = seconds % 60
        let prefix = days > 1 ? "\(days) days, " : days == 1 ? "1 day, " : ""
        return prefix + (short ? cFormat("%2d:%02d", CInt(hours), CInt(minutes))
                               : cFormat("%2d:%02d:%02d", CInt(hours), CInt(minutes), CInt(rest)))
    }

    /// The local time as "%H:%M:%S".
    static func clock() -> String { WallClock.local("%H:%M:%S") }
}

extension UptimeCommand {
    /// `xk uptime --json` (docs/json.md).
    static func document(_ uptimes: [(name: String, id: DomainID, seconds: UInt64)]) -> JSONValue {
        .document("domains", uptimes.map { uptime in
            .object([("name", .string(uptime.name)), ("domid", .uint(UInt64(uptime.id.rawValue))), ("uptime_s", .uint(uptime.seconds))])
        })
    }
}
