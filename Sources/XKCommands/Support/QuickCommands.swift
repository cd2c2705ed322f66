// The everyday short commands, given with nothing but their one operand, run without
// swift-argument-parser: neither its parsing nor its property wrappers.
//
// Why by hand, beside the library: to parse any command line, swift-argument-parser first
// builds the argument sets of the root command and of its completion pseudo-commands by
// reflection. That cost `xk info` 11.6 M of the 15.3 M instructions it ran before it reached
// Xen (callgrind), most of it the Swift runtime scanning every protocol-conformance record of
// the binary (4,000 and more, FoundationEssentials' among them) for each type it looks at;
// xl's whole start costs 2.7 M. Even a command value built by hand, without parsing, cost
// `xk list` 0.8 M more (stop 29, callgrind in the lab): each `@Flag` and `@OptionGroup`
// builds its names into a Set and instantiates generic types by mangled name, and the
// `as? any AsyncParsableCommand` in main scans the records again. Under the lab's emulation,
// or on a busy dom0, that is most of a short command's time.
//
// So `xk list` and `xk info` (each also with `--json` alone), `xk pause D`, `xk unpause D`,
// `xk destroy D` and `xk watch D`, exactly so, `xk create [-q] [-p] [-e] [-c] FILE
// [KEY=VALUE...]`, `xk save [-c] [-p] D FILE [CONFIG]` and `xk restore [-p] [-e] [-c] [-q] FILE
// [CONFIG]` (those flags before the operands, each once), are read here into the same plain
// request each command's `run()` hands its work to (ListCommand.Request, DomainRequest, ...),
// and that request runs. create is here because the parser cost it 250 ms in the lab (a dry
// run took 433 ms against xl's 185), a tenth of an HVM guest's whole create; restore because
// `xk restore` of a missing file took 520 ms against xl's 250 (stop 32), about all that an
// HVM restore spent beyond xl's before libxl's own work (with this path, the HVM guest's restore
// went from 1.06 to 1.02 of xl's time in one boot), and save as its pair. Anything else
// (any other option, `--help`, another operand, an operand starting with '-') goes to the
// parser, and `xk --version` is answered in main. A live migration starts two xk processes,
// `xk migrate` and the `xk migrate-receive` it runs, one after the other before any byte moves:
// so `migrate` with its flags and its string options, and `migrate-receive` with its flags, are
// read here too (their numeric options, --compress and --timeout, go to the parser). QuickCommandsTests checks, line by line,
// that the request read here equals the request of the command the parser builds, and that
// each request carries every property of its command.

/// A command whose only operand is a domain (pause, unpause, watch; destroy adds its -f),
/// with its command line read.
struct DomainRequest: Equatable {
    var global: GlobalSettings
    var domain: String
}

/// One of the short command lines above, read.
enum QuickCommand: Equatable {
    case list(ListCommand.Request)
    case info(InfoCommand.Request)
    case pause(DomainRequest)
    case unpause(DomainRequest)
    case destroy(DestroyCommand.Request)
    case watch(DomainRequest)
    case create(CreateCommand.Request)
    case save(SaveCommand.Request)
    case restore(RestoreCommand.Request)
    case migrate(MigrateCommand.Request)
    case migrateReceive(MigrateReceiveCommand.Request)

