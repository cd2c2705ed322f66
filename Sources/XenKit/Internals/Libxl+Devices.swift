// Raw libxl calls that change and list a running domain's disks and network interfaces (xl's
// block-* and network-* commands). Synchronous (NULL ao_how), as xl calls them: libxl returns
// once the backend is connected and the hotplug script has run, or once the device is gone.
// The device structs a caller hands in are owned by DeviceRecord (Devices/DeviceRecord.swift);
// what libxl lists is copied into Swift values here and freed at once.
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension Libxl {
    /// How a disk leaves: with the guest's consent (xl's default, `libxl_device_disk_safe_remove`,
    /// which fails if the guest does not let go within libxl's 10 s), or at once
    /// (`libxl_device_disk_destroy`, xl's `-f`: the guest is not asked).
    enum Removal: Sendable { case safe, force }

    static func addDisk(_ ctx: OpaquePointer, _ id: DomainID,
                        _ disk: UnsafeMutablePointer<libxl_device_disk>) -> Result<Void, LibxlFailure> {
        check(libxl_device_disk_add(ctx, id.rawValue, disk, nil))
    }

    /// Finds the domain's disk `vdev` (a name such as xvdb, or a number) and removes it.
    static func removeDisk(_ ctx: OpaquePointer, _ id: DomainID, vdev: String,
                           _ removal: Removal) -> Result<Void, LibxlFailure> {
        var disk = libxl_device_disk()
        libxl_device_disk_init(&disk)
        defer { libxl_device_disk_dispose(&disk) }
        let rc = libxl_vdev_to_device_disk(ctx, id.rawValue, vdev, &disk)
        guard rc == 0 else { return .failure(LibxlFailure(code: rc)) }
        switch removal {
        case .safe: return check(libxl_device_disk_safe_remove(ctx, id.rawValue, &disk, nil))
        case .force: return check(libxl_device_disk_destroy(ctx, id.rawValue, &disk, nil))
        }
    }

    /// The domain's disks, each with its frontend's state (libxl_device_disk_list, then
    /// libxl_device_disk_getinfo per disk; a disk whose info cannot be read is left out, as
    /// xl block-list leaves it out).
    static func disks(_ ctx: OpaquePointer, _ id: DomainID) -> Result<[BlockDevice], LibxlFailure> {
        var count: Int32 = 0
        guard let list = libxl_device_disk_list(ctx, id.rawValue, &count) else { return .success([]) }
        defer { libxl_device_disk_list_free(list, count) }
        var result: [BlockDevice] = []
        for index in 0..<Int(count) {
            var info = libxl_diskinfo()
            libxl_diskinfo_init(&info)
            defer { libxl_diskinfo_dispose(&info) }
            guard libxl_device_disk_getinfo(ctx, id.rawValue, list + index, &info) == 0 else { continue }
            let disk = list[index]
            result.append(BlockDevice(
                devid: Int(info.devid), vdev: text(disk.vdev), backendDomain: Int(info.backend_id),
                frontendDomain: Int(info.frontend_id), state: Int(info.state),
                eventChannel: Int(info.evtch), ringRef: Int(info.rref), backendPath: text(info.backend),
                target: text(disk.pdev_path), format: formatName(disk.format),
                isWritable: disk.readwrite != 0, isCDROM: disk.is_cdrom != 0))
        }
        return .success(result)
    }

    static func addNIC(_ ctx: OpaquePointer, _ id: DomainID,
                       _ nic: UnsafeMutablePointer<libxl_device_nic>) -> Result<Void, LibxlFailure> {
        check(libxl_device_nic_add(ctx, id.rawValue, nic, nil))
    }

    /// Which interface: by device id, or by MAC address (xl network-detach takes either).
    enum NICSelector: Sendable, Equatable {
        case devid(Int)
        case mac(String)
    }

    /// Finds the interface and removes it: with the guest's consent first, forced after libxl's
    /// 10 s (`libxl_device_nic_remove`, what xl network-detach calls), or at once with `force`
    /// (`libxl_device_nic_destroy`, used to undo a failed attach).
    static func removeNIC(_ ctx: OpaquePointer, _ id: DomainID, _ selector: NICSelector,
                          force: Bool = false) -> Result<Void, LibxlFailure> {
        var nic = libxl_device_nic()
        libxl_device_nic_init(&nic)
        defer { libxl_device_nic_dispose(&nic) }
        let rc: Int32 = switch selector {
        case .devid(let devid): libxl_devid_to_device_nic(ctx, id.rawValue, Int32(clamping: devid), &nic)
        case .mac(let mac): libxl_mac_to_device_nic(ctx, id.rawValue, mac, &nic)
        }
        guard rc == 0 else { return .failure(LibxlFailure(code: rc)) }
        return force ? check(libxl_device_nic_destroy(ctx, id.rawValue, &nic, nil))
                     : check(libxl_device_nic_remove(ctx, id.rawValue, &nic, nil))
    }

    /// The domain's network interfaces, each with its frontend's state.
    static func nics(_ ctx: OpaquePointer, _ id: DomainID) -> Result<[NetworkDevice], LibxlFailure> {
        var count: Int32 = 0
        guard let list = libxl_device_nic_list(ctx, id.rawValue, &count) else { return .success([]) }
        defer { libxl_device_nic_list_free(list, count) }
        var result: [NetworkDevice] = []
        for index in 0..<Int(count) {
            var info = libxl_nicinfo()
            libxl_nicinfo_init(&info)
            defer { libxl_nicinfo_dispose(&info) }
            guard libxl_device_nic_getinfo(ctx, id.rawValue, list + index, &info) == 0 else { continue }
            let nic = list[index]
            result.append(NetworkDevice(
                devid: Int(info.devid), backendDomain: Int(info.backend_id), mac: macString(nic.mac),
                frontendDomain: Int(info.frontend_id), state: Int(info.state), eventChannel: Int(info.evtch),
                txRingRef: Int(info.rref_tx), rxRingRef: Int(info.rref_rx), backendPath: text(info.backend),
                bridge: optionalText(nic.bridge), script: optionalText(nic.script),
                interfaceName: optionalText(nic.ifname)))
        }
        return .success(result)
    }

    /// The domain's configuration as libxl keeps it for a running domain (its stored config
    /// with the live name, memory and vCPUs, and the devices xenstore has now), as libxl JSON.
    /// `libxl_retrieve_domain_configuration`, then `libxl_domain_config_to_json`.
    static func runningConfigurationJSON(_ ctx: OpaquePointer, _ id: DomainID) -> Result<String, LibxlFailure> {
        var config = libxl_domain_config()
        libxl_domain_config_init(&config)
        defer { libxl_domain_config_dispose(&config) }
        let rc = libxl_retrieve_domain_configuration(ctx, id.rawValue, &config, nil)
        guard rc == 0 else { return .failure(LibxlFailure(code: rc)) }
        guard let json = libxl_domain_config_to_json(ctx, &config) else { return .failure(LibxlFailure(code: LibxlCode.fail)) }
        defer { free(json) }
        return .success(String(cString: json))
    }

    private static func text(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
        pointer.map { String(cString: $0) } ?? ""
    }

    private static func optionalText(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    /// libxl's name of a disk format ("raw", "qcow2", "empty", ...).
    private static func formatName(_ format: libxl_disk_format) -> String {
        libxl_disk_format_to_string(format).map { String(cString: $0).lowercased() } ?? "unknown"
    }

    /// "00:16:3e:01:02:03": LIBXL_MAC_FMT, lower-case hex.
    static func macString(_ mac: libxl_mac) -> String {
        withUnsafeBytes(of: mac) { bytes in
            bytes.prefix(6).map { byte in
                let digits = String(byte, radix: 16)
                return digits.count == 1 ? "0" + digits : digits
            }.joined(separator: ":")
        }
    }
}
