import Foundation
import Testing

/// Issue 15's package on the real hypervisor: Scripts/package's .deb (XK_DEB) installed with
/// dpkg into the lab's dom0 (Debian 12's own root, with its Xen 4.17 libraries), xk from PATH
/// against xl, the manual pages and completions where man and the shells look, the service
/// unit, then dpkg -r and -P leaving nothing behind. dom0's root is an overlay: nothing here
/// reaches the machine the lab runs on.
@Suite(.serialized, .enabled(if: Lab.isXenHost && ProcessInfo.processInfo.environment["XK_DEB"] != nil,
                             "needs the lab's dom0 and Scripts/package's .deb in XK_DEB"))
struct PackageLabTests {
    static let deb = ProcessInfo.processInfo.environment["XK_DEB"] ?? ""
    static let files = ["/usr/sbin/xk", "/usr/share/man/man1/xk.1.gz", "/usr/share/man/man1/xk-create.1.gz",
                        "/usr/share/bash-completion/completions/xk", "/usr/share/zsh/vendor-completions/_xk",
                        "/usr/share/fish/vendor_completions.d/xk.fish", "/lib/systemd/system/xenkit.service",
                        "/usr/share/doc/xenkit/copyright"]

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    @Test func installsRunsAndRemovesCleanly() throws {
        // man-db's dpkg trigger rebuilds its whole index, minutes over the lab's 9p root under
        // TCG; man -w and man read the pages without it. Off in dom0's overlay only, as
        // debconf's man-db/auto-update=false does.
        _ = try? FileManager.default.removeItem(atPath: "/var/lib/man-db/auto-update")
        _ = try? Lab.run("dpkg", ["-P", "xenkit"], timeout: 120)
        defer { _ = try? Lab.run("dpkg", ["-P", "xenkit"], timeout: 120) }
        let install = try Lab.run("dpkg", ["-i", Self.deb], timeout: 300)
        #expect(install.status == 0, "\(install)")
        for file in Self.files { #expect(Self.exists(file), "\(file) not installed") }

        // xk from PATH: the stripped release binary, its Swift runtime linked in, against
        // Debian's Xen libraries; what it lists is what xl lists.
        let version = Lab.must(try Lab.run("sh", ["-c", "command -v xk && xk --version"])).stdout
        #expect(version == "/usr/sbin/xk\n0.1.0\n", "\(version)")
        let list = Lab.must(try Lab.run("sh", ["-c", "xk list"]))
        let xlList = Lab.must(try Lab.xl("list"))
        #expect(ListRow.rows(list).map { [$0.name, "\($0.id)", "\($0.mem)", "\($0.vcpus)"] }
                == ListRow.rows(xlList).map { [$0.name, "\($0.id)", "\($0.mem)", "\($0.vcpus)"] }, "\(list.stdout)\n\(xlList.stdout)")
        #expect(list.stdout.split(separator: "\n").first == xlList.stdout.split(separator: "\n").first)
        #expect(Lab.must(try Lab.run("sh", ["-c", "xk info xen_version"])).stdout.hasPrefix("4.17"))
        let ldd = Lab.must(try Lab.run("ldd", ["/usr/sbin/xk"])).stdout
        #expect(!ldd.contains("libswift") && !ldd.contains("not found"), "\(ldd)")

        // man finds the pages by the names an operator types; one renders.
        for (name, page) in [("xk", "/usr/share/man/man1/xk.1.gz"), ("xk-create", "/usr/share/man/man1/xk-create.1.gz"),
                             ("xk-migrate", "/usr/share/man/man1/xk-migrate.1.gz")] {
            #expect(Lab.must(try Lab.run("man", ["-w", name])).stdout == page + "\n", "man -w \(name)")
        }
        let rendered = Lab.must(try Lab.run("sh", ["-c", "MANWIDTH=100 man xk-create 2>/dev/null | col -b"])).stdout
        #expect(rendered.contains("--check") && rendered.contains("Build nothing"), "\(rendered.prefix(600))")
        // bash-completion's loader finds the file by the command's name and it completes xk.
        let complete = Lab.must(try Lab.run("bash", ["-c", ". /usr/share/bash-completion/completions/xk && complete -p xk"])).stdout
        #expect(complete.hasPrefix("complete ") && complete.hasSuffix(" xk\n"), "\(complete)")
        let unit = try String(contentsOfFile: "/lib/systemd/system/xenkit.service", encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/sbin/xk daemon") && unit.contains("KillMode=process"), "\(unit)")

        // Removed: the program, pages and completions go, the logrotate conffile stays until
        // purged; purged: nothing of it is left.
        Lab.must(try Lab.run("dpkg", ["-r", "xenkit"], timeout: 120))
        for file in Self.files { #expect(!Self.exists(file), "\(file) left after dpkg -r") }
        #expect(Self.exists("/etc/logrotate.d/xenkit"))
        Lab.must(try Lab.run("dpkg", ["-P", "xenkit"], timeout: 120))
        #expect(!Self.exists("/etc/logrotate.d/xenkit") && !Self.exists("/var/lib/xenkit"))
        #expect(try Lab.run("dpkg", ["-s", "xenkit"]).status != 0)
    }
}
