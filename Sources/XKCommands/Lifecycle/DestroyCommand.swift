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

    /// What was asked, as plain values (the quick path builds it without the parser).
    var request: Request { Request(target: DomainRequest(global: global.settings, domain: domain), force: force) }

    func run() throws { try request.run() }

    /// `xk destroy` with its command line read.
    struct Request: Equatable {
        var target: DomainRequest
        var force = false

        func run() throws {
            let state = CommandState(settings: target.global)
            let id = try state.resolve(target.domain)
            if id == .dom0 && !force {
                throw XenError(code: .invalidArgument, message: "refusing to destroy domain 0",
                               hint: "use -f if you really mean it")
            }
            try state.context.destroy(id)
        }
    }
}
