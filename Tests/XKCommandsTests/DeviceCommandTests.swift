import ArgumentParser
import Testing
@testable import XenKit
@testable import XKCommands

/// The device commands' parsing and xl's tables, byte for byte (xl_block.c, xl_nic.c).
@Suite struct DeviceCommandTests {
    @Test func blockListHeaderIsXlsWithItsPadding() {
        #expect(DeviceTables.blockHeader == "Vdev  BE  handle state evt-ch ring-ref BE-path                       ")
        #expect(DeviceTables.networkHeader
            == "Idx BE Mac Addr.         handle state evt-ch   tx-/rx-ring-ref BE-path                       ")
    }

    @Test func rowsAreXls() {
        let disk = BlockDevice(devid: 51728, vdev: "xvdb", backendDomain: 0, frontendDomain: 5, state: 4,
                               eventChannel: 12, ringRef: 8, backendPath: "/local/domain/0/backend/vbd/5/51728",
                               target: "/srv/d.img", format: "raw", isWritable: true, isCDROM: false)
        #expect(DeviceTables.blockRow(disk) == "51728 0   5      4     12     8        /local/domain/0/backend/vbd/5/51728")
        let nic = NetworkDevice(devid: 0, backendDomain: 0, mac: "00:16:3e:01:02:03", frontendDomain: 5, state: 4,
                                eventChannel: 12, txRingRef: 1280, rxRingRef: 1281,
                                backendPath: "/local/domain/0/backend/vif/5/0", bridge: "br0", script: nil, interfaceName: nil)
        #expect(DeviceTables.networkRow(nic)
            == "0   0  00:16:3e:01:02:03     0     4     12  1280/1281        /local/domain/0/backend/vif/5/0")
        let json = DeviceTables.json(nic, domain: "web").serialized(pretty: false)
        #expect(json.hasPrefix(#"{"name":"web","domid":5,"devid":0,"backend_domid":0,"mac":"00:16:3e:01:02:03""#))
        #expect(json.hasSuffix(#""bridge":"br0","script":null,"vifname":null}"#))
    }

    @Test func attachAndDetachTakeXlsArguments() throws {
        let attach = try #require(try XK.parseAsRoot(["block-attach", "-n", "web", "/srv/d.img,raw,xvdb,w"]) as? BlockAttachCommand)
        #expect(attach.dryRun && attach.domain == "web" && attach.spec == ["/srv/d.img,raw,xvdb,w"])
        let words = try #require(try XK.parseAsRoot(["block-attach", "web", "target=/d", "vdev=xvdc"]) as? BlockAttachCommand)
        #expect(words.spec == ["target=/d", "vdev=xvdc"])
        let detach = try #require(try XK.parseAsRoot(["block-detach", "-f", "web", "xvdb"]) as? BlockDetachCommand)
        #expect(detach.force && detach.vdev == "xvdb")
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["block-detach", "web"]) }
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["block-attach", "web"]) }
        let nic = try #require(try XK.parseAsRoot(["network-attach", "web", "bridge=br0", "mac=00:16:3e:00:00:01"]) as? NetworkAttachCommand)
        #expect(nic.spec == ["bridge=br0", "mac=00:16:3e:00:00:01"])
        let list = try #require(try XK.parseAsRoot(["network-list", "--json", "a", "b"]) as? NetworkListCommand)
        #expect(list.json && list.domains == ["a", "b"])
        #expect(throws: (any Error).self) { try XK.parseAsRoot(["block-list"]) }
    }

    @Test func listLongNestsLibxlsJSONAsXlsGeneratorDoes() throws {
        let config = "{\n    \"c_info\": {\n        \"name\": \"web\"\n    },\n    \"arch_arm\": {\n\n    }\n}\n"
        #expect(ListCommand.xlLongListing([(DomainID(3), config), (DomainID(4), config)]) == """
            [
                {
                    "domid": 3,
                    "config": {
                        "c_info": {
                            "name": "web"
                        },
                        "arch_arm": {

                        }
                    }
                },
                {
                    "domid": 4,
                    "config": {
                        "c_info": {
                            "name": "web"
                        },
                        "arch_arm": {

                        }
                    }
                }
            ]

            """)
        #expect(ListCommand.xlLongListing([]) == "[]\n")
        let list = try #require(try XK.parseAsRoot(["list", "-l", "web"]) as? ListCommand)
        #expect(list.long && list.domains == ["web"])
    }

    @Test func networkDetachTakesAnIdOrAMAC() {
        #expect(NetworkDeviceSelector("2") == .devid(2))
        #expect(NetworkDeviceSelector("00:16:3E:00:00:01") == .mac("00:16:3E:00:00:01"))
        #expect(NetworkDeviceSelector("eth0") == nil)
        #expect(NetworkDeviceSelector("-1") == nil)
    }
}
