import ArgumentParser
import XenKit

/// `xk destroy`: end a domain at once, as `xl destroy`.
struct DestroyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destroy",
        abstract: "Destroy a domain immediately (the guest is not asked; its memory is freed).")

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customShort("f"), help: "Allow destroying domain 0 (as xl destroy -f).")
    var force = false

    @Argument(help: "The domain, by name or id.")
    var domain: String

    func run() throws {
        let state = CommandState(options: global)
        let id = try state.resolve(domain)
        if id == .dom0 && !force {
            throw XenError(code: .invalidArgument, message: "refusing to destroy domain 0",
                           hint: "use -f if you really mean it")
        }
        try state.context.destroy(id)
    }
}
