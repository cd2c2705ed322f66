import Testing
@testable import XenKit

#if canImport(Glibc)
import Glibc
#endif

/// A scripted sender, as `xk migrate` (or xl's) behaves, on the far end of the receiver's
/// transport. Its own copy is tracked here: suspended while it streams; destroyed on a 0
/// report; resumed on permission after a failure report, or when it never sent GO (its own
/// rollback); left suspended when it sent GO and heard nothing (xl's undefined state).
final class ScriptedSender: MigrationTransport, @unchecked Sendable {
    let host: FakeHost
    var copy: FakeHost.RunState = .suspended
    private var inbox: [UInt8]
    private var received: [UInt8] = []
    private var sentGo = false
    private var report: UInt8?
    private var permission = false
    var receiveDescriptor: Int32 { 5 }

    init(host: FakeHost) {
        self.host = host
        inbox = SaveFileHeader(configJSON: "{\"c_info\": {\"name\": \"web\"}}\n").encoded()
    }

    func send(_ bytes: [UInt8]) -> Result<Void, TransportFailure> {
        let fault = host.fault("send")
        if fault == .error { return .failure(.failed(SystemFailure(errno: EPIPE))) }
        received += bytes
        hear()
        return fault == .partial ? .failure(.failed(SystemFailure(errno: EPIPE))) : .success(())
    }

    /// The sender's side of the handshake, on what it has heard so far.
    private func hear() {
        let banner = MigrationMessage.banner.bytes, ready = MigrationMessage.ready.bytes
        let reportBytes = MigrationMessage.report.bytes, go = MigrationMessage.permissionToGo.bytes
        var rest = received[...]
        guard rest.starts(with: banner) else { return }
        rest = rest.dropFirst(banner.count)
        guard rest.starts(with: ready) else { return }
        rest = rest.dropFirst(ready.count)
        if !sentGo {
            sentGo = true
            inbox += go
        }
        guard rest.starts(with: reportBytes), rest.count > reportBytes.count else { return }
        report = rest[rest.startIndex + reportBytes.count]
        rest = rest.dropFirst(reportBytes.count + 1)
        if report != 0 && rest.starts(with: go) { permission = true }
    }

    /// How the sender ends, once the receiver is done.
    func finish() {
        if report == 0 { copy = .gone }
        else if permission || !sentGo { copy = .running }
        else { copy = .suspended }
    }

    func receive(_ count: Int, timeout: Duration?) -> Result<[UInt8], TransportFailure> {
        switch host.fault("receive") {
        case .error: return .failure(.ended)
        case .partial: return .success([UInt8](repeating: 0x21, count: count))
        default: break
        }
        guard inbox.count >= count else { return .failure(.timedOut) }
        let bytes = Array(inbox.prefix(count))
        inbox.removeFirst(count)
        return .success(bytes)
    }

    func peek(_ count: Int, timeout: Duration) -> Result<[UInt8], TransportFailure> {
        switch host.fault("peek") {
        case .error: return .failure(.ended)
        case .partial: return .success(Array("LibxlFmt".utf8) + [0, 0, 0, 1, 0, 0, 0, 0])   // a version 1 stream
        default: return .success(Array("LibxlFmt".utf8) + [0, 0, 0, 2, 0, 0, 0, 0])
        }
    }

    func relay(_ body: (Int32) -> Result<Void, LibxlFailure>) -> (Result<Void, LibxlFailure>, relayProblem: String?) {
        (body(6), nil)
    }

    /// A compressed stream whose checksum fails after libxl read it all, or that stops there.
    func streamComplete(timeout: Duration) -> Result<Void, TransportFailure> {
        switch host.fault("streamComplete") {
        case .error: .failure(.compression(ZstdFailure(reason: "Restored data doesn't match checksum")))
        case .partial: .failure(.timedOut)
        default: .success(())
        }
    }
}

