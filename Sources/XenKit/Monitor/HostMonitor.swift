// The live event stream of a host. What drives it:
//   - xenstore watches: @introduceDomain (a domain appeared), @releaseDomain (one shut down
//     or died: xenstored fires it on both), and per domain its name, memory/target, cpu
//     (vCPU availability) and control/shutdown nodes;
//   - one cheap poll (libxl_list_domain: a single hypercall, no per-domain lookups) for what
//     no event tells: pause state, and the guest's memory on its way to a new target.
// Each trigger leads to a new reading of the domain list, plus the xenstore nodes of the
// domains whose watches fired; MonitorState turns the difference into events.
//
// Why not libxl's domain death events: libxl_evenable_domain_death is built on the same
// @releaseDomain watch and a domain-info read; registering one per domain would add a second
// event loop for the same facts.
//
// Guests cannot make it misbehave: control/shutdown is theirs to write, so a guest can fire
// our watch as often as xenstored lets it. A thread of its own (WatchDrain) reads every fired
// watch as it comes, even while this thread is blocked writing output to a reader that stalls,
// and folds it into a set bounded by the number of domains (FiredWatches); this thread takes
// the set when it is ready. Fired watches only mark a domain to be read again, values are read
// and compared, never accumulated. Valid requests a guest writes itself are reported at most
// `requestsPerSecond` times a second per domain (MonitorState), and what is coalesced, not
// understood or over that limit is reported at most once a second per domain.
//
// It blocks (poll, libxl, xenstore): run it on a thread of its own, never on Swift's pool.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Follows every domain on the host and reports what happens to them as ``HostEvent``s.
///
/// The corresponding libxl function is `libxl_list_domain`; the xenstore watches are set
/// through ``XenStoreWatcher``.
public final class HostMonitor {
    /// How the monitor polls and what it calls a flood.
    public struct Options: Sendable {
        /// Seconds between polls of the domain list (pause state, memory on its way).
        public var pollInterval: Double = 0.5
        /// Fired watches per domain per second above which they are reported as a flood.
        public var floodThreshold: Int = 100
        /// Most fired watches the watch thread takes from libxenstore per read.
        public var batchLimit: Int = 1024
        /// The most `shutdown-requested` events reported per domain per second; more valid
        /// requests are counted into the `ignored` report (reason `rate-limited`).
        public var requestsPerSecond: Int = 5

        public init(pollInterval: Double = 0.5, floodThreshold: Int = 100, requestsPerSecond: Int = 5) {
            self.pollInterval = pollInterval
            self.floodThreshold = floodThreshold
            self.requestsPerSecond = requestsPerSecond
        }
    }

    private let context: XenContext
    private let store: XenStore
    private let watcher: XenStoreWatcher
    private let options: Options
    private var state: MonitorState
    private var watchedDomains: Set<DomainID> = []
    /// Fired watches per domain in the current one-second window.
    private var firings: [DomainID: Int] = [:]
    /// Shutdown requests read the moment their watch fired, not yet compared.
    private var requests: [DomainID: String] = [:]
    /// Domains in the list whose xenstore home is not written yet, and since when.
    private var unnamed: [DomainID: Double] = [:]
    /// Ignored values per domain (junk, or requests over the limit) not reported yet.
    private var ignored: [IgnoredKey: Int] = [:]
    private var windowStart = MonotonicSeconds.now()

    /// A monitor over `context`'s host, with xenstore connections of its own.
    public init(context: XenContext, options: Options = Options()) throws(XenError) {
        self.context = context
        self.options = options
        state = MonitorState(requestsPerSecond: options.requestsPerSecond)
        store = try XenStore(readOnly: true)
        watcher = try XenStoreWatcher()
    }

    /// The domains' nodes the monitor reads and watches.
    static let nodes = WatchedNodes.paths.map(\.path)

    /// What ignored values are counted by, until they are reported: junk and requests over
    /// the limit are reported apart.
    private struct IgnoredKey: Hashable, Comparable {
        var domain: DomainID
        var detail: String
        var reason: String?

        init(_ event: HostEvent) {
            domain = event.domain
            detail = event.detail ?? ""
            reason = event.reason
        }

        static func < (a: Self, b: Self) -> Bool {
            (a.domain, a.detail, a.reason ?? "") < (b.domain, b.detail, b.reason ?? "")
        }
    }

    /// Takes the baseline, then reports events until `stop` (a file descriptor) becomes
    /// readable or `emit` returns false. Blocks the calling thread; fired watches are read on
    /// a thread of its own meanwhile, which ends before this returns.
    ///
    /// - Parameters:
    ///   - ready: called once the baseline is taken and the watches are set, with the
    ///     number of domains; events from then on are reported.
    ///   - emit: called with each event on this thread; returns whether to go on.
    public func run(stop: Int32, ready: (Int) -> Void = { _ in }, emit: (HostEvent) -> Bool) throws(XenError) {
        try watcher.add(.introduceDomain)
        try watcher.add(.releaseDomain)
        // A guest takes a shutdown request by writing "" over it, often before the domain list
        // below is read: the watch thread reads the request as soon as its watch fires.
        let store = self.store
        let drain = try WatchDrain(source: watcher, limit: options.batchLimit) { id in
            XenStorePath.domainHome(id).appending("control/shutdown").flatMap { try? store.read($0) }
        }
        defer { drain.stop() }
        let first = try readAll(refreshing: nil)
        state.baseline(first)
        try updateWatches(first.map(\.id))
        ready(first.count)
        var nextPoll = MonotonicSeconds.now() + options.pollInterval
        while true {
            let wait = max(0, nextPoll - MonotonicSeconds.now())
            let fired = try drain.wait(milliseconds: Int32(wait * 1000), wake: stop)
            if isReadable(stop) { return }
            let dirty = Set(fired.domains.keys)
            for (id, domain) in fired.domains {
                firings[id, default: 0] += domain.count
                if requests[id] == nil, let request = domain.request { requests[id] = request }
            }
            let now = MonotonicSeconds.now()
            let pollDue = now >= nextPoll
            if pollDue { nextPoll = now + options.pollInterval }
            guard pollDue || !fired.isEmpty else { continue }
            let readings = try readAll(refreshing: dirty)
            // A new domain's nodes are watched before its events go out: emit may block on a
            // reader that stalls, and what the domain does meanwhile must reach the drain.
            try updateWatches(readings.map(\.id))
            for event in state.apply(readings, time: WallClock.now()) {
                if event.kind == .ignored {
                    ignored[IgnoredKey(event), default: 0] += event.count ?? 1
                } else if !emit(event) {
                    return
                }
            }
            if now - windowStart >= 1, !closeWindow(emit: emit) { return }
        }
    }

