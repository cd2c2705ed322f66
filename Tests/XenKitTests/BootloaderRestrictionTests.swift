import Testing
@testable import XenKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Review finding 16: the XSA-443 bootloader restriction, read from xl.conf and handed to
/// libxl 4.17 through the two variables it reads (LIBXL_BOOTLOADER_RESTRICT, _USER).
@Suite struct BootloaderRestrictionTests {
    /// Debian's /etc/xen/xl.conf keys (as shipped, uncommented), which the reader must leave alone.
    static let debianKeys = """
        autoballoon="auto"
        run_hotplug_scripts=1
        lockfile="/var/lock/xl"
        vif.default.script="vif-bridge"
        vif.default.bridge="xenbr0"
        blkdev_start="xvda"
        claim_mode=1
        max_grant_frames=64
        """

    static func parse(_ text: String) throws(XenError) -> BootloaderRestriction {
        try BootloaderRestriction.parse(text: text, source: "/etc/xen/xl.conf")
    }

    static func environment(_ text: String, current: [String: String] = [:]) throws(XenError) -> [String: String] {
        try parse(text).environment(current: { current[$0] })
    }

    @Test func withoutTheKeysTheBootloaderRunsAsXlRunsIt() throws {
        #expect(try Self.parse(Self.debianKeys) == BootloaderRestriction())
        #expect(try Self.environment(Self.debianKeys).isEmpty)
        #expect(try Self.environment("").isEmpty)
    }

    @Test func restrictOneSetsTheVariable() throws {
        #expect(try Self.environment(Self.debianKeys + "\nbootloader_restrict=1\n") == ["LIBXL_BOOTLOADER_RESTRICT": "1"])
    }

    /// libxl 4.17 restricts when either variable is set, whatever its value: 0 sets none.
    @Test func restrictZeroSetsNothingEvenWithAUser() throws {
        #expect(try Self.parse("bootloader_restrict = 0").restrict == false)
        #expect(try Self.environment("bootloader_restrict = 0").isEmpty)
        #expect(try Self.environment("bootloader_restrict = 0\nbootloader_user = \"xen-bootloader\"").isEmpty)
    }

    @Test func aUserAloneImpliesTheRestriction() throws {
        #expect(try Self.environment("bootloader_user = \"xen-bootloader\"") == ["LIBXL_BOOTLOADER_USER": "xen-bootloader"])
        #expect(try Self.environment("bootloader_restrict = 1\nbootloader_user = \"xen-bootloader\"")
                == ["LIBXL_BOOTLOADER_RESTRICT": "1", "LIBXL_BOOTLOADER_USER": "xen-bootloader"])
    }

    @Test func theLastAssignmentWins() throws {
        #expect(try Self.parse("bootloader_restrict = 1\nbootloader_restrict = 0").restrict == false)
    }

    /// As libxl 4.18 lets the environment win over the config; in 4.17 it is all libxl reads.
    @Test func aVariableAlreadySetWins() throws {
        #expect(try Self.environment("bootloader_restrict = 1\nbootloader_user = \"bl\"",
                                     current: ["LIBXL_BOOTLOADER_USER": "other"]).isEmpty)
        #expect(try Self.environment("bootloader_restrict = 1", current: ["LIBXL_BOOTLOADER_RESTRICT": "0"]).isEmpty)
        #expect(try Self.environment("bootloader_restrict = 1", current: ["LIBXL_BOOTLOADER_TIMEOUT": "30"])
                == ["LIBXL_BOOTLOADER_RESTRICT": "1"])
    }

    @Test(arguments: [
        ("bootloader_restrict = \"yes\"", "expected a number, got \"yes\""),
        ("bootloader_restrict = 2", "expected 0 or 1, got 2"),
        ("bootloader_restrict = [ 1 ]", "expected a single value"),
        ("bootloader_user = \"root\"", "must not run as root"),
        ("bootloader_user = \"\"", "empty"),
        ("bootloader_user = \"bad user\"", "is not a user name"),
        ("bootloader_user = \"-x\"", "is not a user name"),
        ("bootloader_user = [ \"a\", \"b\" ]", "expected a single value"),
    ])
    func aBadValueNamesFileLineAndKey(line: String, problem: String) {
        let text = Self.debianKeys + "\n# restriction\n" + line + "\n"
        let lineNumber = text.split(separator: "\n", omittingEmptySubsequences: false).count - 1
        let error = #expect(throws: XenError.self) { try Self.parse(text) }
        let key = String(line.prefix { $0 != " " })
        #expect(error?.code == .invalidConfig)
        #expect(error?.message.hasPrefix("/etc/xen/xl.conf:\(lineNumber): \(key): ") == true, "\(String(describing: error?.message))")
        #expect(error?.message.contains(problem) == true, "\(String(describing: error?.message))")
    }

    @Test func aSyntaxErrorNamesFileAndLine() {
        let error = #expect(throws: XenError.self) { try Self.parse("claim_mode=1\nbootloader_restrict = = 1\n") }
        #expect(error?.message.hasPrefix("/etc/xen/xl.conf:2") == true, "\(String(describing: error?.message))")
    }

    static func scratchFile(_ text: String) throws -> String {
        var template = Array("/tmp/xenkit-xlconf-XXXXXX".utf8CString)
        let folder = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        try writeFileAtomically(folder + "/xl.conf", text)
        return folder + "/xl.conf"
    }

    @Test func aHostWithoutXlConfHasNoRestriction() throws {
        #expect(try BootloaderRestriction.load(path: "/nonexistent/xen/xl.conf") == BootloaderRestriction())
    }

    @Test func applyingSetsTheVariablesFromTheFile() throws {
        let path = try Self.scratchFile(Self.debianKeys + "\nbootloader_restrict=1\nbootloader_user=\"xen-bootloader\"\n")
        var environment = ["PATH": "/usr/bin"]
        let set = try BootloaderRestriction.apply(path: path, get: { environment[$0] }, set: { environment[$0] = $1 })
        #expect(set.count == 2)
        #expect(environment == ["PATH": "/usr/bin", "LIBXL_BOOTLOADER_RESTRICT": "1", "LIBXL_BOOTLOADER_USER": "xen-bootloader"])
    }

    @Test func theLogLineSaysWhatWasSet() {
        let line = BootloaderRestriction.describe(["LIBXL_BOOTLOADER_USER": "xen-bootloader"])
        #expect(line.contains("restricted") && line.contains("LIBXL_BOOTLOADER_USER=xen-bootloader"), "\(line)")
        #expect(BootloaderRestriction.describe([:]).contains("unrestricted unless"))
    }

    @Test func aBadFileSetsNothing() throws {
        let path = try Self.scratchFile("bootloader_restrict=1\nbootloader_user=\"root\"\n")
        var environment: [String: String] = [:]
        #expect(throws: XenError.self) {
            try BootloaderRestriction.apply(path: path, get: { environment[$0] }, set: { environment[$0] = $1 })
        }
        #expect(environment.isEmpty)
    }
}