/// Every fault at every step of `xk migrate-receive`, one at a time and in pairs, against a
/// scripted sender; after each run: never two running copies (the sender's and ours); a
/// failure leaves nothing here unless the error names what it could not destroy; and the
/// sender gets permission to resume only when our copy is gone (finding 2).
@Suite struct MigrationReceiveFaultMatrixTests {
    /// `tight`: the host has too little free memory, and dom0 gives the rest (autoballoon).
    static func run(faults: [Int: Fault] = [:], paused: Bool = false, tight: Bool = false) -> (FakeHost, ScriptedSender, MigrationReceiveOutcome) {
        let host = FakeHost()
        host.faults = faults
        if tight { host.freeMiB = 100 }
        let peer = ScriptedSender(host: host)
        var driver = MigrationReceiveDriver(machine: MigrationReceiveWorkflow(paused: paused), control: FakeControl(host: host),
                                            transport: peer, timeout: .seconds(1), trustSender: false,
                                            policy: BuildPolicy(ballooning: tight),
                                            stopRequested: { host.stop }, log: { _ in })
        let outcome = driver.run()
        peer.finish()
        return (host, peer, outcome)
    }

    static func violations(_ host: FakeHost, _ peer: ScriptedSender, _ outcome: MigrationReceiveOutcome, paused: Bool) -> [String] {
        var problems: [String] = []
        let ours = host.domains.values.filter { $0.state != .gone }
        let running = ours.filter { $0.state == .running }.count + (peer.copy == .running ? 1 : 0)
        if running > 1 { problems.append("two running copies (ours: \(ours), the sender's: \(peer.copy))") }
        if ours.count > 1 { problems.append("more than one copy here: \(ours)") }
        switch outcome {
        case .received:
            guard let copy = ours.first else { problems.append("received, but nothing runs here"); break }
            if copy.name != "web" || copy.state != (paused ? .paused : .running) { problems.append("received, but ours is \(copy)") }
        case .failed(let error, let leftover):
            // Nothing of ours left here: dom0 has back what it gave, or the error says how.
            if ours.isEmpty && host.dom0TargetMiB != 1024 && !(error.hint ?? "").contains("xk mem-set 0 1024m") {
                problems.append("dom0's target is \(host.dom0TargetMiB) MiB, unnamed: \(error)")
            }
            if let copy = ours.first {
                let runsHere = (error.hint ?? "").contains("the domain is here as 'web'") && copy.name == "web"
                    && copy.state == (paused ? .paused : .running)
                if !runsHere && (leftover != copy.name || !(error.hint ?? "").contains("xk destroy \(copy.name)")) {
                    problems.append("a failure left '\(copy.name)' (\(copy.state)) here, unnamed: \(error)")
                }
                if copy.state == .running && peer.copy != .suspended && peer.copy != .gone {
                    problems.append("ours runs while the sender's is \(peer.copy)")
                }
            }
            if leftover != nil && ours.contains(where: { $0.state == .running }) { problems.append("a leftover copy runs here") }
        }
        return problems
    }

    @Test(arguments: [false, true]) func withoutFaults(paused: Bool) {
        let (host, peer, outcome) = Self.run(paused: paused)
        #expect(outcome == .received(paused: paused))
        #expect(Self.violations(host, peer, outcome, paused: paused) == [])
        #expect(peer.copy == .gone)
    }

    @Test(arguments: [false, true]) func everyFaultAtEveryStep(paused: Bool) {
        let calls = Self.run(paused: paused).0.calls.count + 4
        defer { print("fault matrix: migrate receive (paused: \(paused)): \(calls * 3) runs with one fault at each of \(calls) call positions") }
        for index in 0..<calls {
            for fault in [Fault.error, .partial, .signal] {
                let (host, peer, outcome) = Self.run(faults: [index: fault], paused: paused)
                #expect(Self.violations(host, peer, outcome, paused: paused) == [], "\(fault)@\(index) \(host.calls): \(outcome)")
            }
        }
    }

    /// With dom0 giving the memory (autoballoon): every fault and every pair.
    @Test func everyFaultWhileBallooning() {
        let clean = Self.run(tight: true)
        #expect(clean.2 == .received(paused: false) && clean.0.calls.contains("waitTarget"), "\(clean.0.calls)")
        let calls = clean.0.calls.count + 4
        for first in 0..<calls {
            for fault in [Fault.error, .partial, .signal] {
                let (host, peer, outcome) = Self.run(faults: [first: fault], tight: true)
                #expect(Self.violations(host, peer, outcome, paused: false) == [], "\(fault)@\(first) \(host.calls): \(outcome)")
                for second in (first + 1)..<calls {
                    let (host, peer, outcome) = Self.run(faults: [first: fault, second: .error], tight: true)
                    #expect(Self.violations(host, peer, outcome, paused: false) == [], "\(fault)@\(first) error@\(second) \(host.calls): \(outcome)")
                }
            }
        }
        print("fault matrix: migrate receive while ballooning: one fault or a pair at \(calls) call positions")
    }

