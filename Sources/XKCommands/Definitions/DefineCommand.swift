import ArgumentParser
import XenKit

/// `xk define`: keep a domain defined, so that `xk start` and the host service can build it
/// at any time, also after the host reboots.
struct DefineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "define",
        abstract: "Keep a domain defined from an xl.cfg file (it is not started).",
        discussion: """
            The config is checked as xk create checks it, then kept in \(DefinitionStore.defaultDirectory): the file as given (with the KEY=VALUE overrides appended) as NAME.cfg, and the libxl config resolved from it as NAME.json, from which xk start builds the domain (so it keeps one UUID). Defining a name again replaces the definition and keeps its autostart setting; a running domain is not touched.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Refuse keys xl does not know, instead of warning.")
    var strict = false

    @Flag(name: .shortAndLong, help: "Quiet: print nothing on success.")
    var quiet = false

    @Argument(help: "The xl.cfg file.")
    var file: String

    @Argument(help: "KEY=VALUE overrides, applied after the file.")
    var overrides: [String] = []

    func validate() throws {
        for override in overrides where !override.contains("=") {
            throw ValidationError("'\(override)' is not a KEY=VALUE override")
        }
    }

    func run() throws {
        let state = CommandState(options: global)
        // The host's CPU layout when Xen is here; a definition can also be made elsewhere.
        let host = try? state.context.hostTopology()
        let options = DomainConfiguration.LoadOptions(overrides: overrides, strict: strict, checkFiles: true, host: host, xlConf: try state.xlConf())
        let defined = try DefinitionStore().define(path: file, options: options)
        if !quiet {
            for warning in defined.warnings { state.warn(warning) }
            print("\(defined.replaced ? "Redefined" : "Defined") domain '\(defined.definition.name)' (\(defined.definition.configPath)).")
        }
    }
}

/// `xk undefine`: forget a definition; a running domain of that name keeps running.
struct UndefineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undefine",
        abstract: "Forget a domain's definition (a running domain keeps running).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The defined domain's name.")
    var name: String

    func run() throws {
        try DefinitionStore().undefine(name)
        print("Undefined domain '\(name)'.")
    }
}
