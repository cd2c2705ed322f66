public import ArgumentParser
import XenKit

/// Options every `xk` subcommand takes, as xl's global flags.
public struct GlobalOptions: ParsableArguments {
    @Flag(name: .shortAndLong,
          help: "Show libxl's messages on stderr (repeat for more detail, like xl -v).")
    public var verbose: Int

    @OptionGroup var xl: XLGlobalFlags

    public init() {}

    init(verbose: Int, xl: XLGlobalFlags) {
        self.verbose = verbose
        self.xl = xl
    }

    /// The same options as plain values, for the command's work.
    var settings: GlobalSettings {
        xl.settings(verbose: verbose)
    }

    /// The libxl log level echoed to stderr: none by default, warnings with -v, then more.
    var echoLevel: LogLevel? { settings.echoLevel }
}

/// The global options as plain values: what a command's work needs of them. GlobalOptions
/// holds the parser's property wrappers, which cost start-up to build (QuickCommands.swift);
/// the short commands' requests carry these instead.
struct GlobalSettings: Equatable, Sendable {
    /// -v, counted.
    var verbose = 0
    /// xl -t.
    var progressCR = false
    /// xl -T.
    var timestamps = false

    /// The libxl log level echoed to stderr: none by default, warnings with -v, then more.
    var echoLevel: LogLevel? {
        switch verbose {
        case 0: nil
        case 1: .warn
        case 2: .info
        case 3: .detail
        default: .debug
        }
    }
}

/// xl's -v, -t and -T, which go before the subcommand (LeadingOptions.swift hands them over in
/// this long form); hidden: the help names them among xl's global options.
public struct XLGlobalFlags: ParsableArguments {
    /// xl -v before the subcommand, counted: its own name, so that it reaches a subcommand whose
    /// own -v and --verbose mean something else (list's columns).
    @Flag(name: .customLong("leading-verbose"), help: .hidden)
    var leadingVerbose: Int

    /// The settings, with `verbose` the -v count given after the subcommand (added to the -v
    /// before it).
    func settings(verbose: Int) -> GlobalSettings {
        GlobalSettings(verbose: verbose + leadingVerbose, progressCR: progressCR, timestamps: timestamps)
    }

    /// xl -t: progress lines overwrite themselves with a carriage return even when stderr is
    /// not a terminal.
    @Flag(name: .customLong("progress-cr"), help: .hidden)
    var progressCR = false

    /// xl -T: libxl's echoed messages start with the date and the process id.
    @Flag(name: .customLong("timestamps"), help: .hidden)
    var timestamps = false

    public init() {}
}

/// The global options of a subcommand whose own `-v` and `--verbose` both mean something else
/// (list's extra columns, as in xl): libxl's messages only with `xk -v list`, before it.
struct LeadingGlobalOptions: ParsableArguments {
    @OptionGroup var xl: XLGlobalFlags

    var settings: GlobalSettings { xl.settings(verbose: 0) }
}

/// The global options of a subcommand whose own `-v` means something else (sched-rtds's
/// vCPU, as in xl): only `--verbose` there, and `xk -v sched-rtds` before the subcommand.
struct LongGlobalOptions: ParsableArguments {
    @Flag(name: .customLong("verbose"), help: "Show libxl's messages on stderr (repeat for more detail).")
    var verbose: Int

    @OptionGroup var xl: XLGlobalFlags

    var options: GlobalOptions { GlobalOptions(verbose: verbose, xl: xl) }
}

/// What one xk invocation shares between its parts: the Xen context, opened on first use
/// (so that `--help` and config checks never need a hypervisor).
final class CommandState {
    let settings: GlobalSettings
    private var openedContext: XenContext?
    private var loadedXLConf: XLConf?
    private var readTopology: HostTopology?

    init(settings: GlobalSettings) { self.settings = settings }

    convenience init(options: GlobalOptions) { self.init(settings: options.settings) }

    var context: XenContext {
        get throws(XenError) {
            if let openedContext { return openedContext }
            let context = try XenContext(echoLevel: settings.echoLevel, timestamps: settings.timestamps)
            openedContext = context
            return context
        }
    }

    /// /etc/xen/xl.conf, read once; its warnings (unknown keys, keys xk does not act on) go
    /// to stderr then. A host without it has xl's defaults.
    func xlConf() throws(XenError) -> XLConf {
        if let loadedXLConf { return loadedXLConf }
        let conf = try XLConf.load()
        for warning in conf.warnings { warn(warning) }
        loadedXLConf = conf
        return conf
    }

    /// The host's CPU topology, read once: a create needs it for the config's affinity maps
    /// and again for xl.conf's CPU masks (two libxl calls, each a hypercall and its buffers).
    /// Not kept in XenContext, which the host service holds for as long as it runs.
    func hostTopology() throws(XenError) -> HostTopology {
        if let readTopology { return readTopology }
        let topology = try context.hostTopology()
        readTopology = topology
        return topology
    }

    /// How builds make room in memory on this host (xl.conf's autoballoon, resolved).
    func buildPolicy() throws(XenError) -> BuildPolicy {
        try context.buildPolicy(xlConf(), host: hostTopology())
    }

    /// For the commands that build domains (a PV guest's bootloader runs as they build it):
    /// the XSA-443 restriction that /etc/xen/xl.conf asks for, set before libxl can run one.
    func restrictBootloaders() throws(XenError) {
        _ = try xlConf()   // a bad xl.conf stops here, its warnings printed once
        let set = try BootloaderRestriction.applyToProcess()
        if settings.verbose > 0, !set.isEmpty { printError("xk: " + BootloaderRestriction.describe(set)) }
    }

    /// The id of a domain named on the command line (a name or an id, as xl takes them).
    func resolve(_ argument: String) throws(XenError) -> DomainID {
        guard let qualifier = DomainQualifier(argument) else {
            throw XenError(code: .invalidArgument, message: "'\(argument)' is not a domain name or id")
        }
        return try context.resolve(qualifier)
    }

    /// An xl.cfg read as the libxl JSON that a save file or a migration stream carries (the
    /// CONFIG of xl save and xl migrate -C). Its files are checked where it is used, not here.
    func configJSON(_ path: String) throws(XenError) -> String {
        let options = DomainConfiguration.LoadOptions(checkFiles: false, host: try? hostTopology(), xlConf: try xlConf())
        let config = try DomainConfiguration.load(path: path, options: options)
        for warning in config.warnings { warn(warning) }
        return try config.json()
    }

    /// Prints a warning on stderr, xk-style.
    func warn(_ text: String) {
        printError("xk: warning: " + text)
    }
}
