// `xk create --check`: whether a config fits this host, with every problem found at once,
// before anything is built; `xk create` runs the same check and refuses with the same list.
//
// Why its own pass: libxl stops at the first thing that is wrong, often after it has built
// half a domain (a missing bridge is found by the hotplug script, long after the memory was
// allocated), and says it in its own words. The check reads what the config needs
// (HostNeeds) and what the host has (HostFacts, gathered by the context), and the verdict is
// a pure function of the two, so each finding is unit tested without a hypervisor.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The verdict on a config against this host.
public struct BuildCheck: Sendable, Equatable {
    public enum Severity: String, Sendable, Equatable {
        /// The build would fail.
        case error
        /// The build would work, not well.
        case warning
    }

    public struct Finding: Sendable, Equatable {
        public var severity: Severity
        /// What it is about: "name", "memory", "vcpus", "pool", "kernel", "disk xvda", "vif 0".
        public var subject: String
        public var message: String
    }

    /// The memory figures the verdict rests on.
    public struct MemoryFigures: Sendable, Equatable {
        public var need: Memory
        public var free: Memory
        /// What dom0 could give without going under libxl's floor; zero without autoballoon.
        public var dom0CanGive: Memory
        public var ballooning: Bool
    }

    public var source: String
    public var name: String
    public var memory: MemoryFigures?
    public var vcpus: Int
    public var pool: String
    /// The pool's CPUs; nil when the pool does not exist.
    public var poolCPUs: Int?
    public var findings: [Finding] = []

    /// No finding is an error.
    public var fits: Bool { !findings.contains { $0.severity == .error } }

    /// Whether a build of `config` may take this verdict's name lookup and memory need as
    /// its own: it is that config's (same name and file) and found nothing in the way.
    public func standsFor(_ config: borrowing DomainConfiguration) -> Bool {
        fits && name == config.name && source == config.source
    }

    /// The error `xk create` throws for a config that does not fit, listing every problem.
    public var error: XenError? {
        let errors = findings.filter { $0.severity == .error }
        guard let first = errors.first else { return nil }
        let rest = errors.dropFirst().map { "\($0.subject): \($0.message)" }
        return XenError(code: first.subject == "name" ? .alreadyExists : .operationFailed,
                        message: "\(source): domain '\(name)' does not fit this host: \(first.subject): \(first.message)",
                        hint: (rest.isEmpty ? "" : "also " + rest.joined(separator: "; ") + "; ") + "nothing was built (xk create --check \(source) lists what does not fit)")
    }
}

/// What the host has, as the check needs it.
struct HostFacts {
    var existingDomain: DomainID?
    var need: Memory?
    var free: Memory?
    var dom0Target: Memory?
    var ballooning: Bool
    /// The pool's CPUs; nil when there is no such pool.
    var poolCPUs: Int?
    /// Why dom0 cannot read the file or device at a path; nil when it can.
    var fileProblem: (_ path: String) -> String?
    var bridgeExists: (String) -> Bool
}

extension BuildCheck {
    /// The verdict (pure: the host's side comes in `facts`).
    static func evaluate(_ needs: HostNeeds, facts: HostFacts, name: String, source: String) -> BuildCheck {
        var check = BuildCheck(source: source, name: name, vcpus: needs.maxVCPUs, pool: needs.pool ?? "Pool-0",
                               poolCPUs: facts.poolCPUs)
        func add(_ severity: Severity, _ subject: String, _ message: String) {
            check.findings.append(Finding(severity: severity, subject: subject, message: message))
        }
        if let existing = facts.existingDomain {
            add(.error, "name", "a domain named '\(name)' already exists (id \(existing)); destroy it first, or pick another name (name=OTHER)")
        }
        if let need = facts.need, let free = facts.free {
            let canGive: Memory = facts.ballooning ? facts.dom0Target.map(MemoryRoomWorkflow.dom0CanGive) ?? .kibibytes(0) : .kibibytes(0)
            check.memory = MemoryFigures(need: need, free: free, dom0CanGive: canGive, ballooning: facts.ballooning)
            if need > free {
                if !facts.ballooning {
                    add(.error, "memory", "the domain needs \(need.mebibytes) MiB and the host has \(free.mebibytes) MiB free; autoballoon is off, so dom0 gives none")
                } else if need.kibibytes - free.kibibytes > canGive.kibibytes {
                    add(.error, "memory", "the domain needs \(need.mebibytes) MiB; the host has \(free.mebibytes) MiB free and dom0 could give \(canGive.mebibytes) MiB more")
                }
            }
        }
        if let cpus = facts.poolCPUs {
            if needs.maxVCPUs > cpus {
                add(.warning, "vcpus", "\(needs.maxVCPUs) vCPUs on the \(cpus) CPU(s) of pool \(check.pool): its vCPUs would take turns on the same CPUs")
            }
        } else {
            add(.error, "pool", "there is no CPU pool named '\(check.pool)' (xk cpupool-list shows them)")
        }
        for file in needs.files {
            if let problem = facts.fileProblem(file.path) { add(.error, file.key, "\(file.path) \(problem)") }
        }
        for disk in needs.disks {
            if let problem = facts.fileProblem(disk.path) { add(.error, "disk \(disk.vdev)", "\(disk.path) \(problem)") }
        }
        for nic in needs.bridges where !facts.bridgeExists(nic.bridge) {
            add(.error, "vif \(nic.index)", "bridge \(nic.bridge) does not exist on this host (ip link add \(nic.bridge) type bridge)")
        }
        return check
    }
}

extension XenContext {
    /// Checks `config` against this host: its name, memory (with what dom0 could give under
    /// `memory`), vCPUs against its pool's CPUs, boot files, the dom0 files and devices
    /// behind its disks, the bridges of its vifs. Nothing is changed.
    public func checkBuild(_ config: borrowing DomainConfiguration, policy: BuildPolicy) -> BuildCheck {
        let control = LiveDomainControl(context: self)
        let needs = config.hostNeeds
        let pool = needs.pool ?? "Pool-0"
        let facts = HostFacts(
            existingDomain: try? resolve(.name(config.name)),
            need: try? control.memoryNeeded(config).get(),
            free: try? control.freeMemory().get(),
            dom0Target: policy.ballooning ? try? control.memoryTarget(.dom0).get() : nil,
            ballooning: policy.ballooning,
            poolCPUs: try? Libxl.cpupoolCPUCount(ctx, name: pool).get(),
            fileProblem: Self.fileProblem, bridgeExists: Self.bridgeExists)
        return BuildCheck.evaluate(needs, facts: facts, name: config.name, source: config.source)
    }

    /// libxl picks a disk's backend from what the path is (a block device, a file), so only
    /// that dom0 has it and can read it is checked.
    static func fileProblem(_ path: String) -> String? {
        var status = stat()
        guard stat(path, &status) == 0 else {
            return errno == ENOENT ? "does not exist" : "cannot be read (\(String(cString: strerror(errno))))"
        }
        if (status.st_mode & S_IFMT) == S_IFDIR { return "is a directory" }
        return access(path, R_OK) == 0 ? nil : "cannot be read (\(String(cString: strerror(errno))))"
    }

    /// A bridge is a network device with a `bridge` folder in sysfs.
    static func bridgeExists(_ name: String) -> Bool {
        guard !name.contains("/"), name != "..", name != "." else { return false }
        var status = stat()
        return stat("/sys/class/net/\(name)/bridge", &status) == 0
    }
}