    /// The short command `arguments` give; nil for any other line (the parser's).
    init?(_ arguments: [String]) {
        let none = GlobalSettings()
        switch arguments.first {
        case "create":
            guard let request = Self.create(arguments.dropFirst()) else { return nil }
            self = .create(request)
            return
        case "save":
            guard let request = Self.save(arguments.dropFirst()) else { return nil }
            self = .save(request)
            return
        case "restore":
            guard let request = Self.restore(arguments.dropFirst()) else { return nil }
            self = .restore(request)
            return
        case "migrate":
            guard let request = Self.migrate(arguments.dropFirst()) else { return nil }
            self = .migrate(request)
            return
        case "migrate-receive":
            guard let request = Self.migrateReceive(arguments.dropFirst()) else { return nil }
            self = .migrateReceive(request)
            return
        default:
            break
        }
        switch arguments.count {
        case 1:
            switch arguments[0] {
            case "list": self = .list(.init(global: none))
            case "info": self = .info(.init(global: none))
            default: return nil
            }
        case 2 where arguments[1] == "--json":
            // What scripts run most: the same two with JSON.
            switch arguments[0] {
            case "list": self = .list(.init(global: none, json: true))
            case "info": self = .info(.init(global: none, json: true))
            default: return nil
            }
        case 2:
            let operand = arguments[1]
            guard !operand.hasPrefix("-") else { return nil }
            let target = DomainRequest(global: none, domain: operand)
            switch arguments[0] {
            case "pause": self = .pause(target)
            case "unpause": self = .unpause(target)
            case "destroy": self = .destroy(.init(target: target))
            // What `xk create` starts for each domain (BackgroundWatcher.swift): its start-up
            // competed with whatever the operator ran next (a destroy right after a create
            // took 0.4 s longer in the lab than with a settled watcher).
            case "watch": self = .watch(target)
            default: return nil
            }
        default:
            return nil
        }
    }

    /// Does what the parser's command would do: its `run()` hands over the same request.
    func run() throws {
        switch self {
        case .list(let request): try request.run()
        case .info(let request): try request.run()
        case .pause(let request): try PauseCommand.run(request)
        case .unpause(let request): try UnpauseCommand.run(request)
        case .destroy(let request): try request.run()
        case .watch(let request): try WatchCommand.run(request)
        case .create(let request): try request.run()
        case .save(let request): try request.run()
        case .restore(let request): try request.run()
        case .migrate(let request): try request.run()
        case .migrateReceive(let request): try request.run()
        }
    }

    /// `create [-q] [-p] [-e] [-c] FILE [KEY=VALUE...]`: the flags before the file, each at
    /// most once; the overrides are words with a '=' that do not start with '-' (what the
    /// parser's validation asks of them).
    private static func create(_ words: ArraySlice<String>) -> CreateCommand.Request? {
        guard let (flags, rest) = buildFlags(words), let file = rest.first else { return nil }
        var request = CreateCommand.Request(global: GlobalSettings(), paused: flags.paused, quiet: flags.quiet,
                                            console: flags.console, noWatcher: flags.noWatcher, file: file)
        request.overrides = Array(rest.dropFirst())
        guard request.overrides.allSatisfy({ $0.contains("=") && !$0.hasPrefix("-") }) else { return nil }
        return request
    }

    /// `save [-c] [-p] DOMAIN FILE [CONFIG]`, the flags before the operands, each at most once.
    private static func save(_ words: ArraySlice<String>) -> SaveCommand.Request? {
        var request = SaveCommand.Request(global: GlobalSettings(), domain: "", file: "")
        let known = leadingFlags(words) { flag, _ in
            switch flag {
            case "-c": request.checkpoint = true
            case "-p": request.leavePaused = true
            default: return false
            }
            return true
        }
        guard let operands = known, (2...3).contains(operands.count), !operands.contains(where: { $0.hasPrefix("-") }) else { return nil }
        request.domain = operands[operands.startIndex]
        request.file = operands[operands.startIndex + 1]
        request.config = operands.count == 3 ? operands.last : nil
        return request
    }

    /// `restore [-p] [-e] [-c] [-q] FILE [CONFIG]`, the flags before the operands, each at most once.
    private static func restore(_ words: ArraySlice<String>) -> RestoreCommand.Request? {
        guard let (flags, operands) = buildFlags(words), (1...2).contains(operands.count),
              !operands.contains(where: { $0.hasPrefix("-") }) else { return nil }
        return RestoreCommand.Request(global: GlobalSettings(), paused: flags.paused, noWatcher: flags.noWatcher,
                                      console: flags.console, quiet: flags.quiet, files: Array(operands))
    }

    /// The flags create and restore share, with the same meanings: -q quiet, -p paused, -e no
    /// watcher, -c console.
    private struct BuildFlags {
        var quiet = false, paused = false, noWatcher = false, console = false
    }

