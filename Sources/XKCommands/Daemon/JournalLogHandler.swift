// The host service's log lines as journald wants them. Under systemd the service's stdout is
// a journal stream (systemd sets JOURNAL_STREAM to its device and inode): each line then
// starts with its syslog priority in sd-daemon's "<N>" form, so that `journalctl -p err`
// finds the errors, and carries no timestamp of its own, since the journal stamps every
// line. Anywhere else (a terminal, a file) swift-log's stream handler writes its usual lines,
// with their timestamp. swift-log has no journald handler; this one is small and written here.
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

struct JournalLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    let label: String

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// sd-daemon(3)'s priorities: SD_ERR is <3>, SD_INFO <6>.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// One line per message: a message's own newlines would start lines of priority <6>.
    static func line(_ level: Logger.Level, _ message: String, metadata: Logger.Metadata) -> String {
        let details = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let text = (details.isEmpty ? message : "\(message) \(details)").replacingNewlines()
        return "<\(priority(level))>\(text)\n"
    }

    func log(event: LogEvent) {
        let text = Self.line(event.level, event.message.description, metadata: metadata.merging(event.metadata ?? [:]) { $1 })
        _ = text.withCString { write(STDOUT_FILENO, $0, strlen($0)) }
    }

    /// Whether stdout is the journal stream systemd set up: JOURNAL_STREAM is "DEV:INODE" of
    /// stdout itself (a redirected stdout keeps the variable but is another file).
    static func stdoutIsJournal(environment value: String?) -> Bool {
        guard let value, let colon = value.firstIndex(of: ":"),
              let device = UInt64(value[..<colon]), let inode = UInt64(value[value.index(after: colon)...]) else { return false }
        var status = stat()
        guard fstat(STDOUT_FILENO, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }

    /// The service's handler: journald's form under systemd, swift-log's stream lines elsewhere.
    static func forService(label: String) -> any LogHandler {
        let journal = getenv("JOURNAL_STREAM").map { String(cString: $0) }
        return stdoutIsJournal(environment: journal) ? JournalLogHandler(label: label) : StreamLogHandler.standardOutput(label: label)
    }
}

private extension String {
    func replacingNewlines() -> String {
        split(separator: "\n", omittingEmptySubsequences: false).joined(separator: " / ")
    }
}
