import Testing
@testable import XenKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// xl's save-file header and xk's checks of a save file, without Xen: the bytes must be
/// xl's exactly (xl restore reads xk's files), and every malformed file must be refused
/// with its reason before anything is built.
@Suite struct SaveFileTests {
    static let json = "{\n    \"c_info\": {\n        \"name\": \"web\"\n    }\n}\n"

    @Test func theHeaderIsXlsByteForByte() {
        let bytes = SaveFileHeader(configJSON: Self.json).encoded()
        #expect(bytes.count == 48 + 4 + Self.json.utf8.count + 1)
        #expect(Array(bytes[0..<32]) == Array("Xen saved domain, xl format\n \u{0} \r".utf8))
        #expect(Array(bytes[32..<36]) == [4, 3, 2, 1])           // 0x01020304, little-endian
        #expect(Array(bytes[36..<40]) == [3, 0, 0, 0])           // JSON | STREAMv2, as xl 4.17
        #expect(Array(bytes[40..<44]) == [0, 0, 0, 0])
        let optional = UInt32(4 + Self.json.utf8.count + 1)
        #expect(Array(bytes[44..<48]) == withUnsafeBytes(of: optional) { Array($0) })
        #expect(bytes.last == 0)
    }

    @Test func roundTrip() throws {
        let header = SaveFileHeader(configJSON: Self.json)
        let (decoded, length) = try SaveFileHeader.decode(header.encoded() + Array("LibxlFmt".utf8))
        #expect(decoded == header && length == header.encoded().count && decoded.streamVersion == 2)
    }

    @Test func everyTruncationIsRefused() {
        let bytes = SaveFileHeader(configJSON: Self.json).encoded()
        for cut in 0..<bytes.count {
            #expect(throws: SaveFileHeader.Problem.self) { try SaveFileHeader.decode(Array(bytes.prefix(cut))) }
        }
    }

    @Test func foreignAndCorruptHeadersAreRefusedWithTheirReason() {
        var bytes = SaveFileHeader(configJSON: Self.json).encoded()
        func problem(_ mutate: (inout [UInt8]) -> Void) -> SaveFileHeader.Problem? {
            var copy = bytes
            mutate(&copy)
            do { _ = try SaveFileHeader.decode(copy); return nil } catch { return error }
        }
        #expect(problem { $0[3] = UInt8(ascii: "X") } == .wrongMagic)
        #expect(problem { $0.replaceSubrange(32..<36, with: [1, 2, 3, 4]) } == .wrongByteOrder)
        #expect(problem { $0[36] = 0x7 } == .unsupportedFlags(0x4))
        #expect(problem { $0.replaceSubrange(44..<48, with: [0xff, 0xff, 0xff, 0x7f]) } == .configTooLarge(0x7fff_ffff))
        #expect(problem { $0[$0.count - 1] = UInt8(ascii: "x") } == .configNotText)
        // The config's own length claims more than the optional data holds.
        #expect(problem { $0.replaceSubrange(48..<52, with: [0xff, 0, 0, 0]) } == .truncated(needed: 48 + 4 + 255, have: bytes.count))
        bytes = Array("name = \"web\"\nmemory = 128\n".utf8) + [UInt8](repeating: 0, count: 40)
        #expect(problem { _ in } == .wrongMagic)
        bytes = Array("name = \"web\"\n".utf8)   // short and foreign: foreign, not truncated
        #expect(problem { _ in } == .wrongMagic)
    }

    @Test func aFileWithoutConfigHasNone() throws {
        let header = SaveFileHeader(mandatoryFlags: SaveFileHeader.streamV2, optionalFlags: 0, configJSON: nil)
        let (decoded, length) = try SaveFileHeader.decode(header.encoded())
        #expect(decoded.configJSON == nil && length == 48)
    }

