import Testing
@testable import XenKit

/// A fake host's devices behind the DeviceControl seam: call N can fail outright, or (an add)
/// fail after the device was half made, as libxl leaves it when a hotplug script fails.
final class FakeDevices: DeviceControl {
    enum Fault { case error, partial }
    var disks: [BlockDevice] = []
    var nics: [NetworkDevice] = []
    var controllers: [USBController] = []
    /// How many more CD changes the guest refuses with its tray locked.
    var trayLockedFor = 0
    var faults: [Int: Fault] = [:]
    var calls: [String] = []
    var missingFiles: Set<String> = []
    var bridges: Set<String> = ["xenbr0", "br0"]

    private func fault(_ name: String) -> Fault? {
        calls.append(name)
        return faults[calls.count - 1]
    }

    static func disk(_ vdev: String, devid: Int, target: String = "/srv/d.img") -> BlockDevice {
        BlockDevice(devid: devid, vdev: vdev, backendDomain: 0, frontendDomain: 5, state: 4, eventChannel: 9, ringRef: 8,
                    backendPath: "/local/domain/0/backend/vbd/5/\(devid)", target: target, format: "raw",
                    isWritable: true, isCDROM: false)
    }

    static func nic(_ devid: Int, mac: String) -> NetworkDevice {
        NetworkDevice(devid: devid, backendDomain: 0, mac: mac, frontendDomain: 5, state: 4, eventChannel: 10,
                      txRingRef: 1, rxRingRef: 2, backendPath: "/local/domain/0/backend/vif/5/\(devid)",
                      bridge: nil, script: nil, interfaceName: nil)
    }

    func disks(_ id: DomainID) -> Result<[BlockDevice], LibxlFailure> {
        fault("disks") == nil ? .success(disks) : .failure(LibxlFailure(code: -3))
    }

    func addDisk(_ id: DomainID, _ disk: borrowing DiskSpecification) -> Result<Void, LibxlFailure> {
        let made = Self.disk(disk.vdev, devid: 51712 + 16 * (disks.count + 1), target: disk.target)
        switch fault("addDisk") {
        case nil: disks.append(made); return .success(())
        case .partial: disks.append(made); return .failure(LibxlFailure(code: -3))
        case .error: return .failure(LibxlFailure(code: -3))
        }
    }

    func removeDisk(_ id: DomainID, vdev: String, _ removal: DiskRemoval) -> Result<Void, LibxlFailure> {
        guard fault("removeDisk(\(vdev), \(removal))") == nil else { return .failure(LibxlFailure(code: -9)) }
        disks.removeAll { $0.vdev == vdev }
        return .success(())
    }

    func nics(_ id: DomainID) -> Result<[NetworkDevice], LibxlFailure> {
        fault("nics") == nil ? .success(nics) : .failure(LibxlFailure(code: -3))
    }

    func addNIC(_ id: DomainID, _ nic: borrowing NetworkSpecification) -> Result<Void, LibxlFailure> {
        let made = Self.nic((nics.map(\.devid).max() ?? -1) + 1, mac: nic.mac ?? "00:16:3e:aa:bb:cc")
        switch fault("addNIC") {
        case nil: nics.append(made); return .success(())
        case .partial: nics.append(made); return .failure(LibxlFailure(code: -3))
        case .error: return .failure(LibxlFailure(code: -3))
        }
    }

    func removeNIC(_ id: DomainID, devid: Int, force: Bool) -> Result<Void, LibxlFailure> {
        guard fault("removeNIC(\(devid), force: \(force))") == nil else { return .failure(LibxlFailure(code: -3)) }
        nics.removeAll { $0.devid == devid }
        return .success(())
    }

    func usbControllers(_ id: DomainID) -> Result<[USBController], LibxlFailure> {
        fault("usbControllers") == nil ? .success(controllers) : .failure(LibxlFailure(code: -3))
    }

    func addUSBController(_ id: DomainID, _ controller: borrowing USBControllerSpecification) -> Result<Void, LibxlFailure> {
        let made = USBController(devid: (controllers.map(\.devid).max() ?? -1) + 1, type: controller.type, backendDomain: 0,
                                 state: 1, version: 2, portCount: 6, ports: [])
        switch fault("addUSBController") {
        case nil: controllers.append(made); return .success(())
        case .partial: controllers.append(made); return .failure(LibxlFailure(code: -3))
        case .error: return .failure(LibxlFailure(code: -3))
        }
    }

