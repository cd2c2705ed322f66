// xl's diagnostic and rescue verbs: the hypervisor's log (dmesg), its debug keys, a guest's
// magic SysRq key, triggers (NMI, ACPI buttons) and uptimes. What xl leaves unchecked is
// checked first: a key that is not one printable character, an ACPI trigger for a guest that
// has no ACPI, a vCPU the domain does not have. And xl reports success for a trigger Xen refused
// and a SysRq no guest driver read; xk says so (and takes back a key the guest left unread, so
// that a later driver does not act on it unasked).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How long a domain has been up, as `xl uptime` lists it.
public struct DomainUptime: Sendable, Equatable {
    public var id: DomainID
    public var name: String
    public var seconds: UInt64
}

extension XenContext {
    /// The hypervisor's console ring, as `xl dmesg` prints it; with `clear`, emptied after
    /// the read. The bytes are the hypervisor's and the guests' (a guest may write to it), as
    /// they are: escape them before they reach a terminal.
    /// The corresponding libxl functions are `libxl_xen_console_read_start` and `_read_line`.
    public func hypervisorLog(clear: Bool = false) throws(XenError) -> [UInt8] {
        try perform("read the hypervisor's console ring") { Libxl.hypervisorConsole($0, clear: clear) }
    }

    /// Sends keys to the hypervisor's debug key handler, as `xl debug-keys` does ('h' makes
    /// it list them in its log; 'q' dumps the domains).
    /// The corresponding libxl function is `libxl_send_debug_keys`.
    public func sendDebugKeys(_ keys: String) throws(XenError) {
        try Self.checkDebugKeys(keys)
        try perform("send debug keys '\(keys)' to the hypervisor") { Libxl.sendDebugKeys($0, keys) }
    }

    /// Sends a magic SysRq key to a guest, as `xl sysrq` does, and waits up to `timeout`
    /// seconds for the guest's PV drivers to take it (they empty control/sysrq when they do).
    ///
    /// - Throws: ``XenError`` for a key that is not one printable character, an unknown domain,
    ///   or a guest that did not take the key: then the key is
    ///   withdrawn, so that nothing acts on it later.
    /// The corresponding libxl function is `libxl_send_sysrq`.
    public func sendSysrq(_ id: DomainID, _ key: String, timeout: Double = 10) throws(XenError) {
        let byte = try Self.sysrqKey(key)
        _ = try domain(id)
        guard let node = XenStorePath.domainHome(id).appending("control/sysrq") else {
            throw XenError(code: .invalidArgument, message: "\(describe(id)) has no xenstore home")
        }
        let control = LiveSysrqControl(context: self, id: id, node: node, store: try XenStore())
        try SysrqDelivery(control: control).deliver(byte, label: describe(id), domain: id, timeout: timeout)
    }

    /// Delivers a trigger to one of the domain's vCPUs, as `xl trigger` does.
    ///
    /// - Throws: ``XenError`` for a vCPU the domain does not have, an ACPI trigger for a
    ///   guest that is not HVM, or a trigger the hypervisor refuses (x86 Xen implements no
    ///   reset or init trigger): xl reports success for all of these.
    /// The corresponding libxl function is `libxl_send_trigger`.
    public func sendTrigger(_ id: DomainID, _ trigger: DomainTrigger, vcpu: Int = 0) throws(XenError) {
        let info = try domain(id)
        let label = describe(id)
        guard vcpu >= 0, vcpu < max(1, Int(info.vcpuCount)) else {
            throw XenError(code: .invalidArgument, message: "\(label) has no vCPU \(vcpu) (it has \(info.vcpuCount))")
        }
        if trigger.needsHVM, info.type != .hvm {
            throw XenError(code: .invalidArgument,
                           message: "cannot send \(trigger.rawValue) to \(label): it is an ACPI event, and only HVM guests have ACPI buttons "
                               + "(this is a \(info.type.rawValue.uppercased()) guest)",
                           hint: trigger == .power ? "xk shutdown \(id) asks it through its PV drivers" : nil)
        }
        let mark = logger.mark()
        if case .failure(let failure) = Libxl.trigger(ctx, id, trigger, vcpu: vcpu) {
            var error = self.error(failure, "send the \(trigger.rawValue) trigger to \(label)", id, since: mark)
            if error.libxlMessages.contains(where: { $0.contains("Function not implemented") }) {
                error.message += ": the hypervisor does not implement it on this host"
                error.hint = trigger == .reset ? "xk reboot, or xk destroy then xk create" : nil
            }
            throw error
        }
    }

    /// How long each domain has been up (dom0: dom0's kernel's uptime; a guest: since it was
    /// built), as `xl uptime` lists them; all domains when `ids` is empty.
    /// The corresponding libxl function is `libxl_vm_get_start_time`.
    public func uptimes(_ ids: [DomainID] = []) throws(XenError) -> [DomainUptime] {
        let now = UInt64(max(0, time(nil)))
        var result: [DomainUptime] = []
        for id in ids.isEmpty ? [DomainID.dom0] + (try domains().map(\.id).filter { $0 != .dom0 }) : ids {
            let name = self.name(of: id) ?? "\(id)"
            if id == .dom0 {
                result.append(DomainUptime(id: id, name: name, seconds: try Self.dom0Uptime()))
            } else if let start = Libxl.startTime(ctx, id) {
                result.append(DomainUptime(id: id, name: name, seconds: now > UInt64(start) ? now - UInt64(start) : 0))
            } else if !ids.isEmpty {
                _ = try domain(id)   // gone: says so; else it has no start time yet, and xl skips it too
            }
        }
        return result
    }

    private static func dom0Uptime() throws(XenError) -> UInt64 {
        let fd = open("/proc/uptime", O_RDONLY)
        guard fd >= 0 else { throw XenError(code: .operationFailed, message: "cannot read /proc/uptime", errno: errno) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let count = read(fd, &buffer, buffer.count - 1)
        let text = count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : ""
        guard let seconds = text.split(separator: " ").first.flatMap({ Double($0) }) else {
            throw XenError(code: .operationFailed, message: "cannot read /proc/uptime: \(Self.quoted(text))")
        }
        return UInt64(seconds)
    }

    static func checkDebugKeys(_ keys: String) throws(XenError) {
        guard !keys.isEmpty, keys.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw XenError(code: .invalidArgument, message: "debug keys \(quoted(keys)): each key is one printable ASCII character",
                           hint: "xk debug-keys h lists them in the hypervisor's log (xk dmesg)")
        }
    }

    static func sysrqKey(_ key: String) throws(XenError) -> UInt8 {
        guard key.utf8.count == 1, let byte = key.utf8.first, byte > 0x20, byte < 0x7f else {
            throw XenError(code: .invalidArgument, message: "SysRq key \(quoted(key)): one printable character is one key",
                           hint: "e.g. h (help, in the guest's kernel log), s (sync), w (blocked tasks)")
        }
        return byte
    }

    /// A key or keys as typed, quoted, with what is not printable as \u{..} escapes.
    private static func quoted(_ text: String) -> String {
        "'" + text.unicodeScalars.map { $0.value >= 0x20 && $0.value < 0x7f ? String($0) : $0.escaped(asASCII: true) }.joined() + "'"
    }
}
