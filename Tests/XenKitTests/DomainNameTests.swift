import Testing
@testable import XenKit

/// Domain names become file names (/var/lib/xen/dump/NAME, /var/log/xen/xk-NAME.log,
/// /var/lib/xenkit/domains/NAME.cfg): what could make them paths, hidden files or terminal
/// escapes is refused, at create, at rename and at define; every name xl users use is kept.
@Suite struct DomainNameTests {
    static let accepted = [
        "web-01", "db.prod", "lab-pv--incoming", "web--migratedaway", "Domain-0", "a", "x_y", "ubuntu 22.04",
        "web.example.com", "café", "a..b", "web-1.", String(repeating: "n", count: DomainName.maximumLength),
    ]
    static let refused: [(String, String)] = [
        ("", "empty"), (".", "'.'"), ("..", "'.'"), (".hidden", "'.'"), ("../evil", "'/'"), ("a/b", "'/'"), ("/", "'/'"),
        ("web/", "'/'"), ("a\nb", "control character"), ("a\u{1B}[31m", "control character"), ("nul\u{0}", "control character"),
        ("del\u{7F}", "control character"), ("csi\u{9B}", "control character"),
        (String(repeating: "n", count: DomainName.maximumLength + 1), "at most \(DomainName.maximumLength)"),
        (String(repeating: "é", count: DomainName.maximumLength / 2 + 1), "bytes"),
    ]

    @Test(arguments: accepted)
    func namesXlUsersUseAreKept(_ name: String) throws {
        #expect(DomainName.problem(with: name) == nil)
        #expect(try DomainName(name).rawValue == name)
    }

    @Test(arguments: refused)
    func unsafeNamesAreRefusedWithTheReason(_ name: String, _ reason: String) {
        let problem = DomainName.problem(with: name)
        #expect(problem?.contains(reason) == true, "\(name.debugDescription): \(problem ?? "accepted")")
        let error = #expect(throws: XenError.self) { try DomainName(name) }
        #expect(error?.code == .invalidArgument)
    }

    /// At create (and define, which reads the config the same way): the error names the
    /// file, line and key, or the command line override.
    @Test func aConfigsNameIsCheckedWhereItIsWritten() throws {
        func error(_ text: String, overrides: [String] = []) -> XenError? {
            do {
                _ = try DomainConfiguration.parse(text: text, source: "t.cfg",
                                                  options: .init(overrides: overrides, checkFiles: false))
                return nil
            } catch { return error }
        }
        let inFile = error("kernel = \"/k\"\nname = \"../evil\"\n")
        #expect(inFile?.code == .invalidConfig)
        #expect(inFile?.description.hasPrefix("t.cfg:2: name: ") == true && inFile?.description.contains("'/'") == true,
                "\(String(describing: inFile))")
        let override = error("kernel = \"/k\"\nname = \"web\"\n", overrides: ["name=\"..\""])
        #expect(override?.description.hasPrefix("command line override 'name=\"..\"': name: ") == true, "\(String(describing: override))")
        for name in Self.accepted {
            #expect(error("kernel = \"/k\"\nname = \"\(name)\"\n") == nil, "\(name)")
        }
    }

    @Test func definitionsRefuseWhatCreateRefuses() throws {
        let (store, _) = DefinitionStoreTests.scratch()
        for name in ["a\u{1B}b", "..", "x/y", String(repeating: "n", count: 300)] {
            let error = try #require(throws: XenError.self) { try store.setAutostart(name, true) }
            #expect(error.code == .invalidArgument && error.message.contains("cannot"), "\(error.message)")
        }
    }
}
