import ArgumentParser
import Testing
@testable import XKCommands

@Suite struct CommandLineTests {
    @Test func listTakesDomainsAndJSON() throws {
        let command = try XK.parseAsRoot(["list", "--json", "web", "7"])
        let list = try #require(command as? ListCommand)
        #expect(list.json)
        #expect(list.domains == ["web", "7"])
    }

    @Test func verboseWorksBeforeAndAfterTheSubcommand() throws {
        let before = try #require(try XK.parseAsRoot(["-vv", "list"]) as? ListCommand)
        #expect(before.global.verbose == 2)
        let after = try #require(try XK.parseAsRoot(["info", "-v"]) as? InfoCommand)
        #expect(after.global.verbose == 1)
    }

    @Test func infoTakesOneKey() throws {
        let info = try #require(try XK.parseAsRoot(["info", "xen_version"]) as? InfoCommand)
        #expect(info.key == "xen_version")
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["info", "a", "b"]) }
    }

    @Test func unknownSubcommandIsAUsageError() {
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["frobnicate"]) }
        #expect(XK.exitCode(for: CleanExit.helpRequest()) == .success)
    }

    @Test func subcommandsAreNamedAsXlNamesThem() {
        let names = XK.configuration.subcommands.map { $0._commandName }
        #expect(names == ["info", "list", "create", "console", "pause", "unpause", "shutdown",
                          "reboot", "destroy", "rename", "domid", "domname",
                          "mem-set", "mem-max", "vcpu-set", "vcpu-list", "vcpu-pin",
                          "cpupool-list", "cpupool-create", "cpupool-destroy", "cpupool-rename", "cpupool-cpu-add", "cpupool-cpu-remove", "cpupool-migrate", "sched-credit", "sched-credit2",
                          "block-attach", "block-detach", "block-list", "network-attach", "network-detach", "network-list",
                          "cd-insert", "cd-eject", "channel-list", "vtpm-list", "usb-list", "usbctrl-attach", "usbctrl-detach",
                          "dmesg", "debug-keys", "uptime", "claims", "sysrq", "trigger", "dump-core", "save", "restore", "migrate", "migrate-receive", "watch", "daemon", "define", "undefine", "start", "autostart",
                          "monitor", "top", "xenstore-read", "xenstore-write", "xenstore-ls", "xenstore-rm", "xenstore-watch"])
    }

    @Test func createCheckStandsAlone() throws {
        let create = try #require(try XK.parseAsRoot(["create", "--check", "--json", "web.cfg"]) as? CreateCommand)
        #expect(create.check && create.json)
        for other in ["-n", "-p", "-F", "-c"] {
            #expect(throws: (any Error).self) { try XK.parseAsRoot(["create", "--check", other, "web.cfg"]) }
        }
    }

    @Test func createTakesXlsFlagsAndOverrides() throws {
        let create = try #require(try XK.parseAsRoot(["create", "-n", "-p", "-q", "web.cfg", "memory=512", "name=\"x\""]) as? CreateCommand)
        #expect(create.dryRun && create.paused && create.quiet)
        #expect(create.file == "web.cfg")
        #expect(create.overrides == ["memory=512", "name=\"x\""])
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["create", "web.cfg", "memory"]) }
    }

    /// xk makes file names of domain names: rename refuses what create refuses, before it
    /// looks anything up.
    @Test func renameRefusesUnsafeNames() throws {
        for name in ["../evil", "a/b", "..", ".x", "a\u{1B}[2J", String(repeating: "n", count: 129)] {
            let error = try #require(throws: (any Error).self) { try XK.parseAsRoot(["rename", "web", name]) }
            #expect("\(error)".contains("cannot be a domain name"), "\(error)")
        }
        let rename = try #require(try XK.parseAsRoot(["rename", "web", "db.prod-01"]) as? RenameCommand)
        #expect(rename.newName == "db.prod-01")
    }

    @Test func shutdownNeedsADomainOrAll() throws {
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["shutdown"]) }
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["shutdown", "-a", "web"]) }
        let wait = try #require(try XK.parseAsRoot(["shutdown", "-w", "-F", "web"]) as? ShutdownCommand)
        #expect(wait.options.wait && wait.options.acpiFallback)
    }
}
