import Testing
@testable import XenKit

/// `--persist`: a device change kept in a definition, in both of its files, with its UUID kept.
@Suite struct DefinitionDeviceTests {
    static let config = """
        name = "web"
        type = "pv"
        kernel = "/boot/vmlinuz"
        memory = 256
        disk = [ "/srv/a.img,raw,xvda,w" ]
        vif = [ "bridge=br0,mac=00:16:3e:00:00:01" ]

        """

    @Test func anAttachedDiskJoinsTheDefinitionAndADetachedOneLeaves() throws {
        let (store, path) = DefinitionStoreTests.scratch(Self.config)
        _ = try store.define(path: path, options: DefinitionStoreTests.options)
        let uuid = try #require(try store.resolvedJSON("web").firstMatch(of: /"uuid": "([0-9a-f-]{36})"/)?.1)
        let disk = try DiskSpecification(words: ["target=/srv/b \"quoted\".img", "vdev=xvdb", "format=raw"])
        #expect(disk.configItem == "vdev=xvdb,format=raw,target=/srv/b \"quoted\".img")
        try store.change("web", list: "disk", .add(disk.configItem), command: "xk block-attach --persist web ...",
                         options: DefinitionStoreTests.options)
        let kept = try readFile(store.definition("web").configPath)
        #expect(kept.hasPrefix(Self.config))
        #expect(kept.hasSuffix("# xk block-attach --persist web ...\ndisk = [ \"/srv/a.img,raw,xvda,w\", \"vdev=xvdb,format=raw,target=/srv/b \\\"quoted\\\".img\" ]\n"), "\(kept)")
        let json = try store.resolvedJSON("web")
        #expect(json.contains("\"pdev_path\": \"/srv/b \\\"quoted\\\".img\""), "\(json)")
        #expect(json.firstMatch(of: /"uuid": "([0-9a-f-]{36})"/)?.1 == uuid)

        let removed = try store.change("web", list: "disk", .remove({ (try? DiskSpecification(words: [$0]))?.vdev == "xvda" }),
                                       command: "xk block-detach --persist web xvda", options: DefinitionStoreTests.options)
        #expect(removed == 1)
        let after = try store.resolvedJSON("web")
        #expect(!after.contains("/srv/a.img") && after.contains("xvdb"))
        #expect(try store.change("web", list: "disk", .remove({ _ in false }), command: "x") == 0)
    }

    @Test func anInterfaceComesAndGoesByItsMAC() throws {
        let (store, path) = DefinitionStoreTests.scratch(Self.config)
        _ = try store.define(path: path, options: DefinitionStoreTests.options)
        let nic = try NetworkSpecification(words: ["bridge=br1", "mac=00:16:3e:00:00:02"])
        try store.change("web", list: "vif", .add(nic.configItem), command: "xk network-attach --persist web", options: DefinitionStoreTests.options)
        #expect(try store.resolvedJSON("web").contains("\"bridge\": \"br1\""))
        try store.change("web", list: "vif", .remove({ (try? NetworkSpecification(words: [$0]))?.mac == "00:16:3e:00:00:01" }),
                         command: "xk network-detach --persist web 0", options: DefinitionStoreTests.options)
        let json = try store.resolvedJSON("web")
        #expect(!json.contains("\"bridge\": \"br0\"") && json.contains("\"bridge\": \"br1\""), "\(json)")
    }

    @Test func aChangeThatWouldBreakTheConfigWritesNothing() throws {
        let (store, path) = DefinitionStoreTests.scratch(Self.config)
        _ = try store.define(path: path, options: DefinitionStoreTests.options)
        let cfg = try readFile(store.definition("web").configPath), json = try store.resolvedJSON("web")
        #expect(throws: XenError.self) {
            try store.change("web", list: "vif", .add("colour=red"), command: "x", options: DefinitionStoreTests.options)
        }
        #expect(try readFile(store.definition("web").configPath) == cfg && store.resolvedJSON("web") == json)
        #expect(throws: XenError.self) { try store.change("nobody", list: "disk", .add("x"), command: "x") }
        #expect(!store.isDefined("nobody") && store.isDefined("web"))
    }
}