    /// A whole file: header, libxl's ident, some records, the END record.
    static func file(_ bytes: [UInt8]) -> String {
        var template = Array("/tmp/xenkit-save-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        _ = writeAll(fd, bytes)
        close(fd)
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// A record header: type and length, little-endian.
    static func record(_ type: UInt32, _ body: [UInt8]) -> [UInt8] {
        withUnsafeBytes(of: type) { Array($0) } + withUnsafeBytes(of: UInt32(body.count)) { Array($0) }
            + body + [UInt8](repeating: 0, count: (8 - body.count % 8) % 8)
    }

    /// libxl's header, a LIBXC_CONTEXT record, libxc's headers, one libxc record and libxc's
    /// END, then libxl's END: the shape of a real stream, in miniature.
    static let stream: [UInt8] = Array("LibxlFmt".utf8) + [0, 0, 0, 2, 0, 0, 0, 0] + record(1, [])
        + [UInt8](repeating: 0xff, count: 8) + Array("XENF".utf8) + [0, 0, 0, 3] + [UInt8](repeating: 0, count: 8)
        + [UInt8](repeating: 0x11, count: 16)
        + record(1, [UInt8](repeating: 0xab, count: 20)) + record(0, [])
        + record(0, [])

    @Test func aCompleteFileIsAccepted() throws {
        let header = SaveFileHeader(configJSON: Self.json)
        let path = Self.file(header.encoded() + Self.stream)
        defer { unlink(path) }
        let file = try SaveFile(path: path)
        #expect(file.header == header && file.streamOffset == header.encoded().count)
        #expect(lseek(file.fd, 0, SEEK_CUR) == off_t(file.streamOffset))
    }

    @Test func everyCutOfTheStreamIsRefused() throws {
        let header = SaveFileHeader(configJSON: Self.json).encoded()
        for cut in 1..<Self.stream.count {
            let path = Self.file(header + Self.stream.prefix(cut))
            defer { unlink(path) }
            #expect(throws: XenError.self, "cut at \(cut)") { try SaveFile(path: path) }
        }
    }

    @Test func aHugeRecordIsRefused() throws {
        var bytes = SaveFileHeader(configJSON: Self.json).encoded() + Self.stream
        let libxcRecord = SaveFileHeader(configJSON: Self.json).encoded().count + 16 + 8 + 24 + 16
        bytes.replaceSubrange((libxcRecord + 4)..<(libxcRecord + 8), with: [0, 0, 0, 0x7f])
        let path = Self.file(bytes)
        defer { unlink(path) }
        let error = try #require(throws: XenError.self) { try SaveFile(path: path) }
        #expect(error.message.contains("truncated") || error.message.contains("claims"), "\(error.message)")
    }

    @Test func badFilesAreRefusedNamingTheFile() throws {
        let header = SaveFileHeader(configJSON: Self.json).encoded()
        let cases: [([UInt8], String)] = [
            (header + Self.stream.dropLast(3), "libxl stream stops after"),
            (header + Self.stream.dropLast(16), "libxc stream stops after"),
            (header + Self.stream + [1, 2, 3, 4, 5, 6, 7, 8], "bytes after the end"),
            (header + Array(Self.stream.prefix(24)) + [UInt8](repeating: 0, count: 24) + Array(Self.stream.dropFirst(48)), "XENF"),
            (header, "no libxl stream after its header"),
            (header + Array("NotLibxl".utf8) + Self.stream.dropFirst(8), "does not start with \"LibxlFmt\""),
            (Array(header.prefix(40)), "truncated"),
            (Array("root:x:0:0:root:/root:/bin/bash\n".utf8) + [UInt8](repeating: 10, count: 64), "not a Xen save file"),
        ]
        for (bytes, reason) in cases {
            let path = Self.file(bytes)
            defer { unlink(path) }
            let error = try #require(throws: XenError.self) { try SaveFile(path: path) }
            #expect(error.message.contains(path) && error.message.contains(reason), "\(error.message)")
        }
        let missing = try #require(throws: XenError.self) { try SaveFile(path: "/nonexistent/x.save") }
        #expect(missing.message.contains("/nonexistent/x.save"))
    }
}

/// libxl's 16-byte stream header, checked before libxl reads it (a bad one crashes libxl
/// 4.17's reader): by the receiver of a migration (StreamPeek) and by restore (SaveFile).
@Suite struct LibxlStreamHeaderTests {
    static func header(_ ident: String = "LibxlFmt", version: UInt32 = 2, options: UInt32 = 0) -> [UInt8] {
        Array(ident.utf8) + withUnsafeBytes(of: version.bigEndian) { Array($0) } + withUnsafeBytes(of: options.bigEndian) { Array($0) }
    }

    @Test func acceptsLibxl417sHeader() {
        #expect(LibxlStreamHeader.problem(Self.header()) == nil)
        // Bit 1 (RESTORE_OPT_LEGACY) only says libxl's converter wrote it: libxl reads it.
        #expect(LibxlStreamHeader.problem(Self.header(options: 2)) == nil)
    }

    @Test func refusesEveryBadHeaderWithItsReason() {
        let cases: [([UInt8], String)] = [
            (Self.header("XXXXXXXX"), "does not start with \"LibxlFmt\""),
            (Self.header("libxlfmt"), "does not start with \"LibxlFmt\""),
            (Self.header(version: 1), "version 1"),
            (Self.header(version: 3), "version 3"),
            (Self.header(version: 0x0200_0000), "version 33554432"),   // little-endian 2
            (Self.header(options: 1), "big-endian"),
            (Self.header(options: 3), "big-endian"),
            (Self.header(options: 4), "unknown options 0x4"),
            (Self.header(options: 0x8000_0000), "unknown options 0x80000000"),
            (Array(Self.header().prefix(12)), "12 of its 16 bytes"),
            ([], "0 of its 16 bytes"),
        ]
        for (bytes, reason) in cases {
            let problem = LibxlStreamHeader.problem(bytes)
            #expect(problem?.contains(reason) == true, "\(bytes): \(problem ?? "accepted")")
            #expect(StreamPeek.problem(withHeader: bytes) == problem)
        }
    }

    @Test func restoreRefusesAFileWithABadStreamHeader() throws {
        let header = SaveFileHeader(configJSON: SaveFileTests.json).encoded()
        for (bad, reason) in [(Self.header(version: 1), "version 1"), (Self.header(version: 3), "version 3"),
                              (Self.header(options: 1), "big-endian"), (Self.header(options: 4), "unknown options")] {
            let path = SaveFileTests.file(header + bad + SaveFileTests.stream.dropFirst(16))
            defer { unlink(path) }
            let error = try #require(throws: XenError.self) { try SaveFile(path: path) }
            #expect(error.message.contains(path) && error.message.contains(reason), "\(error.message)")
        }
    }

    /// xl's header without the STREAMv2 flag: a legacy (Xen 4.5 and older) stream follows,
    /// which libxl 4.17 reads only through its conversion helper. Refused, as a file and
    /// from a migration sender.
    @Test func legacyV1StreamsAreRefused() throws {
        let legacy = SaveFileHeader(mandatoryFlags: SaveFileHeader.configIsJSON, optionalFlags: 0, configJSON: SaveFileTests.json)
        #expect(throws: SaveFileHeader.Problem.legacyStream) { try SaveFileHeader.decode(legacy.encoded()) }
        let path = SaveFileTests.file(legacy.encoded() + SaveFileTests.stream)
        defer { unlink(path) }
        let error = try #require(throws: XenError.self) { try SaveFile(path: path) }
        #expect(error.message.contains(path) && error.message.contains("legacy"), "\(error.message)")
    }
}

@Suite struct StreamPeekTests {
    @Test func acceptsLibxlsHeaderOnly() {
        let good = Array("LibxlFmt".utf8) + [0, 0, 0, 2, 0, 0, 0, 0]
        #expect(StreamPeek.problem(withHeader: good) == nil)
        #expect(StreamPeek.problem(withHeader: Array("XXXXXXXX".utf8) + [0, 0, 0, 2, 0, 0, 0, 0])?.contains("LibxlFmt") == true)
        #expect(StreamPeek.problem(withHeader: Array("LibxlFmt".utf8) + [0, 0, 0, 3, 0, 0, 0, 0])?.contains("version 3") == true)
        #expect(StreamPeek.problem(withHeader: Array("Libxl".utf8)) != nil)
    }
}
