internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A domain's full configuration, as libxl builds domains from it, read from an xl.cfg file.
///
/// Reading a config needs no hypervisor: operators can check configs anywhere. The value
/// owns a heap-allocated `libxl_domain_config` and disposes of it exactly once; it cannot be
/// copied, only moved or borrowed.
///
/// The corresponding libxl type is `libxl_domain_config`.
public struct DomainConfiguration: ~Copyable {
    let raw: UnsafeMutablePointer<libxl_domain_config>
    /// Where the config came from (the file name as given).
    public let source: String
    /// Things the operator should know that do not stop the domain from being built (for
    /// example a key xl does not know, with the nearest known key).
    public let warnings: [String]

    init(raw: UnsafeMutablePointer<libxl_domain_config>, source: String, warnings: [String]) {
        self.raw = raw
        self.source = source
        self.warnings = warnings
    }

    deinit {
        libxl_domain_config_dispose(raw)
        raw.deallocate()
    }

    /// The domain's name (`name =`).
    public var name: String {
        raw.pointee.c_info.name.map { String(cString: $0) } ?? ""
    }

    /// The domain's type.
    public var type: DomainType {
        switch raw.pointee.c_info.type {
        case LIBXL_DOMAIN_TYPE_PV: .pv
        case LIBXL_DOMAIN_TYPE_PVH: .pvh
        case LIBXL_DOMAIN_TYPE_HVM: .hvm
        default: .unknown
        }
    }

    /// The configuration as libxl's JSON, exactly what `xl -N create` prints.
    ///
    /// The corresponding libxl function is `libxl_domain_config_to_json`.
    public func json() throws(XenError) -> String {
        // > A NULL ctx is allowed: the JSON generator only needs it for logging.
        guard let text = libxl_domain_config_to_json(nil, raw) else {
            throw XenError(code: .operationFailed,
                           message: "\(source): cannot convert the domain config to JSON")
        }
        defer { free(text) }
        return String(cString: text)
    }
}

extension DomainConfiguration {
    /// Options for reading a config.
    public struct LoadOptions: Sendable {
        /// `KEY=VALUE` lines appended after the file, as xl create's trailing arguments.
        public var overrides: [String] = []
        /// Treat keys xl does not know as errors instead of warnings.
        public var strict = false
        /// Check that kernel, ramdisk and device tree files exist (off to check a config
        /// meant for another host).
        public var checkFiles = true
        /// The host the domain is for: sizes CPU affinity maps and resolves `node:N`. When
        /// nil (no Xen here), a host of 64 CPUs in one node is assumed, with a warning.
        public var host: HostTopology?
        /// The host's xl.conf: its claim_mode, run_hotplug_scripts, blkdev_start and grant
        /// table defaults go into the config, as xl puts them.
        public var xlConf: XLConf
        /// Leave xl.conf's vm.*cpumask out (xl create --ignore-global-affinity-masks).
        public var ignoreGlobalAffinityMasks: Bool

        public init(overrides: [String] = [], strict: Bool = false, checkFiles: Bool = true,
                    host: HostTopology? = nil, xlConf: XLConf = XLConf(), ignoreGlobalAffinityMasks: Bool = false) {
            self.overrides = overrides
            self.strict = strict
            self.checkFiles = checkFiles
            self.host = host
            self.xlConf = xlConf
            self.ignoreGlobalAffinityMasks = ignoreGlobalAffinityMasks
        }
    }

    /// Reads and maps the xl.cfg file at `path`.
    ///
    /// - Throws: ``XenError`` with code ``XenError/Code/invalidConfig`` naming the file, the
    ///   line and the key of the first problem; nothing is built from a bad config.
    public static func load(path: String, options: LoadOptions = LoadOptions()) throws(XenError) -> DomainConfiguration {
        let text: String
        do {
            text = try readFile(path)
        } catch {
            throw XenError(code: .invalidConfig, message: "\(path): cannot read the config: \(error.reason)")
        }
        return try parse(text: text, source: path, options: options)
    }

    /// Maps xl.cfg text (see ``load(path:options:)``).
    public static func parse(text: String, source: String, options: LoadOptions = LoadOptions()) throws(XenError) -> DomainConfiguration {
        // As xl does: the overrides follow the file, each on its own line, so they win.
        var data = text
        let overrideLine = text.split(separator: "\n", omittingEmptySubsequences: false).count + 1
        if !options.overrides.isEmpty {
            data += "\n" + options.overrides.joined(separator: "\n") + "\n"
        }
        let file = try XLConfigFile(source: source, text: data, firstOverrideLine: overrideLine,
                                    overrides: options.overrides)
        let raw = UnsafeMutablePointer<libxl_domain_config>.allocate(capacity: 1)
        libxl_domain_config_init(raw)
        var mapper = ConfigMapper(file: file, config: raw, options: options)
        do {
            try mapper.mapAll()
        } catch {
            libxl_domain_config_dispose(raw)
            raw.deallocate()
            throw error
        }
        return DomainConfiguration(raw: raw, source: source, warnings: mapper.warnings)
    }
}

struct FileReadError: Error {
    var reason: String
}

/// The whole file as UTF-8 text (invalid bytes replaced; libxlutil rejects what it cannot lex).
///
/// Read through a buffer sized by fstat and not zeroed: a fixed 64 KiB chunk of zeros cost an
/// HVM create 16 page faults in its memset in the lab (perf), for configs of a few hundred bytes.
func readFile(_ path: String) throws(FileReadError) -> String {
    let limit = 16 << 20
    let file: FileDescriptor
    switch FileDescriptor.open(path, O_RDONLY) {
    case .success(let opened): file = opened
    case .failure(let failure): throw FileReadError(reason: failure.reason)
    }
    var info = stat()
    let expected = fstat(file.rawValue, &info) == 0 && info.st_size > 0 ? Int(clamping: info.st_size) : 0
    // One byte more than the file has, so that the read that fills it also sees its end.
    let chunkSize = min(max(expected + 1, 4096), 1 << 20)
    let chunk = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkSize)
    defer { chunk.deallocate() }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(min(expected, limit))
    while true {
        let count = readDescriptor(file.rawValue, chunk, chunkSize)
        if count < 0 {
            if errno == EINTR { continue }
            throw FileReadError(reason: SystemFailure.last.reason)
        }
        if count == 0 { break }
        bytes.append(contentsOf: UnsafeBufferPointer(start: chunk, count: count))
        if bytes.count > limit { throw FileReadError(reason: "larger than 16 MiB, not a config") }
    }
    if bytes.contains(0) { throw FileReadError(reason: "it contains NUL bytes, not a text config") }
    return String(decoding: bytes, as: UTF8.self)
}
