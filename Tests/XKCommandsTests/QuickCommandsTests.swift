import ArgumentParser
import Testing
@testable import XKCommands

/// The short command lines that skip swift-argument-parser (QuickCommands.swift) are read into
/// exactly the request the parser's command hands its work to; every other line goes to the
/// parser.
@Suite struct QuickCommandsTests {
    static let recognised: [[String]] = [
        ["list"], ["info"], ["pause", "web"], ["unpause", "7"], ["destroy", "web"], ["destroy", "0"],
        ["pause", "name with spaces"], ["watch", "12"], ["list", "--json"], ["info", "--json"],
    ] + createLines + saveAndRestoreLines + migrationLines

    /// What a live migration runs: the sender's lines (the bench's, xl's shapes, each option)
    /// and the receiver's, as `xk migrate` and `xl migrate` start it.
    static let migrationLines: [[String]] = [
        ["migrate", "web", "host2"], ["migrate", "-e", "-s", "env", "web", "PATH=/usr/sbin:/usr/bin"],
        ["migrate", "-s", "", "7", "ssh host2 xk migrate-receive"], ["migrate", "-s", "ssh -p 2222", "web", "root@host2"],
        ["migrate", "-C", "/etc/xen/web.cfg", "--receiver", "xl", "web", "host2"], ["migrate", "--receiver", "/usr/local/bin/xk", "web", "h"],
        ["migrate", "-e", "-F", "-p", "--debug", "--live", "--quiet", "--json", "--no-compress", "web", "host2"],
        ["migrate", "--no-compress", "--json", "--quiet", "--live", "--debug", "-p", "-F", "-e", "-s", "env", "-C", "w.cfg", "web", "X=1"],
        ["migrate-receive"], ["migrate-receive", "--trust-sender", "-e"], ["migrate-receive", "--trust-sender", "--compressed", "-e", "-d", "-p"],
        ["migrate-receive", "-F", "-t", "-T"], ["migrate-receive", "-T", "-t", "-F", "-p", "-d", "-e", "--compressed", "--trust-sender"],
    ]

    /// save's and restore's quick flags, each alone and all together (in two orders), with
    /// each count of operands.
    static let saveAndRestoreLines: [[String]] = {
        var lines: [[String]] = []
        for flags in [[], ["-c"], ["-p"], ["-c", "-p"], ["-p", "-c"]] {
            lines.append(["save"] + flags + ["web", "/var/lib/xen/save/web"])
            lines.append(["save"] + flags + ["7", "web save", "/etc/xen/web.cfg"])
        }
        for flags in [[], ["-p"], ["-e"], ["-c"], ["-q"], ["-p", "-e", "-c", "-q"], ["-q", "-c", "-e", "-p"]] {
            lines.append(["restore"] + flags + ["/var/lib/xen/save/web"])
            lines.append(["restore"] + flags + ["/etc/xen/web.cfg", "/var/lib/xen/save/web"])
        }
        return lines
    }()

    /// Every choice of create's quick flags, in two orders, with and without overrides.
    static let createLines: [[String]] = {
        let flags = ["-q", "-p", "-e", "-c"]
        var lines: [[String]] = []
        for mask in 0..<(1 << flags.count) {
            let chosen = flags.indices.filter { mask & (1 << $0) != 0 }.map { flags[$0] }
            for order in Set([chosen, chosen.reversed()]) {
                lines.append(["create"] + order + ["web.cfg"])
                lines.append(["create"] + order + ["/etc/xen/my web.cfg", "memory=512", "extra=console=hvc0 quiet"])
            }
        }
        return lines
    }()

