// A fake Xen host for the workflow tests: domains, files and descriptors in memory, behind
// the same seams as the live code (DomainControl, SaveFiles), with a fault plan that fails
// the Nth call in one of the ways the real call can fail. The fault matrices run every
// workflow once to count its calls, then again with each call (and each pair of calls)
// failing, and check the invariants after each run.
@testable import XenKit

#if canImport(Glibc)
import Glibc
#endif

/// How one call fails.
enum Fault: Hashable, Sendable, CustomStringConvertible {
    /// The call reports an error (errno EIO or libxl's ERROR_FAIL) and changes nothing.
    case error
    /// The call does half its work, then fails: a short write (ENOSPC), a suspend that
    /// stopped the guest but streamed half, a rename that ... (where the call has halves).
    case partial
    /// The call works, and a stop signal (SIGINT, SIGTERM, SIGHUP) arrives meanwhile.
    case signal

    var description: String {
        switch self {
        case .error: "error"
        case .partial: "partial"
        case .signal: "signal"
        }
    }
}

final class FakeHost: @unchecked Sendable {
    enum RunState: Equatable { case running, paused, suspended, gone }

    struct Domain {
        var name: String
        var state: RunState
        var pausedFlag = false
    }

    var domains: [DomainID: Domain] = [:]
    var files: [String: [UInt8]] = [:]
    var modes: [String: mode_t] = [:]
    var openFiles = 0
    var calls: [String] = []
    var faults: [Int: Fault] = [:]
    /// What another process holding a domain's lock does meanwhile, for the next destroy.
    enum OtherLockHolder { case destroying, keeping }
    var lockedByAnother: OtherLockHolder?
    var stop = false

    // Memory, in MiB: what is free, dom0's balloon target and what dom0 holds; a domain
    // takes `domainNeed` while it exists. dom0 gives memory only while the wait runs.
    var freeMiB: UInt64 = 4096
    var dom0TargetMiB: UInt64 = 1024
    var dom0HeldMiB: UInt64 = 1024
    static let domainNeed: UInt64 = 160

    /// What one well-formed domain stream looks like in the fake.
    static let stream = Array("LibxlFmt-STREAM-END".utf8)
    /// Where libxl's stream goes when it is not a file (a migration): the relay's peer.
    var streamSink: (([UInt8]) -> Void)?

    /// Counts the call and says how it must fail, if it must.
    func fault(_ name: String) -> Fault? {
        let index = calls.count
        calls.append(name)
        let fault = faults[index]
        if fault == .signal { stop = true }
        return fault == .signal ? nil : fault
    }

    func runningCopies(named name: String) -> Int {
        domains.values.filter { $0.name == name && $0.state == .running }.count
    }
}

/// DomainControl over the fake host.
struct FakeControl: DomainControl {
    let host: FakeHost
    static let failCode: Int32 = -3   // ERROR_FAIL

    private func failure(_ text: String) -> LibxlFailure {
        LibxlFailure(code: Self.failCode, messages: ["libxl: error: libxl_fake.c:1:fake: \(text)"])
    }

    func info(_ id: DomainID) -> Result<DomainInfo, LibxlFailure> {
        if host.fault("info") != nil { return .failure(failure("cannot get domain info")) }
        guard let domain = host.domains[id], domain.state != .gone else {
            return .failure(LibxlFailure(code: LibxlCode.domainNotFound))
        }
        return .success(DomainInfo(
            id: id, name: domain.name, uuid: "00000000-0000-0000-0000-000000000001", type: .pvh,
            isRunning: domain.state == .running, isBlocked: false,
            isPaused: domain.state == .paused || domain.pausedFlag, isShutdown: domain.state == .suspended,
            isDying: false, shutdownReason: domain.state == .suspended ? .suspend : nil,
            currentMemory: .kibibytes(131072), outstandingMemory: .kibibytes(0), maxMemory: .kibibytes(131072),
            sharedMemory: .kibibytes(0), pagedMemory: .kibibytes(0), cpuTimeNanoseconds: 0,
            onlineVCPUs: 1, maxVCPUID: 0, cpupool: 0, securityLabel: nil))
    }