    @Test(arguments: [false, true]) func everyPairOfFaults(paused: Bool) {
        let calls = Self.run(paused: paused).0.calls.count + 4
        defer { print("fault matrix: migrate receive (paused: \(paused)): \(calls * (calls - 1) / 2 * 5) runs with a pair of faults") }
        for first in 0..<calls {
            for second in (first + 1)..<calls {
                for (a, b) in [(Fault.error, Fault.error), (.partial, .error), (.error, .partial), (.partial, .partial), (.signal, .error)] {
                    let (host, peer, outcome) = Self.run(faults: [first: a, second: b], paused: paused)
                    #expect(Self.violations(host, peer, outcome, paused: paused) == [], "\(a)@\(first) \(b)@\(second) \(host.calls): \(outcome)")
                }
            }
        }
    }

    /// Finding 12 on the receiving side: a stop signal before GO gives up, and the copy here
    /// goes (the sender resumes its own); from GO on, the domain starts here.
    @Test func aSignalBeforeGoLeavesNothingHere() {
        let calls = Self.run().0.calls
        let go = calls.lastIndex(of: "receive")!   // the wait for GO
        for index in 0..<calls.count {
            let (host, peer, outcome) = Self.run(faults: [index: .signal])
            let left = host.domains.values.filter { $0.state != .gone }
            if index < go {
                guard case .failed(let error, nil) = outcome else { Issue.record("signal@\(index): \(outcome)"); continue }
                #expect(error.message.contains("interrupted by a signal") && left.isEmpty, "signal@\(index): \(error) \(left)")
                #expect(peer.copy == .running, "signal@\(index): the sender's copy is \(peer.copy)")
            } else {
                #expect(outcome == .received(paused: false), "signal@\(index): \(outcome)")
            }
        }
    }

    /// A compressed stream whose frame does not end whole (its checksum fails, or the rest
    /// never comes) after libxl built the domain: what was built goes, "ready" is never
    /// sent, and the sender resumes its own.
    @Test func aCompressedStreamThatDoesNotEndWholeDestroysWhatWasBuilt() {
        let calls = Self.run().0.calls
        let check = calls.firstIndex(of: "streamComplete")!
        #expect(calls[check - 1] == "createRestore", "\(calls)")
        for fault in [Fault.error, .partial] {
            let (host, peer, outcome) = Self.run(faults: [check: fault])
            guard case .failed(let error, nil) = outcome else { Issue.record("\(fault): \(outcome)"); continue }
            #expect(error.message.contains("did not end whole") && error.message.contains(fault == .error ? "checksum" : "in time"), "\(error)")
            #expect(host.domains.values.allSatisfy { $0.state == .gone }, "\(host.domains)")
            #expect(peer.copy == .running, "the sender's copy is \(peer.copy)")
        }
    }

    /// Finding 2: after GO, the copy here cannot start, and destroying it fails too: no
    /// permission goes to the sender (its copy stays suspended), and the error names ours.
    @Test func noPermissionWhenOurCopyCannotBeDestroyed() {
        let calls = Self.run().0.calls
        let unpause = calls.firstIndex(of: "unpause")!
        // unpause fails; the report goes; then the destroy fails.
        let (host, peer, outcome) = Self.run(faults: [unpause: .error, unpause + 2: .error])
        #expect(host.calls[unpause + 2] == "destroy")
        guard case .failed(let error, "web") = outcome else { Issue.record("\(outcome)"); return }
        #expect(peer.copy == .suspended, "the sender must not resume")
        #expect(error.description.contains("domain 'web' is left on this host") && error.description.contains("xk destroy web"), "\(error)")
        #expect(!host.calls.dropFirst(unpause + 3).contains("send"), "permission was sent: \(host.calls)")
    }
}

/// Finding 5: what in a sender's config reaches into the receiving host, named.
@Suite struct HostReachTests {
    static func config(_ text: String) throws -> DomainConfiguration {
        try DomainConfiguration.parse(text: "name = \"web\"\ntype = \"pv\"\nmemory = 128\n" + text,
                                      source: "web.cfg", options: .init(checkFiles: false))
    }

    @Test func aPlainGuestReachesNothing() throws {
        #expect(try Self.config("kernel = \"/k\"\nvif = [ 'bridge=xenbr0' ]\n").hostReach == [])
    }

