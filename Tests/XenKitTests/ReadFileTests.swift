import Testing
@testable import XenKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// readFile, which reads every config, xl.conf and definition: its buffer is sized by fstat,
/// so these cover files larger than one buffer, files whose size fstat does not tell (/proc)
/// and the limits.
@Suite struct ReadFileTests {
    static func scratch(_ name: String) -> String {
        var template = Array("/tmp/xenkit-read-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) } + "/" + name
    }

    static func write(_ path: String, _ bytes: [UInt8]) {
        let file = try! FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600).get()
        try! file.writeAll(bytes).get()
    }

    @Test func filesOfEverySizeComeBackWhole() throws {
        // Sizes around the smallest buffer (4 KiB) and beyond the largest (1 MiB), and empty.
        for size in [0, 1, 4095, 4096, 4097, 70_000, (1 << 20) + 3, 3 << 20] {
            let path = Self.scratch("f\(size)")
            let text = (0..<size).map { UInt8(ascii: "a") + UInt8($0 % 26) }
            Self.write(path, text)
            let read = try readFile(path)
            #expect(read.utf8.count == size)
            #expect(Array(read.utf8) == text, "size \(size)")
        }
    }

    @Test func aFileWhoseSizeFstatDoesNotTellIsReadToItsEnd() throws {
        // /proc's files say 0 bytes to fstat and still have text.
        let status = try readFile("/proc/self/status")
        #expect(status.contains("Name:") && status.utf8.count > 100)
    }

    @Test func overSixteenMiBAndNULsAreRefused() {
        let big = Self.scratch("big")
        Self.write(big, [UInt8](repeating: UInt8(ascii: "x"), count: (16 << 20) + 1))
        #expect(throws: FileReadError.self) { try readFile(big) }
        let nul = Self.scratch("nul")
        Self.write(nul, Array("name = \"a\"\n".utf8) + [0] + Array("x\n".utf8))
        #expect(throws: FileReadError.self) { try readFile(nul) }
        let exactly = Self.scratch("exact")
        Self.write(exactly, [UInt8](repeating: UInt8(ascii: "x"), count: 16 << 20))
        #expect((try? readFile(exactly))?.utf8.count == 16 << 20)
        #expect(throws: FileReadError.self) { try readFile(Self.scratch("missing")) }
    }
}
