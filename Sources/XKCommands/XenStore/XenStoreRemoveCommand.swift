import ArgumentParser
import XenKit

/// `xk xenstore-rm`: remove nodes and everything below them.
struct XenStoreRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xenstore-rm",
        abstract: "Remove xenstore nodes and everything below them.",
        discussion: """
            All the removals happen in one transaction. A node that does not exist is an error naming it, unless -f is given (as rm -f).
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .shortAndLong, help: "A node that does not exist is not an error.")
    var force = false

    @Argument(help: "Paths to remove.")
    var paths: [String]

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one PATH") }
    }

    func run() throws {
        let parsed = try paths.map(XenStorePath.argument)
        let store = try XenStore()
        try store.withTransaction { (transaction) throws(XenError) in
            for path in parsed {
                if !force, try transaction.read(path) == nil {
                    throw XenError(code: .invalidArgument, message: "xenstore has no node \(path)", hint: "-f ignores missing nodes")
                }
                try transaction.remove(path)
            }
        }
    }
}
