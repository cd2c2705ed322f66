// The shell command that starts a migration's receiver: `exec SSH HOST RECEIVER
// migrate-receive [-e] [-d] [-p]`, as xl builds it (xl_migrate.c, main_migrate), run with
// `sh -c` here and, through ssh, by the receiving host's shell.
//
// Why not as xl does: xl pastes HOST in unquoted, so `xl migrate web 'h; rm -rf ~'` runs the
// rm here, and a HOST such as `-oProxyCommand=...` is an ssh option that runs a command
// too. xk quotes HOST for the shell here and refuses one that starts with '-'. The receiver
// word reaches the remote shell as well, where quoting from here does not survive (ssh joins
// its arguments with spaces), so it must be a plain word. The ssh command itself (-s) stays
// the operator's shell text, as with xl ("ssh -p 2222"), and -s "" still makes HOST the
// whole command.

/// Quoting for POSIX sh.
public enum ShellWord {
    /// Characters that mean nothing to sh anywhere in a word but its first position.
    private static func isPlain(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "@%+=:,./_-".utf8.contains(byte)
        }
    }

    /// `text` as one sh word that stands for exactly `text`: as it is when it holds only
    /// plain characters (letters, digits, `@%+=:,./_-`), else in single quotes, each `'`
    /// written as `'\''`.
    public static func quoted(_ text: String) -> String {
        if !text.isEmpty && text.utf8.allSatisfy(isPlain) { return text }
        return "'" + text.replacing("'", with: #"'\''"#) + "'"
    }

    /// Whether `text` is a word both shells read as itself, unquoted: plain characters only,
    /// not empty, and not starting with '-' (which a command would read as an option).
    public static func isPlainWord(_ text: String) -> Bool {
        !text.isEmpty && !text.hasPrefix("-") && text.utf8.allSatisfy(isPlain)
    }
}

/// The command `xk migrate` runs to reach the receiving host.
public enum MigrationRune {
    /// The command for `sh -c`.
    ///
    /// - Parameters:
    ///   - sshCommand: how to reach HOST (`ssh`, `ssh -p 2222`); empty makes `host` the whole
    ///     command, as with xl.
    ///   - host: the receiving host, given to `sshCommand` as one word.
    ///   - receiver: the toolstack that receives there (`xk`, `xl`, or a path to one).
    ///   - receiverFlags: flags of `migrate-receive`, such as `-e`, `-d`, `-p`.
    /// - Throws: ``XenError`` with ``XenError/Code/invalidArgument`` for an empty HOST, a
    ///   HOST that `sshCommand` would read as an option, or a receiver that is not a plain word.
    public static func command(sshCommand: String, host: String, receiver: String,
                               receiverFlags: [String] = []) throws(XenError) -> String {
        guard !host.isEmpty else {
            throw XenError(code: .invalidArgument, message: "the HOST to migrate to is empty")
        }
        guard !sshCommand.isEmpty else { return host }   // the operator's whole command, as xl
        guard !host.hasPrefix("-") else {
            throw XenError(code: .invalidArgument,
                           message: "HOST '\(host)' starts with '-': `\(sshCommand)` would read it as an option, not a host",
                           hint: "give ssh options with -s, such as -s \"ssh -p 2222\"")
        }
        guard ShellWord.isPlainWord(receiver) else {
            throw XenError(code: .invalidArgument,
                           message: "--receiver '\(receiver)' is not a plain word: it reaches the receiving host's shell",
                           hint: "give xk, xl or a path to one (letters, digits and @%+=:,./_-, not starting with '-')")
        }
        return (["exec", sshCommand, ShellWord.quoted(host), ShellWord.quoted(receiver), "migrate-receive"]
            + receiverFlags.map(ShellWord.quoted)).joined(separator: " ")
    }

    /// Whether `sshCommand` reaches `host` through ssh on a host other than this one: where
    /// `xk migrate` compresses by default (bytes cost time on a network, nothing through a
    /// local pipe, while zstd costs the sender's CPU either way).
    public static func crossesANetwork(sshCommand: String, host: String) -> Bool {
        guard let program = sshCommand.split(separator: " ").first?.split(separator: "/").last, program == "ssh" else { return false }
        let name = (host.split(separator: "@").last.map(String.init) ?? host).lowercased()
        return !(name == "localhost" || name.hasPrefix("localhost.") || name.hasPrefix("127.") || name == "::1" || name == "[::1]")
    }
}
