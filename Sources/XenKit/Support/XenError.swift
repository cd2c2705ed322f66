/// The one error type of XenKit.
///
/// Shaped like swift-nio's `FileSystemError`: an extensible ``Code``, a sentence for people
/// that names the domain and the operation, the libxl return code when libxl said no, what
/// libxl logged while it failed, a hint of what to check, and where in XenKit it was raised.
public struct XenError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. New codes may be added: switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Wrapped: Hashable, Sendable {
            case hypervisorUnavailable
            case permissionDenied
            case xenstoreUnavailable
            case domainNotFound
            case alreadyExists
            case invalidArgument
            case invalidConfig
            case operationFailed
        }

        let wrapped: Wrapped

        /// This host does not run the Xen hypervisor, or its control interface is not reachable.
        public static var hypervisorUnavailable: Code { Code(wrapped: .hypervisorUnavailable) }
        /// The hypervisor is there but the caller may not control it (not root).
        public static var permissionDenied: Code { Code(wrapped: .permissionDenied) }
        /// xenstored is not running or its socket cannot be opened.
        public static var xenstoreUnavailable: Code { Code(wrapped: .xenstoreUnavailable) }
        /// No domain has the given name or id.
        public static var domainNotFound: Code { Code(wrapped: .domainNotFound) }
        /// A domain with that name already exists.
        public static var alreadyExists: Code { Code(wrapped: .alreadyExists) }
        /// An argument was malformed or out of range.
        public static var invalidArgument: Code { Code(wrapped: .invalidArgument) }
        /// A domain config (xl.cfg) is malformed or asks for something impossible; the message
        /// names the file, the line and the key.
        public static var invalidConfig: Code { Code(wrapped: .invalidConfig) }
        /// libxl (or the hypervisor) refused or failed the operation.
        public static var operationFailed: Code { Code(wrapped: .operationFailed) }

        public var description: String {
            switch wrapped {
            case .hypervisorUnavailable: "hypervisor unavailable"
            case .permissionDenied: "permission denied"
            case .xenstoreUnavailable: "xenstore unavailable"
            case .domainNotFound: "domain not found"
            case .alreadyExists: "already exists"
            case .invalidArgument: "invalid argument"
            case .invalidConfig: "invalid config"
            case .operationFailed: "operation failed"
            }
        }
    }

    /// Where in XenKit the error was raised.
    public struct Location: Hashable, Sendable, CustomStringConvertible {
        public var function: String
        public var file: String
        public var line: Int
        public var description: String { "\(file):\(line) (\(function))" }
    }

    /// The kind of failure.
    public var code: Code
    /// A sentence for people that names what was being done and to which domain.
    public var message: String
    /// The libxl return code (`ERROR_*`, negative) when a libxl call failed.
    public var libxlCode: Int32?
    /// What libxl logged at error level while the operation ran (most recent last).
    public var libxlMessages: [String]
    /// The errno a system or libxenstore call left, when that is the cause.
    public var errno: Int32?
    /// What the operator can check or do about it, when we know.
    public var hint: String?
    /// Where the error was raised.
    public var location: Location

    public init(
        code: Code,
        message: String,
        hint: String? = nil,
        libxlCode: Int32? = nil,
        libxlMessages: [String] = [],
        errno: Int32? = nil,
        function: String = #function,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.libxlCode = libxlCode
        self.libxlMessages = libxlMessages
        self.errno = errno
        self.hint = hint
        self.location = Location(function: function, file: file, line: line)
    }

    /// One line: the message, then the hint, then the libxl code name.
    public var description: String {
        var text = message
        if let hint { text += ": " + hint }
        if let libxlCode { text += " (libxl \(LibxlCode.name(libxlCode)))" }
        if let errno { text += " (\(SystemErrorName.describe(errno)))" }
        return text
    }
}

/// Two errors are equal when they say the same: what, why, and the cause (not where).
extension XenError: Equatable {
    public static func == (lhs: XenError, rhs: XenError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.hint == rhs.hint
            && lhs.libxlCode == rhs.libxlCode && lhs.errno == rhs.errno
    }
}
