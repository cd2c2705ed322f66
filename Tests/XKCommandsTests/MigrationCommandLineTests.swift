import ArgumentParser
import Testing
import XenKit
@testable import XKCommands

/// The migration commands' command lines, and the receiver command they run, as xl builds it.
@Suite struct MigrationCommandLineTests {
    func rune(_ arguments: String...) throws -> String {
        try #require(try XK.parseAsRoot(["migrate"] + arguments) as? MigrateCommand).request.rune
    }

    @Test func theReceiverIsStartedAsXlStartsIt() throws {
        #expect(try rune("web", "host2") == "exec ssh host2 xk migrate-receive --trust-sender --compressed")
        #expect(try rune("-s", "env", "web", "X=1") == "exec env X=1 xk migrate-receive --trust-sender")
        #expect(try rune("-s", "ssh -p 2222", "-e", "-p", "--debug", "web", "host2")
                == "exec ssh -p 2222 host2 xk migrate-receive --trust-sender --compressed -e -d -p")
        // xl's receiver has no --trust-sender (and no policy): it is not given one.
        #expect(try rune("--receiver", "xl", "web", "host2") == "exec ssh host2 xl migrate-receive")
        // An empty ssh command makes HOST the whole command, as with xl.
        #expect(try rune("-s", "", "web", "ssh host2 xk migrate-receive") == "ssh host2 xk migrate-receive")
    }

    /// HOST and --receiver reach `sh -c` here and ssh's remote shell: quoted, never run.
    @Test func hostAndReceiverCannotInjectShellCommands() throws {
        #expect(try rune("web", "h; touch /tmp/pwned2") == "exec ssh 'h; touch /tmp/pwned2' xk migrate-receive --trust-sender --compressed")
        #expect(try rune("web", "$(reboot)") == "exec ssh '$(reboot)' xk migrate-receive --trust-sender --compressed")
        #expect(try rune("web", "it's") == #"exec ssh 'it'\''s' xk migrate-receive --trust-sender --compressed"#)
        #expect(try rune("web", "root@host2.example:22") == "exec ssh root@host2.example:22 xk migrate-receive --trust-sender --compressed")
        #expect(try rune("--receiver", "/usr/local/sbin/xk", "web", "h") == "exec ssh h /usr/local/sbin/xk migrate-receive --trust-sender --compressed")
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

    /// Compression only between xk ends: xl's receiver gets xl's plain wire, and so does an
    /// operator's whole command (-s "") unless --compress says that it decompresses.
    @Test func compressionIsOnlyBetweenXkEnds() throws {
        func command(_ arguments: String...) throws -> MigrateCommand.Request {
            try #require(try XK.parseAsRoot(["migrate"] + arguments) as? MigrateCommand).request
        }
        #expect(try command("web", "host2").compressionLevel == 1)
        #expect(try command("--compress", "6", "web", "host2").compressionLevel == 6)
        #expect(try command("--compress=19", "web", "host2").compressionLevel == 19)
        let plain = try command("--no-compress", "web", "host2")
        #expect(plain.compressionLevel == nil)
        #expect(try plain.rune == "exec ssh host2 xk migrate-receive --trust-sender")
        #expect(try command("--receiver", "xl", "web", "host2").compressionLevel == nil)
        #expect(try command("-s", "", "web", "ssh h xk migrate-receive").compressionLevel == nil)
        // Only across a network: to this same host, bytes cost nothing and zstd costs CPU.
        #expect(try command("-s", "ssh -p 2222", "web", "root@host2").compressionLevel == 1)
        #expect(try command("-s", "/usr/bin/ssh", "web", "host2").compressionLevel == 1)
        for host in ["localhost", "LOCALHOST", "root@localhost", "127.0.0.1", "::1", "localhost.localdomain"] {
            #expect(try command("web", host).compressionLevel == nil, "\(host)")
        }
        #expect(try command("-s", "env", "web", "X=1").compressionLevel == nil)
        #expect(try command("-s", "env", "--compress", "1", "web", "X=1").rune == "exec env X=1 xk migrate-receive --trust-sender --compressed")
        #expect(try command("-s", "", "--compress", "1", "web", "ssh h xk migrate-receive --compressed").compressionLevel == 1)
        for (arguments, says) in [(["--compress", "0"], "from 1 to 19"), (["--compress", "20"], "from 1 to 19"),
                                  (["--compress", "3", "--receiver", "xl"], "xl's plain stream only"),
                                  (["--compress", "3", "--no-compress"], "contradict")] {
            let error = try #require(throws: (any Error).self) { try XK.parseAsRoot(["migrate"] + arguments + ["web", "h"]) }
            #expect(XK.message(for: error).contains(says), "\(XK.message(for: error))")
        }
        let receive = try #require(try XK.parseAsRoot(["migrate-receive", "--compressed"]) as? MigrateReceiveCommand)
        #expect(receive.compressed)
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
