import ArgumentParser
import XenKit

/// `xk dmesg`: the hypervisor's console ring, as `xl dmesg`.
struct DmesgCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dmesg",
        abstract: "Print the hypervisor's log (its console ring).",
        discussion: """
            The bytes are xl dmesg's, except that what could garble a terminal is escaped: a \
            guest can write to this log (guest_loglvl), so every byte outside printable ASCII, \
            other than newline and tab, is printed as \\xNN (and a backslash as \\\\). With \
            --json, one array of the log's lines, as stored.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .shortAndLong, help: "Empty the ring after reading it.")
    var clear = false

    @Flag(help: "Print JSON instead of the text.")
    var json = false

    func run() throws {
        let state = CommandState(options: global)
        let log = try state.context.hypervisorLog(clear: clear)
        if json {
            let lines = log.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            print(Self.document(Array(lines.last == "" ? lines.dropLast() : lines[...])).serialized())
        } else {
            writeStandardOutput(Self.escaped(log))
        }
    }

    /// Newline, tab and printable ASCII as they are; a backslash doubled; any other byte \xNN.
    static func escaped(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        let hex = Array("0123456789abcdef".utf8)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\\"): out += [byte, byte]
            case 0x20..<0x7f, UInt8(ascii: "\n"), UInt8(ascii: "\t"): out.append(byte)
            default: out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        return out
    }
}

extension DmesgCommand {
    /// `xk dmesg --json` (docs/json.md): the log's lines, as stored.
    static func document(_ lines: [String]) -> JSONValue { .document("lines", lines.map(JSONValue.string)) }
}
