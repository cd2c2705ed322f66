import Testing
@testable import XenKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The definition folder (issue 7) on this machine's file system: no Xen is needed to keep,
/// list, reorder and forget definitions, nor to turn one back into a libxl config.
@Suite struct DefinitionStoreTests {
    /// A fresh folder with one config in it.
    static func scratch(_ config: String = "name = \"web\"\ntype = \"pv\"\nkernel = \"/boot/vmlinuz\"\nmemory = 256\n")
        -> (store: DefinitionStore, configPath: String) {
        var template = Array("/tmp/xenkit-defs-XXXXXX".utf8CString)
        let folder = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        let configPath = folder + "/web.cfg"
        try! writeFileAtomically(configPath, config)
        return (DefinitionStore(directory: folder + "/domains"), configPath)
    }

    static let options = DomainConfiguration.LoadOptions(checkFiles: false)

    @Test func defineKeepsTheFileAsGivenAndItsResolvedConfig() throws {
        let (store, path) = Self.scratch()
        let defined = try store.define(path: path, options: .init(overrides: ["memory=512"], checkFiles: false))
        #expect(defined.definition.name == "web" && !defined.replaced && !defined.definition.autostart)
        let kept = try readFile(defined.definition.configPath)
        #expect(kept.hasPrefix("name = \"web\"") && kept.hasSuffix("# overrides given to xk define\nmemory=512\n"))
        let json = try store.resolvedJSON("web")
        #expect(json.contains("\"name\": \"web\"") && json.contains("\"max_memkb\": 524288"), "\(json)")
        // The kept file is itself an xl.cfg that gives the same domain.
        let again = try DomainConfiguration.load(path: defined.definition.configPath, options: Self.options)
        #expect(again.name == "web")
    }

    @Test func theUUIDIsFixedAtDefineTime() throws {
        let (store, path) = Self.scratch()
        _ = try store.define(path: path, options: Self.options)
        let kept = try store.resolvedJSON("web")
        let uuid = try #require(kept.firstMatch(of: /"uuid": "([0-9a-f-]{36})"/)?.1)
        #expect(uuid != "00000000-0000-0000-0000-000000000000")
        // Reading the kept xl.cfg again would give a new UUID: start uses the JSON.
        #expect(try DomainConfiguration.load(path: store.definition("web").configPath, options: Self.options).json() != kept)
    }

    @Test func redefineKeepsAutostart() throws {
        let (store, path) = Self.scratch()
        _ = try store.define(path: path, options: Self.options)
        try store.setAutostart("web", true, order: 7)
        let again = try store.define(path: path, options: Self.options)
        #expect(again.replaced && again.definition.autostart && again.definition.order == 7)
        try store.setAutostart("web", false)
        #expect(try !store.definition("web").autostart)
    }

    @Test func autostartGoesByOrderThenName() throws {
        let (store, path) = Self.scratch()
        for (name, order) in [("c", 1), ("a", 2), ("b", 1), ("d", -1)] {
            _ = try store.define(path: path, options: .init(overrides: ["name=\"\(name)\""], checkFiles: false))
            try store.setAutostart(name, true, order: order)
        }
        _ = try store.define(path: path, options: .init(overrides: ["name=\"off\""], checkFiles: false))
        #expect(try store.definitions().map(\.name) == ["a", "b", "c", "d", "off"])
        #expect(try store.autostartOrder().map(\.name) == ["d", "b", "c", "a"])
    }

    @Test func undefineForgetsEverything() throws {
        let (store, path) = Self.scratch()
        _ = try store.define(path: path, options: Self.options)
        try store.setAutostart("web", true)
        try store.undefine("web")
        #expect(try store.definitions().isEmpty)
        #expect(try directoryEntries(store.directory).isEmpty)
        #expect(throws: XenError.self) { try store.undefine("web") }
    }

    @Test func aBadConfigWritesNothing() throws {
        let (store, path) = Self.scratch("name = \"web\"\nmemory = \"lots\"\n")
        let error = try #require(throws: XenError.self) { try store.define(path: path, options: Self.options) }
        #expect(error.message.contains("web.cfg:2"), "\(error)")
        #expect(try store.definitions().isEmpty)
    }

    @Test func unknownAndUnsafeNamesAreRefused() throws {
        let (store, _) = Self.scratch()
        let unknown = try #require(throws: XenError.self) { try store.resolvedJSON("nope") }
        #expect(unknown.code == .domainNotFound && unknown.message.contains("'nope'"))
        for name in ["", ".hidden", "../etc/passwd"] {
            let error = try #require(throws: XenError.self) { try store.setAutostart(name, true) }
            #expect(error.code == .invalidArgument)
        }
    }
}

@Suite struct ActionGateTests {
    @Test func closingTurnsNewActionsAwayAndWaitsForThoseUnderWay() {
        let gate = ActionGate()
        #expect(gate.enter())
        #expect(!gate.close(waitingUpTo: 0.05))   // one under way: not finished in time
        #expect(!gate.enter())
        gate.leave()
        #expect(gate.close(waitingUpTo: 0.05) && gate.actionsUnderWay == 0)
    }
}

@Suite struct ShutdownPolicyTests {
    @Test func actionsFollowTheReason() {
        let policy = ShutdownPolicy(onPoweroff: .destroy, onReboot: .renameRestart, onCrash: .coredumpRestart)
        #expect(policy.action(for: .reboot) == .renameRestart)
        #expect(policy.action(for: .suspend) == nil)
        #expect(policy.action(for: .unknown) == .destroy)
        #expect(ShutdownPolicy.plan(.coredumpRestart) == .init(coreDump: true, end: .restart))
        #expect(ShutdownPolicy.plan(.preserve) == .init(coreDump: false, end: .preserve))
    }

    @Test func preservedNamesCarryUTCToTheMinute() {
        #expect(DomainWatcher.preserveSuffix(now: 1_795_000_000) == "-20261118T1106Z")
    }
}

/// Finding 4 of issue 12: definitions hold VNC and SPICE passwords; they are the owner's
/// only (0600), whatever the umask.
@Suite struct DefinitionModeTests {
    @Test func definitionsAreReadableByTheOwnerOnly() throws {
        let old = umask(0)
        defer { umask(old) }
        let (store, path) = DefinitionStoreTests.scratch()
        let defined = try store.define(path: path, options: DefinitionStoreTests.options)
        for file in [defined.definition.configPath, defined.definition.configPath.replacingOccurrences(of: ".cfg", with: ".json")] {
            var status = stat()
            #expect(stat(file, &status) == 0)
            #expect(status.st_mode & 0o777 == 0o600, "\(file): \(String(status.st_mode & 0o777, radix: 8))")
        }
    }
}
