// Small file-system steps XenKit's state needs: folders made on demand, and files replaced
// atomically, so that a crash or a power cut leaves either the old file or the new one,
// never half of one (the host service reads them again when the host boots).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// mkdir -p of the folder that holds `path`.
func makeDirectories(parentOf path: String) throws(XenError) {
    var prefix = ""
    let parts = path.split(separator: "/", omittingEmptySubsequences: true).dropLast()
    for part in parts {
        prefix += "/" + part
        if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
            throw XenError(code: .operationFailed, message: "cannot create the folder \(prefix): \(String(cString: strerror(errno)))")
        }
    }
}

/// Replaces the file at `path` with `text`: written to a temporary name beside it, flushed
/// to disk, renamed over the old file, and the folder flushed so that the rename lasts. The
/// file is the owner's only (0600, by fchmod whatever the umask): definitions carry VNC and
/// SPICE passwords.
func writeFileAtomically(_ path: String, _ text: String) throws(XenError) {
    try makeDirectories(parentOf: path)
    let temporary = path + ".tmp\(getpid())"
    func failure(_ step: String, _ cause: SystemFailure) -> XenError {
        unlink(temporary)
        return XenError(code: .operationFailed, message: "cannot \(step) \(path): \(cause.reason)", errno: cause.errno)
    }
    let fd: FileDescriptor
    switch FileDescriptor.open(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600) {
    case .success(let opened): fd = opened
    case .failure(let cause): throw failure("write", cause)
    }
    if case .failure(let cause) = fd.setMode(0o600) { throw failure("write", cause) }
    if case .failure(let cause) = fd.writeAll(Array(text.utf8)) { throw failure("write", cause) }
    if case .failure(let cause) = fd.sync() { throw failure("flush", cause) }
    if case .failure(let cause) = fd.close() { throw failure("write", cause) }
    guard rename(temporary, path) == 0 else { throw failure("replace", .last) }
    syncDirectory(parentOf: path)
}

/// Removes a file; a file that is not there is no error.
func removeFile(_ path: String) throws(XenError) {
    if unlink(path) != 0 && errno != ENOENT {
        throw XenError(code: .operationFailed, message: "cannot remove \(path): \(String(cString: strerror(errno)))")
    }
    syncDirectory(parentOf: path)
}

/// fsync of a folder, so that a rename or an unlink in it survives a power cut.
/// A relative path's folder is the working folder, not `/` (finding 17 of issue 12).
@discardableResult
func syncDirectory(parentOf path: String) -> Result<Void, SystemFailure> {
    syncFolder(parentFolder(of: path))
}

/// fsync of a folder itself.
func syncFolder(_ folder: String) -> Result<Void, SystemFailure> {
    switch FileDescriptor.open(folder, O_RDONLY | O_DIRECTORY) {
    case .success(let fd):
        let synced = fd.sync()
        _ = fd.close()
        return synced
    case .failure(let failure):
        return .failure(failure)
    }
}

/// The names in a folder (without "." and ".."); empty when the folder does not exist.
func directoryEntries(_ path: String) throws(XenError) -> [String] {
    guard let dir = opendir(path) else {
        if errno == ENOENT { return [] }
        throw XenError(code: .operationFailed, message: "cannot read the folder \(path): \(String(cString: strerror(errno)))")
    }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// Writes all of `bytes` to a descriptor someone else owns, again after EINTR and short
/// writes.
func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Result<Void, SystemFailure> {
    var written = 0
    while written < bytes.count {
        let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            return .failure(.last)
        }
        written += n
    }
    return .success(())
}

/// rename(2), under a name that XenContext's own `rename` does not shadow.
func renameFile(_ from: String, to: String) -> Result<Void, SystemFailure> {
    rename(from, to) == 0 ? .success(()) : .failure(.last)
}

/// read(2), under a name that types with a `read` method of their own do not shadow.
func readDescriptor(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}