    func suspend(_ id: DomainID, into fd: Int32, live: Bool, debug: Bool) -> Result<Void, LibxlFailure> {
        let fault = host.fault("suspend")
        guard host.domains[id]?.state == .running else { return .failure(failure("domain not running")) }
        switch fault {
        case .error:
            return .failure(failure("suspend request refused"))
        case .partial:
            // The guest stopped, half the stream went, then the helper died.
            host.domains[id]?.state = .suspended
            FakeFiles.append(host, Array(FakeHost.stream.prefix(6)))
            return .failure(failure("save helper died"))
        default:
            host.domains[id]?.state = .suspended
            FakeFiles.append(host, FakeHost.stream)
            return .success(())
        }
    }

    func resume(_ id: DomainID) -> Result<Void, LibxlFailure> {
        if host.fault("resume") != nil { return .failure(failure("cannot resume")) }
        guard host.domains[id]?.state == .suspended else { return .failure(failure("domain not suspended")) }
        let paused = host.domains[id]!.pausedFlag
        host.domains[id]?.state = paused ? .paused : .running
        return .success(())
    }

    func rename(_ id: DomainID, from old: String?, to new: String) -> Result<Void, LibxlFailure> {
        if host.fault("rename") != nil { return .failure(failure("cannot rename")) }
        guard let domain = host.domains[id], domain.state != .gone else { return .failure(LibxlFailure(code: LibxlCode.domainNotFound)) }
        if let old, domain.name != old { return .failure(failure("name changed")) }
        host.domains[id]?.name = new
        return .success(())
    }

    func destroy(_ id: DomainID) -> Result<Void, LibxlFailure> {
        if host.fault("destroy") != nil { return .failure(failure("cannot destroy")) }
        switch host.lockedByAnother {
        case .destroying?:
            // Another process held the domain's lock, destroyed it, and libxl found it gone.
            host.lockedByAnother = nil
            if host.domains[id]?.state != .gone { host.domains[id]?.state = .gone; host.freeMiB += FakeHost.domainNeed }
            return .failure(LibxlFailure(code: LibxlCode.lockFail))
        case .keeping?:
            return .failure(LibxlFailure(code: LibxlCode.lockFail))
        case nil:
            break
        }
        guard host.domains[id] != nil, host.domains[id]?.state != .gone else { return .failure(LibxlFailure(code: LibxlCode.domainNotFound)) }
        host.domains[id]?.state = .gone
        host.freeMiB += FakeHost.domainNeed
        return .success(())
    }

    func pause(_ id: DomainID) -> Result<Void, LibxlFailure> {
        if host.fault("pause") != nil { return .failure(failure("cannot pause")) }
        host.domains[id]?.pausedFlag = true
        if host.domains[id]?.state == .running { host.domains[id]?.state = .paused }
        return .success(())
    }

    func unpause(_ id: DomainID) -> Result<Void, LibxlFailure> {
        if host.fault("unpause") != nil { return .failure(failure("cannot unpause")) }
        host.domains[id]?.pausedFlag = false
        if host.domains[id]?.state == .paused { host.domains[id]?.state = .running }
        return .success(())
    }

    func createNew(_ config: borrowing DomainConfiguration) -> Result<DomainID, Libxl.CreateFailure> {
        createRestore(config, from: -1, streamVersion: 2)
    }

    func configuration(fromJSON json: String, source: String) throws(XenError) -> DomainConfiguration {
        if host.fault("parse") != nil { throw XenError(code: .invalidArgument, message: "\(source): not a libxl config", libxlCode: -6) }
        guard let range = json.firstRange(of: "\"name\": \""), let end = json[range.upperBound...].firstIndex(of: "\"") else {
            throw XenError(code: .invalidArgument, message: "\(source): no name")
        }
        let name = String(json[range.upperBound..<end])
        return try DomainConfiguration.parse(text: "name = \"\(name)\"\ntype = \"pvh\"\nkernel = \"/k\"\nmemory = 128\n",
                                             source: source, options: .init(checkFiles: false))
    }

