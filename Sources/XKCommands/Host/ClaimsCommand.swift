import ArgumentParser
import XenKit

/// `xk claims`: the memory each domain has claimed from Xen and not yet populated, as
/// `xl claims` prints it.
struct ClaimsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "claims",
        abstract: "Show the memory each domain has claimed but not yet populated.",
        discussion: """
            xl's list with a Claimed column (MiB): a claim is taken when libxl starts building \
            a domain (xl.conf's claim_mode, on by default) and shrinks as its memory is \
            populated, so outside a build every claim is 0. With --json, the document of \
            `xk list --json` (outstanding_kib is the claim); the keys are in docs/json.md (/usr/share/doc/xenkit/docs/json.md.gz).
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON instead of the table.")
    var json = false

    func run() throws {
        let state = CommandState(options: global)
        if !(try state.xlConf().claimMode) { printError("claim_mode not enabled (see man xl.conf).") }
        let infos = try state.context.domains()
        if json {
            print(DomainInfo.listDocument(infos).serialized())
            return
        }
        print(DomainInfo.listHeader + "  Claimed")
        for info in infos {
            print(info.listRow + cFormat(" %5lu", CUnsignedLong(info.outstandingMemory.mebibytes)))
        }
    }
}
