// xl's save-file header, byte for byte, so that a file saved by xk restores with `xl restore`
// and the other way round (xen: tools/xl/xl.h, struct save_file_header):
//
//   32 bytes  magic "Xen saved domain, xl format\n \0 \r"
//    4 bytes  byte order 0x01020304, in the saving host's order (little-endian on x86)
//    4 bytes  mandatory flags: 1 the config is JSON, 2 the stream is libxl's v2; any other
//             bit means "do not restore"
//    4 bytes  optional flags
//    4 bytes  length of the optional data, which is:
//               4 bytes the config's length, then the config (libxl JSON, NUL-terminated)
// then the libxl stream (docs/specs/libxl-migration-stream.pandoc): "LibxlFmt", version,
// options, records, and last an END record (type 0, length 0).
//
// Why we check more than xl does: xl allocates whatever optional_data_len says and trusts
// the rest to libxl. We bound the config, and look for the libxl stream's ident and its END
// record before anything is built, so a foreign or truncated file is refused up front.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The header xl writes at the start of a save file or a migration stream.
public struct SaveFileHeader: Equatable, Sendable {
    /// xl's magic, 32 bytes.
    static let magic: [UInt8] = Array("Xen saved domain, xl format\n \0 \r".utf8)
    static let byteOrderValue: UInt32 = 0x0102_0304
    static let fixedSize = 48

    /// Mandatory flag: the config is libxl JSON.
    public static let configIsJSON: UInt32 = 1 << 0
    /// Mandatory flag: the stream is libxl's migration stream v2.
    public static let streamV2: UInt32 = 1 << 1
    /// The mandatory flags xl 4.17 (and xk) understand.
    static let knownMandatory: UInt32 = configIsJSON | streamV2
    /// The largest config xk accepts in a header (a real one is a few KiB).
    static let maximumConfigLength = 16 << 20

    public var mandatoryFlags: UInt32
    public var optionalFlags: UInt32
    /// The domain config, libxl JSON without its NUL; nil when the file carries none.
    public var configJSON: String?

    /// A header as xl 4.17 writes it: stream v2 and the config as JSON.
    public init(configJSON: String) {
        self.mandatoryFlags = Self.streamV2 | Self.configIsJSON
        self.optionalFlags = 0
        self.configJSON = configJSON
    }

    init(mandatoryFlags: UInt32, optionalFlags: UInt32, configJSON: String?) {
        self.mandatoryFlags = mandatoryFlags
        self.optionalFlags = optionalFlags
        self.configJSON = configJSON
    }

    /// Whether the libxl stream after the header is v2 (else the legacy v1).
    public var streamVersion: UInt32 { mandatoryFlags & Self.streamV2 != 0 ? 2 : 1 }

    /// The bytes xl writes: the fixed part, then the config's length and the config.
    public func encoded() -> [UInt8] {
        var config: [UInt8] = []
        if let configJSON { config = Array(configJSON.utf8) + [0] }
        let optional = config.isEmpty ? [] : Self.bytes(UInt32(config.count)) + config
        return Self.magic + Self.bytes(Self.byteOrderValue) + Self.bytes(mandatoryFlags)
            + Self.bytes(optionalFlags) + Self.bytes(UInt32(optional.count)) + optional
    }

    /// What is wrong with a file that claims to be a save file.
    public enum Problem: Error, Equatable, Sendable, CustomStringConvertible {
        case truncated(needed: Int, have: Int)
        case wrongMagic
        case wrongByteOrder
        case unsupportedFlags(UInt32)
        case configTooLarge(Int)
        case configNotText
        /// No STREAMv2 flag: a legacy stream (Xen 4.5 and older) follows, which libxl reads
        /// only through its conversion helper; xk does not take that path.
        case legacyStream

        public var description: String {
            switch self {
            case .truncated(let needed, let have): "it is truncated: it ends after \(have) bytes, inside its \(needed)-byte header"
            case .wrongMagic: "it is not a Xen save file (wrong magic: corrupt, or written by another tool)"
            case .wrongByteOrder: "it was saved on a host of another byte order"
            case .unsupportedFlags(let flags): "it needs features this toolstack lacks (mandatory flags 0x\(String(flags, radix: 16)))"
            case .configTooLarge(let length): "its config claims \(length) bytes, more than a config can be"
            case .configNotText: "its config is not NUL-terminated text"
            case .legacyStream: "it holds a legacy (v1) stream, from Xen 4.5 or older, which xk does not restore (its header lacks the STREAMv2 flag)"
            }
        }
    }

