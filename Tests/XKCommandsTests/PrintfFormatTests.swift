import Foundation
import Testing
@testable import XKCommands

#if canImport(Glibc)
import Glibc
#endif

/// xk's own printf (PrintfFormat.swift) against the C library's vsnprintf, which xl prints with.
@Suite struct PrintfFormatTests {
    /// What glibc writes for `format` and `arguments` (the oracle).
    func c(_ format: String, _ arguments: [any CVarArg]) -> String {
        withVaList(arguments) { list in
            var buffer = [CChar](repeating: 0, count: 4096)
            _ = vsnprintf(&buffer, buffer.count, format, list)
            return String(cString: buffer)
        }
    }

    @Test func integersAsGlibcWritesThem() {
        let values: [Int32] = [0, 1, -1, 7, 42, -42, 999, 1000, 65_535, -65_536, .max, .min, 123_456_789]
        let specs = ["%d", "%5d", "%-5d", "%05d", "%+d", "% d", "%+6d", "%-+6d|", "%.3d", "%8.3d", "%08.3d", "%.0d", "%i",
                     "%u", "%9u", "%x", "%08x", "%X", "%o", "%-7x|", "%01x", "%hhd", "%hd", "%hu"]
        for spec in specs {
            for value in values {
                #expect(cFormat(spec, value) == c(spec, [value]), "\(spec) of \(value)")
            }
        }
        let wide: [UInt64] = [0, 1, 4096, 0xffff_8000_0000_0000, .max, 18_446_744_073_709_551_000]
        for spec in ["%llu", "%6llu", "%llx", "virt_start=0x%llx", "%lu", "%5lu", "%-20lu|", "%lld", "%zu", "%ju"] {
            for value in wide {
                #expect(cFormat(spec, value) == c(spec, [value]), "\(spec) of \(value)")
            }
        }
        for value: Int64 in [0, -1, .min, .max, -9_000_000_000] {
            #expect(cFormat("%ld %lld %li", value, value, value) == c("%ld %lld %li", [value, value, value]))
        }
    }

    @Test func stringsAndCharacters() {
        for text in ["", "a", "Domain-0", "a-rather-long-guest-name-that-fills-40-characters", "naïve"] {
            for spec in ["%s", "%10s", "%-10s|", "%-40s|", "%.3s", "%-8.2s|", "%3s"] {
                let expected = text.withCString { c(spec, [$0]) }
                #expect(cFormat(spec, text) == expected, "\(spec) of \(text)")
                #expect(text.withCString { cFormat(spec, $0) } == expected, "\(spec) of \(text) as a C string")
            }
        }
        for byte: Int32 in [45, 114, 98, 112, 32] {
            for spec in ["%c", "%3c", "%-3c|", "%5c"] {
                #expect(cFormat(spec, byte) == c(spec, [byte]))
            }
        }
        #expect(cFormat("100%% %s", "done") == "100% done")
    }

    @Test func fixedPointRoundsAsGlibc() {
        var values: [Double] = [
            0, -0.0, 0.5, 1.5, 2.5, 3.5, -2.5, 0.25, 0.125, 0.375, 0.05, 0.15, 0.35, 0.45, 1.005, 2.675,
            9.95, 9.96, 99.95, 999.5, 0.000_001, 1e-7, 123.456, 12.345_678_901, 1024, 4_294_967_296.5,
            1e15 + 0.5, 9_007_199_254_740_993, 1e21, 1.7976931348623157e308, 5e-324, 2.2250738585072014e-308,
            Double(Float(12_345_678_901)) / 1e9, Double(Float(1)) / 1e9, 0.1, 0.2, 0.3, 1.0 / 3.0, 2.0 / 3.0,
        ]
        // Spread, reproducible values: the index times the 64-bit golden ratio, each bit used once.
        for index in 1...400 {
            let bits = UInt64(index) &* 0x9e37_79b9_7f4a_7c15
            values.append(Double(bitPattern: bits & 0x7fef_ffff_ffff_ffff) * (bits >> 63 == 0 ? 1 : -1))
            values.append(Double(bits % 10_000_000) / Double(1 << ((bits >> 40) % 20)))
            values.append(Double((bits >> 20) % 1_000_000) / 1000 + 0.0005)
        }
        for value in values {
            for spec in ["%f", "%.0f", "%.1f", "%.2f", "%.3f", "%8.1f", "%9.1f", "%-9.1f|", "%09.2f", "%+.1f", "% .1f", "%.12f", "%F"] {
                #expect(cFormat(spec, value) == c(spec, [value]), "\(spec) of \(value.bitPattern)")
            }
        }
        for value in [Double.infinity, -.infinity, .nan, -.nan] {
            for spec in ["%f", "%8.1f", "%-8.1f|", "%08.1f", "%F", "%+f"] {
                #expect(cFormat(spec, value) == c(spec, [value]), "\(spec) of \(value)")
            }
        }
    }

    @Test func widthAndPrecisionFromArguments() {
        for digits: Int32 in [0, 1, 2, 5] {
            #expect(cFormat("%.*f", digits, 3.14159) == c("%.*f", [digits, 3.14159]))
            #expect(cFormat("%*d|", digits + 3, Int32(42)) == c("%*d|", [digits + 3, Int32(42)]))
        }
        #expect(cFormat("%*d|", Int32(-6), Int32(42)) == c("%*d|", [Int32(-6), Int32(42)]))
        #expect(cFormat("%.*f", Int32(-1), 2.5) == c("%.*f", [Int32(-1), 2.5]))
    }

    @Test func xlsRowsComeOutTheSame() {
        let row = "%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f"
        let flags = Array("r-----".utf8).map { Int32($0) }
        let ours = "Domain-0".withCString {
            cFormat(row, $0, Int32(0), UInt(1024), Int32(2), flags[0], flags[1], flags[2], flags[3], flags[4], flags[5], 12.3)
        }
        let theirs = "Domain-0".withCString {
            c(row, [$0, Int32(0), UInt(1024), Int32(2), flags[0], flags[1], flags[2], flags[3], flags[4], flags[5], 12.3])
        }
        #expect(ours == theirs)
        #expect(cFormat("%04x:%02x:%02x.%01x      %d", UInt32(0), UInt32(3), UInt32(0x1f), UInt32(7), Int32(-1))
            == "0000:03:1f.7      -1")
    }

    /// Every format string handed to cFormat in xk's sources is one this formatter writes, so
    /// no command can stop on a conversion it lacks.
    @Test func everyFormatInTheSourcesParses() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") } ?? []
        var formats: [String] = []
        for file in files {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            var rest = text[...]
            while let call = rest.range(of: "cFormat(") {
                rest = rest[call.upperBound...]
                let literal = rest.drop { $0 == " " || $0 == "\n" }
                guard literal.first == "\"", let end = literal.dropFirst().firstIndex(of: "\"") else { continue }
                formats.append(String(literal[literal.index(after: literal.startIndex)..<end]))
            }
        }
        #expect(formats.count >= 30)
        for format in formats {
            let bytes = Array(format.utf8)
            for (at, byte) in bytes.enumerated() where byte == UInt8(ascii: "%") && (at == 0 || bytes[at - 1] != UInt8(ascii: "%")) {
                #expect(PrintfSpec.parse(bytes, at) != nil, "cFormat(\"\(format)\")")
            }
        }
        #expect(PrintfSpec.parse(Array("%e".utf8), 0) == nil)
        #expect(PrintfSpec.parse(Array("%#x".utf8), 0) == nil)
        #expect(PrintfSpec.parse(Array("%".utf8), 0) == nil)
    }
}