    /// The request of the command the parser builds for `line`, in the quick path's terms.
    static func parsersRequest(_ line: [String]) throws -> QuickCommand? {
        switch try XK.parse(line) {
        case let command as ListCommand: .list(command.request)
        case let command as InfoCommand: .info(command.request)
        case let command as PauseCommand: .pause(command.request)
        case let command as UnpauseCommand: .unpause(command.request)
        case let command as DestroyCommand: .destroy(command.request)
        case let command as WatchCommand: .watch(command.request)
        case let command as CreateCommand: .create(command.request)
        case let command as SaveCommand: .save(command.request)
        case let command as RestoreCommand: .restore(command.request)
        case let command as MigrateCommand: .migrate(command.request)
        case let command as MigrateReceiveCommand: .migrateReceive(command.request)
        default: nil
        }
    }

    /// The names of a value's stored properties; a property wrapper's storage (`_json`) by the
    /// property's name, and the properties of those named in `expanding` in their place.
    static func propertyNames(_ value: Any, expanding: Set<String> = []) -> Set<String> {
        var names = Set<String>()
        for child in Mirror(reflecting: value).children {
            var name = child.label ?? "?"
            if name.hasPrefix("_") { name.removeFirst() }
            if expanding.contains(name) {
                names.formUnion(propertyNames(child.value))
            } else {
                names.insert(name)
            }
        }
        return names
    }

    @Test(arguments: recognised) func theQuickRequestIsTheParsers(line: [String]) throws {
        let quick = try #require(QuickCommand(line))
        let parsed = try #require(try Self.parsersRequest(line), "\(line) parses to another command")
        #expect(quick == parsed, "\(line)")
    }

