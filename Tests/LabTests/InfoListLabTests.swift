import Foundation
import Testing

/// `xk info` and `xk list` against `xl info` and `xl list` on the same real Xen host.
/// Serialized: the guest test creates and destroys a domain that the others would see.
@Suite(.serialized, .enabled(if: Lab.isXenHost, "needs the lab's dom0 (Scripts/lab/run)"))
struct InfoListLabTests {
    /// Keys whose values may move between two runs a moment apart.
    static let volatileInfoKeys: Set<String> = ["free_memory", "outstanding_claims", "free_cpus"]

    @Test func infoMatchesXlLineForLine() throws {
        let xl = Lab.must(try Lab.xl("info"))
        let xk = Lab.must(try Lab.xk("info"))
        let xlFields = Lab.keyValues(xl.stdout), xkFields = Lab.keyValues(xk.stdout)
        #expect(xkFields.map(\.key) == xlFields.map(\.key))
        for (xlField, xkField) in zip(xlFields, xkFields)
        where !Self.volatileInfoKeys.contains(xlField.key) {
            #expect(xkField.value == xlField.value, "key \(xlField.key)")
        }
        // Byte for byte, but for the volatile lines.
        let stable = { (text: String) in
            text.split(separator: "\n").filter { line in
                !Self.volatileInfoKeys.contains(where: { line.hasPrefix($0 + " ") })
            }
        }
        #expect(stable(xk.stdout) == stable(xl.stdout))
    }

    @Test(arguments: ["xen_version", "virt_caps", "total_memory", "nr_cpus", "xen_scheduler"])
    func infoKeyFilterMatchesXl(key: String) throws {
        let xl = Lab.must(try Lab.xl("info", key))
        let xk = Lab.must(try Lab.xk("info", key))
        #expect(xk.stdout == xl.stdout)
    }

    @Test func infoJSONAgreesWithXl() throws {
        let xl = Dictionary(Lab.keyValues(Lab.must(try Lab.xl("info")).stdout),
                            uniquingKeysWith: { first, _ in first })
        let json = try #require(try Lab.json(Lab.must(try Lab.xk("info", "--json")).stdout) as? [String: Any])
        #expect((json["nr_cpus"] as? Int).map(String.init) == xl["nr_cpus"])
        #expect((json["total_memory"] as? Int).map(String.init) == xl["total_memory"])
        #expect(json["xen_version"] as? String == xl["xen_version"])
        #expect(json["xen_scheduler"] as? String == xl["xen_scheduler"])
        #expect((json["virt_caps"] as? [String])?.joined(separator: " ") == xl["virt_caps"])
        #expect((json["xen_caps"] as? [String])?.joined(separator: " ") == xl["xen_caps"])
        #expect(json["xend_config_format"] as? Int == 4)
    }

    @Test func listMatchesXl() throws {
        let xlBefore = Lab.must(try Lab.xl("list"))
        let xk = Lab.must(try Lab.xk("list"))
        let xlAfter = Lab.must(try Lab.xl("list"))
        #expect(xk.lines.first == xlBefore.lines.first)
        let rows = ListRow.rows(xk), before = ListRow.rows(xlBefore), after = ListRow.rows(xlAfter)
        #expect(rows.map(\.stableColumns) == before.map(\.stableColumns))
        #expect(rows.count >= 1 && rows.first?.name == "Domain-0")
        // CPU time only grows: xk's reading lies between xl's two readings.
        for (index, row) in rows.enumerated() where index < before.count && index < after.count {
            #expect(row.time >= before[index].time - 0.05 && row.time <= after[index].time + 0.05,
                    "\(row) between \(before[index]) and \(after[index])")
        }
    }

    @Test func listByNameAndByID() throws {
        let xk = Lab.must(try Lab.xk("list", "Domain-0", "0"))
        let rows = ListRow.rows(xk)
        #expect(rows.map(\.stableColumns).count == 2)
        #expect(rows.first?.stableColumns == rows.last?.stableColumns)
        let xl = ListRow.rows(Lab.must(try Lab.xl("list", "0")))
        #expect(rows.first?.stableColumns == xl.first?.stableColumns)
    }

    @Test(arguments: ["no-such-domain", "4242"])
    func unknownDomainIsAnErrorNamingIt(domain: String) throws {
        let xk = try Lab.xk("list", "Domain-0", domain)
        #expect(xk.status == 1, "\(xk)")
        #expect(xk.stdout.isEmpty, "\(xk)")
        #expect(xk.stderr == "xk: domain '\(domain)' does not exist\n", "\(xk)")
        #expect(try Lab.xl("list", domain).status != 0)
    }

    @Test func listJSONAgreesWithTheTable() throws {
        let json = try #require(try Lab.items(Lab.must(try Lab.xk("list", "--json")).stdout, "domains"))
        let table = ListRow.rows(Lab.must(try Lab.xl("list")))
        #expect(json.count == table.count)
        for (object, row) in zip(json, table) {
            #expect(object["name"] as? String == row.name)
            #expect(object["domid"] as? Int == row.id)
            #expect((object["memory_kib"] as? Int).map { $0 / 1024 } == row.mem)
            #expect(object["vcpus_online"] as? Int == row.vcpus)
            #expect((object["state"] as? String)?.dropFirst(2) == row.state.dropFirst(2))
            #expect(object["uuid"] as? String != nil)
        }
    }

    /// With a guest created by xl, paused and unpaused: both tools see the same domains.
    @Test func listAgreesWithXlWithAGuest() throws {
        let config = Lab.domainConfigs + "/lab-pv.cfg"
        _ = try? Lab.xl("destroy", "lab-pv")
        Lab.must(try Lab.run("xl", ["create", "-p", config], timeout: 180))
        defer { _ = try? Lab.xl("destroy", "lab-pv") }

        let paused = ListRow.rows(Lab.must(try Lab.xk("list", "lab-pv")))
        #expect(paused.first?.state == "--p---", "\(paused)")
        #expect(paused.first?.mem == 128)
        #expect(ListRow.rows(Lab.must(try Lab.xl("list", "lab-pv"))).first?.stableColumns
            == paused.first?.stableColumns)

        Lab.must(try Lab.xl("unpause", "lab-pv"))
        let xk = ListRow.rows(Lab.must(try Lab.xk("list")))
        let xl = ListRow.rows(Lab.must(try Lab.xl("list")))
        #expect(xk.map(\.stableColumns) == xl.map(\.stableColumns))
        #expect(xk.contains { $0.name == "lab-pv" && $0.stableState == "----" })

        let json = try #require(try Lab.items(Lab.must(try Lab.xk("list", "--json", "lab-pv")).stdout, "domains"))
        #expect(json.first?["type"] as? String == "pv")
        #expect(json.first?["paused"] as? Bool == false)
        #expect(json.first?["max_kib"] as? Int ?? 0 >= 128 * 1024)
        #expect(json.first?["vcpus_max"] as? Int == 2)
    }
}
