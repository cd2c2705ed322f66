// The everyday short commands, given with nothing but their one operand, run without
// swift-argument-parser's reflection.
//
// Why by hand, beside the library: to parse any command line, swift-argument-parser first
// builds the argument sets of the root command and of its completion pseudo-commands by
// reflection. That costs `xk info` 11.6 M of the 15.3 M instructions it runs before it
// reaches Xen (callgrind), most of it the Swift runtime scanning every protocol-conformance
// record of the binary (4,000 and more, FoundationEssentials' among them) for each type it
// looks at; xl's whole start costs 2.7 M. Under the lab's emulation, or on a busy dom0, that
// is most of a short command's time. So `xk list` and `xk info` (each also with `--json`
// alone), `xk pause D`, `xk unpause D`, `xk destroy D`, `xk watch D` and `xk --version`,
// exactly so, are recognised here and built as the very command values the parser would
// build (every property set, none left to the parser), and run through the same `run()`.
// Anything else (any other option, `--help`, another operand, an operand starting with '-')
// goes to the parser. QuickCommandsTests checks that each line recognised here gives what
// the parser gives for it.
import ArgumentParser

enum QuickCommand {
    /// The command the parser would give for `arguments`, when they are one of the short
    /// lines above; nil for anything else.
    static func command(for arguments: [String]) -> (any ParsableCommand)? {
        switch arguments.count {
        case 1:
            switch arguments[0] {
            case "list": return ListCommand(global: .defaults)
            case "info": return InfoCommand(global: .defaults)
            default: return nil
            }
        case 2 where arguments[1] == "--json":
            // What scripts run most: the same two with JSON.
            switch arguments[0] {
            case "list": return ListCommand(global: .defaults, json: true)
            case "info": return InfoCommand(global: .defaults, json: true)
            default: return nil
            }
        case 2:
            let operand = arguments[1]
            guard !operand.hasPrefix("-") else { return nil }
            switch arguments[0] {
            case "pause": return PauseCommand(global: .defaults, domain: operand)
            case "unpause": return UnpauseCommand(global: .defaults, domain: operand)
            case "destroy": return DestroyCommand(global: .defaults, domain: operand)
            // What `xk create` starts for each domain (BackgroundWatcher.swift): its start-up
            // competed with whatever the operator ran next (a destroy right after a create
            // took 0.4 s longer in the lab than with a settled watcher).
            case "watch": return WatchCommand(global: .defaults, domain: operand)
            default: return nil
            }
        default:
            return nil
        }
    }

    /// Whether `arguments` only ask for the version (`xk --version`).
    static func isVersion(_ arguments: [String]) -> Bool { arguments == ["--version"] }
}

extension GlobalOptions {
    /// The global options of a command line that gives none.
    static var defaults: GlobalOptions {
        GlobalOptions(verbose: 0, xl: XLGlobalFlags(progressCR: false, timestamps: false))
    }
}

extension XLGlobalFlags {
    init(progressCR: Bool, timestamps: Bool) {
        self.init()
        self.progressCR = progressCR
        self.timestamps = timestamps
    }
}

extension ListCommand {
    init(global: GlobalOptions, json: Bool = false) {
        self.init()
        self.global = global
        self.json = json
        defined = false
        long = false
        domains = []
    }
}

extension InfoCommand {
    init(global: GlobalOptions, json: Bool = false) {
        self.init()
        self.global = global
        self.json = json
        numa = false
        key = nil
    }
}

/// A command whose only operand is a domain: set its global options and the domain, and
/// every other property (DestroyCommand's -f) to what the parser gives when it is absent.
protocol DomainOperandCommand: ParsableCommand {
    var global: GlobalOptions { get set }
    var domain: String { get set }
    /// Sets the command's other properties to their defaults.
    mutating func setDefaults()
}

extension DomainOperandCommand {
    init(global: GlobalOptions, domain: String) {
        self.init()
        self.global = global
        self.domain = domain
        setDefaults()
    }

    mutating func setDefaults() {}
}

extension PauseCommand: DomainOperandCommand {}
extension UnpauseCommand: DomainOperandCommand {}
extension WatchCommand: DomainOperandCommand {}
extension DestroyCommand: DomainOperandCommand {
    mutating func setDefaults() { force = false }
}
