// The one place where libxenstore's errnos become XenErrors with sentences for people.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension XenError {
    /// A libxenstore call failed while doing `operation` ("read /local/domain/3/name").
    static func xenstore(
        _ failure: XenStoreFailure, operation: String,
        function: String = #function, file: String = #fileID, line: Int = #line
    ) -> XenError {
        let code: Code
        let hint: String?
        switch failure.errno {
        case EACCES, EPERM:
            code = .permissionDenied
            hint = "xenstored's permissions on that node do not let this domain (or a read-only connection) do it"
        case EINVAL:
            code = .invalidArgument
            hint = "xenstore paths are made of letters, digits and -/_@, with no trailing or double /"
        case ENOSPC, EDQUOT:
            code = .operationFailed
            hint = "xenstored's quota for this domain is used up"
        case ECONNREFUSED, ENOENT, EPIPE, ECONNRESET, EBADF:
            code = .xenstoreUnavailable
            hint = "is xenstored running?"
        default:
            code = .operationFailed
            hint = nil
        }
        return XenError(code: code, message: "cannot \(operation) in xenstore", hint: hint,
                        errno: failure.errno, function: function, file: file, line: line)
    }
}

/// "errno 13 EACCES: Permission denied", for messages.
enum SystemErrorName {
    static func describe(_ code: Int32) -> String {
        let names: [Int32: String] = [
            EPERM: "EPERM", ENOENT: "ENOENT", EIO: "EIO", EAGAIN: "EAGAIN", EACCES: "EACCES",
            EEXIST: "EEXIST", EINVAL: "EINVAL", ENOSPC: "ENOSPC", EPIPE: "EPIPE", E2BIG: "E2BIG",
            EBUSY: "EBUSY", ECONNREFUSED: "ECONNREFUSED", ECONNRESET: "ECONNRESET", EDQUOT: "EDQUOT",
            EBADF: "EBADF", ENOMEM: "ENOMEM", EISDIR: "EISDIR",
        ]
        let text = strerror(code).map { String(cString: $0) } ?? "unknown error"
        return "errno \(code)" + (names[code].map { " " + $0 } ?? "") + ": " + text
    }
}
