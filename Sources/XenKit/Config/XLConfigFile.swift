// An xl.cfg file as libxlutil parsed it, with our own key scan beside it for line numbers.
//
// Ownership: the XLU_Config and the memory stream it reports into belong to this object and
// are freed once, in deinit, config first: > "report is saved and must remain valid until
// the Config is destroyed" (libxlutil.h, xlu_cfg_init).
internal import CXen

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

final class XLConfigFile {
    /// The name used in messages (the path as the operator gave it).
    let source: String
    /// Every assignment, in file order (overrides last).
    let statements: [ConfigStatement]
    let raw: OpaquePointer
    private let report: UnsafeMutablePointer<FILE>
    private let reportBuffer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    private let reportSize: UnsafeMutablePointer<Int>

    /// Lines from this one on are the command line's `KEY=VALUE` overrides.
    let firstOverrideLine: Int
    let overrides: [String]

    /// Parses `text`. Syntax errors are thrown with libxlutil's file:line message.
    init(source: String, text: String, firstOverrideLine: Int = .max, overrides: [String] = []) throws(XenError) {
        self.source = source
        self.firstOverrideLine = firstOverrideLine
        self.overrides = overrides
        reportBuffer = .allocate(capacity: 1)
        reportBuffer.initialize(to: nil)
        reportSize = .allocate(capacity: 1)
        reportSize.initialize(to: 0)
        guard let stream = open_memstream(reportBuffer, reportSize) else {
            reportBuffer.deallocate()
            reportSize.deallocate()
            throw XenError(code: .operationFailed, message: "\(source): cannot allocate the config parser")
        }
        report = stream
        guard let config = xlu_cfg_init(stream, source) else {
            fclose(stream)
            free(reportBuffer.pointee)
            reportBuffer.deallocate()
            reportSize.deallocate()
            throw XenError(code: .operationFailed, message: "\(source): cannot allocate the config parser")
        }
        raw = config
        statements = ConfigScanner.statements(in: text)
        let length = text.utf8.count
        guard length < Int(Int32.max) else {
            throw XenError(code: .invalidConfig, message: "\(source): the file is too large")
        }
        let rc = text.withCString { xlu_cfg_readdata(config, $0, Int32(length)) }
        if rc != 0 {
            let lines = reportText.split(separator: "\n").map(String.init)
            let first = lines.first.map(describeOverride)
                ?? "\(source): cannot parse: \(String(cString: strerror(rc)))"
            throw XenError(code: .invalidConfig, message: first,
                           hint: lines.count > 1 ? "\(lines.count - 1) more error(s) after this one" : nil)
        }
    }

    deinit {
        xlu_cfg_destroy(raw)
        fclose(report)
        free(reportBuffer.pointee)
        reportBuffer.deallocate()
        reportSize.deallocate()
    }

    /// What libxlutil wrote to its report stream so far.
    var reportText: String {
        fflush(report)
        guard let buffer = reportBuffer.pointee else { return "" }
        return String(cString: buffer)
    }

    /// The statement that sets `key` (the last one: later assignments win, as in xl).
    func statement(_ key: String) -> ConfigStatement? {
        statements.last { $0.key == key }
    }

    /// A "FILE:LINE: " prefix for messages about `key`.
    func location(_ key: String) -> String {
        guard let line = statement(key)?.line else { return "\(source): " }
        return location(line: line)
    }

    func location(line: Int) -> String {
        if line >= firstOverrideLine {
            let index = line - firstOverrideLine
            let text = index < overrides.count ? overrides[index] : "?"
            return "command line override '\(text)': "
        }
        return "\(source):\(line): "
    }

    /// libxlutil's "FILE:LINE: message" with an override's line named as the override.
    private func describeOverride(_ message: String) -> String {
        let prefix = source + ":"
        guard message.hasPrefix(prefix) else { return message }
        let rest = message.dropFirst(prefix.count)
        guard let colon = rest.firstIndex(of: ":"), let line = Int(rest[..<colon]),
              line >= firstOverrideLine else { return message }
        return location(line: line) + rest[rest.index(after: colon)...].drop { $0 == " " }
    }

