import XenKit

/// `xk info -n`: xl's three NUMA sections, between the host's memory and Xen's version, as
/// blocks of their own (xl prints them as tables, not `key : value` lines).
extension HostNUMA {
    var reportFields: [InfoField] {
        var cpuLines = ["cpu_topology           :", "cpu:    core    socket     node"]
        for cpu in cpus {
            cpuLines.append(cFormat("%3d:    %4d     %4d     %4d", CInt(cpu.cpu), CInt(cpu.core), CInt(cpu.socket), CInt(cpu.node)))
        }
        var fields = [InfoField(key: "cpu_topology", text: cpuLines.joined(separator: "\n"), json: .array(cpus.map { cpu in
            .object([("cpu", .uint(UInt64(cpu.cpu))), ("core", .uint(UInt64(cpu.core))),
                     ("socket", .uint(UInt64(cpu.socket))), ("node", .uint(UInt64(cpu.node)))])
        }), block: true)]
        if let devices {
            var lines = ["device topology        :", "device           node"]
            for device in devices {
                lines.append(cFormat("%04x:%02x:%02x.%01x      %d", CUnsignedInt(device.segment), CUnsignedInt(device.bus),
                                     CUnsignedInt(device.device), CUnsignedInt(device.function), CInt(device.node)))
            }
            if devices.isEmpty { lines.append("No device topology data available") }
            fields.append(InfoField(key: "device_topology", text: lines.joined(separator: "\n"), json: .array(devices.map { device in
                .object([("device", .string(cFormat("%04x:%02x:%02x.%01x", CUnsignedInt(device.segment), CUnsignedInt(device.bus),
                                                    CUnsignedInt(device.device), CUnsignedInt(device.function)))),
                         ("node", .uint(UInt64(device.node)))])
            }), block: true))
        }
        var nodeLines = ["numa_info              :", "node:    memsize    memfree    distances"]
        for node in nodes {
            let distances = node.distances.map(String.init).joined(separator: ",")
            nodeLines.append(cFormat("%4d:    %6llu     %6llu      ", CInt(node.node), CUnsignedLongLong(node.size.mebibytes),
                                     CUnsignedLongLong(node.free.mebibytes)) + distances)
        }
        fields.append(InfoField(key: "numa_info", text: nodeLines.joined(separator: "\n"), json: .array(nodes.map { node in
            .object([("node", .uint(UInt64(node.node))), ("memsize_mib", .uint(node.size.mebibytes)),
                     ("memfree_mib", .uint(node.free.mebibytes)), ("distances", .array(node.distances.map { .uint(UInt64($0)) }))])
        }), block: true))
        return fields
    }
}