    func removeUSBController(_ id: DomainID, devid: Int, force: Bool) -> Result<Void, LibxlFailure> {
        guard fault("removeUSBController(\(devid), force: \(force))") == nil else { return .failure(LibxlFailure(code: -3)) }
        controllers.removeAll { $0.devid == devid }
        return .success(())
    }

    func insertCD(_ id: DomainID, _ disk: borrowing DiskSpecification) -> Result<Void, LibxlFailure> {
        let vdev = disk.vdev, target = disk.target
        guard let index = disks.firstIndex(where: { $0.vdev == vdev }) else { return .failure(LibxlFailure(code: -3)) }
        if trayLockedFor > 0 {
            trayLockedFor -= 1
            calls.append("insertCD(locked)")
            return .failure(LibxlFailure(code: -28, messages: [
                "libxl: error: libxl_qmp.c:1837:qmp_ev_parse_error_messages: Domain 5:Device 'ide-5632' is locked and force was not specified, wait for tray to open and try again",
            ]))
        }
        switch fault("insertCD(\(vdev), \(target))") {
        case nil: disks[index].target = target; return .success(())
        case .partial: disks[index].target = ""; return .failure(LibxlFailure(code: -3))   // ejected, not inserted
        case .error: return .failure(LibxlFailure(code: -3))
        }
    }

    func pause(seconds: Double) { calls.append("pause") }
    func statError(_ path: String) -> Int32? { missingFiles.contains(path) ? 2 : nil }
    func hasBridge(_ name: String) -> Bool { bridges.contains(name) }
}

/// Every fault at every step of an attach, alone and in pairs: the domain ends with the device
/// and no other change, or with exactly the devices it had, or the error names what may remain.
@Suite struct DeviceFaultMatrixTests {
    static func changer(_ host: FakeDevices) -> DeviceChanger<FakeDevices> {
        DeviceChanger(control: host, id: DomainID(5), label: "domain 'web' (5)")
    }

    static func prepared(_ faults: [Int: FakeDevices.Fault]) -> FakeDevices {
        let host = FakeDevices()
        host.disks = [FakeDevices.disk("xvda", devid: 51712)]
        host.nics = [FakeDevices.nic(0, mac: "00:16:3e:00:00:01")]
        host.controllers = [USBController(devid: 0, type: "qusb", backendDomain: 0, state: 4, version: 2, portCount: 2, ports: [])]
        host.faults = faults
        return host
    }

    /// What is wrong with the outcome, if anything.
    static func violations<T: Equatable>(_ before: [T], _ after: [T], _ error: XenError?, added: Int) -> [String] {
        guard let error else {
            return after.count == before.count + 1 && Array(after.prefix(before.count)) == before ? [] : ["succeeded, but \(after)"]
        }
        if after == before { return [] }
        return error.message.contains("may remain") ? [] : ["failed, changed the devices and did not say: \(error.message)"]
    }

    static func attach(_ kind: String, _ faults: [Int: FakeDevices.Fault]) throws -> [String] {
        let host = prepared(faults)
        let disksBefore = host.disks, nicsBefore = host.nics, controllersBefore = host.controllers
        var failure: XenError?
        do {
            switch kind {
            case "disk": try changer(host).attachDisk(try DiskSpecification(words: ["/srv/b.img,raw,xvdb,w"]))
            case "nic": try changer(host).attachNetwork(try NetworkSpecification(words: ["bridge=br0", "mac=00:16:3e:00:00:02"]))
            default: try changer(host).attachUSBController(try USBControllerSpecification(words: ["type=devicemodel", "version=2"]))
            }
        } catch {
            failure = error
        }
        let others = (kind == "disk" || host.disks == disksBefore ? [] : ["disks changed"])
            + (kind == "nic" || host.nics == nicsBefore ? [] : ["nics changed"])
            + (kind == "usbctrl" || host.controllers == controllersBefore ? [] : ["USB controllers changed"])
        let own: [String] = switch kind {
        case "disk": violations(disksBefore, host.disks, failure, added: 1)
        case "nic": violations(nicsBefore, host.nics, failure, added: 1)
        default: violations(controllersBefore, host.controllers, failure, added: 1)
        }
        return others + own
    }

