// zstd's streaming calls (Debian's libzstd, which libxenguest links already), for the stream
// between two xk ends of a migration: MigrationCompression.swift drives them.
//
// Why zstd's own streaming API and not a Swift package: the packages this machine kind lists
// compress with zlib only (compress-nio), and zlib's fastest level is several times slower
// than zstd's on the mostly-empty pages of a guest's memory. Each context has one owner
// (`~Copyable`) and is freed exactly once.
internal import CXen

/// What zstd refused.
struct ZstdFailure: Error, Equatable, Sendable {
    /// zstd's own name for the error ("Data corruption detected", "Frame requires too much
    /// memory for decoding").
    let reason: String

    init(code: Int) {
        reason = String(cString: ZSTD_getErrorName(code))
    }

    init(reason: String) { self.reason = reason }

    /// zstd returns errors as sizes; nil when `code` is none.
    static func check(_ code: Int) -> ZstdFailure? {
        ZSTD_isError(code) != 0 ? ZstdFailure(code: code) : nil
    }
}

/// Where a compressed chunk ends: mid-stream, at a point the reader can decode up to, or at
/// the end of the frame.
enum ZstdFlush {
    case none, flush, end

    var directive: ZSTD_EndDirective {
        switch self {
        case .none: ZSTD_e_continue
        case .flush: ZSTD_e_flush
        case .end: ZSTD_e_end
        }
    }
}

/// One zstd compression stream.
struct ZstdCompressor: ~Copyable {
    /// The compression levels a sender may choose: up to 19, whose window (8 MiB) the
    /// receiver accepts (``ZstdDecompressor/windowLogMax``); 20 to 22 need up to 128 MiB.
    static let levels: ClosedRange<Int> = 1...19

    private let context: OpaquePointer
    private var scratch: [UInt8]

    init(level: Int) throws(ZstdFailure) {
        guard Self.levels.contains(level) else { throw ZstdFailure(reason: "level \(level) is not within \(Self.levels)") }
        guard let context = ZSTD_createCCtx() else { throw ZstdFailure(reason: "out of memory") }
        // Each frame ends with a checksum of its content (xxh64), which the decoder checks.
        for (parameter, value) in [(ZSTD_c_compressionLevel, Int32(level)), (ZSTD_c_checksumFlag, 1)] {
            if let failure = ZstdFailure.check(ZSTD_CCtx_setParameter(context, parameter, value)) {
                ZSTD_freeCCtx(context)
                throw failure
            }
        }
        self.context = context
        scratch = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())
    }

    deinit { ZSTD_freeCCtx(context) }

    /// Compresses `input`, handing each piece of output to `emit` (false from `emit` stops
    /// and comes back as false). Until `.flush` or `.end`, zstd may keep some of it.
    mutating func compress(_ input: UnsafeRawBufferPointer, _ flush: ZstdFlush,
                           emit: (UnsafeRawBufferPointer) -> Bool) throws(ZstdFailure) -> Bool {
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        let context = context
        while true {
            var remaining = 0
            let produced = scratch.withUnsafeMutableBytes { out in
                var sink = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                remaining = ZSTD_compressStream2(context, &sink, &source, flush.directive)
                return sink.pos
            }
            if let failure = ZstdFailure.check(remaining) { throw failure }
            if produced > 0 {
                let kept = scratch.withUnsafeBytes { emit(UnsafeRawBufferPointer(rebasing: $0[..<produced])) }
                if !kept { return false }
            }
            // Mid-stream, done once the input is taken; a flush or an end, once zstd says
            // nothing is left inside it.
            let done = flush == .none ? source.pos == source.size : remaining == 0
            if done { return true }
        }
    }
}

/// One zstd decompression stream, whose window is bounded.
struct ZstdDecompressor: ~Copyable {
    /// The largest window a stream may ask for: 2^23, 8 MiB (level 19's). A hostile stream
    /// cannot make us allocate more.
    static let windowLogMax: Int32 = 23

    private let context: OpaquePointer
    private var scratch: [UInt8]
    /// Whether all that was decoded so far ends a frame (its checksum checked): true before
    /// the first byte, false inside a frame.
    private(set) var atFrameEnd = true

    init() throws(ZstdFailure) {
        guard let context = ZSTD_createDCtx() else { throw ZstdFailure(reason: "out of memory") }
        if let failure = ZstdFailure.check(ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, Self.windowLogMax)) {
            ZSTD_freeDCtx(context)
            throw failure
        }
        self.context = context
        scratch = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses `input`, handing each piece of output to `emit` (false from `emit` stops
    /// and comes back as false).
    mutating func decompress(_ input: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) -> Bool) throws(ZstdFailure) -> Bool {
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        let context = context
        while true {
            var result = 0
            var full = false
            let produced = scratch.withUnsafeMutableBytes { out in
                var sink = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                result = ZSTD_decompressStream(context, &sink, &source)
                full = sink.pos == sink.size
                return sink.pos
            }
            // Whatever zstd says it produced is good, even beside an error.
            if produced > 0 {
                let kept = scratch.withUnsafeBytes { emit(UnsafeRawBufferPointer(rebasing: $0[..<produced])) }
                if !kept { return false }
            }
            if let failure = ZstdFailure.check(result) { throw failure }
            // A full output buffer may mean zstd holds more: call again even with no input.
            if source.pos == source.size && !full {
                atFrameEnd = result == 0   // 0: a frame was decoded, checked and handed out whole
                return true
            }
        }
    }
}
