import ArgumentParser
import XenKit

/// `xk pause`: stop a domain's vCPUs from running, as `xl pause`.
struct PauseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause", abstract: "Pause a domain (its vCPUs stop; its memory stays).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The domain, by name or id.")
    var domain: String

    var request: DomainRequest { DomainRequest(global: global.settings, domain: domain) }

    func run() throws { try Self.run(request) }

    static func run(_ request: DomainRequest) throws {
        let state = CommandState(settings: request.global)
        try state.context.pause(try state.resolve(request.domain))
    }
}

/// `xk unpause`: let a paused domain run again, as `xl unpause`.
struct UnpauseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unpause", abstract: "Unpause a paused domain.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The domain, by name or id.")
    var domain: String

    var request: DomainRequest { DomainRequest(global: global.settings, domain: domain) }

    func run() throws { try Self.run(request) }

    static func run(_ request: DomainRequest) throws {
        let state = CommandState(settings: request.global)
        try state.context.unpause(try state.resolve(request.domain))
    }
}
