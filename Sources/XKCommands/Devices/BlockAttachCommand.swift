import ArgumentParser
import XenKit

/// `xk block-attach`: give a running domain another disk, as `xl block-attach`.
struct BlockAttachCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "block-attach",
        abstract: "Attach a virtual disk to a running domain.",
        discussion: """
            The disk is written as in a config file's disk= list (xl-disk-configuration(5)), \
            whole or in words: '/srv/data.img,raw,xvdb,w' and 'target=/srv/data.img vdev=xvdb' \
            are the same disk. With --persist the disk is also added to the domain's definition \
            (its kept xl.cfg gets a new disk= line), so that xk start has it next time. A backing file that is not there, a vdev in use or a bad spec is \
            refused before anything changes; an attach that fails half way is undone.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: [.customShort("n"), .long], help: "Print the disk as libxl JSON (as xl -N) and attach nothing.")
    var dryRun = false

    @Flag(help: "Keep the change in the domain's definition (xk define) too, for its next start.")
    var persist = false

    @Argument(help: "The domain, by name or id.")
    var domain: String

    @Argument(help: "The disk specification.")
    var spec: [String]

    func run() throws {
        let disk = try DiskSpecification(words: spec)
        if dryRun {
            print("disk: " + (try disk.json()))
            return
        }
        let state = CommandState(options: global)
        let id = try state.resolve(domain)
        if persist {
            try state.context.attachDisk(id, disk, persistingIn: DefinitionStore(), command: "xk block-attach --persist \(domain) \(disk.text)")
        } else {
            try state.context.attachDisk(id, disk)
        }
    }
}
