import ArgumentParser
import Testing
@testable import XKCommands

/// The short command lines that skip swift-argument-parser (QuickCommands.swift) give exactly
/// the command values the parser gives, every property set; every other line goes to the
/// parser.
@Suite struct QuickCommandsTests {
    static let recognised: [[String]] = [
        ["list"], ["info"], ["pause", "web"], ["unpause", "7"], ["destroy", "web"], ["destroy", "0"],
        ["pause", "name with spaces"], ["watch", "12"], ["list", "--json"], ["info", "--json"],
    ]

    /// What a command value holds, property by property, as Swift prints it: each of the
    /// parser's property wrappers prints its value once set, `*definition*` while unset.
    static func contents(_ command: any ParsableCommand) -> String { String(reflecting: command) }

    @Test(arguments: recognised) func theQuickCommandIsTheParsersCommand(line: [String]) throws {
        let quick = try #require(QuickCommand.command(for: line))
        let parsed = try XK.parseAsRoot(line)
        #expect(type(of: quick) == type(of: parsed))
        #expect(Self.contents(quick) == Self.contents(parsed), "\(line)")
        // Nothing left for the parser to fill in, down to the global options' own groups.
        #expect(!Self.contents(quick).contains("*definition*"), "\(Self.contents(quick))")
    }

    @Test(arguments: [
        ["list", "--json", "web"], ["list", "web"], ["list", "-l"], ["pause", "--json"], ["list", "--json=1"], ["info", "-n"], ["info", "xen_version"],
        ["pause"], ["pause", "-x"], ["pause", "--help"], ["pause", "a", "b"], ["destroy", "-f", "web"],
        ["-v", "list"], ["-t", "pause", "web"], ["help"], ["create", "web.cfg"], [], ["list", "--", "web"],
        ["--version", "list"], ["migrate", "web"], ["watch", "-v", "12"],
    ]) func everyOtherLineGoesToTheParser(line: [String]) {
        #expect(QuickCommand.command(for: line) == nil, "\(line)")
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
