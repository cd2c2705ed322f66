import Foundation
import Testing
@testable import XenKit

/// `xk create -n` against `xl -N create`: every config of DomainConfigs/ must map to the very
/// JSON real xl printed for it in the lab (Tests/XenKitTests/Fixtures/xl-json).
@Suite struct CorpusTests {
    @Test func theCorpusIsLargeAndEveryConfigHasAFixture() {
        let configs = Corpus.configs().map { $0.deletingPathExtension().lastPathComponent }
        #expect(configs.count >= 40, "DomainConfigs has \(configs.count) configs")
        let fixtures = Set(Corpus.fixtureNames())
        let missing = configs.filter { !fixtures.contains($0) }
        #expect(missing.isEmpty, "no xl fixture for \(missing); run Scripts/lab/config-fixtures")
    }

    @Test(arguments: Corpus.fixtureNames())
    func mapsLikeXl(name: String) throws {
        let url = try #require(Corpus.config(named: name), "no config for fixture \(name)")
        let expected = try String(contentsOf: Corpus.fixtures.appendingPathComponent(name + ".json"), encoding: .utf8)
        let options = DomainConfiguration.LoadOptions(checkFiles: false, host: Corpus.labHost)
        let config = try DomainConfiguration.load(path: url.path, options: options)
        let text = try String(contentsOf: url, encoding: .utf8)
        let keepUUID = ConfigScanner.statements(in: text).contains { $0.key == "uuid" }
        let mine = Corpus.normalised(try config.json(), keepUUID: keepUUID)
        let theirs = Corpus.normalised(Corpus.adjustedFixture(expected, name: name), keepUUID: keepUUID)
        #expect(mine == theirs, "\(name): \(Corpus.firstDifference(mine, theirs))")
    }
}