    /// create's and restore's flags at the front of `words`, each at most once, and the words
    /// after them; nil for any other flag.
    private static func buildFlags(_ words: ArraySlice<String>) -> (BuildFlags, ArraySlice<String>)? {
        var flags = BuildFlags()
        let rest = leadingFlags(words) { flag, _ in
            switch flag {
            case "-q": flags.quiet = true
            case "-p": flags.paused = true
            case "-e": flags.noWatcher = true
            case "-c": flags.console = true
            default: return false
            }
            return true
        }
        return rest.map { (flags, $0) }
    }

    /// `migrate [-e] [-F] [-p] [--debug] [--live] [--quiet] [--json] [--no-compress] [-s SSHCMD]
    /// [-C CONFIG] [--receiver R] DOMAIN HOST`, the flags and options before the operands, each at
    /// most once, each option's value its own word. A line whose receiver command validate()
    /// would refuse goes to the parser, which says why.
    private static func migrate(_ words: ArraySlice<String>) -> MigrateCommand.Request? {
        var request = MigrateCommand.Request(global: GlobalSettings(), domain: "", host: "")
        let known = leadingFlags(words) { flag, value in
            switch flag {
            case "-e": request.noWatcher = true
            case "-F": request.foreground = true
            case "-p": request.paused = true
            case "--debug": request.debug = true
            case "--live": request.live = true
            case "--quiet": request.quiet = true
            case "--json": request.json = true
            case "--no-compress": request.noCompress = true
            case "-s": guard let word = value() else { return false }; request.sshCommand = word
            case "-C": guard let word = value() else { return false }; request.config = word
            case "--receiver": guard let word = value() else { return false }; request.receiver = word
            default: return false
            }
            return true
        }
        guard let operands = known, operands.count == 2, !operands.contains(where: { $0.hasPrefix("-") }) else { return nil }
        request.domain = operands[operands.startIndex]
        request.host = operands[operands.startIndex + 1]
        guard (try? request.rune) != nil else { return nil }
        return request
    }

    /// `migrate-receive` with any of its flags (-e -F -d -p -t -T --trust-sender --compressed),
    /// each at most once: what `xk migrate` and `xl migrate` start on the receiving host.
    private static func migrateReceive(_ words: ArraySlice<String>) -> MigrateReceiveCommand.Request? {
        var request = MigrateReceiveCommand.Request(global: GlobalSettings())
        let known = leadingFlags(words) { flag, _ in
            switch flag {
            case "-e": request.noWatcher = true
            case "-F": request.foreground = true
            case "-d": request.debug = true
            case "-p": request.paused = true
            case "-t": request.terminal = true
            case "-T": request.timestamps = true
            case "--trust-sender": request.trustSender = true
            case "--compressed": request.compressed = true
            default: return false
            }
            return true
        }
        guard known?.isEmpty == true else { return nil }
        return request
    }

    /// The words after the flags at the front of `words`; nil when `take` refuses one (an
    /// unknown flag, or an option without its value) or one is given twice. `take` is handed
    /// each flag and a function that takes the next word as its value: nil when there is
    /// none, or when it starts with '-' (the parser would read it as a flag).
    ///
    /// The flags seen are kept in an array, not a Set: a Set<String> is instantiated at run
    /// time with its Hashable requirement checked, and the runtime's first such check walks
    /// every conformance record of the binary (seen with gdb in the lab); an array needs no
    /// check, and a line has a few flags.
    private static func leadingFlags(_ words: ArraySlice<String>, _ take: (String, () -> String?) -> Bool) -> ArraySlice<String>? {
        var rest = words
        var seen: [String] = []
        func value() -> String? {
            guard let word = rest.first, !word.hasPrefix("-") else { return nil }
            rest = rest.dropFirst()
            return word
        }
        while let word = rest.first, word.hasPrefix("-") {
            rest = rest.dropFirst()
            guard !seen.contains(word), take(word, value) else { return nil }
            seen.append(word)
        }
        return rest
    }

    /// Whether `arguments` only ask for the version (`xk --version`).
    static func isVersion(_ arguments: [String]) -> Bool { arguments == ["--version"] }
}