    @Test(arguments: ["disk", "nic", "usbctrl"]) func everyFaultAndPairOfFaults(kind: String) throws {
        let calls = 6
        var runs = 0
        for first in 0..<calls {
            for fault in [FakeDevices.Fault.error, .partial] {
                #expect(try Self.attach(kind, [first: fault]) == [], "\(fault)@\(first)")
                runs += 1
                for second in (first + 1)..<calls {
                    #expect(try Self.attach(kind, [first: fault, second: .error]) == [], "\(fault)@\(first) error@\(second)")
                    runs += 1
                }
            }
        }
        print("fault matrix: \(kind) attach: \(runs) runs, one fault or a pair at \(calls) calls")
    }

    /// Without this undo a failed hotplug script leaves the half-made device (as xl leaves it).
    @Test func aHalfMadeDiskIsTakenAwayAndAFailedUndoIsReported() throws {
        let host = Self.prepared([1: .partial])
        #expect(throws: XenError.self) { try Self.changer(host).attachDisk(try DiskSpecification(words: ["/srv/b.img,raw,xvdb,w"])) }
        #expect(host.disks.map(\.vdev) == ["xvda"])
        #expect(host.calls == ["disks", "addDisk", "disks", "removeDisk(xvdb, forced)"])

        let stuck = Self.prepared([1: .partial, 3: .error])
        do {
            try Self.changer(stuck).attachDisk(try DiskSpecification(words: ["/srv/b.img,raw,xvdb,w"]))
            Issue.record("attached")
        } catch {
            #expect(error.message.contains("cannot attach '/srv/b.img,raw,xvdb,w' to domain 'web' (5)"))
            #expect(error.message.contains("may remain: xvdb"), "\(error.message)")
            #expect(error.hint?.contains("block-detach -f") == true)
        }
    }

    @Test func refusalsMakeNoChangingCall() throws {
        let host = Self.prepared([:])
        host.missingFiles = ["/srv/gone.img"]
        let changer = Self.changer(host)
        for (spec, words) in [("/srv/gone.img,raw,xvdb,w", "/srv/gone.img: No such file or directory"),
                              ("/srv/b.img,raw,xvda,w", "already has a disk xvda (/srv/d.img)")] {
            do {
                try changer.attachDisk(try DiskSpecification(words: [spec]))
                Issue.record("\(spec) attached")
            } catch {
                #expect(error.message.contains(words), "\(error.message)")
            }
        }
        for (words, reason) in [(["bridge=nosuch"], "dom0 has no bridge 'nosuch'"), (["mac=00:16:3e:00:00:01"], "MAC 00:16:3e:00:00:01"),
                                (["script=vif-route"], "")] where !reason.isEmpty {
            do {
                try changer.attachNetwork(try NetworkSpecification(words: words))
                Issue.record("\(words) attached")
            } catch {
                #expect(error.message.contains(reason), "\(error.message)")
            }
        }
        // A script other than vif-bridge needs no bridge; xenbr0 is libxl's default.
        try changer.attachNetwork(try NetworkSpecification(words: ["script=vif-route"]))
        host.bridges = []
        #expect(throws: XenError.self) { try changer.attachNetwork(try NetworkSpecification(words: [])) }
        #expect(!host.calls.contains { $0.hasPrefix("remove") })
        #expect(host.calls.filter { $0.hasPrefix("add") } == ["addNIC"])
    }

    @Test func aDetachTheGuestDoesNotAgreeToSaysSoAndForceTakesIt() throws {
        let host = Self.prepared([1: .error])
        do {
            try Self.changer(host).detachDisk("xvda", .withConsent)
            Issue.record("detached")
        } catch {
            #expect(error.message.contains("did not release disk xvda"), "\(error.message)")
            #expect(error.hint?.contains("block-detach -f") == true)
        }
        #expect(host.disks.count == 1)
        try Self.changer(host).detachDisk("51712", .forced)
        #expect(host.disks.isEmpty && host.calls.last == "removeDisk(xvda, forced)")
        #expect(throws: XenError.self) { try Self.changer(host).detachDisk("xvda", .forced) }
        try Self.changer(host).detachNetwork(.mac("00:16:3E:00:00:01"))
        #expect(host.nics.isEmpty)
    }
}