    func checkName(_ config: borrowing DomainConfiguration) throws(XenError) {
        if host.fault("check") != nil { throw XenError(code: .operationFailed, message: "\(config.source): cannot list domains") }
        let name = config.name
        if host.domains.values.contains(where: { $0.name == name && $0.state != .gone }) {
            throw XenError(code: .alreadyExists, message: "a domain named '\(name)' already exists")
        }
    }

    func memoryNeeded(_ config: borrowing DomainConfiguration) -> Result<Memory, LibxlFailure> {
        host.fault("need") == nil ? .success(.mebibytes(FakeHost.domainNeed)) : .failure(failure("cannot compute"))
    }

    func freeMemory() -> Result<Memory, LibxlFailure> {
        host.fault("free") == nil ? .success(.mebibytes(host.freeMiB)) : .failure(failure("cannot get physinfo"))
    }

    func memoryTarget(_ id: DomainID) -> Result<Memory, LibxlFailure> {
        host.fault("target") == nil ? .success(.mebibytes(host.dom0TargetMiB)) : .failure(failure("cannot read target"))
    }

    func setMemoryTarget(_ id: DomainID, _ target: Memory, enforce: Bool) -> Result<Void, LibxlFailure> {
        if host.fault("setTarget") != nil { return .failure(failure("cannot write target")) }
        host.dom0TargetMiB = target.mebibytes
        return .success(())
    }

    func waitForMemoryTarget(_ id: DomainID, seconds: Int32) -> Result<Void, LibxlFailure> {
        let fault = host.fault("waitTarget")
        // dom0's balloon moves towards its target: all the way, or half way on a partial.
        let goal = host.dom0TargetMiB
        let step = fault == .partial ? (max(host.dom0HeldMiB, goal) - min(host.dom0HeldMiB, goal)) / 2 : max(host.dom0HeldMiB, goal) - min(host.dom0HeldMiB, goal)
        if goal < host.dom0HeldMiB { host.dom0HeldMiB -= step; host.freeMiB += step }
        else if host.freeMiB >= step { host.dom0HeldMiB += step; host.freeMiB -= step }
        return fault == nil ? .success(()) : .failure(failure("balloon made no progress"))
    }

    func createRestore(_ config: borrowing DomainConfiguration, from fd: Int32,
                       streamVersion: UInt32) -> Result<DomainID, Libxl.CreateFailure> {
        let fault = host.fault("createRestore")
        let id = DomainID(UInt32(host.domains.count + 1))
        switch fault {
        case .error:
            return .failure(Libxl.CreateFailure(code: Self.failCode, domain: nil, messages: ["libxl: error: restore failed"]))
        case .partial:
            // Half built and left behind by libxl: the caller must destroy it.
            guard host.freeMiB >= FakeHost.domainNeed else {
                return .failure(Libxl.CreateFailure(code: Self.failCode, domain: nil, messages: ["libxl: error: out of memory"]))
            }
            host.freeMiB -= FakeHost.domainNeed
            host.domains[id] = FakeHost.Domain(name: config.name, state: .paused)
            return .failure(Libxl.CreateFailure(code: Self.failCode, domain: id, messages: ["libxl: error: stream corrupt"]))
        default:
            guard host.freeMiB >= FakeHost.domainNeed else {
                return .failure(Libxl.CreateFailure(code: Self.failCode, domain: nil, messages: ["libxl: error: out of memory"]))
            }
            host.freeMiB -= FakeHost.domainNeed
            host.domains[id] = FakeHost.Domain(name: config.name, state: .paused, pausedFlag: true)
            return .success(id)
        }
    }
}

/// SaveFiles over the fake host: one open file at a time, as the live side.
final class FakeFiles: SaveFiles {
    let host: FakeHost
    private var openPath: String?
    init(host: FakeHost) { self.host = host }

    var descriptor: Int32? { openPath == nil ? nil : 99 }

    /// Appends to the open file (libxl's stream goes there through the descriptor).
    static func append(_ host: FakeHost, _ bytes: [UInt8]) {
        if let sink = host.streamSink { return sink(bytes) }
        guard let path = host.files.keys.first(where: { $0.contains(".xk-partial") }) else { return }
        host.files[path]! += bytes
    }

