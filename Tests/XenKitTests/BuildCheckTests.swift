import Testing
@testable import XenKit

/// `xk create --check`: what a config needs, and the verdict against a host's facts.
@Suite struct BuildCheckTests {
    static let config = """
        name = "web"
        type = "pv"
        kernel = "/boot/vmlinuz"
        ramdisk = "/boot/initrd"
        memory = 512
        vcpus = 4
        disk = [ 'phy:/dev/vg/web,xvda,w', '/srv/web-data.img,raw,xvdb,w', 'format=raw,vdev=xvdc,script=block-drbd,target=drbd-web', ',raw,hdc,cdrom' ]
        vif = [ 'bridge=br-lan', '', 'script=vif-openvswitch,bridge=ovs0', 'backend=netvm' ]

        """

    static func needs() throws -> HostNeeds {
        try DomainConfiguration.parse(text: config, source: "web.cfg", options: .init(checkFiles: false)).hostNeeds
    }

    @Test func whatTheConfigNeeds() throws {
        let needs = try Self.needs()
        #expect(needs.files == [.init(key: "kernel", path: "/boot/vmlinuz"), .init(key: "ramdisk", path: "/boot/initrd")])
        // The DRBD disk has its own script and the CD drive is empty: neither is dom0's file.
        #expect(needs.disks == [.init(vdev: "xvda", path: "/dev/vg/web"), .init(vdev: "xvdb", path: "/srv/web-data.img")])
        // Open vSwitch's script and a driver domain's vif are not dom0 bridges.
        #expect(needs.bridges == [.init(index: 0, bridge: "br-lan"), .init(index: 1, bridge: "xenbr0")])
        #expect(needs.maxVCPUs == 4 && needs.pool == nil)
    }

    static func facts(free: UInt64 = 4096, ballooning: Bool = false, dom0: UInt64 = 1024, poolCPUs: Int? = 8,
                      missing: Set<String> = [], bridges: Set<String> = ["br-lan", "xenbr0"]) -> HostFacts {
        HostFacts(existingDomain: nil, need: .mebibytes(530), free: .mebibytes(free), dom0Target: .mebibytes(dom0),
                  ballooning: ballooning, poolCPUs: poolCPUs,
                  fileProblem: { path in missing.contains(path) ? "does not exist" : nil },
                  bridgeExists: { bridges.contains($0) })
    }

    @Test func aFittingConfig() throws {
        let check = BuildCheck.evaluate(try Self.needs(), facts: Self.facts(), name: "web", source: "web.cfg")
        #expect(check.fits && check.findings.isEmpty && check.error == nil)
        #expect(check.memory == .init(need: .mebibytes(530), free: .mebibytes(4096), dom0CanGive: .kibibytes(0), ballooning: false))
    }

    /// The build takes a verdict's name lookup and need as its own only for the config it
    /// judged, and only when it fits.
    @Test func aVerdictStandsOnlyForItsOwnFittingConfig() throws {
        func stands(_ check: BuildCheck, _ name: String, _ source: String) throws -> Bool {
            let config = try DomainConfiguration.parse(text: Self.config.replacingOccurrences(of: "name = \"web\"", with: "name = \"\(name)\""),
                                                       source: source, options: .init(checkFiles: false))
            return check.standsFor(config)
        }
        let check = BuildCheck.evaluate(try Self.needs(), facts: Self.facts(), name: "web", source: "web.cfg")
        let (own, otherName, otherFile) = (try stands(check, "web", "web.cfg"), try stands(check, "db", "web.cfg"), try stands(check, "web", "other.cfg"))
        #expect(own && !otherName && !otherFile)
        var taken = Self.facts()
        taken.existingDomain = DomainID(7)
        let refused = try stands(BuildCheck.evaluate(try Self.needs(), facts: taken, name: "web", source: "web.cfg"), "web", "web.cfg")
        #expect(!refused)
        // A warning (more vCPUs than the pool has CPUs) does not stop a build, nor the verdict.
        let warned = BuildCheck.evaluate(try Self.needs(), facts: Self.facts(poolCPUs: 2), name: "web", source: "web.cfg")
        let warnedStands = try stands(warned, "web", "web.cfg")
        #expect(warned.findings.map(\.severity) == [.warning] && warnedStands)
    }

    /// Each planted problem is found, all in one pass, and create's error lists them all.
    @Test func everyProblemAtOnce() throws {
        var facts = Self.facts(free: 300, poolCPUs: 2, missing: ["/dev/vg/web", "/boot/initrd"], bridges: ["xenbr0"])
        facts.existingDomain = DomainID(7)
        let check = BuildCheck.evaluate(try Self.needs(), facts: facts, name: "web", source: "web.cfg")
        #expect(!check.fits)
        #expect(check.findings.map(\.subject) == ["name", "memory", "vcpus", "ramdisk", "disk xvda", "vif 0"])
        #expect(check.findings.first { $0.subject == "vcpus" }?.severity == .warning)
        #expect(check.findings.first { $0.subject == "memory" }?.message == "the domain needs 530 MiB and the host has 300 MiB free; autoballoon is off, so dom0 gives none")
        #expect(check.findings.first { $0.subject == "vif 0" }?.message.hasPrefix("bridge br-lan does not exist") == true)
        let error = try #require(check.error)
        #expect(error.code == .alreadyExists)
        #expect(error.message.hasPrefix("web.cfg: domain 'web' does not fit this host: name: a domain named 'web' already exists (id 7)"))
        for subject in ["memory:", "ramdisk: /boot/initrd does not exist", "disk xvda: /dev/vg/web does not exist", "vif 0: bridge br-lan"] {
            #expect(error.hint?.contains(subject) == true, "\(subject): \(error)")
        }
        #expect(error.hint?.contains("vcpus") == false)   // a warning does not stop a create
    }

    /// With autoballoon, what dom0 could give counts, down to libxl's 128 MiB floor.
    @Test(arguments: [(UInt64(1024), true), (UInt64(400), false)])
    func dom0sShareCounts(dom0: UInt64, fits: Bool) throws {
        let check = BuildCheck.evaluate(try Self.needs(), facts: Self.facts(free: 200, ballooning: true, dom0: dom0),
                                        name: "web", source: "web.cfg")
        #expect(check.fits == fits, "\(check.findings)")
        #expect(check.memory?.dom0CanGive == .mebibytes(dom0 - 128))
        if !fits {
            #expect(check.findings.first?.message == "the domain needs 530 MiB; the host has 200 MiB free and dom0 could give 272 MiB more")
        }
    }

    @Test func aPoolThatDoesNotExist() throws {
        var needs = try Self.needs()
        needs.pool = "batch"
        let check = BuildCheck.evaluate(needs, facts: Self.facts(poolCPUs: nil), name: "web", source: "web.cfg")
        #expect(check.findings == [.init(severity: .error, subject: "pool", message: "there is no CPU pool named 'batch' (xk cpupool-list shows them)")])
    }

    @Test func aBridgeNameCannotLeaveSysfs() {
        #expect(!XenContext.bridgeExists("../../../tmp"))
        #expect(XenContext.fileProblem("/nonexistent/x") == "does not exist")
        #expect(XenContext.fileProblem("/tmp") == "is a directory")
        #expect(XenContext.fileProblem("/dev/null") == nil)
    }
}
