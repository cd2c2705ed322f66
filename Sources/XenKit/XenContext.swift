internal import CXen

/// A connection to the Xen toolstack on this host: the entry point of XenKit.
///
/// `XenContext` owns libxl's context and the logger libxl writes to, and frees both when
/// the last reference goes (the context first, then its logger). Calls block while libxl
/// talks to the hypervisor and xenstored: make them from a thread of your own, not from
/// Swift concurrency's cooperative pool.
///
/// The corresponding libxl type is `libxl_ctx`, allocated with `libxl_ctx_alloc`.
public final class XenContext: @unchecked Sendable {
    // @unchecked: `ctx` is immutable after init and
    // > "struct libxl_ctx* is threadsafe" (libxl.h, "libxl memory management").
    let ctx: OpaquePointer
    let logger: ToolLogger

    /// Opens the toolstack.
    ///
    /// - Parameter echoLevel: libxl messages at or above this level are also written to
    ///   stderr as they happen (xl's `-v`); nil keeps them for error reports only.
    /// - Parameter timestamps: echoed lines start with the date and process id (xl's `-T`).
    /// - Throws: ``XenError`` with code ``XenError/Code/hypervisorUnavailable``,
    ///   ``XenError/Code/permissionDenied`` or ``XenError/Code/xenstoreUnavailable`` and a
    ///   hint of what to check, when this host cannot be controlled.
    public init(echoLevel: LogLevel? = nil, timestamps: Bool = false) throws(XenError) {
        let logger = ToolLogger(echoLevel: echoLevel, timestamps: timestamps)
        let mark = logger.mark()
        switch Libxl.allocateContext(logger: logger) {
        case .success(let ctx):
            self.ctx = ctx
            self.logger = logger
        case .failure(let failure):
            throw XenError.contextUnavailable(failure, messages: logger.errors(since: mark))
        }
    }

    deinit {
        Libxl.freeContext(ctx)
        // `logger` is released after this body: the ctx is gone before its logger.
    }

    /// Runs one libxl query and turns its failure into a XenError for `operation`.
    func perform<T>(
        _ operation: @autoclosure () -> String,
        function: String = #function, file: String = #fileID, line: Int = #line,
        _ body: (OpaquePointer) -> Result<T, LibxlFailure>
    ) throws(XenError) -> T {
        let mark = logger.mark()
        switch body(ctx) {
        case .success(let value):
            return value
        case .failure(let failure):
            throw XenError.libxl(failure, operation: operation(),
                                 messages: logger.errors(since: mark),
                                 function: function, file: file, line: line)
        }
    }
}
