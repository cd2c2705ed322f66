import Foundation
import Testing

/// Issue 14's memory policy on the real hypervisor, beside xl: xl.conf's autoballoon (off as
/// `auto` decides on this lab's `dom0_mem=`, then on, then off), the host check of
/// `xk create --check`, `xk claims` and `xk info -n`. The lab's dom0 has a 1024 MiB target;
/// a guest sized just beyond the host's free memory fits only when dom0 gives some.
@Suite(.serialized, .enabled(if: Lab.isXenHost, "needs the lab's dom0 (Scripts/lab/run)"))
struct HostMemoryLabTests {
    typealias L = LifecycleLabTests
    static let xlConf = "/etc/xen/xl.conf"
    static let config = Lab.domainConfigs + "/lab-pv.cfg"
    static let name = "lab-balloon"

    static func freeMiB() throws -> Int {
        let info = Lab.keyValues(Lab.must(try Lab.xl("info")).stdout)
        return Int(info.first { $0.key == "free_memory" }?.value ?? "") ?? -1
    }

    /// dom0's balloon target in MiB, as xenstore holds it; until libxl first sets one, there
    /// is no node, and dom0 has what it booted with (xl list's Mem).
    static func dom0TargetMiB() throws -> Int {
        let read = try Lab.run("xenstore-read", ["/local/domain/0/memory/target"])
        if read.status == 0 { return (Int(read.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1) / 1024 }
        return ListRow.rows(Lab.must(try Lab.xl("list", "0"))).first?.mem ?? -1
    }

    static func setAutoballoon(_ value: String?, original: String) throws {
        let text = original + (value.map { "\nautoballoon=\"\($0)\"\n" } ?? "")
        try text.write(toFile: xlConf, atomically: true, encoding: .utf8)
    }

    /// dom0 back to its 1024 MiB, and waits until it has it.
    static func restoreDom0() {
        _ = try? Lab.xl("mem-set", "0", "1024m")
        _ = L.eventually(60) { ((try? dom0TargetMiB()) ?? 0) >= 1024 }
    }

    /// Sized `beyond` MiB past the host's free memory.
    static func bigGuest(beyond: Int) throws -> [String] {
        let memory = try freeMiB() + beyond
        return [config, "name=\"\(name)\"", "memory=\(memory)", "maxmem=\(memory)"]
    }

    @Test func autoballoonCheckClaimsAndNUMABesideXl() throws {
        let original = (try? String(contentsOfFile: Self.xlConf, encoding: .utf8)) ?? ""
        L.cleanUp(Self.name, "lab-check")
        defer {
            try? original.write(toFile: Self.xlConf, atomically: true, encoding: .utf8)
            L.cleanUp(Self.name, "lab-check")
            Self.restoreDom0()
        }
        #expect(try Self.dom0TargetMiB() == 1024)

        // info -n: the same sections as xl's (node memory free may move between the reads).
        func sections(_ text: String) -> String {
            text.split(separator: "\n", omittingEmptySubsequences: false)
                .drop { !$0.hasPrefix("cpu_topology") }.prefix { !$0.hasPrefix("xen_major") }
                .map { $0.hasPrefix("   ") && $0.contains(":    ") ? String($0.prefix(17)) : String($0) }   // drop memfree
                .joined(separator: "\n")
        }
        let xkNUMA = Lab.must(try Lab.xk("info", "-n")).stdout, xlNUMA = Lab.must(try Lab.xl("info", "-n")).stdout
        #expect(sections(xkNUMA) == sections(xlNUMA) && sections(xkNUMA).contains("numa_info"), "\(xkNUMA)\n---\n\(xlNUMA)")
        let numaJSON = try #require(try Lab.json(Lab.must(try Lab.xk("info", "-n", "--json")).stdout) as? [String: Any])
        #expect((numaJSON["cpu_topology"] as? [Any])?.count == 2 && (numaJSON["numa_info"] as? [Any])?.count == 1, "\(numaJSON)")

        // claims: xl's header, the same domains, and no claim outstanding outside a build.
        let xkClaims = Lab.must(try Lab.xk("claims")).stdout, xlClaims = Lab.must(try Lab.xl("claims")).stdout
        func claimRows(_ text: String) -> [String] {
            text.split(separator: "\n").dropFirst().map { line in
                let words = line.split(separator: " ")
                return "\(words.first ?? "") \(words.dropLast().dropFirst().first ?? "") claimed \(words.last ?? "")"
            }
        }
        #expect(xkClaims.split(separator: "\n").first == xlClaims.split(separator: "\n").first)
        #expect(claimRows(xkClaims) == claimRows(xlClaims) && claimRows(xkClaims).allSatisfy { $0.hasSuffix("claimed 0") }, "\(xkClaims)\n\(xlClaims)")

        // --check: every planted problem at once, nothing built; a fitting config fits.
        let names = try L.xlNames()
        let planted = try Lab.run(Lab.xk, ["create", "--check", Self.config, "name=\"lab-check\"", "memory=100000", "maxmem=100000",
                                           "vcpus=4", "maxvcpus=4", "disk=['/nonexistent/lab-check.img,raw,xvda,w']",
                                           "vif=['bridge=no-such-bridge']"])
        #expect(planted.status == 1, "\(planted)")
        for expected in ["error: memory: the domain needs 100", "warning: vcpus: 4 vCPUs on the 2 CPU(s) of pool Pool-0",
                         "error: disk xvda: /nonexistent/lab-check.img does not exist",
                         "error: vif 0: bridge no-such-bridge does not exist", "It does not fit this host: 3 problem(s)."] {
            #expect(planted.stdout.contains(expected), "\(expected): \(planted)")
        }
        let plantedJSON = try #require(try Lab.json(try Lab.run(Lab.xk, ["create", "--check", "--json", Self.config, "vcpus=4", "maxvcpus=4",
                                                                         "vif=['bridge=no-such-bridge']"]).stdout) as? [String: Any])
        #expect(plantedJSON["fits"] as? Bool == false)
        #expect((plantedJSON["findings"] as? [[String: Any]])?.compactMap { $0["subject"] as? String } == ["vcpus", "vif 0"], "\(plantedJSON)")
        let fits = try Lab.run(Lab.xk, ["create", "--check", Self.config])
        #expect(fits.status == 0 && fits.stdout.contains("It fits this host."), "\(fits)")
        #expect(try L.xlNames() == names)

        // autoballoon "auto" (xl.conf as Debian ships it) is off here: Xen's command line has
        // dom0_mem=. A guest 64 MiB beyond free memory is refused before anything is built,
        // with the figures; xl fails it too, and dom0 keeps its memory under both.
        var refused = try Lab.run(Lab.xk, ["create", "-p"] + (try Self.bigGuest(beyond: 64)), timeout: 180)
        #expect(refused.status == 1 && refused.stderr.contains("domain 'lab-balloon' does not fit this host: memory: the domain needs"), "\(refused)")
        #expect(refused.stderr.contains("autoballoon is off"), "\(refused)")
        let xlRefused = try Lab.run("xl", ["create", "-p"] + (try Self.bigGuest(beyond: 64)), timeout: 180)
        #expect(xlRefused.status != 0, "\(xlRefused)")
        print("autoballoon auto (off here): xk: \(refused.stderr.split(separator: "\n").first { $0.contains("does not fit") } ?? ""); xl (exit \(xlRefused.status)): \(xlRefused.stderr.split(separator: "\n").last ?? "")")
        #expect(try Self.dom0TargetMiB() == 1024)
        #expect(L.eventually(20) { (try? L.xlNames()) == names })

        // autoballoon on: dom0 gives what is missing, for xk as for xl; each build shrinks
        // dom0's target by about the shortfall (64 MiB plus the domain's overhead).
        try Self.setAutoballoon("on", original: original)
        let xkCreate = try Lab.run(Lab.xk, ["create", "-p"] + (try Self.bigGuest(beyond: 64)), timeout: 300)
        #expect(xkCreate.status == 0, "\(xkCreate)")
        let afterXk = try Self.dom0TargetMiB()
        #expect((1024 - 120)...(1024 - 64) ~= afterXk, "dom0's target after xk's create: \(afterXk) MiB")
        L.cleanUp(Self.name)
        let xlCreate = try Lab.run("xl", ["create", "-p"] + (try Self.bigGuest(beyond: 64)), timeout: 300)
        #expect(xlCreate.status == 0, "\(xlCreate)")
        let afterXl = try Self.dom0TargetMiB()
        #expect((afterXk - 120)...(afterXk - 64) ~= afterXl, "dom0's target after xl's create: \(afterXl) MiB (after xk's: \(afterXk))")
        print("autoballoon: dom0's target 1024 -> \(afterXk) MiB for xk's create, -> \(afterXl) MiB for xl's")
        L.cleanUp(Self.name)

        // A build that fails after dom0 gave memory (a kernel that is no kernel) gives it
        // back with xk; xl leaves dom0 shrunk.
        Self.restoreDom0()
        let badKernel = try Lab.run(Lab.xk, ["create", "-p"] + (try Self.bigGuest(beyond: 64)) + ["kernel=\"/etc/hostname\""], timeout: 300)
        #expect(badKernel.status == 1 && badKernel.stderr.contains("dom0 got back the memory it gave (target 1024 MiB)"), "\(badKernel)")
        #expect(L.eventually(30) { ((try? Self.dom0TargetMiB()) ?? 0) == 1024 })
        #expect(L.eventually(20) { (try? L.xlNames()) == names })

        // autoballoon off: refused before building, dom0 untouched.
        try Self.setAutoballoon("off", original: original)
        refused = try Lab.run(Lab.xk, ["create", "-p"] + (try Self.bigGuest(beyond: 64)), timeout: 180)
        #expect(refused.status == 1 && refused.stderr.contains("autoballoon is off"), "\(refused)")
        #expect(try Self.dom0TargetMiB() == 1024)
        // A bad value names the file, line and key.
        try Self.setAutoballoon("of", original: original)
        let bad = try Lab.run(Lab.xk, ["create", "-p", Self.config])
        #expect(bad.status == 1 && bad.stderr.contains("/etc/xen/xl.conf:") && bad.stderr.contains("autoballoon: expected on, off or auto, got \"of\""), "\(bad)")
        #expect(try L.xlNames() == names)
    }

    /// xl.conf's vm.pv.cpumask and domid_policy="random", beside xl: `create -n` prints xl's
    /// JSON (the mask in every vCPU's hard affinity), a created guest runs where the mask
    /// says, vcpu-pin narrows to it unless -i, and two creates in a row get ids that are not
    /// one after the other.
    @Test func globalMasksAndRandomDomidsBesideXl() throws {
        let original = (try? String(contentsOfFile: Self.xlConf, encoding: .utf8)) ?? ""
        L.cleanUp("lab-masked")
        defer {
            try? original.write(toFile: Self.xlConf, atomically: true, encoding: .utf8)
            L.cleanUp("lab-masked")
        }
        try (original + "\nvm.pv.cpumask=\"1\"\ndomid_policy=\"random\"\n").write(toFile: Self.xlConf, atomically: true, encoding: .utf8)
        let xkJSON = L.normalised(Lab.must(try Lab.xk("create", "-n", Self.config)).stdout)
        let xlJSON = L.normalised(Lab.must(try Lab.xl("-N", "create", Self.config)).stdout)
        #expect(xkJSON == xlJSON, "xk:\n\(xkJSON)\nxl:\n\(xlJSON)")
        #expect(xkJSON.filter { !$0.isWhitespace }.contains("\"vcpu_hard_affinity\":[[1],[1]]"), "\(xkJSON)")
        let ignored = L.normalised(Lab.must(try Lab.xk("create", "-n", "--ignore-global-affinity-masks", Self.config)).stdout)
        #expect(ignored == L.normalised(Lab.must(try Lab.xl("-N", "create", "--ignore-global-affinity-masks", Self.config)).stdout))
        #expect(!ignored.contains("vcpu_hard_affinity"))

        var domids: [Int] = []
        for _ in 0..<2 {
            Lab.must(try Lab.run(Lab.xk, ["create", "-q", "-p", Self.config, "name=\"lab-masked\""], timeout: 180))
            let rows = Lab.must(try Lab.xl("vcpu-list", "lab-masked")).stdout.split(separator: "\n").dropFirst()
            #expect(rows.count == 2 && rows.allSatisfy { $0.hasSuffix(" 1 / all") }, "\(rows)")
            domids.append(Int(rows.first?.split(separator: " ")[1] ?? "") ?? -1)
            if domids.count == 1 { L.cleanUp("lab-masked") }
        }
        #expect(domids[1] != domids[0] + 1, "ids \(domids): Xen's next id, not a random one")

        Lab.must(try Lab.xk("vcpu-pin", "lab-masked", "0", "0-1"))
        #expect(Lab.must(try Lab.xl("vcpu-list", "lab-masked")).stdout.split(separator: "\n")[1].hasSuffix(" 1 / all"))
        let refused = try Lab.xk("vcpu-pin", "lab-masked", "0", "0")
        #expect(refused.status == 1 && refused.stderr.contains("has no CPU in xl.conf's mask") && refused.stderr.contains("vm.pv.cpumask=\"1\""), "\(refused)")
        Lab.must(try Lab.xk("vcpu-pin", "-i", "lab-masked", "0", "0"))
        #expect(Lab.must(try Lab.xl("vcpu-list", "lab-masked")).stdout.split(separator: "\n")[1].hasSuffix(" 0 / all"))
    }
}
