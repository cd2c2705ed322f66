import ArgumentParser
import XenKit

/// `xk restore`: build a domain from a save file, xl's or xk's.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a domain from a save file (xl's format).",
        discussion: """
            Reads files written by xk save and by xl save. The file is checked before anything is built: xl's header, libxl's stream ident, and the END record at its end, so a truncated, corrupt or foreign file is refused with the reason, and a failure while building leaves no domain behind. With a CONFIG (an xl.cfg), the domain is built from it instead of the config stored in the file; the two may come in either order (xl takes CONFIG first). Shutdown actions are carried out afterwards as after xk create.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customShort("p"), help: "Leave the domain paused after restoring it.")
    var paused = false

    @Flag(name: .customShort("e"), help: "Do not carry out the domain's shutdown actions (leave no watcher).")
    var noWatcher = false

    @Flag(name: .customShort("c"), help: "Attach to the domain's console once it is restored.")
    var console = false

    @Flag(name: .shortAndLong, help: "Quiet: print nothing on success.")
    var quiet = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    @Argument(help: "The save file, and optionally an xl.cfg to build the domain from (either order).")
    var files: [String]

    func validate() throws {
        guard (1...2).contains(files.count) else {
            throw ValidationError("give the save file, and at most one xl.cfg")
        }
    }

    /// What was asked, as plain values (the quick path builds it without the parser).
    var request: Request {
        Request(global: global.settings, paused: paused, noWatcher: noWatcher, console: console, quiet: quiet, json: json, files: files)
    }

    func run() throws { try request.run() }

    /// `xk restore` with its command line read (and validated).
    struct Request: Equatable {
        var global: GlobalSettings
        var paused = false, noWatcher = false, console = false, quiet = false, json = false
        var files: [String]
    }
}

extension RestoreCommand.Request {
    func run() throws {
        let state = CommandState(settings: global)
        try state.restrictBootloaders()   // XSA-443, as /etc/xen/xl.conf asks
        let context = try state.context
        // xl's order is CONFIG FILE; the issue's and the help's is FILE CONFIG: the save file
        // is the one that starts with xl's magic.
        var saveFile = files[0]
        var configFile: String? = files.count == 2 ? files[1] : nil
        if let other = configFile, !SaveFileHeader.looksLikeSaveFile(saveFile), SaveFileHeader.looksLikeSaveFile(other) {
            (saveFile, configFile) = (other, saveFile)
        }
        var config: DomainConfiguration?
        if let configFile {
            let options = DomainConfiguration.LoadOptions(checkFiles: true, host: try? state.hostTopology(), xlConf: try state.xlConf())
            config = try DomainConfiguration.load(path: configFile, options: options)
        }
        let (id, name) = try context.restore(from: saveFile, config: config, paused: paused, policy: try state.buildPolicy())
        if json {
            print(CreateCommand.builtDocument(name: name, id: id, paused: paused).serialized())
        } else if !quiet {
            print("Restored domain '\(name)' (id \(id)) from \(saveFile)\(paused ? ", paused" : "").")
        }
        if !noWatcher {
            try ShutdownActions.arrange(for: id, name: name, context: context, foreground: false)
        }
        if console {
            try context.attachConsole(id)
        }
    }
}
