// Where the corpus lives and how its JSON is compared.
//
// The fixtures are `xl -N create` output captured in the lab (Scripts/lab/config-fixtures) on
// a Xen host with 2 CPUs in one NUMA node: the unit tests map each config for that host.
import Foundation
@testable import XenKit

enum Corpus {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = root.appendingPathComponent("Tests/XenKitTests/Fixtures/xl-json")
    static let configDirectories = ["DomainConfigs/corpus", "DomainConfigs"].map { root.appendingPathComponent($0) }

    /// The lab's host, where the fixtures were made.
    static let labHost = HostTopology(cpuCount: 2, nodeCPUs: [[0, 1]])

    static func configs() -> [URL] {
        configDirectories.flatMap { dir in
            ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
                .filter { $0.hasSuffix(".cfg") }.sorted()
                .map { dir.appendingPathComponent($0) }
        }
    }

    /// The names of the configs that have an xl fixture.
    static func fixtureNames() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: fixtures.path)) ?? [])
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    static func config(named name: String) -> URL? {
        configs().first { $0.deletingPathExtension().lastPathComponent == name }
    }

    /// JSON with the values each run generates blanked: a uuid the config does not set, and
    /// a generated ms_vm_genid.
    static func normalised(_ json: String, keepUUID: Bool) -> String {
        var text = json
        if !keepUUID {
            text = text.replacingOccurrences(of: #""uuid": "[0-9a-f-]{36}""#, with: #""uuid": "-""#,
                                             options: .regularExpression)
        }
        return text.replacingOccurrences(of: #""ms_vm_genid": "[0-9a-f]+""#, with: #""ms_vm_genid": "-""#,
                                         options: .regularExpression)
    }

    /// Where xk builds a different domain from xl on purpose: the fixture's text is adjusted
    /// by these (pattern, replacement) pairs before comparing. Each is documented in README.
    static let deliberateDifferences: [String: (why: String, edits: [(String, String)])] = [
        "hvm-gfx-passthru-bool": (
            why: "with rdm = \"strategy=host\" and no policy=, xl leaves rdm.policy (and each pci device's "
                + "rdm_policy) as uninitialised stack memory, which its JSON prints as null; xk leaves libxl's default",
            edits: [(#",\n\s*"(rdm_)?policy": null"#, "")]),
    ]

    static func adjustedFixture(_ text: String, name: String) -> String {
        guard let difference = deliberateDifferences[name] else { return text }
        return difference.edits.reduce(text) { text, edit in
            text.replacingOccurrences(of: edit.0, with: edit.1, options: .regularExpression)
        }
    }

    /// The first differing line of two texts, for a readable failure.
    static func firstDifference(_ a: String, _ b: String) -> String {
        let left = a.split(separator: "\n", omittingEmptySubsequences: false)
        let right = b.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<max(left.count, right.count) {
            let l = index < left.count ? String(left[index]) : "<end>"
            let r = index < right.count ? String(right[index]) : "<end>"
            if l != r { return "line \(index + 1): xk \(l.debugDescription) vs xl \(r.debugDescription)" }
        }
        return "no difference"
    }
}
