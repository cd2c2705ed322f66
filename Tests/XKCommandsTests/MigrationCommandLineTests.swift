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
        #expect(try rune("web", "host2") == "exec ssh host2 xk migrate-receive --trust-sender")
        #expect(try rune("-s", "env", "web", "X=1") == "exec env X=1 xk migrate-receive --trust-sender")
        #expect(try rune("-s", "ssh -p 2222", "-e", "-p", "--debug", "web", "host2")
                == "exec ssh -p 2222 host2 xk migrate-receive --trust-sender -e -d -p")
        // xl's receiver has no --trust-sender (and no policy): it is not given one.
        #expect(try rune("--receiver", "xl", "web", "host2") == "exec ssh host2 xl migrate-receive")
        // An empty ssh command makes HOST the whole command, as with xl.
        #expect(try rune("-s", "", "web", "ssh host2 xk migrate-receive") == "ssh host2 xk migrate-receive")
    }

    /// HOST and --receiver reach `sh -c` here and ssh's remote shell: quoted, never run.
    @Test func hostAndReceiverCannotInjectShellCommands() throws {
        #expect(try rune("web", "h; touch /tmp/pwned2") == "exec ssh 'h; touch /tmp/pwned2' xk migrate-receive --trust-sender")
        #expect(try rune("web", "$(reboot)") == "exec ssh '$(reboot)' xk migrate-receive --trust-sender")
        #expect(try rune("web", "it's") == #"exec ssh 'it'\''s' xk migrate-receive --trust-sender"#)
        #expect(try rune("web", "root@host2.example:22") == "exec ssh root@host2.example:22 xk migrate-receive --trust-sender")
        #expect(try rune("--receiver", "/usr/local/sbin/xk", "web", "h") == "exec ssh h /usr/local/sbin/xk migrate-receive --trust-sender")
    }

    @Test func aHostThatSshWouldReadAsAnOptionIsRefused() throws {
        for host in ["-oProxyCommand=touch /tmp/pwned", "-V", "-"] {
            let error = try #require(throws: (any Error).self) { try XK.parseAsRoot(["migrate", "-s", "ssh", "--", "Domain-0", host]) }
            #expect("\(error)".contains("HOST '\(host)'") && "\(error)".contains("option"), "\(error)")
        }
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["migrate", "--", "web", ""]) }
    }

    @Test func aReceiverThatIsNotAPlainWordIsRefused() throws {
        for receiver in ["xk; touch /tmp/pwned", "xk migrate-receive", "$(id)", "-oX", "x\ny"] {
            let error = try #require(throws: (any Error).self) { try XK.parseAsRoot(["migrate", "--receiver=\(receiver)", "web", "h"]) }
            #expect("\(error)".contains("--receiver '\(receiver)' is not a plain word"), "\(error)")
        }
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