    func create(_ path: String) -> Result<Void, SystemFailure> {
        if host.fault("create") != nil { return .failure(SystemFailure(errno: EACCES)) }
        if host.files[path] != nil { return .failure(SystemFailure(errno: EEXIST)) }
        host.files[path] = []
        host.modes[path] = 0o600
        host.openFiles += 1
        openPath = path
        return .success(())
    }

    func write(_ bytes: [UInt8]) -> Result<Void, SystemFailure> {
        switch host.fault("write") {
        case .error: return .failure(SystemFailure(errno: EIO))
        case .partial:
            host.files[openPath!]! += bytes.prefix(bytes.count / 2)
            return .failure(SystemFailure(errno: ENOSPC))
        default:
            host.files[openPath!]! += bytes
            return .success(())
        }
    }

    func flush() -> Result<Void, SystemFailure> {
        host.fault("flush") == nil ? .success(()) : .failure(SystemFailure(errno: EIO))
    }

    func close() -> Result<Void, SystemFailure> {
        let fault = host.fault("close")
        if openPath != nil { host.openFiles -= 1 }
        openPath = nil
        return fault == nil ? .success(()) : .failure(SystemFailure(errno: EIO))
    }

    func verify(_ path: String, configJSON: String) -> Result<Int, StepFailure> {
        let fault = host.fault("verify")
        let expected = SaveFileHeader(configJSON: configJSON).encoded() + FakeHost.stream
        guard fault == nil, host.files[path] == expected else {
            return .failure(StepFailure(problem: "reading it back failed: truncated"))
        }
        return .success(expected.count)
    }

    func rename(_ from: String, to: String) -> Result<Void, SystemFailure> {
        if host.fault("rename-file") != nil { return .failure(SystemFailure(errno: EXDEV)) }
        guard let bytes = host.files.removeValue(forKey: from) else { return .failure(SystemFailure(errno: ENOENT)) }
        host.files[to] = bytes
        host.modes[to] = host.modes.removeValue(forKey: from)
        return .success(())
    }

    func remove(_ path: String) -> Result<Void, SystemFailure> {
        if host.fault("remove") != nil { return .failure(SystemFailure(errno: EROFS)) }
        host.files[path] = nil
        return .success(())
    }

    func syncFolder(_ folder: String) -> Result<Void, SystemFailure> {
        host.fault("sync-folder") == nil ? .success(()) : .failure(SystemFailure(errno: EIO))
    }
}

/// The watcher's extra calls over the fake host; a domain that shut down is `.suspended`
/// there (not running, not gone).
extension FakeControl: ShutdownActionControl {
    func coreDump(_ id: DomainID, to path: String) -> Result<Void, LibxlFailure> {
        if host.fault("coreDump") != nil { return .failure(LibxlFailure(code: Self.failCode, messages: ["libxl: error: dump failed"])) }
        host.files[path] = [1]
        return .success(())
    }

    func preserve(_ id: DomainID, _ config: borrowing DomainConfiguration, suffix: String) -> Result<Void, LibxlFailure> {
        let fault = host.fault("preserve")
        if fault == .error { return .failure(LibxlFailure(code: Self.failCode, messages: ["libxl: error: preserve failed"])) }
        guard let name = host.domains[id]?.name else { return .failure(LibxlFailure(code: LibxlCode.domainNotFound)) }
        host.domains[id]?.name = name + suffix
        return fault == .partial ? .failure(LibxlFailure(code: Self.failCode)) : .success(())
    }

    func softReset(_ id: DomainID, _ config: borrowing DomainConfiguration) -> Result<Void, LibxlFailure> {
        if host.fault("softReset") != nil { return .failure(LibxlFailure(code: Self.failCode)) }
        host.domains[id]?.state = .paused
        host.domains[id]?.pausedFlag = true
        return .success(())
    }

    func markWatched(_ id: DomainID) -> Result<Void, LibxlFailure> {
        host.fault("mark") == nil ? .success(()) : .failure(LibxlFailure(code: Self.failCode))
    }
}