    @Test func eachWayIntoTheHostIsNamed() throws {
        let reach = try Self.config("""
            bootloader = "/usr/bin/pygrub"
            disk = [ 'phy:/dev/sda,xvda,w', 'file:/etc/shadow,xvdb,r' ]
            vif = [ 'bridge=xenbr0,script=/tmp/evil' ]
            p9 = [ 'tag=share,path=/root,security_model=none' ]
            ioports = [ '3f8-3ff' ]
            irqs = [ 4 ]

            """).hostReach
        for item in ["disk xvda backed by /dev/sda", "disk xvdb backed by /etc/shadow", "vif 0 runs the script /tmp/evil",
                     "9pfs share of /root", "bootloader /usr/bin/pygrub", "1 raw I/O port range(s)", "1 host IRQ(s)"] {
            #expect(reach.contains(item), "\(item) not in \(reach)")
        }
    }

    static func hvm(_ text: String) throws -> DomainConfiguration {
        try DomainConfiguration.parse(text: "name = \"web\"\ntype = \"hvm\"\nmemory = 128\n" + text,
                                      source: "web.cfg", options: .init(checkFiles: false))
    }

    /// An HVM guest whose device model opens nothing of the host: pty serial, the default
    /// VNC on loopback, an emulated tablet.
    @Test func aContainedHVMGuestReachesNothing() throws {
        #expect(try Self.hvm("serial = \"pty\"\nusbdevice = \"tablet\"\nvnc = 1\n").hostReach == [])
        #expect(try Self.hvm("vnc = 1\nvnclisten = \"127.0.0.1:5\"\nserial = [ 'pty', 'null' ]\n").hostReach == [])
        #expect(try Self.hvm("spice = 1\nspicehost = \"127.0.0.1\"\nspiceport = 6000\nspicedisable_ticketing = 1\n").hostReach == [])
    }

    /// The device model of the receiving host, as root, would read host files into the guest
    /// (kernel=, ramdisk= through fw_cfg), write them (a file serial port), open host devices,
    /// or listen on the host's network (found by the two-host HVM scenario, issue 17).
    @Test func eachWayThroughTheDeviceModelIsNamed() throws {
        let reach = try Self.hvm("""
            kernel = "/etc/shadow"
            ramdisk = "/root/.ssh/id_ed25519"
            serial = [ 'pty', 'file:/etc/passwd', '/dev/ttyS0' ]
            usbdevice = [ 'tablet', 'host:1234:5678' ]
            soundhw = "ac97"
            keymap = "../../../etc/shadow"
            vnc = 1
            vnclisten = "0.0.0.0"
            smbios_firmware = "/etc/machine-id"
            channel = [ 'name=org.example.evil,connection=socket,path=/run/xenstored/socket' ]

            """).hostReach
        for item in ["kernel /etc/shadow read by the device model", "ramdisk /root/.ssh/id_ed25519 read by the device model",
                     "serial port on file:/etc/passwd", "serial port on /dev/ttyS0", "USB device host:1234:5678",
                     "sound hardware ac97 on the host's audio", "keymap file ../../../etc/shadow", "VNC server on 0.0.0.0",
                     "SMBIOS firmware /etc/machine-id", "channel 0 on the host socket /run/xenstored/socket"] {
            #expect(reach.contains(item), "\(item) not in \(reach)")
        }
        #expect(!reach.contains { $0.contains("pty") || $0.contains("tablet") }, "\(reach)")
        let spice = try Self.hvm("spice = 1\nspiceport = 6000\nspicedisable_ticketing = 1\n").hostReach
        #expect(spice == ["SPICE server on every address"], "\(spice)")
    }

    @Test func loopbackAddresses() {
        for address in ["127.0.0.1", "127.0.0.1:5", "localhost", "::1", "[::1]:5900"] {
            #expect(DomainConfiguration.isLoopback(address), "\(address)")
        }
        for address in ["0.0.0.0", "0.0.0.0:1", "10.0.0.1", "[::]:5900", "::", "host.example"] {
            #expect(!DomainConfiguration.isLoopback(address), "\(address)")
        }
    }

