import ArgumentParser
import XenKit

/// `xk domid`: a domain's id from its name, as `xl domid`.
struct DomidCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "domid", abstract: "Print a domain's id, given its name.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON.")
    var json = false

    @Argument(help: "The domain's name.")
    var name: String

    func run() throws {
        let state = CommandState(options: global)
        let id = try state.context.resolve(.name(name))
        print(json ? Self.document(name: name, id: id).serialized() : id.description)
    }

    /// `xk domid --json` and `xk domname --json` (docs/json.md).
    static func document(name: String, id: DomainID) -> JSONValue {
        .document([("name", .string(name)), ("domid", .uint(UInt64(id.rawValue)))])
    }
}

/// `xk domname`: a domain's name from its id, as `xl domname`.
struct DomnameCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "domname", abstract: "Print a domain's name, given its id.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON.")
    var json = false

    @Argument(help: "The domain's id.")
    var id: UInt32

    func run() throws {
        let state = CommandState(options: global)
        let domainID = DomainID(id)
        _ = try state.context.domain(domainID)
        guard let name = try state.context.name(of: domainID) else {
            throw XenError(code: .domainNotFound, message: "domain \(id) has no name")
        }
        print(json ? DomidCommand.document(name: name, id: domainID).serialized() : name)
    }
}
