// The seam under the migration workflows for the peer: sending and receiving bytes with a
// time limit, and streaming the domain through the relay. `MigrationChannel` (the ssh
// command's pipes, or a socket) is the live side; the unit tests put a scripted peer there
// that can end, stall, garble or refuse at any message.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// Why the peer did not give what was asked.
enum TransportFailure: Error, Equatable, Sendable {
    /// The stream ended (EOF).
    case ended
    /// Nothing came within the time limit.
    case timedOut
    case failed(SystemFailure)
    /// zstd could not compress what was to be sent, or decode what came.
    case compression(ZstdFailure)

    var text: String {
        switch self {
        case .ended: "the stream ended"
        case .timedOut: "nothing came in time"
        case .failed(let failure): failure.reason
        case .compression(let failure): "zstd: \(failure.reason)"
        }
    }
}

protocol MigrationTransport {
    func send(_ bytes: [UInt8]) -> Result<Void, TransportFailure>
    /// Exactly `count` bytes, each read waiting at most `timeout` (nil: for ever).
    func receive(_ count: Int, timeout: Duration?) -> Result<[UInt8], TransportFailure>
    /// Runs `body` with the descriptor libxl must stream into, and moves what it writes to
    /// the peer; the relay's own failure, if any, comes back beside body's result.
    func relay(_ body: (Int32) -> Result<Void, LibxlFailure>) -> (Result<Void, LibxlFailure>, relayProblem: String?)
    /// The descriptor libxl reads a stream from (the receiver's side).
    var receiveDescriptor: Int32 { get }
    /// The next `count` bytes, left in the stream for libxl to read.
    func peek(_ count: Int, timeout: Duration) -> Result<[UInt8], TransportFailure>
    /// Once libxl has read the domain: whether the stream was whole. A compressed stream's
    /// frame must end with its checksum (MigrationCompression.swift); a plain one has
    /// nothing more to check.
    func streamComplete(timeout: Duration) -> Result<Void, TransportFailure>
}

extension MigrationTransport {
    /// Reads one fixed message of xl's protocol; what went wrong, or nil.
    func expect(_ message: MigrationMessage, timeout: Duration?) -> MigrationStepResult {
        switch receive(message.bytes.count, timeout: timeout) {
        case .success(let bytes) where bytes == message.bytes: return .done
        case .success: return .failed(StepFailure(problem: "the stream held unexpected data instead of \(message.what)"))
        case .failure(.timedOut): return .timedOut(message.what)
        case .failure(.ended): return .failed(StepFailure(problem: "the stream ended before \(message.what)"))
        case .failure(.failed(let cause)):
            return .failed(StepFailure(problem: "cannot read \(message.what): \(cause.reason)", errno: cause.errno))
        case .failure(let other):
            return .failed(StepFailure(problem: "cannot read \(message.what): \(other.text)"))
        }
    }

    func send(_ message: MigrationMessage) -> MigrationStepResult {
        switch send(message.bytes) {
        case .success: return .done
        case .failure(let failure):
            return .failed(StepFailure(problem: "cannot send \(message.what): \(failure.text)"))
        }
    }
}

/// Bytes moved by a relay so far, readable from any thread (the progress line).
final class ByteCounter: Sendable {
    private let value = Atomic<UInt64>(0)
    var count: UInt64 { value.load(ordering: .relaxed) }
    func add(_ n: Int) { value.add(UInt64(n), ordering: .relaxed) }
}
