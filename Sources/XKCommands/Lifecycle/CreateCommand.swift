import ArgumentParser
import XenKit

/// `xk create`: build and start a domain from an xl.cfg file, as `xl create` does.
struct CreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a domain from an xl.cfg file.",
        discussion: """
            Takes xl's config files unchanged. Trailing KEY=VALUE arguments override the file's keys, as with xl. A key xl does not know is a warning naming the nearest known key (--strict makes it an error); a bad value stops with the file, the line and the key, and nothing is created. With -n, prints the libxl domain config as JSON (what `xl -N create` prints) and needs no hypervisor, so configs can be checked anywhere.

            With --check, builds nothing and says whether the domain fits this host, listing every problem at once: its name already taken, memory (counting what dom0 could give when xl.conf's autoballoon is on), vCPUs beyond its CPU pool's CPUs, missing boot files, disk backends dom0 does not have, bridges that do not exist; exit status 1 when it does not fit. A create runs the same check first and refuses with the same list. When the host lacks free memory and autoballoon is on, dom0 gives the difference, as with xl; if the build then fails, dom0 gets it back.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(name: [.customShort("n"), .customLong("dry-run")],
          help: "Only parse the config and print the libxl domain config as JSON.")
    var dryRun = false

    @Flag(name: .customShort("p"), help: "Leave the domain paused after creating it.")
    var paused = false

    @Flag(name: .shortAndLong, help: "Quiet: print nothing on success.")
    var quiet = false

    @Flag(name: .customShort("c"), help: "Attach to the domain's console once it is created.")
    var console = false

    @Flag(name: .customShort("e"),
          help: "Do not carry out the domain's on_poweroff/on_reboot/on_crash actions (leave no watcher).")
    var noWatcher = false

    @Flag(name: .customShort("F"),
          help: "Stay in the foreground and carry out the domain's shutdown actions until it is gone.")
    var foreground = false

    @Flag(help: "Build nothing: say whether the domain fits this host, with every problem found.")
    var check = false

    @Flag(help: "Refuse keys xl does not know, instead of warning.")
    var strict = false

    @Flag(help: "With -n, also check that kernel, ramdisk and device tree files exist here.")
    var checkFiles = false

    @Flag(name: .customLong("ignore-global-affinity-masks"), help: "Leave xl.conf's vm.*cpumask out of the vCPUs' hard affinity.")
    var ignoreGlobalMasks = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    @Argument(help: "The xl.cfg file.")
    var file: String

    @Argument(help: "KEY=VALUE overrides, applied after the file.")
    var overrides: [String] = []

    func validate() throws {
        if check && (dryRun || foreground || console || paused) {
            throw ValidationError("--check only checks; it cannot be combined with -n, -p, -F or -c")
        }
        if dryRun && (foreground || console) {
            throw ValidationError("-n only checks the config; it cannot be combined with -F or -c")
        }
        if foreground && (noWatcher || console) {
            throw ValidationError("-F watches in the foreground; it cannot be combined with -e or -c")
        }
        for override in overrides where !override.contains("=") {
            throw ValidationError("'\(override)' is not a KEY=VALUE override")
        }
    }

    /// What was asked, as plain values (the quick path builds it without the parser).
    var request: Request {
        Request(global: global.settings, dryRun: dryRun, paused: paused, quiet: quiet, console: console,
                noWatcher: noWatcher, foreground: foreground, check: check, strict: strict, checkFiles: checkFiles,
                ignoreGlobalMasks: ignoreGlobalMasks, json: json, file: file, overrides: overrides)
    }

    func run() throws { try request.run() }

    /// `xk create` with its command line read (and validated).
    struct Request: Equatable {
        var global: GlobalSettings
        var dryRun = false, paused = false, quiet = false, console = false, noWatcher = false, foreground = false
        var check = false, strict = false, checkFiles = false, ignoreGlobalMasks = false, json = false
        var file: String
        var overrides: [String] = []
    }
}

extension CreateCommand.Request {
    func run() throws {
        let state = CommandState(settings: global)
        if !dryRun { try state.restrictBootloaders() }   // XSA-443, as /etc/xen/xl.conf asks
        // The host's CPU layout sizes affinity maps as xl does; a dry run without Xen goes on
        // without it (the mapper then assumes a host and says so).
        let host = dryRun ? try? state.hostTopology() : try state.hostTopology()
        // xl reads xl.conf for -N too: its claim_mode and grant defaults are in the JSON.
        let options = DomainConfiguration.LoadOptions(
            overrides: overrides, strict: strict, checkFiles: (!dryRun && !check) || checkFiles, host: host, xlConf: try state.xlConf(),
            ignoreGlobalAffinityMasks: ignoreGlobalMasks)
        if !quiet && !json && !check { printError("Parsing config from \(file)") }   // as xl, also with -n
        let config = try DomainConfiguration.load(path: file, options: options)
        if !quiet {
            for warning in config.warnings { state.warn(warning) }
        }
        if dryRun {
            print(try config.json(), terminator: "")   // libxl ends it with a newline
            return
        }
        let context = try state.context
        let policy = try state.buildPolicy()
        let verdict = context.checkBuild(config, policy: policy)
        if check {
            print(json ? verdict.json.serialized() : verdict.text)
            if !verdict.fits { throw ExitCode.failure }
            return
        }
        if let error = verdict.error { throw error }
        if !quiet {
            for finding in verdict.findings where finding.severity == .warning { state.warn("\(finding.subject): \(finding.message)") }
        }
        let id = try context.create(config, paused: paused, policy: policy, checked: verdict)
        if json {
            print(CreateCommand.builtDocument(name: config.name, id: id, paused: paused).serialized())
        } else if !quiet {
            print("Created domain '\(config.name)' (id \(id))\(paused ? ", paused" : "").")
        }
        if !noWatcher {
            try ShutdownActions.arrange(for: id, name: config.name, context: context, foreground: foreground)
        }
        if console {
            try context.attachConsole(id)
        }
    }
}

extension CreateCommand {
    /// `xk create --json` and `xk restore --json` (docs/json.md): the domain built.
    static func builtDocument(name: String, id: DomainID, paused: Bool) -> JSONValue {
        .document([("name", .string(name)), ("domid", .uint(UInt64(id.rawValue))), ("paused", .bool(paused))])
    }
}
