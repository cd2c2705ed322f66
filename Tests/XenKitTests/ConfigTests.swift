import Testing
@testable import XenKit

@Suite struct ConfigScannerTests {
    @Test func findsKeysLinesAndKinds() {
        let text = """
            # a comment = not a key
            name = "web"   # trailing comment
            memory = 512; vcpus=2
            disk = [ 'phy:/dev/vg/web,xvda,w',
                     "file:/x,xvdb,r" ]
            extra += "quiet"
            cpus = ["0-1", [ "2" ]]
            """
        let statements = ConfigScanner.statements(in: text)
        #expect(statements.map(\.key) == ["name", "memory", "vcpus", "disk", "extra", "cpus"])
        #expect(statements.map(\.line) == [2, 3, 3, 4, 6, 7])
        #expect(statements.map(\.kind) == [.string, .number, .number, .list, .string, .list])
        #expect(statements.map(\.isAddition) == [false, false, false, false, true, false])
    }

    @Test func quotesHideEverythingInside() {
        let text = "extra = 'a = b # c'\nroot = \"x\\\"y = z\"\n"
        let statements = ConfigScanner.statements(in: text)
        #expect(statements.map(\.key) == ["extra", "root"])
        #expect(statements.map(\.line) == [1, 2])
    }
}

@Suite struct ConfigKeyTests {
    @Test func suggestsTheNearestKey() {
        #expect(ConfigKeys.nearest(to: "memroy") == "memory")
        #expect(ConfigKeys.nearest(to: "maxvcpu") == "maxvcpus")
        #expect(ConfigKeys.nearest(to: "on_reboto") == "on_reboot")
        #expect(ConfigKeys.nearest(to: "completely_different") == nil)
    }

    @Test func everyMappedKeyIsAnXlKey() {
        #expect(ConfigKeys.mapped.isSubset(of: ConfigKeys.known))
    }
}

@Suite struct ConfigMappingTests {
    let base = "name = \"t\"\nkernel = \"/k\"\n"

    func parse(_ text: String, overrides: [String] = [], strict: Bool = false) throws(XenError) -> DomainConfiguration {
        try DomainConfiguration.parse(
            text: text, source: "t.cfg",
            options: .init(overrides: overrides, strict: strict, checkFiles: false))
    }

    func error(_ text: String, overrides: [String] = [], strict: Bool = false) -> XenError? {
        do {
            _ = try parse(text, overrides: overrides, strict: strict)
            return nil
        } catch {
            return error
        }
    }

    @Test func minimalPVConfig() throws {
        let config = try parse(base + "memory = 128\nvcpus = 2\n")
        #expect(config.name == "t")
        #expect(config.type == .pv)
        let json = try config.json()
        #expect(json.contains("\"target_memkb\": 131072"))
        #expect(json.contains("\"max_memkb\": 131072"))
        #expect(json.contains("\"max_vcpus\": 2"))
        #expect(json.contains("\"claim_mode\": \"True\""))
        #expect(json.contains("\"on_reboot\": \"restart\""))
    }

    @Test func typePrefixesAreAcceptedAsXlDoes() throws {
        #expect(try parse(base + "type = \"pvh\"\n").type == .pvh)
        #expect(try parse(base + "type = \"h\"\n").type == .hvm)
        #expect(try parse(base + "builder = \"hvm\"\n").type == .hvm)
        #expect(error(base + "type = \"xen\"\n")?.description.contains("t.cfg:3: type: unknown domain type") == true)
        #expect(error(base + "type = \"pv\"\nbuilder = \"hvm\"\n")?.description.contains("contradicts") == true)
    }

    @Test func cmdlineFromRootAndExtra() throws {
        #expect(try parse(base + "root = \"/dev/xvda1\"\nextra = \"quiet\"\n").json().contains("\"cmdline\": \"root=/dev/xvda1 quiet\""))
        #expect(try parse(base + "root = \"/dev/xvda1\"\n").json().contains("\"cmdline\": \"root=/dev/xvda1\""))
        let both = try parse(base + "cmdline = \"a\"\nextra = \"b\"\n")
        #expect(try both.json().contains("\"cmdline\": \"a\""))
        #expect(both.warnings.count == 1)
    }

