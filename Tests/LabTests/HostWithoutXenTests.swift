import Foundation
import Testing

/// On a machine that is not a Xen host, every command that needs the hypervisor fails with
/// one clear line and a non-zero status: no crash, no libxl log.
@Suite(.enabled(if: Lab.isPlainHost, "this machine runs Xen"))
struct HostWithoutXenTests {
    @Test(arguments: [["info"], ["list"], ["list", "--json"], ["info", "xen_version"]])
    func commandsFailWithOneClearLine(arguments: [String]) throws {
        let output = try Lab.run(Lab.xk, arguments)
        #expect(output.status == 1, "\(output)")
        #expect(output.stdout.isEmpty, "\(output)")
        let lines = output.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(output)")
        #expect(output.stderr.hasPrefix("xk: this host is not running Xen"), "\(output)")
    }

    @Test func verboseShowsLibxlsOwnWords() throws {
        let output = try Lab.run(Lab.xk, ["-v", "info"])
        #expect(output.status == 1)
        #expect(output.stderr.contains("cannot open libxc handle"), "\(output)")
    }

    @Test func helpNeedsNoHypervisor() throws {
        let output = try Lab.run(Lab.xk, ["list", "--help"])
        #expect(output.status == 0, "\(output)")
        #expect(output.stdout.contains("USAGE: xk list"))
    }
}