    /// Reads a header from the start of `bytes`; returns it and its length in bytes.
    ///
    /// - Parameter readMore: asked for more bytes when `bytes` is too short; it returns nil
    ///   at the end of the input.
    public static func decode(_ prefix: [UInt8], readMore: (Int) -> [UInt8]? = { _ in nil }) throws(Problem) -> (SaveFileHeader, length: Int) {
        var bytes = prefix
        func need(_ count: Int) throws(Problem) {
            while bytes.count < count {
                guard let more = readMore(count - bytes.count), !more.isEmpty else {
                    throw .truncated(needed: count, have: bytes.count)
                }
                bytes += more
            }
        }
        do {
            try need(fixedSize)
        } catch {
            // A short file that does not even start like a save file is foreign, not truncated.
            if !bytes.prefix(magic.count).elementsEqual(magic.prefix(bytes.count)) { throw .wrongMagic }
            throw error
        }
        guard Array(bytes[0..<32]) == magic else { throw .wrongMagic }
        guard word(bytes, 32) == byteOrderValue else { throw .wrongByteOrder }
        let mandatory = word(bytes, 36)
        let optionalFlags = word(bytes, 40)
        let optionalLength = Int(word(bytes, 44))
        if mandatory & ~knownMandatory != 0 { throw .unsupportedFlags(mandatory & ~knownMandatory) }
        if mandatory & streamV2 == 0 { throw .legacyStream }
        guard optionalLength <= maximumConfigLength + 4 else { throw .configTooLarge(optionalLength) }
        try need(fixedSize + optionalLength)
        var config: String?
        if optionalLength > 0 {
            guard optionalLength >= 4 else { throw .truncated(needed: fixedSize + 4, have: fixedSize + optionalLength) }
            let configLength = Int(word(bytes, fixedSize))
            guard configLength <= optionalLength - 4 else {
                throw .truncated(needed: fixedSize + 4 + configLength, have: fixedSize + optionalLength)
            }
            if configLength > 0 {
                let raw = bytes[(fixedSize + 4)..<(fixedSize + 4 + configLength)]
                guard raw.last == 0, !raw.dropLast().contains(0) else { throw .configNotText }
                config = String(decoding: raw.dropLast(), as: UTF8.self)
            }
        }
        return (SaveFileHeader(mandatoryFlags: mandatory, optionalFlags: optionalFlags, configJSON: config),
                fixedSize + optionalLength)
    }

    /// libxl's stream ident, right after xl's header.
    static let libxlIdent: [UInt8] = LibxlStreamHeader.ident
    /// libxl's END record: type 0, length 0, the last 8 bytes of a complete stream.
    static let libxlEndRecord = [UInt8](repeating: 0, count: 8)

    /// Whether the file at `path` starts with xl's magic (to tell a save file from a config).
    public static func looksLikeSaveFile(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return SaveFile.read(fd, magic.count) == magic
    }

    private static func bytes(_ value: UInt32) -> [UInt8] {
        withUnsafeBytes(of: value) { Array($0) }   // the host's order, as xl writes it
    }

    private static func word(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        bytes[offset..<(offset + 4)].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
    }
}

/// libxl's stream header, the 16 bytes right after xl's header (xen 4.17
/// tools/libs/light/libxl_sr_stream_format.h, struct libxl__sr_hdr; all big-endian):
///
///    8 bytes  ident "LibxlFmt" (RESTORE_STREAM_IDENT)
///    4 bytes  version, 2 (RESTORE_STREAM_VERSION)
///    4 bytes  options: bit 0 RESTORE_OPT_BIG_ENDIAN (0 = little-endian, as on x86 and arm),
///             bit 1 RESTORE_OPT_LEGACY (converted from a legacy stream), bits 2-31 reserved
///
/// Checked in full before libxl reads anything: libxl 4.17's stream reader crashes on a bad
/// header, and it ignores reserved option bits, which a newer writer might mean.
public enum LibxlStreamHeader {
    static let ident: [UInt8] = Array("LibxlFmt".utf8)
    static let size = 16
    /// The one version libxl 4.17 reads.
    static let version: UInt32 = 2
    /// RESTORE_OPT_BIG_ENDIAN: the stream's records are big-endian.
    static let optionBigEndian: UInt32 = 1 << 0
    /// RESTORE_OPT_LEGACY: libxl's converter made the stream from a legacy one; libxl reads it.
    static let optionLegacy: UInt32 = 1 << 1

    /// What is wrong with the start of a libxl stream, in words, or nil when libxl 4.17 on
    /// this host can read it. Looks only at the first 16 bytes.
    public static func problem(_ bytes: [UInt8]) -> String? {
        guard bytes.count >= size else {
            return "the libxl stream's header is truncated (\(bytes.count) of its \(size) bytes)"
        }
        guard Array(bytes[0..<8]) == ident else {
            return "the libxl stream does not start with \"LibxlFmt\" (corrupt, or not a libxl stream)"
        }
        let version = bigEndianWord(bytes, 8), options = bigEndianWord(bytes, 12)
        guard version == Self.version else {
            return "the libxl stream is version \(version); libxl 4.17 reads version \(Self.version)"
        }
        if options & optionBigEndian != 0 {
            return "the libxl stream was written big-endian (options 0x\(String(options, radix: 16))); libxl reads only little-endian streams"
        }
        let unknown = options & ~(optionBigEndian | optionLegacy)
        guard unknown == 0 else {
            return "the libxl stream sets unknown options 0x\(String(unknown, radix: 16)) (written by a newer libxl?)"
        }
        return nil
    }

    private static func bigEndianWord(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        bytes[offset..<(offset + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }
}
