// xk dump-core: a guest's memory and vCPU state as an ELF core (xc_domain_dumpcore's format,
// which crash(8) and gdb read). libxl writes the file where it is told, in place: a dump that
// fails half way (a full disk) would leave half a core over an earlier one. So xk has libxl
// write beside the target, under a temporary name, and renames it over the target only once
// the dump is whole; a failed dump leaves the earlier file as it was and no temporary behind.
// The core holds the guest's memory, secrets and all: it is the owner's only (0600).
// A stop signal (SIGINT, SIGTERM, SIGHUP) during the dump is taken by the command's handler,
// not the default action: the dump finishes (libxl cannot be stopped half way), then the
// temporary file goes and nothing is put at the target.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension XenContext {
    /// Writes the domain's core to `path`, as `xl dump-core` does; the domain runs on.
    ///
    /// - Throws: ``XenError`` for an unknown domain, a folder that is not there, or a dump
    ///   that fails; then an earlier file at `path` is as it was.
    /// The corresponding libxl function is `libxl_domain_core_dump`.
    /// - Parameter stopRequested: polled once the dump has run; true means a stop signal came,
    ///   and the dump is thrown away.
    public func dumpCore(_ id: DomainID, to path: String, stopRequested: () -> Bool = { false }) throws(XenError) {
        _ = try domain(id)
        let label = describe(id)
        let folder = parentFolder(of: path)
        var status = stat()
        let found = stat(folder, &status) == 0
        guard found, (status.st_mode & S_IFMT) == S_IFDIR else {
            throw XenError(code: .invalidArgument, message: "cannot dump the core of \(label) to \(path): no folder \(folder)",
                           errno: found ? ENOTDIR : errno)
        }
        let name = path.split(separator: "/").last.map(String.init) ?? "core"
        let temporary = (folder == "/" ? "" : folder) + "/.\(name).xk-core-\(getpid())"
        let mark = logger.mark()
        if case .failure(let failure) = Libxl.coreDump(ctx, id, to: temporary) {
            unlink(temporary)
            throw error(failure, "dump the core of \(label) to \(path)", id, since: mark)
        }
        if stopRequested() {
            unlink(temporary)
            throw XenError(code: .operationFailed, message: "the core dump of \(label) was interrupted by a signal",
                           hint: "nothing was written at \(path); an earlier file there is as it was")
        }
        // xc_domain_dumpcore creates it 0600; a core must stay the owner's whatever else ran.
        guard chmod(temporary, 0o600) == 0, case .success = renameFile(temporary, to: path) else {
            let cause = SystemFailure.last
            unlink(temporary)
            throw XenError(code: .operationFailed, message: "cannot put the core of \(label) at \(path): \(cause.reason)", errno: cause.errno)
        }
        syncDirectory(parentOf: path)
    }
}
