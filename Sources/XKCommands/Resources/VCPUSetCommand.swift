import ArgumentParser
import XenKit

/// `xk vcpu-set`: bring a domain's vCPUs online or offline, as `xl vcpu-set`; with `--wait`,
/// until the guest's kernel has done it.
struct VCPUSetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vcpu-set",
        abstract: "Set how many of a domain's vCPUs are online.",
        discussion: """
            vCPUs 0 to N-1 are made available to the guest, the others are taken away; the guest's \
            kernel brings them up or down. N is at most the domain's maxvcpus, and by default at most \
            the host's online CPUs (--force to overcommit). With --wait, xk follows the domain's vCPUs \
            until N are online (exit 0), nothing changes for --stall seconds, or --timeout passes.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The domain, by name or id.")
    var domain: String

    @Argument(help: "How many vCPUs should be online.")
    var count: Int

    @Flag(name: .shortAndLong, help: "Wait until the guest has brought them online or offline.")
    var wait = false

    @Option(help: "With --wait, give up after this many seconds.")
    var timeout: Double = 60

    @Option(help: "With --wait, call the guest stalled after this many seconds without change.")
    var stall: Double = 10

    @Flag(help: "Allow more vCPUs than the host has CPUs.")
    var force = false

    func run() throws {
        let state = CommandState(options: global)
        let context = try state.context
        let id = try state.resolve(domain)
        try context.setOnlineVCPUs(id, count: count, force: force)
        guard wait else { return }
        let outcome = try context.waitForVCPUs(id, count: count, timeout: timeout, stallAfter: stall)
        let seconds = cFormat("%.1f", outcome.seconds)
        switch outcome.kind {
        case .converged:
            printError("\(domain): \(outcome.online) vCPUs online after \(seconds) s.")
        case .stalled:
            throw XenError(code: .operationFailed,
                           message: "\(domain) stalled at \(outcome.online) vCPUs online (asked \(count)) after \(seconds) s",
                           hint: "the guest's kernel is not bringing them up or down (no CPU hotplug support?)")
        case .timedOut:
            throw XenError(code: .operationFailed,
                           message: "\(domain) has \(outcome.online) vCPUs online, not \(count), after \(seconds) s")
        }
    }
}

/// `xk vcpu-pin`: set where a vCPU may run, as `xl vcpu-pin`.
struct VCPUPinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vcpu-pin",
        abstract: "Set the physical CPUs a domain's vCPU may run on (hard) and prefers (soft).",
        discussion: """
            VCPU is a vCPU number or "all". CPUS is a list such as "0-3,^2", "node:1" (the CPUs of \
            NUMA node 1) or "all"; "-" leaves it as it is. SOFT, if given, sets the soft affinity the \
            same way. -f also ends a temporary pinning the guest's kernel made (one vCPU, not all). \
            As xl, the hard affinity is narrowed to xl.conf's vm.cpumask and the domain type's \
            mask (vm.pv.cpumask, or vm.hvm.cpumask for HVM and PVH); -i pins as given.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: [.customShort("f"), .customLong("force")], help: "Also end a temporary pinning made by the guest.")
    var force = false

    @Flag(name: [.customShort("i"), .customLong("ignore-global-affinity-masks")],
          help: "Ignore xl.conf's vm.*cpumask for the hard affinity.")
    var ignoreGlobalMasks = false

    @Argument(help: "The domain, by name or id.")
    var domain: String

    @Argument(help: "The vCPU number, or all.")
    var vcpu: String

    @Argument(help: "Hard affinity: CPUs such as 0-3,^2, or all, or - to keep it.")
    var cpus: String

    @Argument(help: "Soft affinity, the same way (default: unchanged).")
    var soft: String = "-"

    func run() throws {
        let state = CommandState(options: global)
        let context = try state.context
        let id = try state.resolve(domain)
        let host = try context.hostTopology()
        let hard = try Self.cpuSet(cpus, host: host)
        let softSet = try Self.cpuSet(soft, host: host)
        if hard == nil && softSet == nil {
            throw XenError(code: .invalidArgument, message: "nothing to change: both affinities are '-'")
        }
        let all = try context.vcpus(of: id).map(\.vcpu)
        let targets: [Int]
        if vcpu == "all" {
            if force { throw XenError(code: .invalidArgument, message: "-f pins one vCPU: give its number, not all") }
            targets = all
        } else if let number = Int(vcpu) {
            targets = [number]
        } else {
            throw XenError(code: .invalidArgument, message: "'\(vcpu)' is not a vCPU number or all")
        }
        let masks = ignoreGlobalMasks ? AffinityMasks.none : try state.xlConf().affinityMasks(host: host)
        for target in targets {
            try context.pinVCPU(id, vcpu: target, hard: hard, soft: softSet, force: force, masks: masks)
        }
    }

    /// "0-3,^2", "node:1", "all", or "-" (nil: unchanged); a CPU the host lacks is refused.
    static func cpuSet(_ text: String, host: HostTopology) throws(XenError) -> Set<Int>? {
        if text == "-" { return nil }
        var cpus: Set<Int>
        do throws(CPUList.Problem) {
            cpus = try CPUList.parse(text, host: host)
        } catch {
            throw XenError(code: .invalidArgument, message: "'\(text)': \(error.message)", hint: error.hint)
        }
        // "all" sets whole bytes of the map, as libxl; CPUs named one by one must exist.
        if !text.contains("all"), let missing = cpus.filter({ $0 >= host.cpuCount }).min() {
            throw XenError(code: .invalidArgument, message: "CPU \(missing) does not exist (the host has \(host.cpuCount))")
        }
        cpus = cpus.filter { $0 < host.cpuCount }
        if cpus.isEmpty { throw XenError(code: .invalidArgument, message: "'\(text)' leaves no CPU") }
        return cpus
    }
}
