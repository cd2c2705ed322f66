import ArgumentParser
import XenKit

/// `xk rename`: give a domain a new name, as `xl rename`.
struct RenameCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rename", abstract: "Rename a domain.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The domain, by name or id.")
    var domain: String

    @Argument(help: "Its new name.")
    var newName: String

    func validate() throws {
        _ = try DomainName(newName)   // refused before anything is looked up
    }

    func run() throws {
        let state = CommandState(options: global)
        let id = try state.resolve(domain)
        let oldName = try state.context.name(of: id)
        try state.context.rename(id, to: newName, expecting: oldName)
    }
}
