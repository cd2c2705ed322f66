import ArgumentParser
import Testing
@testable import XKCommands

@Suite struct CommandLineTests {
    @Test func listTakesDomainsAndJSON() throws {
        let command = try XK.parseAsRoot(["list", "--json", "web", "7"])
        let list = try #require(command as? ListCommand)
        #expect(list.json)
        #expect(list.domains == ["web", "7"])
    }

    @Test func verboseWorksBeforeAndAfterTheSubcommand() throws {
        let before = try #require(try XK.parseAsRoot(["-vv", "list"]) as? ListCommand)
        #expect(before.global.verbose == 2)
        let after = try #require(try XK.parseAsRoot(["info", "-v"]) as? InfoCommand)
        #expect(after.global.verbose == 1)
    }

    @Test func infoTakesOneKey() throws {
        let info = try #require(try XK.parseAsRoot(["info", "xen_version"]) as? InfoCommand)
        #expect(info.key == "xen_version")
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["info", "a", "b"]) }
    }

    @Test func unknownSubcommandIsAUsageError() {
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["frobnicate"]) }
        #expect(XK.exitCode(for: CleanExit.helpRequest()) == .success)
    }

    @Test func helpListsOnlyFinishedCommands() {
        let help = XK.helpMessage()
        #expect(help.contains("info"))
        #expect(help.contains("list"))
        #expect(!help.contains("create"))
    }
}