    @Test func overridesWinAndAreNamedInErrors() throws {
        let config = try parse(base + "memory = 128\n", overrides: ["memory=256", "name=\"u\""])
        #expect(config.name == "u")
        #expect(try config.json().contains("\"target_memkb\": 262144"))
        let bad = error(base, overrides: ["vcpus=lots"])
        #expect(bad?.description == "command line override 'vcpus=lots': config parsing error near `lots': syntax error, unexpected IDENT, expecting STRING or NUMBER or '['")
        let wrongType = error(base, overrides: ["memory=\"lots\""])
        #expect(wrongType?.description == "command line override 'memory=\"lots\"': memory: expected a number, got \"lots\"")
    }

    @Test(arguments: [
        ("memory = \"abc\"\n", "t.cfg:3: memory: expected a number, got \"abc\""),
        ("memory = [1]\n", "t.cfg:3: memory: expected a single value, got a list"),
        ("memory = 0\n", "t.cfg:3: memory: 0 is out of range (1...16777216)"),
        ("memory = 99999999999999999999\n", "t.cfg:3: memory: expected a number, got \"99999999999999999999\""),
        ("vcpus = 4\nmaxvcpus = 2\n", "t.cfg:4: maxvcpus: 2 is less than vcpus = 4"),
        ("memory = 512\nmaxmem = 256\n", "t.cfg:4: maxmem: 256 MiB is less than memory = 512 MiB"),
        ("on_crash = \"explode\"\n", "t.cfg:3: on_crash: unknown action \"explode\""),
        ("uuid = \"nope\"\n", "t.cfg:3: uuid: \"nope\" is not a UUID"),
        ("vnuma = [ [ 'pnode=0' ] ]\n", "t.cfg:3: vnuma: node 0 has no size="),
        ("vnuma = [ [ 'pnode=9', 'size=512', 'vcpus=0' ] ]\n", "t.cfg:3: vnuma: item 1 \"pnode=9\": the host has no NUMA node 9"),
        ("vsnd = [ [ 'CARD, short-name=x', 'BOGUS' ] ]\n", "t.cfg:3: vsnd: item 1 \"BOGUS\": starts with 'bogus'"),
        ("gic_version = \"v3\"\n", "t.cfg:3: 'gic_version' is a valid xl key that xk does not handle yet"),
        ("disk = [ 'phy:/dev/x,xvda,w', 'target=/a,vdev=xvdb,bogus=1' ]\n", "t.cfg:3: disk: item 2 \"target=/a,vdev=xvdb,bogus=1\": "),
        ("vif = [ 'mac=00:16:3e:zz:00:01' ]\n", "t.cfg:3: vif: item 1 \"mac=00:16:3e:zz:00:01\": mac=00:16:3e:zz:00:01 is not a MAC address"),
        ("vif = [ 'bridge=xenbr0,colour=blue' ]\n", "t.cfg:3: vif: item 1 \"bridge=xenbr0,colour=blue\": unrecognized option 'colour'"),
        ("pci = [ '0000:zz:00.0' ]\n", "t.cfg:3: pci: item 1 \"0000:zz:00.0\": "),
        ("channel = [ 'name=org.qemu.guest_agent.0' ]\n", "t.cfg:3: channel: item 1 \"name=org.qemu.guest_agent.0\": connection= is required"),
        ("p9 = [ 'tag=share,path=/srv' ]\n", "t.cfg:3: p9: item 1 \"tag=share,path=/srv\": tag=, path= and security_model= are all required"),
        ("cpus = \"0-x\"\n", "t.cfg:3: cpus: invalid CPU range \"0-x\""),
        ("cpus = \"^all\"\n", "t.cfg:3: cpus: \"^all\" is not allowed"),
        ("timer_mode = \"no_delay_for_missed_ticks\"\n", "t.cfg:3: timer_mode: not supported for PV guests"),
        ("vtpm = [ 'uuid=nope' ]\n", "t.cfg:3: vtpm: item 1 \"uuid=nope\": \"nope\" is not a UUID"),
    ])
    func badValuesNameFileLineAndKey(line: String, message: String) {
        let error = error(base + line)
        #expect(error?.code == .invalidConfig)
        #expect(error?.description.hasPrefix(message) == true, "\(String(describing: error))")
    }

