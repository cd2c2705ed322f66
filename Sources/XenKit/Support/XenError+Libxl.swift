// The one place where libxl's return codes and what the host looks like become XenErrors
// with sentences for people (NIOFS's FileSystemError+Syscall.swift is the model).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension XenError {
    /// A libxl call failed while doing `operation` (a phrase: "list domains",
    /// "get the info of domain 'web'").
    static func libxl(
        _ failure: LibxlFailure, operation: String, messages: [String],
        function: String = #function, file: String = #fileID, line: Int = #line
    ) -> XenError {
        XenError(code: .operationFailed, message: "cannot \(operation)",
                 hint: messages.last.map { "libxl says: " + libxlReason($0) },
                 libxlCode: failure.code, libxlMessages: messages, function: function, file: file, line: line)
    }

    /// A libxl log line without its "libxl: error: FILE.c:LINE:FUNCTION: " prefix: the reason
    /// an operator can act on.
    static func libxlReason(_ line: String) -> String {
        var rest = Substring(line)
        for prefix in ["libxl: error: ", "libxl: "] where rest.hasPrefix(prefix) { rest = rest.dropFirst(prefix.count) }
        // FILE.c:LINE:FUNCTION: reason
        let parts = rest.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
        if parts.count == 4, parts[0].hasSuffix(".c"), Int(parts[1]) != nil {
            return parts[3].drop { $0 == " " }.description
        }
        return String(rest)
    }

    /// No domain answers to `qualifier`; worded like xl's error.
    static func domainNotFound(
        _ qualifier: DomainQualifier,
        function: String = #function, file: String = #fileID, line: Int = #line
    ) -> XenError {
        XenError(code: .domainNotFound, message: "domain '\(qualifier)' does not exist",
                 function: function, file: file, line: line)
    }

    /// `libxl_ctx_alloc` failed: find out why from the host itself, so the operator gets one
    /// line that says what is wrong and what to check, not libxl's log.
    static func contextUnavailable(
        _ failure: LibxlFailure, messages: [String], host: HostProbe = HostProbe()
    ) -> XenError {
        let code = failure.code
        if !host.runsOnXen {
            return XenError(
                code: .hypervisorUnavailable,
                message: "this host is not running Xen",
                hint: "boot it with the Xen hypervisor and run xk in dom0 "
                    + "(/sys/hypervisor/type does not say xen)",
                libxlCode: code, libxlMessages: messages)
        }
        if !host.isRoot {
            return XenError(
                code: .permissionDenied, message: "xk needs root to control Xen",
                hint: "run it as root (sudo xk ...)", libxlCode: code, libxlMessages: messages)
        }
        if !host.hasPrivcmd {
            return XenError(
                code: .hypervisorUnavailable,
                message: "the Xen control device is missing",
                hint: "load the xen-privcmd module and mount xenfs on /proc/xen "
                    + "(no /dev/xen/privcmd or /proc/xen/privcmd)",
                libxlCode: code, libxlMessages: messages)
        }
        if !host.hasXenstored || messages.contains(where: { $0.contains("xenstore") }) {
            return XenError(
                code: .xenstoreUnavailable, message: "cannot connect to xenstored",
                hint: "start it (systemctl start xenstored, or the xencommons init script)",
                libxlCode: code, libxlMessages: messages)
        }
        return XenError(
            code: .operationFailed, message: "cannot open the Xen toolstack (libxl) context",
            hint: messages.last, libxlCode: code, libxlMessages: messages)
    }
}

/// The facts about this host that explain why Xen cannot be reached.
struct HostProbe: Sendable {
    var runsOnXen: Bool
    var isRoot: Bool
    var hasPrivcmd: Bool
    var hasXenstored: Bool

    init(runsOnXen: Bool, isRoot: Bool, hasPrivcmd: Bool, hasXenstored: Bool) {
        self.runsOnXen = runsOnXen
        self.isRoot = isRoot
        self.hasPrivcmd = hasPrivcmd
        self.hasXenstored = hasXenstored
    }

    /// Reads the live host.
    init() {
        runsOnXen = Self.readText("/sys/hypervisor/type")?.hasPrefix("xen") ?? false
        isRoot = geteuid() == 0
        hasPrivcmd = Self.exists("/dev/xen/privcmd") || Self.exists("/proc/xen/privcmd")
        hasXenstored = Self.exists("/run/xenstored/socket")
            || Self.exists("/var/run/xenstored/socket") || Self.exists("/dev/xen/xenbus")
    }

    private static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    private static func readText(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(fd, &buffer, buffer.count)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }
}
