import Foundation
import Testing

/// Ballooning and vCPU hot-plug on the real hypervisor: the guest's own view (its console's
/// MemTotal and CPU count) changes, and xl agrees with xk.
@Suite(.serialized, .enabled(if: Lab.isXenHost, "needs the lab's dom0 (Scripts/lab/run)"))
struct ResourcesLabTests {
    typealias Life = LifecycleLabTests

    /// The guest's last reported value of `field` (memtotal_kb, cpus) on its console.
    static func lastReport(_ name: String, _ field: String) -> Int? {
        // The console ends lines with "\r\n", which Swift reads as one Character: split on any newline.
        let lines = Life.console(name).split(whereSeparator: \.isNewline).filter { $0.hasPrefix("XENKIT-GUEST uptime=") }
        guard let line = lines.last,
              let part = line.split(separator: " ").first(where: { $0.hasPrefix(field + "=") }) else { return nil }
        return Int(part.dropFirst(field.count + 1))
    }

    static func startGuest() throws {
        Life.cleanUp("lab-pv")
        Lab.must(try Lab.run(Lab.xk, ["create", "-q", Lab.domainConfigs + "/lab-pv.cfg"], timeout: 180))
        #expect(Life.eventually(60) { lastReport("lab-pv", "memtotal_kb") != nil }, "console: \(Life.console("lab-pv"))")
    }

    static func xlMem(_ name: String) throws -> Int? {
        ListRow.rows(try Lab.xl("list", name)).first?.mem
    }

    @Test func memSetShrinksAndGrowsTheGuest() throws {
        try Self.startGuest()
        defer { Life.cleanUp("lab-pv") }
        let before = try #require(Self.lastReport("lab-pv", "memtotal_kb"))

        let shrink = try Lab.run(Lab.xk, ["mem-set", "--wait", "--timeout", "60", "lab-pv", "96m"], timeout: 90)
        #expect(shrink.status == 0, "\(shrink)")
        #expect(shrink.stderr.contains("reached"), "\(shrink)")
        #expect(try Self.xlMem("lab-pv") == 96)
        #expect(Life.eventually(15) { (Self.lastReport("lab-pv", "memtotal_kb") ?? .max) < before - 16 * 1024 },
                "the guest's MemTotal did not shrink from \(before): \(Life.console("lab-pv"))")
        let shrunk = Self.lastReport("lab-pv", "memtotal_kb") ?? 0