    /// Xen refuses more than 32 vNUMA nodes (their distance table must fit one page, XSA-77):
    /// xk says so before it allocates anything for a list of any length.
    @Test func vnumaListsOfAnySizeAreRefusedClearly() {
        func nodes(_ count: Int, size: Int = 1) -> String {
            "vnuma = [ " + (0..<count).map { "[ 'pnode=0', 'size=\(size)', 'vcpus=\($0)' ]" }.joined(separator: ", ") + " ]\n"
        }
        #expect(error(base + "maxvcpus = 32\n" + nodes(32)) == nil)
        for count in [33, 5000] {
            // 5000 vCPUs would be refused as maxvcpus: then the host's CPUs limit them.
            let error = error(base + (count <= 4096 ? "maxvcpus = \(count)\n" : "# no maxvcpus\n") + nodes(count))
            #expect(error?.code == .invalidConfig)
            #expect(error?.description.hasPrefix("t.cfg:4: vnuma: \(count) nodes; Xen allows at most 32") == true,
                    "\(String(describing: error))")
        }
        // 32 nodes of 16 TiB each: each is allowed, their sum is not.
        let total = error(base + "maxvcpus = 32\n" + nodes(32, size: ConfigMapper.maxMiB))
        #expect(total?.description.hasPrefix("t.cfg:4: vnuma: its nodes have \(32 * ConfigMapper.maxMiB) MiB") == true,
                "\(String(describing: total))")
        #expect(error(base + "vnuma = [ [ 'pnode=0', 'size=99999999999999999999999', 'vcpus=0' ] ]\n")?.code == .invalidConfig)
        #expect(error(base + "vnuma = [ [ 'pnode=0', 'size=1', 'vcpus=0-99999999999999999999' ] ]\n")?.code == .invalidConfig)
    }

    @Test func missingNameAndKernel() {
        #expect(error("kernel = \"/k\"\n")?.description.hasPrefix("t.cfg: the domain has no name") == true)
        #expect(error("name = \"t\"\n")?.description.hasPrefix("t.cfg: neither kernel nor bootloader") == true)
        #expect((try? parse("name = \"t\"\nbootloader = \"pygrub\"\n")) != nil)
    }

    @Test func unknownKeysWarnOrFailWhenStrict() throws {
        let config = try parse(base + "memroy = 128\n")
        #expect(config.warnings == ["t.cfg:3: unknown key 'memroy', did you mean 'memory'? (ignored, as xl does)"])
        #expect(error(base + "memroy = 128\n", strict: true)?.description.hasPrefix("t.cfg:3: unknown key 'memroy'") == true)
    }

    @Test func syntaxErrorsCarryLibxlutilsFileAndLine() {
        let error = error(base + "memory = [1,\n\nvcpus = 2\n")
        #expect(error?.code == .invalidConfig)
        #expect(error?.description.hasPrefix("t.cfg:5:") == true, "\(String(describing: error))")
    }

    @Test func cpuidProblemsSayWhatLibxlFound() {
        // libxl's parsers return a code; the message is xl's for it, and the flag or item.
        let hvm = "name = \"t\"\ntype = \"hvm\"\n"
        #expect(error(hvm + "cpuid = \"host,bogusflag=1\"\n")?.description.contains("\"bogusflag=1\": unknown CPUID flag name") == true)
        #expect(error(hvm + "cpuid = \"host,aes\"\n")?.description.contains("\"aes\": missing \"=\" in key=value") == true)
        #expect(error(hvm + "cpuid = \"host,aes=q\"\n")?.description.contains("illegal CPUID value") == true)
        #expect(error(hvm + "cpuid = [ \"1:ecx=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" ]\n")?.description.contains("exactly 32 characters") == true)
        #expect(error(hvm + "cpuid = [ \"1:exx=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" ]\n")?.description.contains("invalid register name") == true)
        #expect(error(hvm + "cpuid = \"host,aes=0\"\n") == nil)
    }

    @Test func kernelMustExistWhenChecked() {
        #expect(throws: XenError.self) {
            _ = try DomainConfiguration.parse(text: "name=\"t\"\nkernel=\"/no/such/kernel\"\n", source: "t.cfg")
        }
    }
}
