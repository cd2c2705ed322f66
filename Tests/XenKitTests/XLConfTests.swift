import Testing
@testable import XenKit

/// xl.conf as xl 4.17 reads it, with xk's stricter errors.
@Suite struct XLConfTests {
    static func parse(_ text: String) throws -> XLConf {
        try XLConf.parse(text: text, source: "/etc/xen/xl.conf")
    }

    @Test func defaultsAsXl() throws {
        let conf = try Self.parse("# nothing set\n")
        #expect(conf.autoballoon == .auto && conf.runHotplugScripts && conf.claimMode)
        #expect(conf.lockfile == "/var/lock/xl" && conf.domidPolicy == .xen && conf.warnings.isEmpty)
        #expect(conf.maxGrantFrames == nil && conf.blkdevStart == nil)
        #expect(try XLConf.load(path: "/nonexistent/xl.conf") == XLConf())
    }

    @Test func everyKey() throws {
        let conf = try Self.parse("""
            autoballoon="off"
            run_hotplug_scripts=0
            lockfile="/run/lock/xl"
            vif.default.bridge="br0"
            vif.default.script="vif-openvswitch"
            vif.default.gatewaydev="eth0"
            vif.default.backend="netback"
            output_format="json"
            blkdev_start="xvdb"
            claim_mode=0
            max_grant_frames=64
            max_maptrack_frames=1024
            max_grant_version=1
            domid_policy="random"
            bootloader_restrict=1
            bootloader_user="xen-bl"

            """)
        #expect(conf.autoballoon == .off && !conf.runHotplugScripts && conf.lockfile == "/run/lock/xl")
        #expect(conf.vifDefaults == NetworkSpecification.Defaults(bridge: "br0", script: "vif-openvswitch", gatewayDevice: "eth0", backend: "netback"))
        #expect(conf.blkdevStart == "xvdb" && !conf.claimMode)
        #expect(conf.maxGrantFrames == 64 && conf.maxMaptrackFrames == 1024 && conf.maxGrantVersion == 1)
        #expect(conf.domidPolicy == .random && conf.bootloader == BootloaderRestriction(restrict: true, user: "xen-bl"))
        #expect(conf.warnings.isEmpty, "\(conf.warnings)")
        #expect(try Self.parse("autoballoon=\"1\"\n").autoballoon == .on)
        #expect(try Self.parse("autoballoon=0\n").autoballoon == .off)
    }

