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
        let before = try #require(try XK.parse(["-vv", "info"]) as? InfoCommand)
        #expect(before.global.settings.verbose == 2)
        let after = try #require(try XK.parseAsRoot(["info", "-v"]) as? InfoCommand)
        #expect(after.global.settings.verbose == 1)
        let both = try #require(try XK.parse(["-v", "info", "-v"]) as? InfoCommand)
        #expect(both.global.settings.verbose == 2)
    }

    /// list's own -v/--verbose adds xl's columns, as `xl list -v`; libxl's messages come with
    /// the -v before the subcommand only, as `xl -v list`.
    @Test func listsVerboseIsItsColumns() throws {
        let columns = try #require(try XK.parse(["list", "-v", "-Z", "-c", "-n"]) as? ListCommand)
        #expect(columns.request.columns == ListColumns(verbose: true, context: true, cpupool: true, numa: true))
        #expect(columns.request.global.verbose == 0)
        let long = try #require(try XK.parse(["list", "--verbose", "--context", "--cpupool", "--numa", "web"]) as? ListCommand)
        #expect(long.request.columns == columns.request.columns && long.request.domains == ["web"])
        let messages = try #require(try XK.parse(["-vv", "list"]) as? ListCommand)
        #expect(messages.request.global.verbose == 2 && messages.request.columns == ListColumns())
        let bothKinds = try #require(try XK.parse(["-v", "list", "-v"]) as? ListCommand)
        #expect(bothKinds.request.global.verbose == 1 && bothKinds.request.columns == ListColumns(verbose: true))
    }

    /// xl's global options before the subcommand, as `xl migrate` runs `xl -t migrate-receive`
    /// on the other host.
    @Test func xlGlobalOptionsGoBeforeTheSubcommand() throws {
        #expect(try LeadingOptions.rewrite(["-vv", "-t", "migrate-receive", "-e"]) == ["migrate-receive", "--leading-verbose", "--leading-verbose", "--progress-cr", "-e"])
        #expect(try LeadingOptions.rewrite(["-vfT", "list", "-v"]) == ["list", "--leading-verbose", "--timestamps", "-v"])
        #expect(try LeadingOptions.rewrite(["-N", "create", "a.cfg"]) == ["create", "-n", "a.cfg"])
        #expect(try LeadingOptions.rewrite(["list", "-t"]) == ["list", "-t"])   // after the subcommand: the subcommand's
        #expect(try LeadingOptions.rewrite(["--version"]) == ["--version"])
        #expect(throws: LeadingOptions.Refusal.self) { try LeadingOptions.rewrite(["-N", "destroy", "web"]) }
        #expect(throws: LeadingOptions.Refusal.self) { try LeadingOptions.rewrite(["-v"]) }
        let receive = try #require(try XK.parse(["-t", "-vv", "migrate-receive"]) as? MigrateReceiveCommand)
        #expect(receive.global.xl.progressCR && receive.global.settings.verbose == 2)
        let create = try #require(try XK.parse(["-N", "create", "web.cfg"]) as? CreateCommand)
        #expect(create.dryRun)
        #expect(throws: (any Error).self) { try XK.parse(["-N", "pause", "web"]) }
        #expect(throws: (any Error).self) { try XK.parse(["-x", "list"]) }
    }

    /// sched-rtds, parsed as it will be once offered (XK.swift says why it is not yet).
    static func parseRTDS(_ arguments: [String]) throws -> any ParsableCommand {
        let rewritten = try LeadingOptions.rewrite(arguments)
        return try SchedRTDSCommand.parse(Array(rewritten.dropFirst()))
    }

    /// sched-rtds's -v is a vCPU, as in xl; xk's own -v goes before the subcommand there.
    @Test func schedRTDSTakesXlsOptions() throws {
        let set = try #require(try Self.parseRTDS(["-v", "sched-rtds", "-d", "web", "-v", "0", "-v", "1", "-p", "10000", "-b", "2000", "-e", "1",
                                             "-p", "20000", "-b", "5000", "-e", "0"]) as? SchedRTDSCommand)
        #expect(set.global.options.settings.verbose == 1 && set.vcpuArguments == ["0", "1"] && set.periods == [10000, 20000] && set.extratimes == ["1", "0"])
        #expect(try Self.parseRTDS(["sched-rtds", "-d", "web", "-v", "all", "-p", "100", "-b", "50", "-e", "0"]) is SchedRTDSCommand)
        #expect(try Self.parseRTDS(["sched-rtds", "-v", "all"]) is SchedRTDSCommand)
        for refused in [["sched-rtds", "-c", "Pool-0", "-d", "web"],          // a pool with other options
                        ["sched-rtds", "-p", "100", "-b", "50", "-e", "0"],  // no domain
                        ["sched-rtds", "-d", "web", "-p", "100", "-b", "50", "-e", "0"],   // no vCPU
                        ["sched-rtds", "-d", "web", "-v", "all", "-v", "0"],
                        ["sched-rtds", "-d", "web", "-v", "0", "-v", "1", "-p", "100", "-b", "50", "-e", "0"],   // one of each for two
                        ["sched-rtds", "-d", "web", "-v", "0", "-p", "100", "-b", "50", "-e", "2"],
                        ["sched-rtds", "-d", "web", "-v", "x"]] {
            #expect(throws: (any Error).self, "\(refused)") { try Self.parseRTDS(refused) }
        }
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
                          "cpupool-list", "cpupool-create", "cpupool-destroy", "cpupool-rename", "cpupool-cpu-add", "cpupool-cpu-remove", "cpupool-migrate", "cpupool-numa-split", "sched-credit", "sched-credit2",
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
