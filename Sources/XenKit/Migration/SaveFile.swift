// Reading and checking save files on disk, before anything is built from them or anything is
// destroyed because of them.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An open save file, positioned after xl's header, ready for libxl to read the stream.
///
/// Owns its descriptor: ``close()`` closes it, and so does deinit if nobody did.
public final class SaveFile {
    /// The path as given.
    public let path: String
    /// xl's header.
    public let header: SaveFileHeader
    /// The header's length in bytes: where the libxl stream starts.
    public let streamOffset: Int
    /// The file's size in bytes.
    public let size: Int
    private(set) var fd: Int32

    /// Opens and checks a save file: xl's header, libxl's stream ident after it, and (for a
    /// regular file) libxl's END record at its end.
    ///
    /// - Throws: ``XenError`` with ``XenError/Code/invalidArgument`` naming the file and what
    ///   is wrong with it: missing, truncated, foreign, corrupt, or needing flags xk lacks.
    public init(path: String) throws(XenError) {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw XenError(code: .invalidArgument, message: "cannot open the save file \(path): \(String(cString: strerror(errno)))")
        }
        var status = stat()
        fstat(fd, &status)
        size = Int(status.st_size)
        let descriptor = fd
        do {
            (header, streamOffset) = try SaveFileHeader.decode([]) { count in Self.read(descriptor, count) }
        } catch {
            closeDescriptor(fd)   // not fully initialised: deinit will not run
            throw XenError(code: .invalidArgument, message: "cannot restore from \(path): \(error)")
        }
        if let problem = checkStream(regularFile: status.st_mode & S_IFMT == S_IFREG) {
            close()   // deinit runs too, and must not close the number again
            throw XenError(code: .invalidArgument, message: "cannot restore from \(path): \(problem)")
        }
        lseek(fd, off_t(streamOffset), SEEK_SET)
    }

    deinit {
        if fd >= 0 { closeDescriptor(fd) }
    }

    /// Closes the file now.
    public func close() {
        if fd >= 0 { closeDescriptor(fd) }
        fd = -1
    }

    /// libxl's ident right after the header and, for a regular file, every record of the
    /// libxl stream and of the libxc stream inside it, up to libxl's END record at the end
    /// of the file. Only the 8-byte record headers are read; the bodies are skipped.
    private func checkStream(regularFile: Bool) -> String? {
        let ident = Self.read(fd, 16, at: streamOffset)
        guard ident.count == 16 else { return "it is truncated: it has no libxl stream after its header" }
        if let problem = LibxlStreamHeader.problem(ident) { return problem }
        guard regularFile else { return nil }
        return StreamWalk.check(size: size, start: streamOffset + 16) { offset, count in Self.read(fd, count, at: offset) }
    }

    /// Up to `count` bytes from the current offset (or `at`); fewer at the end.
    static func read(_ fd: Int32, _ count: Int, at offset: Int? = nil) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = buffer[got...].withUnsafeMutableBytes { raw in
                offset.map { pread(fd, raw.baseAddress, raw.count, off_t($0 + got)) } ?? readDescriptor(fd, raw.baseAddress, raw.count)
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            got += n
        }
        return Array(buffer.prefix(got))
    }
}

// File-scope names for the C calls that SaveFile's own methods shadow.
private func closeDescriptor(_ fd: Int32) { _ = close(fd) }
