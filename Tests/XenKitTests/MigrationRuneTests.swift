import Testing
@testable import XenKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Quoting for sh, proven by sh itself, and the receiver command `xk migrate` builds from it.
@Suite struct ShellWordTests {
    static let nasty = [
        "", " ", "'", "''", "a'b", "'; touch /tmp/xk-pwned; '", "$(touch /tmp/xk-pwned)", "`id`",
        "a b", "a\tb", "line\nbreak", "\\", "\\'", "\"", "*", "~", "~root", "!", "#x", "x#", "-e",
        "a&&b", "a|b", "a;b", "a>b", "a<b", "(x)", "{x}", "[x]", "$HOME", "${HOME}", "%s", "é",
        "\u{1B}[31m", "x=1", "host2", "root@host2.example:22", "/usr/local/sbin/xk",
    ]

    /// What sh makes of `word`: `printf %s WORD`'s output.
    static func shellReads(_ word: String) -> [UInt8]? {
        guard let pipe = popen("printf %s " + word, "r") else { return nil }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            let n = fread(&buffer, 1, buffer.count, pipe)
            if n == 0 { break }
            out += buffer.prefix(n)
        }
        return pclose(pipe) == 0 ? out : nil
    }

    @Test(arguments: nasty)
    func shReadsTheQuotedWordAsTheOriginal(_ text: String) {
        let quoted = ShellWord.quoted(text)
        #expect(Self.shellReads(quoted) == Array(text.utf8), "\(text) quoted as \(quoted)")
    }

    @Test func plainWordsStayReadable() {
        #expect(ShellWord.quoted("host2") == "host2")
        #expect(ShellWord.quoted("root@host2.example:22") == "root@host2.example:22")
        #expect(ShellWord.quoted("a b") == "'a b'")
        #expect(ShellWord.quoted("it's") == #"'it'\''s'"#)
        #expect(ShellWord.quoted("") == "''")
    }

    @Test func plainWordsAreThoseNoShellReinterprets() {
        for word in ["xk", "xl", "/usr/local/sbin/xk", "xk-4.17", "x_k"] { #expect(ShellWord.isPlainWord(word), "\(word)") }
        for word in ["", "-x", "a b", "x;y", "$(id)", "`id`", "x'", "~", "x\n"] { #expect(!ShellWord.isPlainWord(word), "\(word)") }
    }
}

@Suite struct MigrationRuneTests {
    @Test func hostIsOneQuotedWord() throws {
        #expect(try MigrationRune.command(sshCommand: "ssh", host: "h; touch /tmp/pwned2", receiver: "xk")
                == "exec ssh 'h; touch /tmp/pwned2' xk migrate-receive")
        #expect(try MigrationRune.command(sshCommand: "ssh -p 2222", host: "host2", receiver: "xl", receiverFlags: ["-e", "-p"])
                == "exec ssh -p 2222 host2 xl migrate-receive -e -p")
    }

    @Test func anEmptySshCommandMakesHostTheWholeCommandAsXl() throws {
        #expect(try MigrationRune.command(sshCommand: "", host: "ssh -p 2 h xk migrate-receive", receiver: "xk")
                == "ssh -p 2 h xk migrate-receive")
    }

    @Test func refusesWhatWouldReachAShellOrSshUnsafely() {
        for (host, receiver, words) in [("-oProxyCommand=touch /tmp/pwned", "xk", "starts with '-'"), ("", "xk", "empty"),
                                        ("h", "xk;id", "--receiver"), ("h", "-x", "--receiver"), ("h", "a b", "--receiver")] {
            let error = #expect(throws: XenError.self) {
                try MigrationRune.command(sshCommand: "ssh", host: host, receiver: receiver)
            }
            #expect(error?.code == .invalidArgument && error?.message.contains(words) == true, "\(error?.message ?? "")")
        }
    }

    /// The whole rune, run by sh with a fake ssh that prints its arguments: HOST arrives as
    /// one argument, and nothing else runs.
    @Test func shRunsOnlyTheSshCommandWithHostAsOneArgument() throws {
        let host = "h; touch /tmp/xk-rune-pwned $(touch /tmp/xk-rune-pwned)"
        let rune = try MigrationRune.command(sshCommand: "printf '<%s>'", host: host, receiver: "xk")
        unlink("/tmp/xk-rune-pwned")
        let out = ShellWordTests.shellReads("\"$(" + rune + ")\"")
        #expect(out == Array("<\(host)><xk><migrate-receive>".utf8), "\(String(decoding: out ?? [], as: UTF8.self))")
        #expect(access("/tmp/xk-rune-pwned", F_OK) != 0)
    }
}