    /// A property of the command that its request did not carry could not reach the work
    /// (`run()` hands over the request alone); this catches one added to either side only.
    @Test(arguments: recognised) func eachRequestCarriesEveryPropertyOfItsCommand(line: [String]) throws {
        let command = try XK.parse(line)
        let request: Any = switch try #require(QuickCommand(line)) {
        case .list(let request): request
        case .info(let request): request
        case .pause(let request), .unpause(let request), .watch(let request): request
        case .destroy(let request): request
        case .create(let request): request
        case .save(let request): request
        case .restore(let request): request
        case .migrate(let request): request
        case .migrateReceive(let request): request
        }
        #expect(Self.propertyNames(request, expanding: ["target"]) == Self.propertyNames(command), "\(line)")
    }

    /// The global options reach the request whole: each one set on the command line is set in
    /// the settings, and the settings have a field for each option.
    @Test func theGlobalOptionsBecomeTheSettings() throws {
        let list = try #require(try XK.parse(["-vv", "-t", "-T", "list"]) as? ListCommand)
        #expect(list.request.global == GlobalSettings(verbose: 2, progressCR: true, timestamps: true))
        let plain = try #require(try XK.parse(["list", "web"]) as? ListCommand)
        #expect(plain.request.global == GlobalSettings())
        // The -v before the subcommand (leadingVerbose) is added to the settings' verbose.
        #expect(Self.propertyNames(GlobalSettings()) == Self.propertyNames(GlobalOptions(), expanding: [])
            .subtracting(["xl"]).union(Self.propertyNames(XLGlobalFlags())).subtracting(["leadingVerbose"]))
    }

    /// Each property reaches the request as the parser read it, not only the defaults the
    /// quick lines give.
    @Test func everyOptionReachesTheRequest() throws {
        let list = try #require(try XK.parse(["list", "--json", "--defined", "-l", "web", "7"]) as? ListCommand)
        #expect(list.request == ListCommand.Request(global: GlobalSettings(), json: true, defined: true, long: true, domains: ["web", "7"]))
        let columns = try #require(try XK.parse(["-T", "list", "-vZcn"]) as? ListCommand)
        #expect(columns.request == ListCommand.Request(global: GlobalSettings(timestamps: true), verbose: true, context: true, cpupool: true, numa: true))
        let info = try #require(try XK.parse(["-v", "info", "--json", "-n", "xen_version"]) as? InfoCommand)
        #expect(info.request == InfoCommand.Request(global: GlobalSettings(verbose: 1), json: true, numa: true, key: "xen_version"))
        let destroy = try #require(try XK.parse(["destroy", "-f", "0"]) as? DestroyCommand)
        #expect(destroy.request == DestroyCommand.Request(target: DomainRequest(global: GlobalSettings(), domain: "0"), force: true))
        let watch = try #require(try XK.parse(["-T", "watch", "web"]) as? WatchCommand)
        #expect(watch.request == DomainRequest(global: GlobalSettings(timestamps: true), domain: "web"))
    }

    @Test(arguments: [
        ["list", "--json", "web"], ["list", "web"], ["list", "-l"], ["pause", "--json"], ["list", "--json=1"], ["info", "-n"], ["info", "xen_version"],
        ["pause"], ["pause", "-x"], ["pause", "--help"], ["pause", "a", "b"], ["destroy", "-f", "web"],
        ["-v", "list"], ["-t", "pause", "web"], ["help"], ["-v", "create", "web.cfg"], [], ["list", "--", "web"],
        ["--version", "list"], ["migrate", "web"], ["watch", "-v", "12"],
        ["create"], ["create", "-q"], ["create", "-n", "web.cfg"], ["create", "-q", "-q", "web.cfg"], ["create", "web.cfg", "-q"],
        ["create", "-qp", "web.cfg"], ["create", "--json", "web.cfg"], ["create", "-F", "web.cfg"], ["create", "web.cfg", "memory"],
        ["create", "web.cfg", "memory=1", "-p"], ["create", "web.cfg", "-x=1"], ["create", "--", "web.cfg"], ["create", "-v", "web.cfg"],
        ["save"], ["save", "web"], ["save", "web", "f", "c", "d"], ["save", "-c", "-c", "web", "f"], ["save", "--json", "web", "f"],
        ["save", "web", "f", "-p"], ["save", "-e", "web", "f"], ["save", "-", "f"], ["save", "-cp", "web", "f"],
        ["restore"], ["restore", "a", "b", "c"], ["restore", "-p", "-p", "f"], ["restore", "--json", "f"], ["restore", "f", "-p"],
        ["restore", "-x", "f"], ["restore", "-v", "f"], ["restore", "-pe", "f"], ["restore", "--", "f"],
        ["migrate", "web"], ["migrate", "web", "h", "x"], ["migrate", "-e", "-e", "web", "h"], ["migrate", "-ep", "web", "h"],
        ["migrate", "--compress", "3", "web", "h"], ["migrate", "--timeout", "5", "web", "h"], ["migrate", "-s"], ["migrate", "-s", "-e", "web", "h"],
        ["migrate", "-s", "env", "-s", "ssh", "web", "h"], ["migrate", "--receiver=xl", "web", "h"], ["migrate", "web", "h", "-e"],
        ["migrate", "-v", "web", "h"], ["migrate", "web", "-h"], ["migrate", "web", "-oProxyCommand=x"], ["migrate", "--receiver", "xk;id", "web", "h"],
        ["migrate", "web", ""], ["migrate", "--help"], ["migrate", "--", "web", "h"],
        ["migrate-receive", "web"], ["migrate-receive", "-e", "-e"], ["migrate-receive", "-ep"], ["migrate-receive", "--timeout", "5"],
        ["migrate-receive", "-v"], ["migrate-receive", "--help"], ["migrate-receive", "--"],
    ]) func everyOtherLineGoesToTheParser(line: [String]) {
        #expect(QuickCommand(line) == nil, "\(line)")
        #expect(!QuickCommand.isVersion(line))
    }

    @Test func theVersionIsTheParsers() throws {
        #expect(QuickCommand.isVersion(["--version"]))
        #expect(XK.configuration.version == XK.version)
        // The parser answers --version with the same text.
        let error = try #require(throws: (any Error).self) { try XK.parseAsRoot(["--version"]) }
        #expect(XK.fullMessage(for: error) == XK.version)
    }
}
