import ArgumentParser
import XenKit

/// `xk xenstore-write`: write nodes, all in one transaction, as xenstore-write does.
struct XenStoreWriteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xenstore-write",
        abstract: "Write values to xenstore nodes: PATH VALUE [PATH VALUE ...].",
        discussion: """
            All the writes happen in one xenstore transaction: either all take effect or none does. Missing parent nodes are created.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Pairs of a path and its value.")
    var pairs: [String]

    func validate() throws {
        if pairs.isEmpty || pairs.count % 2 != 0 {
            throw ValidationError("give PATH VALUE pairs (got \(pairs.count) argument\(pairs.count == 1 ? "" : "s"))")
        }
    }

    func run() throws {
        var writes: [(XenStorePath, String)] = []
        for index in stride(from: 0, to: pairs.count, by: 2) {
            writes.append((try XenStorePath.argument(pairs[index]), pairs[index + 1]))
        }
        let store = try XenStore()
        try store.withTransaction { (transaction) throws(XenError) in
            for (path, value) in writes { try transaction.write(path, value) }
        }
    }
}