    /// Reports floods and junk of the window that ends, then starts a new one.
    private func closeWindow(emit: (HostEvent) -> Bool) -> Bool {
        let time = WallClock.now()
        var reports: [HostEvent] = []
        for (id, count) in firings.sorted(by: { $0.key < $1.key }) where count > options.floodThreshold {
            let name = state.domains[id]?.name ?? "\(id)"
            reports.append(HostEvent(time: time, kind: .watchFlood, domain: id, name: name, count: count))
        }
        for (key, count) in ignored.sorted(by: { $0.key < $1.key }) {
            let name = state.domains[key.domain]?.name ?? "\(key.domain)"
            reports.append(HostEvent(time: time, kind: .ignored, domain: key.domain, name: name,
                                     reason: key.reason, count: count, detail: key.detail))
        }
        firings.removeAll(keepingCapacity: true)
        ignored.removeAll(keepingCapacity: true)
        windowStart = MonotonicSeconds.now()
        return reports.allSatisfy { emit($0) }
    }

    /// The domain list, with xenstore nodes read again for the domains in `refreshing`
    /// (nil: all) and for domains not seen before; the others keep what was read last.
    ///
    /// A domain that libxl is still building shows in the list before its xenstore home is
    /// written: it is left out until it has a name (or for `unnamedGrace` seconds at most), so
    /// that it is created under its name, not renamed a moment later.
    private func readAll(refreshing: Set<DomainID>?) throws(XenError) -> [DomainReading] {
        let infos = try context.perform("list domains") { Libxl.listDomains($0, names: false) }
        let now = MonotonicSeconds.now()
        var readings: [DomainReading] = []
        for info in infos {
            let known = state.domains[info.id]
            var reading = known ?? DomainReading(id: info.id, name: "", isPaused: false, memoryKiB: 0)
            if known == nil || refreshing?.contains(info.id) ?? true {
                readNodes(into: &reading)
            }
            if known == nil && reading.name.isEmpty {
                let since = unnamed[info.id] ?? now
                unnamed[info.id] = since
                guard now - since > Self.unnamedGrace else { continue }
                reading.name = "(domain \(info.id))"
            }
            unnamed[info.id] = nil
            if let request = requests.removeValue(forKey: info.id) { reading.shutdownRequest = request }
            reading.isPaused = info.isPaused
            reading.shutdownReason = info.isShutdown ? (info.shutdownReason ?? .unknown) : nil
            reading.memoryKiB = info.currentMemory.kibibytes
            readings.append(reading)
        }
        let listed = Set(infos.map(\.id))
        unnamed = unnamed.filter { listed.contains($0.key) }
        requests = requests.filter { listed.contains($0.key) }
        return readings
    }

    static let unnamedGrace = 5.0

    /// Reads the domain's nodes. A name that is gone (the domain is being destroyed, its
    /// home removed first) keeps the last one read; "" means none was ever read.
    private func readNodes(into reading: inout DomainReading) {
        let home = XenStorePath.domainHome(reading.id)
        func value(_ node: String) -> String? {
            home.appending(node).flatMap { try? store.read($0) }
        }
        if let name = value("name"), !name.isEmpty {
            reading.name = name
        } else if reading.id == .dom0 {
            reading.name = "Domain-0"
        }
        reading.targetKiB = value("memory/target").flatMap { UInt64($0) }
        reading.shutdownRequest = value("control/shutdown")
        if let cpu = home.appending("cpu"), let vcpus = try? store.list(cpu), !vcpus.isEmpty {
            reading.vcpusAvailable = vcpus.count { value("cpu/\($0)/availability") == "online" }
        } else {
            reading.vcpusAvailable = nil
        }
    }

    /// Watches the nodes of domains that appeared, and stops watching those that are gone.
    private func updateWatches(_ ids: [DomainID]) throws(XenError) {
        let now = Set(ids)
        for id in now.subtracting(watchedDomains) {
            for node in Self.nodes {
                if let path = XenStorePath.domainHome(id).appending(node) { try watcher.add(path) }
            }
        }
        for id in watchedDomains.subtracting(now) {
            for node in Self.nodes {
                if let path = XenStorePath.domainHome(id).appending(node) { watcher.remove(path) }
            }
            firings[id] = nil
        }
        watchedDomains = now
    }

    /// 7 for "/local/domain/7/memory/target"; nil for paths outside a domain's home.
    static func domain(ofPath path: String) -> DomainID? {
        let prefix = "/local/domain/"
        guard path.hasPrefix(prefix) else { return nil }
        let digits = path.dropFirst(prefix.count).prefix { $0 != "/" }
        return UInt32(digits).map { DomainID($0) }
    }
}