    @Test func badValuesNameFileLineAndKey() {
        for (text, expected) in [
            ("\nautoballoon=\"of\"\n", "/etc/xen/xl.conf:2: autoballoon: expected on, off or auto, got \"of\""),
            ("claim_mode=\"yes\"\n", "/etc/xen/xl.conf:1: claim_mode: expected a number, got \"yes\""),
            ("max_grant_frames=9999999999\n", "/etc/xen/xl.conf:1: max_grant_frames: 9999999999 is out of range"),
            ("domid_policy=\"any\"\n", "/etc/xen/xl.conf:1: domid_policy: expected xen or random, got \"any\""),
            ("output_format=\"xml\"\n", "/etc/xen/xl.conf:1: output_format: expected json or sxp, got \"xml\""),
            ("lockfile=\"xl.lock\"\n", "/etc/xen/xl.conf:1: lockfile: expected an absolute path"),
        ] {
            #expect {
                try Self.parse(text)
            } throws: { error in
                (error as? XenError)?.message.hasPrefix(expected) == true
            }
        }
    }

    @Test func unknownDeprecatedAndIgnoredKeysWarn() throws {
        let conf = try Self.parse("""
            autoballon="on"
            defaultbridge="xenbr1"
            vifscript="vif-nat"
            vm.cpumask="0-3"
            remus.default.netbufscript="/etc/xen/scripts/remus-netbuf-setup"
            output_format="sxp"

            """)
        #expect(conf.warnings.count == 5, "\(conf.warnings)")
        #expect(conf.warnings.contains("/etc/xen/xl.conf:1: unknown key 'autoballon', did you mean 'autoballoon'?; it is ignored"))
        #expect(conf.warnings.contains("/etc/xen/xl.conf:2: defaultbridge is deprecated, please switch to vif.default.bridge"))
        #expect(conf.vifDefaults.bridge == "xenbr1" && conf.vifDefaults.script == "vif-nat")
        #expect(conf.autoballoon == .auto)
        // The new key wins over the deprecated one, as in xl.
        #expect(try Self.parse("defaultbridge=\"a\"\nvif.default.bridge=\"b\"\n").vifDefaults.bridge == "b")
    }

    /// vm.cpumask with the type's mask, as xl's apply_global_affinity_masks; "all" or unset
    /// leaves every CPU; a vCPU left with none is refused, naming the masks.
    @Test func globalCPUMasks() throws {
        let host = HostTopology(cpuCount: 4, nodeCPUs: [[0, 1], [2, 3]])
        let conf = try Self.parse("vm.cpumask=\"0-2\"\nvm.pv.cpumask=\"1-3\"\nvm.hvm.cpumask=\"all\"\n")
        let masks = try conf.affinityMasks(host: host)
        #expect(masks.pv == [1, 2] && masks.hvm == [0, 1, 2])
        #expect(try masks.narrow([0, 1, 3], for: .pv, what: "x") == [1])
        #expect(throws: XenError.self) { try masks.narrow([3], for: .pvh, what: "x") }
        let error = try #require(throws: XenError.self) { try masks.narrow([3], for: .pv, what: "vCPU 0's hard affinity") }
        #expect(error.message == "vCPU 0's hard affinity (CPUs 3) has no CPU in xl.conf's mask: /etc/xen/xl.conf:1: vm.cpumask=\"0-2\" and /etc/xen/xl.conf:2: vm.pv.cpumask=\"1-3\" leaves CPUs 1,2", "\(error)")
        #expect(try Self.parse("vm.cpumask=\"all\"\n").affinityMasks(host: host) == .none)
        #expect(try Self.parse("vm.hvm.cpumask=\"node:1\"\n").affinityMasks(host: host).hvm == [2, 3])
        let bad = try #require(throws: XenError.self) { try Self.parse("\nvm.pv.cpumask=\"7\"\n").affinityMasks(host: host) }
        #expect(bad.message.hasPrefix("/etc/xen/xl.conf:2: vm.pv.cpumask: "), "\(bad)")
    }

    /// xl's auto_autoballoon: off when Xen's command line fixes dom0's memory.
    @Test(arguments: [
        ("console=com1 dom0_mem=1024M,max:1024M loglvl=all", true),
        ("dom0_mem=512M", true),
        ("dom0_mem=min:512M,max:2G", true),
        ("dom0_mem=-256M", true),
        ("dom0_mem=10%", true),
        ("dom0_mem=1G+10%", true),
        ("dom0_mem=1G,", true),
        ("console=com1 loglvl=all", false),
        ("xdom0_mem=512M", false),
        ("dom0_mem=", false),
        ("dom0_mem=lots", false),
        ("dom0_mem=100%", false),
    ])
    func dom0MemoryOnXensCommandLine(commandLine: String, fixed: Bool) {
        #expect(XLConf.fixesDom0Memory(commandLine) == fixed)
        #expect(XLConf(source: "t").ballooning(xenCommandLine: commandLine) == !fixed)
    }

    /// The domain's own value wins; xl.conf's fills in what it leaves out (as in `xl -N create`).
    @Test func xlConfDefaultsReachTheDomainConfig() throws {
        var conf = XLConf()
        conf.claimMode = false
        conf.maxGrantFrames = 64
        conf.blkdevStart = "xvdz"
        conf.runHotplugScripts = false
        let json = try DomainConfiguration.parse(
            text: "name = \"web\"\ntype = \"pvh\"\nkernel = \"/k\"\nmemory = 128\nmax_maptrack_frames = 9\n", source: "web.cfg",
            options: .init(checkFiles: false, xlConf: conf)).json()
        #expect(json.contains("\"claim_mode\": \"False\"") && json.contains("\"max_grant_frames\": 64"), "\(json)")
        #expect(json.contains("\"max_maptrack_frames\": 9") && json.contains("\"blkdev_start\": \"xvdz\""))
        #expect(json.contains("\"run_hotplug_scripts\": \"False\""))
        let own = try DomainConfiguration.parse(
            text: "name = \"web\"\ntype = \"pvh\"\nkernel = \"/k\"\nmemory = 128\nmax_grant_frames = 32\n", source: "web.cfg",
            options: .init(checkFiles: false, xlConf: conf)).json()
        #expect(own.contains("\"max_grant_frames\": 32"))
    }
}

/// xl.conf's masks in a mapped config: what `xl -N create` prints with them.
@Suite struct GlobalMaskMappingTests {
    static let host = HostTopology(cpuCount: 2, nodeCPUs: [[0, 1]])

    static func json(_ config: String, conf: String, ignore: Bool = false) throws -> String {
        let xlConf = try XLConf.parse(text: conf, source: "/etc/xen/xl.conf")
        let options = DomainConfiguration.LoadOptions(checkFiles: false, host: host, xlConf: xlConf, ignoreGlobalAffinityMasks: ignore)
        return try DomainConfiguration.parse(text: config, source: "web.cfg", options: options).json()
    }

    static let pv = "name=\"web\"\ntype=\"pv\"\nkernel=\"/k\"\nmemory=64\nvcpus=1\nmaxvcpus=2\n"

    @Test func masksNarrowEveryVCPU() throws {
        let masked = try Self.json(Self.pv, conf: "vm.pv.cpumask=\"1\"\n")
        let compact = masked.filter { !$0.isWhitespace }
        #expect(compact.contains("\"vcpu_hard_affinity\":[[1],[1]]"), "\(masked)")
        // Another type's mask, "all", or -i: no affinity made.
        for (conf, ignore) in [("vm.hvm.cpumask=\"1\"\n", false), ("vm.cpumask=\"all\"\n", false), ("vm.pv.cpumask=\"1\"\n", true)] {
            #expect(!(try Self.json(Self.pv, conf: conf, ignore: ignore)).contains("vcpu_hard_affinity"), "\(conf)")
        }
        // cpus= narrowed; nothing left is refused, naming the vCPU and the mask.
        #expect(try Self.json(Self.pv + "cpus=\"0-1\"\n", conf: "vm.cpumask=\"0\"\n").filter { !$0.isWhitespace }.contains("\"vcpu_hard_affinity\":[[0],[0]]"))
        let error = try #require(throws: XenError.self) { try Self.json(Self.pv + "cpus=\"1\"\n", conf: "vm.cpumask=\"0\"\n") }
        #expect(error.message.hasPrefix("web.cfg: vCPU 0's hard affinity (CPUs 1) has no CPU in xl.conf's mask: /etc/xen/xl.conf:1: vm.cpumask=\"0\""), "\(error)")
    }
}
