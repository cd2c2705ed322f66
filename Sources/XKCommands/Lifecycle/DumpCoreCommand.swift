import ArgumentParser
import XenKit

/// `xk dump-core`: a guest's memory and vCPU state as an ELF core, as `xl dump-core`.
struct DumpCoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump-core",
        abstract: "Write a domain's core (its memory and vCPU state) to a file.",
        discussion: """
            The core is xc_domain_dumpcore's ELF file (crash(8) and gdb read it), the owner's \
            only (0600): it holds all of the guest's memory. The domain runs on (pause it first \
            for a consistent core). The file appears whole or not at all: a dump that fails \
            leaves an earlier file at that path as it was.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The domain, by name or id.")
    var domain: String

    @Argument(help: "The file to write.")
    var file: String

    func run() throws {
        let state = CommandState(options: global)
        _ = StopSignals.install()   // a signal now discards the dump instead of leaving its temporary file
        try state.context.dumpCore(try state.resolve(domain), to: file) { StopSignals.pending() }
    }
}
