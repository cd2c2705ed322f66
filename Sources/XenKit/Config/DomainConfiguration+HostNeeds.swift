// What a domain config needs from the host that builds it, read out of the libxl config for
// `xk create --check` (Domain/BuildCheck.swift): its boot files, the dom0 paths behind its
// disks, the bridges of its vifs, its vCPUs and its CPU pool. Only what dom0 serves is listed:
// a disk or vif with a driver domain as backend, or a hotplug script of its own (iSCSI, DRBD,
// Open vSwitch), is that script's or that domain's business, and is not checked here.
internal import CXen

/// What a config needs from the host, as plain values.
public struct HostNeeds: Sendable, Equatable {
    public struct File: Sendable, Equatable {
        /// "kernel", "ramdisk", "device_tree".
        public var key: String
        public var path: String
    }

    public struct Disk: Sendable, Equatable {
        public var vdev: String
        /// A file or a block device of dom0's.
        public var path: String
    }

    public struct Bridge: Sendable, Equatable {
        /// The vif's index in `vif=`.
        public var index: Int
        /// The bridge it joins (libxl's xenbr0 when the config names none).
        public var bridge: String
    }

    public var files: [File] = []
    public var disks: [Disk] = []
    public var bridges: [Bridge] = []
    public var maxVCPUs = 1
    /// `pool=`; nil is Pool-0.
    public var pool: String?
}

extension DomainConfiguration {
    /// What this config needs from the host (values from a hostile config are made printable).
    public var hostNeeds: HostNeeds {
        let c = raw.pointee
        let b = c.b_info
        var needs = HostNeeds()
        func text(_ p: UnsafeMutablePointer<CChar>?) -> String? {
            guard let p, p.pointee != 0 else { return nil }
            return Self.printable(String(cString: p))
        }
        for (key, path) in [("kernel", b.kernel), ("ramdisk", b.ramdisk), ("device_tree", b.device_tree)] {
            if let path = text(path) { needs.files.append(HostNeeds.File(key: key, path: path)) }
        }
        for i in 0..<Int(max(c.num_disks, 0)) {
            let disk = c.disks[i]
            guard disk.backend_domid == 0, text(disk.backend_domname) == nil, text(disk.script) == nil,
                  let path = text(disk.pdev_path) else { continue }
            needs.disks.append(HostNeeds.Disk(vdev: text(disk.vdev) ?? "?", path: path))
        }
        for i in 0..<Int(max(c.num_nics, 0)) {
            let nic = c.nics[i]
            guard nic.backend_domid == 0, text(nic.backend_domname) == nil else { continue }
            // libxl's default script is vif-bridge; another script joins what it likes.
            let script = text(nic.script).map { String($0.split(separator: "/").last ?? "") } ?? "vif-bridge"
            guard script == "vif-bridge" else { continue }
            needs.bridges.append(HostNeeds.Bridge(index: i, bridge: text(nic.bridge) ?? "xenbr0"))
        }
        needs.maxVCPUs = Int(b.max_vcpus)
        needs.pool = text(c.c_info.pool_name)
        return needs
    }
}
