// Walks a saved domain's stream by its record headers, to tell a complete file from a
// truncated or corrupt one before anything is built from it.
//
// The formats (xen: docs/specs/libxl-migration-stream.pandoc, libxc-migration-stream.pandoc):
//   libxl: header (ident "LibxlFmt", version, options: 16 bytes, big-endian), then records:
//          type u32, length u32 (host order), body padded to 8 bytes. Type 1 (LIBXC_CONTEXT)
//          has no body: the libxc stream follows it directly. Type 0 is END, the last.
//   libxc: image header (marker all ones, "XENF", version, options: 24 bytes), domain header
//          (16 bytes), then records like libxl's, up to its own END (type 0).
// A record longer than 128 MiB is refused, as libxc refuses it (REC_LENGTH_MAX).

enum StreamWalk {
    static let maximumRecord = 128 << 20
    static let libxcContext: UInt32 = 1
    static let end: UInt32 = 0

    /// Checks the records from `start` (just after libxl's header) to the end of a stream of
    /// `size` bytes. Returns what is wrong, or nil.
    static func check(size: Int, start: Int, read: (_ offset: Int, _ count: Int) -> [UInt8]) -> String? {
        var offset = start
        var libxlRecords = 0
        while true {
            guard let (type, length) = header(at: offset, size: size, read: read) else {
                return "it is truncated: its libxl stream stops after \(libxlRecords) records, with no END record"
            }
            libxlRecords += 1
            if type == end {
                return offset + 8 == size ? nil : "it has \(size - offset - 8) bytes after the end of its libxl stream"
            }
            guard length <= maximumRecord else { return "it is corrupt: a libxl record claims \(length) bytes" }
            offset += 8 + padded(length)
            if type == libxcContext {
                switch walkLibxc(from: offset, size: size, read: read) {
                case .failure(let problem): return problem.description
                case .success(let next): offset = next
                }
            }
        }
    }

    private static func walkLibxc(from start: Int, size: Int, read: (Int, Int) -> [UInt8]) -> Result<Int, Problem> {
        let image = read(start, 24)
        guard image.count == 24 else { return .failure(Problem("it is truncated inside the libxc stream's header")) }
        guard image.prefix(8).allSatisfy({ $0 == 0xff }), Array(image[8..<12]) == Array("XENF".utf8) else {
            return .failure(Problem("it is corrupt: the libxc stream does not start with its \"XENF\" header"))
        }
        var offset = start + 24 + 16   // the image header, then the domain header
        var records = 0
        while true {
            guard let (type, length) = header(at: offset, size: size, read: read) else {
                return .failure(Problem("it is truncated: its libxc stream stops after \(records) records, with no END record"))
            }
            records += 1
            guard length <= maximumRecord else {
                return .failure(Problem("it is corrupt: libxc record \(records) claims \(length) bytes"))
            }
            offset += 8 + padded(length)
            if type == end { return .success(offset) }
        }
    }

    struct Problem: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// The record header at `offset`, when the whole record fits before `size`.
    private static func header(at offset: Int, size: Int, read: (Int, Int) -> [UInt8]) -> (UInt32, Int)? {
        guard offset + 8 <= size else { return nil }
        let bytes = read(offset, 8)
        guard bytes.count == 8 else { return nil }
        let type = bytes[0..<4].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        let length = Int(bytes[4..<8].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
        guard offset + 8 + padded(length) <= size else { return nil }
        return (type, length)
    }

    private static func padded(_ length: Int) -> Int { (length + 7) & ~7 }
}
