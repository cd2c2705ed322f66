import Testing
@testable import XenKit

/// xk cd-insert and cd-eject over the DeviceControl seam: what is refused before libxl is asked,
/// and what a failed change says about the drive afterwards (libxl ejects, then inserts).
@Suite struct CDChangeTests {
    static func host() -> FakeDevices {
        let host = FakeDevices()
        var drive = FakeDevices.disk("hdc", devid: 5632, target: "/srv/old.iso")
        drive.isCDROM = true
        host.disks = [FakeDevices.disk("hda", devid: 768), drive]
        return host
    }

    static func change(_ host: FakeDevices, _ vdev: String, _ image: String?, type: DomainType = .hvm) -> XenError? {
        do {
            try DeviceFaultMatrixTests.changer(host).changeMedium(vdev, to: image, domainType: type)
            return nil
        } catch {
            return error
        }
    }

    @Test func refusalsNameTheCauseAndAskNothingOfTheDeviceModel() {
        let host = Self.host()
        host.missingFiles = ["/srv/gone.iso"]
        let cases: [(String, String?, DomainType, String)] = [
            ("hdc", "/srv/new.iso", .pv, "it is a PV guest, and only HVM guests have CD-ROM drives"),
            ("hdc", nil, .pvh, "it is a PVH guest"),
            ("hdd", "/srv/new.iso", .hvm, "it has no drive hdd"),
            ("hda", "/srv/new.iso", .hvm, "hda is a disk, not a CD-ROM drive"),
            ("hdc", "/srv/gone.iso", .hvm, "/srv/gone.iso: No such file or directory"),
        ]
        for (vdev, image, type, words) in cases {
            let error = Self.change(host, vdev, image, type: type)
            #expect(error?.code == .invalidArgument && error?.message.contains(words) == true, "\(vdev) \(String(describing: image)): \(String(describing: error))")
        }
        #expect(Self.change(host, "hdd", nil)?.hint == "its CD-ROM drives: hdc")
        #expect(!host.calls.contains { $0.hasPrefix("insertCD") }, "\(host.calls)")
        #expect(host.disks[1].target == "/srv/old.iso")
    }

    @Test func insertAndEjectByNameOrNumber() {
        let host = Self.host()
        #expect(Self.change(host, "hdc", "/srv/new.iso") == nil)
        #expect(host.disks[1].target == "/srv/new.iso")
        #expect(Self.change(host, "5632", nil) == nil)
        #expect(host.disks[1].target == "")
        #expect(host.calls.filter { $0.hasPrefix("insertCD") } == ["insertCD(hdc, /srv/new.iso)", "insertCD(hdc, )"])
    }

    /// A guest that has the drive open keeps the tray locked: the change is asked for again,
    /// a second apart, until the guest lets go, or fails after 10 tries saying why.
    @Test func aLockedTrayIsAskedAgainThenNamed() {
        let host = Self.host()
        host.trayLockedFor = 3
        #expect(Self.change(host, "hdc", "/srv/new.iso") == nil)
        #expect(host.disks[1].target == "/srv/new.iso")
        #expect(host.calls.filter { $0 == "pause" }.count == 3)
        let stuck = Self.host()
        stuck.trayLockedFor = 100
        let error = Self.change(stuck, "hdc", nil)
        #expect(error?.hint?.contains("keeps the drive locked") == true && error?.hint?.contains("asked 10 times over 9 s") == true,
                "\(String(describing: error))")
        #expect(stuck.calls.filter { $0 == "insertCD(locked)" }.count == 10)
    }

    /// Each call of the change failing in turn: the error says what the drive holds afterwards,
    /// or that this could not be read.
    @Test func aFailedChangeSaysWhatTheDriveHolds() {
        let expected: [(Int, FakeDevices.Fault, String)] = [
            (0, .error, "cannot list the disks of domain"),              // the first listing
            (1, .error, "the drive now holds /srv/old.iso"),          // the device model refused
            (1, .partial, "the drive is now empty"),                  // ejected, then failed
        ]
        for (call, fault, words) in expected {
            let host = Self.host()
            host.faults = [call: fault]
            let error = Self.change(host, "hdc", "/srv/new.iso")
            #expect(error?.message.contains(words) == true, "\(call) \(fault): \(String(describing: error?.message))")
        }
        let host = Self.host()
        host.faults = [1: .error, 2: .error]
        #expect(Self.change(host, "hdc", "/srv/new.iso")?.message.contains("what the drive holds now could not be read") == true)
    }
}

/// xk usbctrl-attach and usbctrl-detach over the seam, beyond the fault matrix: the spec is the
/// config file's, and a controller the domain does not have is refused naming those it has.
@Suite struct USBControllerChangeTests {
    @Test func specsAndRefusals() throws {
        let spec = try USBControllerSpecification(words: ["type=devicemodel,version=2", "ports=6"])
        let json = try spec.json()
        #expect(spec.type == "devicemodel" && json.contains("\"ports\": 6"), "\(json)")
        #expect(throws: XenError.self) { _ = try USBControllerSpecification(words: ["type=usb3"]) }
        #expect(throws: XenError.self) { _ = try USBControllerSpecification(words: ["speed=2"]) }
        let host = DeviceFaultMatrixTests.prepared([:])
        do {
            try DeviceFaultMatrixTests.changer(host).detachUSBController(3)
            Issue.record("detached")
        } catch {
            #expect(error.message == "domain 'web' (5) has no USB controller 3" && error.hint == "its USB controllers: 0 (qusb)", "\(error)")
        }
        let logged = ["libxl: error: libxl_usb.c:98:libxl__device_usbctrl_setdefault: Number of ports for USB controller of version 2 is always 6",
                      "libxl: error: libxl_device.c:1486:device_addrm_aocomplete: unable to add device"]
        #expect(DeviceChanger<FakeDevices>.reasons(logged) == [logged[0]])
        #expect(DeviceChanger<FakeDevices>.reasons([logged[1]]) == [logged[1]])
        try DeviceFaultMatrixTests.changer(host).detachUSBController(0)
        #expect(host.controllers.isEmpty && host.calls.last == "removeUSBController(0, force: false)")
    }
}