    /// The receiver refuses such a config before anything is built, unless told to trust.
    @Test(arguments: [false, true]) func theReceiverRefusesItUntrusted(trust: Bool) throws {
        let host = FakeHost()
        let peer = ScriptedSender(host: host)
        var driver = MigrationReceiveDriver(machine: MigrationReceiveWorkflow(paused: false), control: ReachingControl(inner: FakeControl(host: host)),
                                            transport: peer, timeout: .seconds(1), trustSender: trust, log: { _ in })
        let outcome = driver.run()
        if trust {
            #expect(outcome == .received(paused: false))
        } else {
            guard case .failed(let error, nil) = outcome else { Issue.record("\(outcome)"); return }
            #expect(error.message.contains("reaches into this host (disk xvda backed by /dev/sda)") && error.message.contains("--trust-sender"), "\(error)")
            #expect(!host.calls.contains("createRestore") && host.domains.isEmpty)
        }
    }
}

/// Finding 10: a name from the stream goes into file names here; a hostile one is refused
/// before anything is built.
@Suite struct StreamNameTests {
    @Test(arguments: ["../../etc/cron.d/x", ".hidden", "a\u{1b}[2Jb"]) func aHostileNameIsRefused(name: String) {
        let host = FakeHost()
        var driver = MigrationReceiveDriver(machine: MigrationReceiveWorkflow(paused: false),
                                            control: ReachingControl(inner: FakeControl(host: host), name: name, disk: false),
                                            transport: ScriptedSender(host: host), timeout: .seconds(1), trustSender: true, log: { _ in })
        guard case .failed(let error, nil) = driver.run() else { Issue.record("accepted \(name)"); return }
        #expect(error.message.contains("cannot be a domain name here") && !error.message.contains("\u{1b}"), "\(error)")
        #expect(!host.calls.contains("createRestore") && host.domains.isEmpty)
    }
}

/// The fake control, whose parsed configs carry a dom0 disk (or a name of the test's choosing).
struct ReachingControl: DomainControl {
    let inner: FakeControl
    var name = "web"
    var disk = true
    func configuration(fromJSON json: String, source: String) throws(XenError) -> DomainConfiguration {
        let config = try DomainConfiguration.parse(
            text: "name = \"web\"\ntype = \"pvh\"\nkernel = \"/k\"\nmemory = 128\n" + (disk ? "disk = [ 'phy:/dev/sda,xvda,w' ]\n" : ""),
            source: source, options: .init(checkFiles: false))
        config.rename(to: name)   // as a hostile stream could name it: libxl's JSON parser checks nothing
        return config
    }
    func info(_ id: DomainID) -> Result<DomainInfo, LibxlFailure> { inner.info(id) }
    func suspend(_ id: DomainID, into fd: Int32, live: Bool, debug: Bool) -> Result<Void, LibxlFailure> { inner.suspend(id, into: fd, live: live, debug: debug) }
    func resume(_ id: DomainID) -> Result<Void, LibxlFailure> { inner.resume(id) }
    func rename(_ id: DomainID, from old: String?, to new: String) -> Result<Void, LibxlFailure> { inner.rename(id, from: old, to: new) }
    func destroy(_ id: DomainID) -> Result<Void, LibxlFailure> { inner.destroy(id) }
    func pause(_ id: DomainID) -> Result<Void, LibxlFailure> { inner.pause(id) }
    func unpause(_ id: DomainID) -> Result<Void, LibxlFailure> { inner.unpause(id) }
    func createNew(_ config: borrowing DomainConfiguration) -> Result<DomainID, Libxl.CreateFailure> { inner.createNew(config) }
    func createRestore(_ config: borrowing DomainConfiguration, from fd: Int32, streamVersion: UInt32) -> Result<DomainID, Libxl.CreateFailure> {
        inner.createRestore(config, from: fd, streamVersion: streamVersion)
    }
    func checkName(_ config: borrowing DomainConfiguration) throws(XenError) { try inner.checkName(config) }
    func memoryNeeded(_ config: borrowing DomainConfiguration) -> Result<Memory, LibxlFailure> { inner.memoryNeeded(config) }
    func freeMemory() -> Result<Memory, LibxlFailure> { inner.freeMemory() }
    func memoryTarget(_ id: DomainID) -> Result<Memory, LibxlFailure> { inner.memoryTarget(id) }
    func setMemoryTarget(_ id: DomainID, _ target: Memory, enforce: Bool) -> Result<Void, LibxlFailure> { inner.setMemoryTarget(id, target, enforce: enforce) }
    func waitForMemoryTarget(_ id: DomainID, seconds: Int32) -> Result<Void, LibxlFailure> { inner.waitForMemoryTarget(id, seconds: seconds) }
}
