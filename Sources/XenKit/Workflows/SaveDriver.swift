// The thin driver under SaveWorkflow: it turns each step the machine asks for into one call,
// on the file system (`SaveFiles`) or on libxl (`DomainControl`), and hands the result back.
// Both sit behind protocols, so the unit tests drive the same code with fakes that fail any
// call (Tests/XenKitTests/Workflows/SaveFaultMatrixTests.swift).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The file-system steps of a save. One temporary file is open at a time.
protocol SaveFiles {
    /// Creates `path` exclusively, mode 0600 exactly (fchmod after open: umask-proof).
    mutating func create(_ path: String) -> Result<Void, SystemFailure>
    /// The open file's descriptor, for libxl to stream into; nil when none is open.
    var descriptor: Int32? { get }
    mutating func write(_ bytes: [UInt8]) -> Result<Void, SystemFailure>
    mutating func flush() -> Result<Void, SystemFailure>
    /// Closes the open file (it is closed even when this reports an error).
    mutating func close() -> Result<Void, SystemFailure>
    /// Reads the closed file back as a restore will; its size.
    func verify(_ path: String, configJSON: String) -> Result<Int, StepFailure>
    func rename(_ from: String, to: String) -> Result<Void, SystemFailure>
    func remove(_ path: String) -> Result<Void, SystemFailure>
    func syncFolder(_ folder: String) -> Result<Void, SystemFailure>
}

struct SaveDriver<Files: SaveFiles> {
    var machine: SaveWorkflow
    let control: any DomainControl
    var files: Files
    let id: DomainID
    let header: [UInt8]
    let configJSON: String
    /// Polled between steps: true once SIGINT, SIGTERM or SIGHUP has arrived.
    let stopRequested: () -> Bool

    mutating func run() -> SaveOutcome {
        driveWorkflow(from: machine.start()) { step in
            let result = perform(step)
            if stopRequested() { machine.requestStop() }
            return machine.completed(step, result)
        }
    }

    private mutating func perform(_ step: SaveStep) -> StepResult {
        let path = machine.path, temporary = machine.temporary
        switch step {
        case .createTemporary:
            return Self.system(files.create(temporary), "cannot create \(temporary)")
        case .writeHeader:
            return Self.system(files.write(header), "cannot write the header")
        case .suspend:
            guard let fd = files.descriptor else { return .failed(StepFailure(problem: "no file is open")) }
            return Self.libxl(control.suspend(id, into: fd, live: false, debug: false), "libxl could not stream the domain")
        case .flush:
            return Self.system(files.flush(), "cannot flush it to disk")
        case .close:
            return Self.system(files.close(), "cannot close it")
        case .verify:
            switch files.verify(temporary, configJSON: configJSON) {
            case .success(let bytes): return .verified(bytes: bytes)
            case .failure(let failure): return .failed(failure)
            }
        case .rename:
            return Self.system(files.rename(temporary, to: path), "cannot rename it into place")
        case .syncFolder:
            return Self.system(files.syncFolder(parentFolder(of: path)), "cannot flush the folder \(parentFolder(of: path))")
        case .destroy:
            return Self.libxl(control.destroy(id), "cannot destroy it")
        case .pause:
            return Self.libxl(control.pause(id), "cannot pause it")
        case .resume:
            return Self.libxl(control.resume(id), "cannot resume it")
        case .removeTemporary:
            return Self.system(files.remove(temporary), "cannot remove \(temporary)")
        case .inspect:
            switch control.info(id) {
            case .success(let info):
                return .domain(info.isShutdown ? .suspended : info.isPaused ? .paused : .running)
            case .failure(let failure) where failure.code == LibxlCode.domainNotFound:
                return .domain(.gone)
            case .failure(let failure):
                return .failed(StepFailure(failure, "cannot read its state"))
            }
        }
    }

    private static func system(_ result: Result<Void, SystemFailure>, _ what: String) -> StepResult {
        switch result {
        case .success: .done
        case .failure(let failure): .failed(StepFailure(problem: "\(what): \(failure.reason)", errno: failure.errno))
        }
    }

    private static func libxl(_ result: Result<Void, LibxlFailure>, _ what: String) -> StepResult {
        switch result {
        case .success: .done
        case .failure(let failure): .failed(StepFailure(failure, what))
        }
    }

}

/// The live file system.
final class LiveSaveFiles: SaveFiles {
    private var file: FileDescriptor?
    private(set) var descriptor: Int32?

    func create(_ path: String) -> Result<Void, SystemFailure> {
        switch FileDescriptor.open(path, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600) {
        case .success(let fd):
            // Guest memory, and VNC/SPICE passwords in the config: the owner only.
            if case .failure(let failure) = fd.setMode(0o600) {
                _ = fd.close()
                _ = unlink(path)
                return .failure(failure)
            }
            descriptor = fd.rawValue
            file = consume fd
            return .success(())
        case .failure(let failure):
            return .failure(failure)
        }
    }

    func write(_ bytes: [UInt8]) -> Result<Void, SystemFailure> {
        file?.writeAll(bytes) ?? .failure(SystemFailure(errno: EBADF))
    }

    func flush() -> Result<Void, SystemFailure> {
        file?.sync() ?? .failure(SystemFailure(errno: EBADF))
    }

    func close() -> Result<Void, SystemFailure> {
        descriptor = nil
        guard let fd = file.take() else { return .failure(SystemFailure(errno: EBADF)) }
        return fd.close()
    }

    func verify(_ path: String, configJSON: String) -> Result<Int, StepFailure> {
        do throws(XenError) {
            let file = try SaveFile(path: path)
            defer { file.close() }
            guard file.header.configJSON == configJSON else {
                return .failure(StepFailure(problem: "reading it back failed: the config read back differs from the one written"))
            }
            return .success(file.size)
        } catch {
            return .failure(StepFailure(problem: "reading it back failed: \(error.message)", errno: error.errno))
        }
    }

    func rename(_ from: String, to: String) -> Result<Void, SystemFailure> {
        renameFile(from, to: to)
    }

    func remove(_ path: String) -> Result<Void, SystemFailure> {
        unlink(path) == 0 || errno == ENOENT ? .success(()) : .failure(.last)
    }

    func syncFolder(_ folder: String) -> Result<Void, SystemFailure> {
        XenKit.syncFolder(folder)
    }
}
