// xl's block-list and network-list tables, byte for byte (xl_block.c, xl_nic.c: the headers end
// in padding spaces, and network-list's rows do not line up with its header), and xk's JSON for
// the same rows. Operators' scripts parse xl's tables, so the format is xl's, quirks included.
import ArgumentParser
import XenKit

enum DeviceTables {
    /// printf's "%-5s %-3s %-6s %-5s %-6s %-8s %-30s" over xl's column names.
    static let blockHeader = [("Vdev", 5), ("BE", 3), ("handle", 6), ("state", 5), ("evt-ch", 6), ("ring-ref", 8), ("BE-path", 30)]
        .map { left($0.0, $0.1) }.joined(separator: " ")

    static func blockRow(_ disk: BlockDevice) -> String {
        disk.backendPath.withCString { path in
            cFormat("%-5d %-3d %-6d %-5d %-6d %-8d %-30s", CInt(truncatingIfNeeded: disk.devid),
                    CInt(truncatingIfNeeded: disk.backendDomain), CInt(truncatingIfNeeded: disk.frontendDomain),
                    CInt(truncatingIfNeeded: disk.state), CInt(truncatingIfNeeded: disk.eventChannel),
                    CInt(truncatingIfNeeded: disk.ringRef), path)
        }
    }

    /// printf's "%-3s %-2s %-17s %-6s %-5s %-6s %5s/%-5s %-30s" over xl's column names.
    static let networkHeader = [("Idx", 3), ("BE", 2), ("Mac Addr.", 17), ("handle", 6), ("state", 5), ("evt-ch", 6)]
        .map { left($0.0, $0.1) }.joined(separator: " ")
        + " " + String(repeating: " ", count: 5 - "tx-".count) + "tx-/" + left("rx-ring-ref", 5) + " " + left("BE-path", 30)

    static func networkRow(_ nic: NetworkDevice) -> String {
        cFormat("%-3d %-2d ", CInt(truncatingIfNeeded: nic.devid), CInt(truncatingIfNeeded: nic.backendDomain))
            + nic.mac
            + nic.backendPath.withCString { path in
                cFormat("%6d %5d %6d %5d/%-11d %-30s", CInt(truncatingIfNeeded: nic.devid),
                        CInt(truncatingIfNeeded: nic.state), CInt(truncatingIfNeeded: nic.eventChannel),
                        CInt(truncatingIfNeeded: nic.txRingRef), CInt(truncatingIfNeeded: nic.rxRingRef), path)
            }
    }

    static func json(_ disk: BlockDevice, domain: String) -> JSONValue {
        .object([
            ("name", .string(domain)), ("domid", .int(Int64(disk.frontendDomain))),
            ("vdev", .string(disk.vdev)), ("devid", .int(Int64(disk.devid))),
            ("backend_domid", .int(Int64(disk.backendDomain))), ("xenbus_state", .int(Int64(disk.state))),
            ("evtch", .int(Int64(disk.eventChannel))), ("ring_ref", .int(Int64(disk.ringRef))),
            ("backend_path", .string(disk.backendPath)), ("target", .string(disk.target)),
            ("format", .string(disk.format)), ("writable", .bool(disk.isWritable)), ("cdrom", .bool(disk.isCDROM)),
        ])
    }

    static func json(_ nic: NetworkDevice, domain: String) -> JSONValue {
        .object([
            ("name", .string(domain)), ("domid", .int(Int64(nic.frontendDomain))),
            ("devid", .int(Int64(nic.devid))), ("backend_domid", .int(Int64(nic.backendDomain))),
            ("mac", .string(nic.mac)), ("xenbus_state", .int(Int64(nic.state))), ("evtch", .int(Int64(nic.eventChannel))),
            ("tx_ring_ref", .int(Int64(nic.txRingRef))), ("rx_ring_ref", .int(Int64(nic.rxRingRef))),
            ("backend_path", .string(nic.backendPath)), ("bridge", .optional(nic.bridge)),
            ("script", .optional(nic.script)), ("vifname", .optional(nic.interfaceName)),
        ])
    }
}

/// The run of the device list commands: xl's header, then each domain's rows (a domain that is
/// not there is reported at once, the others still listed, and the exit status is then 1), or
/// one JSON document listing them all under `jsonKey`.
func listDevices<Row>(_ domains: [String], global: GlobalOptions, json: Bool, jsonKey: String, header: String,
                      rows: (XenContext, DomainID) throws(XenError) -> [Row], line: (Row) -> String,
                      object: (Row, _ domain: String, DomainID) -> JSONValue) throws {
    let state = CommandState(options: global)
    if !json { print(header) }
    let (listed, failed) = try eachDomain(domains, state: state) { id throws(XenError) in try rows(state.context, id).map { (id, $0) } }
    if json {
        print(JSONValue.document(jsonKey, listed.map { object($0.1.1, $0.0, $0.1.0) }).serialized())
    } else {
        for (_, row) in listed { print(line(row.1)) }
    }
    if failed { throw ExitCode.failure }
}

/// For the list commands, which go on past a domain that is not there (as xl's do) and fail at
/// the end: each domain's rows, or its error printed at once.
func eachDomain<Row>(_ arguments: [String], state: CommandState,
                     _ rows: (DomainID) throws(XenError) -> [Row]) throws(XenError) -> (rows: [(String, Row)], failed: Bool) {
    var result: [(String, Row)] = []
    var failed = false
    for argument in arguments {
        do {
            let id = try state.resolve(argument)
            let name = try state.context.name(of: id) ?? "\(id)"
            result += try rows(id).map { (name, $0) }
        } catch {
            printError("xk: " + error.description)
            failed = true
        }
    }
    return (result, failed)
}