        let grow = try Lab.run(Lab.xk, ["mem-set", "--wait", "--json", "lab-pv", "192m"], timeout: 90)
        #expect(grow.status == 0, "\(grow)")
        let outcome = try Lab.json(grow.stdout) as? [String: Any]
        #expect(outcome?["result"] as? String == "converged", "\(grow)")
        #expect(try Self.xlMem("lab-pv") == 192)
        #expect(Life.eventually(15) { (Self.lastReport("lab-pv", "memtotal_kb") ?? 0) > shrunk + 64 * 1024 },
                "the guest's MemTotal did not grow from \(shrunk): \(Life.console("lab-pv"))")
    }

    @Test func badMemoryRequestsAreRefused() throws {
        try Self.startGuest()
        defer { Life.cleanUp("lab-pv") }
        let above = try Lab.xk("mem-set", "lab-pv", "1g")
        #expect(above.status == 1 && above.stderr.contains("its maximum is"), "\(above)")
        let floor = try Lab.xk("mem-set", "lab-pv", "8m")
        #expect(floor.status == 1 && floor.stderr.contains("below 32 MiB"), "\(floor)")
        let junk = try Lab.xk("mem-set", "lab-pv", "lots")
        #expect(junk.status == 1 && junk.stderr.contains("invalid memory size: 'lots'"), "\(junk)")
        let unknown = try Lab.xk("mem-set", "no-such-domain", "128m")
        #expect(unknown.stderr == "xk: domain 'no-such-domain' does not exist\n", "\(unknown)")
        #expect(try Self.xlMem("lab-pv") == 128)

        Lab.must(try Lab.xk("mem-max", "lab-pv", "512m"))
        let list = try Lab.items(Lab.must(try Lab.xk("list", "--json", "lab-pv")).stdout, "domains")
        #expect((list?.first?["max_kib"] as? Int ?? 0) >= 512 * 1024, "\(String(describing: list))")
        let belowTarget = try Lab.xk("mem-max", "lab-pv", "64m")
        #expect(belowTarget.status == 1 && belowTarget.stderr.contains("its target is"), "\(belowTarget)")
    }

    /// dom0 is a domain like the others, within its own limits; vcpu-list --json agrees with
    /// the table.
    @Test func dom0LimitsAndVCPUJSON() throws {
        let above = try Lab.xk("mem-set", "0", "4g")
        // xk refuses it against dom0's memory/static-max once that node exists (libxl writes it
        // at dom0's first mem-set); before, libxl refuses it against static_max itself.
        #expect(above.status == 1 && above.stderr.contains("Domain-0")
                && (above.stderr.contains("static_max") || above.stderr.contains("its maximum is")), "\(above)")
        let floor = try Lab.xk("mem-set", "0", "16m")
        #expect(floor.status == 1 && floor.stderr.contains("below 32 MiB"), "\(floor)")
        // dom0's maxvcpus is what the lab gives it (one vCPU: see Scripts/lab/run).
        let table = Lab.must(try Lab.xl("vcpu-list", "0")).lines.dropFirst()
        let vcpus = try Lab.xk("vcpu-set", "0", "\(table.count + 1)")
        #expect(vcpus.status == 1 && vcpus.stderr.contains("at most \(table.count) vCPUs"), "\(vcpus)")
        let json = try Lab.items(Lab.must(try Lab.xk("vcpu-list", "--json", "0")).stdout, "vcpus")
        #expect(json?.count == table.count)
        #expect(json?.map { $0["vcpu"] as? Int } == Array(0..<table.count).map { Optional($0) })
        #expect(json?.allSatisfy { $0["name"] as? String == "Domain-0" && $0["online"] as? Bool == true } == true)
    }

    /// A guest that cannot follow (here: paused, so its balloon driver never runs) is reported
    /// as stalled, with the figure it stalled at, instead of hanging.
    @Test func aGuestThatDoesNotFollowIsStalled() throws {
        try Self.startGuest()
        defer { Life.cleanUp("lab-pv") }
        Lab.must(try Lab.xk("pause", "lab-pv"))
        let output = try Lab.run(Lab.xk, ["mem-set", "--wait", "--stall", "3", "--timeout", "30", "lab-pv", "100m"], timeout: 60)
        #expect(output.status == 1, "\(output)")
        #expect(output.stderr.contains("stalled at 12"), "\(output)")
    }

    @Test func vcpuSetChangesTheGuestsCPUCount() throws {
        try Self.startGuest()
        defer { Life.cleanUp("lab-pv") }
        #expect(Self.lastReport("lab-pv", "cpus") == 1)
        let up = try Lab.run(Lab.xk, ["vcpu-set", "--wait", "lab-pv", "2"], timeout: 90)
        #expect(up.status == 0, "\(up)")
        #expect(Life.eventually(20) { Self.lastReport("lab-pv", "cpus") == 2 }, "console: \(Life.console("lab-pv"))")
        #expect(ListRow.rows(try Lab.xl("list", "lab-pv")).first?.vcpus == 2)
        try Self.compareVCPULists()

        let down = try Lab.run(Lab.xk, ["vcpu-set", "--wait", "lab-pv", "1"], timeout: 90)
        #expect(down.status == 0, "\(down)")
        #expect(Life.eventually(20) { Self.lastReport("lab-pv", "cpus") == 1 }, "console: \(Life.console("lab-pv"))")

        let tooMany = try Lab.xk("vcpu-set", "lab-pv", "3")
        #expect(tooMany.status == 1 && tooMany.stderr.contains("at most 2 vCPUs"), "\(tooMany)")

        Lab.must(try Lab.xk("vcpu-pin", "lab-pv", "0", "1"))
        let pinned = try Lab.xl("vcpu-list", "lab-pv").lines.dropFirst().first ?? ""
        #expect(pinned.hasSuffix(" 1 / all"), "xl vcpu-list: \(pinned)")
        try Self.compareVCPULists()
        // -f and a NUMA node, as xl takes them: node 0 is both CPUs here, the soft affinity 1.
        Lab.must(try Lab.xk("vcpu-pin", "-f", "lab-pv", "0", "node:0", "1"))
        let forced = try Lab.xl("vcpu-list", "lab-pv").lines.dropFirst().first ?? ""
        #expect(forced.hasSuffix(" all / 1"), "xl vcpu-list: \(forced)")
        let forceAll = try Lab.xk("vcpu-pin", "-f", "lab-pv", "all", "0")
        #expect(forceAll.status == 1 && forceAll.stderr.contains("-f pins one vCPU"), "\(forceAll)")
    }

    /// xk vcpu-list and xl vcpu-list: the same rows, but for the columns that change from one
    /// instant to the next (CPU, state, time).
    static func compareVCPULists() throws {
        func stable(_ output: Lab.Output) -> [String] {
            output.lines.map { line in
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count > 6, Int(fields[1]) != nil else { return line }   // the header
                return ([fields[0], fields[1], fields[2]] + fields[6...]).joined(separator: " ")
            }
        }
        let xk = Lab.must(try Lab.xk("vcpu-list"))
        let xl = Lab.must(try Lab.xl("vcpu-list"))
        #expect(xk.lines.first == xl.lines.first)
        #expect(stable(xk) == stable(xl), "xk:\n\(xk.stdout)\nxl:\n\(xl.stdout)")
    }
}
