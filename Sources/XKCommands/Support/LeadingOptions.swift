// xl's global options go before the subcommand (`xl -vv -t migrate-receive`), and xl's own
// migrate runs exactly that on the receiving host; an xk installed as xl must take them.
// swift-argument-parser has no notion of options that belong before a subcommand only (a
// root option is matched anywhere, so it would take sched-rtds's own -v), so they are read
// here, by hand, and handed to the subcommand in its long form after its name:
//   -v  --leading-verbose (repeatable: the subcommand's own --verbose may mean something
//       else, as list's does)      -t  --progress-cr     -T  --timestamps
//   -N  the subcommand's own -n (dry run), for those that have one; refused for the rest,
//       as xl refuses it ("command does not implement -N (dryrun) option")
//   -f  accepted and ignored: xl 4.17 sets a flag that nothing reads.

/// The options before the subcommand, rewritten for the subcommand.
enum LeadingOptions {
    /// The subcommands that take `-n` for a dry run, as xl's `can_dryrun` commands.
    static let dryRunCommands: Set<String> = ["create", "cpupool-create", "network-attach", "usbctrl-attach"]

    struct Refusal: Error, CustomStringConvertible {
        var description: String
    }

    /// `arguments` without the program name. Leading clusters of v, f, t, T and N are moved
    /// after the subcommand name in long form; anything else is left as it is for the parser
    /// (so `--help`, `--version` and unknown options behave as before).
    static func rewrite(_ arguments: [String]) throws(Refusal) -> [String] {
        var index = 0
        var verbose = 0
        var dryRun = false, progressCR = false, timestamps = false
        while index < arguments.count, isCluster(arguments[index]) {
            for letter in arguments[index].dropFirst() {
                switch letter {
                case "v": verbose += 1
                case "N": dryRun = true
                case "t": progressCR = true
                case "T": timestamps = true
                default: break   // "f"
                }
            }
            index += 1
        }
        guard index > 0 else { return arguments }
        guard index < arguments.count else {
            throw Refusal(description: "a subcommand must follow the global options (\(arguments.joined(separator: " ")))")
        }
        let command = arguments[index]
        var moved = Array(repeating: "--leading-verbose", count: verbose)
        if progressCR { moved.append("--progress-cr") }
        if timestamps { moved.append("--timestamps") }
        if dryRun {
            guard dryRunCommands.contains(command) else {
                throw Refusal(description: "\(command) does not implement -N (dry run)")
            }
            moved.append("-n")
        }
        return [command] + moved + arguments[(index + 1)...]
    }

    /// "-v", "-vvt", "-N": a dash and only global option letters.
    private static func isCluster(_ argument: String) -> Bool {
        argument.count >= 2 && argument.first == "-" && argument.dropFirst().allSatisfy { "vftTN".contains($0) }
    }
}