    func error(_ key: String, _ problem: String, hint: String? = nil) -> XenError {
        XenError(code: .invalidConfig, message: location(key) + "\(key): " + problem, hint: hint)
    }

    func isSet(_ key: String) -> Bool { statement(key) != nil }

    /// A single value; nil when the key is absent. A list is an error.
    func string(_ key: String) throws(XenError) -> String? {
        var value: UnsafePointer<CChar>?
        switch xlu_cfg_get_string(raw, key, &value, 1) {
        case 0: return value.map { String(cString: $0) }
        case ESRCH: return nil
        default: throw error(key, "expected a single value, got a list")
        }
    }

    /// A whole number within `range`; nil when absent.
    func integer(_ key: String, in range: ClosedRange<Int> = Int.min...Int.max) throws(XenError) -> Int? {
        guard let text = try string(key) else { return nil }
        guard let value = Self.parseLong(text) else {
            throw error(key, "expected a number, got \"\(text)\"")
        }
        guard range.contains(value) else {
            throw error(key, "\(value) is out of range (\(range.lowerBound)...\(range.upperBound))")
        }
        return value
    }

    /// 0/1 as a boolean (xl's defbool keys); nil when absent.
    func boolean(_ key: String) throws(XenError) -> Bool? {
        guard let value = try integer(key) else { return nil }
        return value != 0
    }

    /// A list of single values; nil when absent. A single value is an error.
    func list(_ key: String) throws(XenError) -> [String]? {
        var list: OpaquePointer?
        var count: Int32 = 0
        switch xlu_cfg_get_list(raw, key, &list, &count, 1) {
        case 0: break
        case ESRCH: return nil
        default: throw error(key, "expected a list [ ... ], got a single value")
        }
        var items: [String] = []
        for index in 0..<count {
            guard let item = xlu_cfg_get_listitem(list, index) else {
                throw error(key, "item \(index + 1) is a list; expected a single value")
            }
            items.append(String(cString: item))
        }
        return items
    }

    /// A list of lists of single values (vnuma, vsnd); nil when absent. Items of the inner
    /// lists that are themselves lists are skipped, as xl skips them.
    func nestedList(_ key: String) throws(XenError) -> [[String]]? {
        var list: OpaquePointer?
        var count: Int32 = 0
        switch xlu_cfg_get_list(raw, key, &list, &count, 1) {
        case 0: break
        case ESRCH: return nil
        default: throw error(key, "expected a list of lists [ [ ... ], ... ], got a single value")
        }
        var result: [[String]] = []
        for index in 0..<count {
            guard let item = xlu_cfg_get_listitem2(list, index) else { break }
            var inner: OpaquePointer?
            guard xlu_cfg_value_get_list(raw, item, &inner, 1) == 0, let inner else {
                throw error(key, "item \(index + 1) is not a list [ ... ]")
            }
            var strings: [String] = []
            var position: Int32 = 0
            while let value = xlu_cfg_get_listitem2(inner, position) {
                position += 1
                guard xlu_cfg_value_type(value) == XLU_STRING else { continue }
                var text: UnsafeMutablePointer<CChar>?
                if xlu_cfg_value_get_string(raw, value, &text, 1) == 0, let text { strings.append(String(cString: text)) }
            }
            result.append(strings)
        }
        return result
    }

    /// Whether `key` holds a list (false when absent or a single value).
    func isList(_ key: String) -> Bool {
        var list: OpaquePointer?
        return xlu_cfg_get_list(raw, key, &list, nil, 1) == 0
    }

    /// strtol(3) with base 0 over the whole text, as libxlutil reads numbers.
    static func parseLong(_ text: String) -> Int? {
        guard !text.isEmpty else { return nil }
        return text.withCString { start -> Int? in
            var end: UnsafeMutablePointer<CChar>?
            errno = 0
            let value = strtol(start, &end, 0)
            guard errno == 0, let end, end.pointee == 0, end != UnsafeMutablePointer(mutating: start) else {
                return nil
            }
            return value
        }
    }
}
