// The thin driver under ShutdownActionWorkflow: one libxl call per step, through the seam
// (the unit tests fail any of them), and the watcher's log lines for what was done.

/// What a shutdown action asks of libxl beyond the workflows' common calls.
protocol ShutdownActionControl: DomainControl {
    /// `libxl_domain_core_dump` (the folder is made first).
    func coreDump(_ id: DomainID, to path: String) -> Result<Void, LibxlFailure>
    /// `libxl_domain_preserve`: renamed NAME+suffix, with a new UUID.
    func preserve(_ id: DomainID, _ config: borrowing DomainConfiguration, suffix: String) -> Result<Void, LibxlFailure>
    /// `libxl_domain_soft_reset`.
    func softReset(_ id: DomainID, _ config: borrowing DomainConfiguration) -> Result<Void, LibxlFailure>
    /// xk's mark (libxl userdata) for the host service.
    func markWatched(_ id: DomainID) -> Result<Void, LibxlFailure>
}

extension LiveDomainControl: ShutdownActionControl {
    func coreDump(_ id: DomainID, to path: String) -> Result<Void, LibxlFailure> {
        try? makeDirectories(parentOf: path)
        return call { Libxl.coreDump($0, id, to: path) }
    }

    func preserve(_ id: DomainID, _ config: borrowing DomainConfiguration, suffix: String) -> Result<Void, LibxlFailure> {
        let raw = config.raw
        return call { Libxl.preserve($0, id, raw, suffix: suffix) }
    }

    func softReset(_ id: DomainID, _ config: borrowing DomainConfiguration) -> Result<Void, LibxlFailure> {
        let raw = config.raw
        return call { Libxl.softReset($0, id, raw) }
    }

    func markWatched(_ id: DomainID) -> Result<Void, LibxlFailure> {
        call { Libxl.storeUserdata($0, id, key: WatchPaths.userdataKey, Array("watch\n".utf8)) }
    }
}

struct ShutdownActionDriver {
    var machine: ShutdownActionWorkflow
    let control: any ShutdownActionControl
    /// Where a core dump goes (/var/lib/xen/dump/NAME).
    let dumpPath: String
    /// rename-restart's suffix for the old domain ("-20261125T1512Z").
    let suffix: String
    /// How a restart makes room in memory (xl.conf's autoballoon), as xl's restart does.
    var policy: BuildPolicy = .fixed

    /// - Parameter report: the watcher's log, for what was done.
    mutating func run(_ config: borrowing DomainConfiguration, report: (WatchEvent) -> Void) -> ShutdownActionOutcome {
        driveWorkflow(from: machine.start()) { step in
            let result = perform(step, config, report)
            return machine.completed(step, result)
        }
    }

    private func perform(_ step: ShutdownActionStep, _ config: borrowing DomainConfiguration,
                         _ report: (WatchEvent) -> Void) -> ShutdownActionResult {
        let id = machine.id, name = machine.name
        switch step {
        case .coreDump:
            switch control.coreDump(id, to: dumpPath) {
            case .success:
                report(.coreDumped(id, path: dumpPath))
                return .done
            case .failure(let failure):
                report(.coreDumpFailed(id, path: dumpPath, reason: LibxlCode.name(failure.code)))
                return .failed(StepFailure(failure, "the core dump failed"))
            }
        case .checkStillThere:
            switch control.info(id) {
            case .success: return .done
            case .failure(let failure) where failure.code == LibxlCode.domainNotFound:
                report(.gone(id, name: name))
                return .gone
            case .failure(let failure): return .failed(StepFailure(failure, "cannot read its state"))
            }
        case .destroy:
            switch control.destroy(id) {
            case .success:
                report(.destroyed(id, name: name))
                return .done
            // LOCK_FAIL: libxl waited for the domain's lock while another process held it (the
            // operator's destroy, in the lab), then found the domain gone or could not tell
            // (libxl__lock_domain_userdata). Checked, not assumed.
            case .failure(let failure) where failure.code == LibxlCode.domainNotFound
                || (failure.code == LibxlCode.lockFail && isGone(id)):
                report(.gone(id, name: name))
                return .gone
            case .failure(let failure): return .failed(StepFailure(failure, "libxl failed"))
            }
        case .preserve:
            switch control.preserve(id, config, suffix: suffix) {
            case .success:
                report(.preserved(id, name: name, newName: name + suffix))
                return .done
            case .failure(let failure): return .failed(StepFailure(failure, "libxl failed"))
            }
        case .rebuild:
            var build = BuildDriver(machine: BuildWorkflow(name: name, what: "restart domain '\(name)'", paused: false),
                                    control: control, source: .new, policy: policy)
            switch build.run(config) {
            case .built(let newID): return .built(newID)
            case .failed(let error, let leftover): return .buildFailed(error, leftover: leftover)
            }
        case .softReset:
            return Self.libxl(control.softReset(id, config))
        case .unpause:
            let result = Self.libxl(control.unpause(id))
            if result == .done { report(.softReset(id, name: name)) }
            return result
        case .markWatched:
            return Self.libxl(control.markWatched(machine.newIDForMark ?? id))
        }
    }

    /// Whether libxl no longer knows the domain (a failed look counts as not gone).
    private func isGone(_ id: DomainID) -> Bool {
        if case .failure(let failure) = control.info(id) { return failure.code == LibxlCode.domainNotFound }
        return false
    }

    private static func libxl(_ result: Result<Void, LibxlFailure>) -> ShutdownActionResult {
        switch result {
        case .success: .done
        case .failure(let failure): .failed(StepFailure(failure, "libxl failed"))
        }
    }
}
