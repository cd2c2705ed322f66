import ArgumentParser
import Testing
import XenKit
@testable import XKCommands

/// The migration commands' command lines, and the receiver command they run, as xl builds it.
@Suite struct MigrationCommandLineTests {
    func rune(_ arguments: String...) throws -> String {
        try #require(try XK.parseAsRoot(["migrate"] + arguments) as? MigrateCommand).rune
    }

    @Test func theReceiverIsStartedAsXlStartsIt() throws {
        #expect(try rune("web", "host2") == "exec ssh host2 xk migrate-receive")
        #expect(try rune("-s", "env", "web", "X=1") == "exec env X=1 xk migrate-receive")
        #expect(try rune("-s", "ssh -p 2222", "-e", "-p", "--debug", "web", "host2")
                == "exec ssh -p 2222 host2 xk migrate-receive -e -d -p")
        #expect(try rune("--receiver", "xl", "web", "host2") == "exec ssh host2 xl migrate-receive")
        // An empty ssh command makes HOST the whole command, as with xl.
        #expect(try rune("-s", "", "web", "ssh host2 xk migrate-receive") == "ssh host2 xk migrate-receive")
    }

    @Test func xlsReceiverFlagsAreAccepted() throws {
        let receive = try #require(try XK.parseAsRoot(["migrate-receive", "-t", "-T", "-d", "-e", "-p"]) as? MigrateReceiveCommand)
        #expect(receive.noWatcher && receive.paused)
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["migrate-receive", "extra"]) }
    }

    @Test func saveAndRestoreTakeXlsArguments() throws {
        let save = try #require(try XK.parseAsRoot(["save", "-c", "web", "/x.save", "web.cfg"]) as? SaveCommand)
        #expect(save.checkpoint && save.file == "/x.save" && save.config == "web.cfg")
        let restore = try #require(try XK.parseAsRoot(["restore", "-p", "-e", "web.cfg", "/x.save"]) as? RestoreCommand)
        #expect(restore.paused && restore.noWatcher && restore.files == ["web.cfg", "/x.save"])
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["restore", "a", "b", "c"]) }
    }

    @Test func theHandshakeIsXlsByteForByte() {
        #expect(MigrationMessage.banner.bytes.count == 54 && MigrationMessage.banner.bytes.last == 10)
        #expect(MigrationMessage.ready.bytes == Array("domain received, ready to unpause\u{0}".utf8))
        #expect(MigrationMessage.permissionToGo.bytes.count == 44 && MigrationMessage.permissionToGo.bytes.last == 0)
        #expect(MigrationMessage.report.bytes == Array("my copy unpause results are as follows\u{0}".utf8))
    }
}
