import ArgumentParser
import XenKit

#if canImport(Glibc)
import Glibc
#endif

/// `xk mem-set`: set a domain's balloon target, as `xl mem-set`; with `--wait`, follow the
/// guest until it gets there, stalls, or the time is up.
struct MemSetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mem-set",
        abstract: "Set a domain's memory target (the guest's balloon driver follows it).",
        discussion: """
            SIZE is a whole number with an optional unit, as xl takes it: b, k, m, g or t (no unit: MiB), \
            e.g. 512, 512m, 2g. A target above the domain's maximum (see mem-max) or below 32 MiB is refused. \
            With --wait, xk follows the domain's actual memory until it is within 1 MiB of the target \
            (converged), stops moving for --stall seconds short of it (stalled: the guest is not \
            cooperating), or --timeout passes; the exit status is 0 only when it converged.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The domain, by name or id.")
    var domain: String

    @Argument(help: "The new target, e.g. 512m or 2g.")
    var size: String

    @Flag(name: .shortAndLong, help: "Wait until the guest has reached the target.")
    var wait = false

    @Option(help: "With --wait, give up after this many seconds.")
    var timeout: Double = 60

    @Option(help: "With --wait, call the guest stalled after this many seconds without progress.")
    var stall: Double = 5

    @Flag(help: "Allow a target below 32 MiB.")
    var force = false

    @Flag(help: "With --wait, print the outcome as JSON.")
    var json = false

    func run() throws {
        guard let target = Memory(parsing: size) else {
            throw XenError(code: .invalidArgument, message: "invalid memory size: '\(size)'",
                           hint: "a whole number with an optional unit b, k, m, g or t (MiB without one)")
        }
        let state = CommandState(options: global)
        let context = try state.context
        let id = try state.resolve(domain)
        try context.setMemoryTarget(id, target, force: force)
        guard wait else { return }
        let showProgress = (global.xl.progressCR || isatty(STDERR_FILENO) == 1) && !json
        let outcome = try context.waitForMemory(id, target: target, timeout: timeout, stallAfter: stall) { current in
            if showProgress { printError("\r\u{1B}[K\(domain): \(current.mebibytes) MiB, target \(target.mebibytes) MiB", terminator: "") }
        }
        if showProgress { printError("\r\u{1B}[K", terminator: "") }
        try report(outcome, target: target, name: context.name(of: id) ?? domain, id: id)
    }

    func report(_ outcome: MemoryWaitOutcome, target: Memory, name: String, id: DomainID) throws {
        if json { print(Self.document(outcome, target: target, name: name, id: id).serialized()) }
        let seconds = cFormat("%.1f", outcome.seconds)
        switch outcome.kind {
        case .converged:
            if !json { printError("\(domain): reached \(outcome.current.mebibytes) MiB (target \(target.mebibytes) MiB) in \(seconds) s.") }
        case .stalled:
            throw XenError(code: .operationFailed,
                           message: "\(domain) stalled at \(outcome.current.mebibytes) MiB (target \(target.mebibytes) MiB) after \(seconds) s",
                           hint: "the guest's balloon driver is not following; is it loaded, and can the guest spare the memory?")
        case .timedOut:
            throw XenError(code: .operationFailed,
                           message: "\(domain) is at \(outcome.current.mebibytes) MiB, still moving towards \(target.mebibytes) MiB after \(seconds) s",
                           hint: "raise --timeout to wait longer")
        }
    }
}

/// `xk mem-max`: set the most memory a domain may have, as `xl mem-max`.
struct MemMaxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mem-max",
        abstract: "Set the most memory a domain may balloon up to.",
        discussion: "SIZE as for mem-set. A maximum below the current target is refused.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The domain, by name or id.")
    var domain: String

    @Argument(help: "The new maximum, e.g. 1g.")
    var size: String

    func run() throws {
        guard let maximum = Memory(parsing: size) else {
            throw XenError(code: .invalidArgument, message: "invalid memory size: '\(size)'",
                           hint: "a whole number with an optional unit b, k, m, g or t (MiB without one)")
        }
        let state = CommandState(options: global)
        try state.context.setMaximumMemory(try state.resolve(domain), maximum)
    }
}

extension MemSetCommand {
    /// `xk mem-set --wait --json` (docs/json.md).
    static func document(_ outcome: MemoryWaitOutcome, target: Memory, name: String, id: DomainID) -> JSONValue {
        .document([
            ("name", .string(name)), ("domid", .uint(UInt64(id.rawValue))), ("target_kib", .uint(target.kibibytes)),
            ("result", .string(outcome.kind.rawValue)), ("current_kib", .uint(outcome.current.kibibytes)),
            ("elapsed_s", .double((outcome.seconds * 10).rounded() / 10)),
        ])
    }
}
