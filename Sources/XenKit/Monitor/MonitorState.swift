// What the monitor knows of the host, and how a new reading becomes events. Pure logic: the
// readings come from HostMonitor (libxl's domain list and the domains' xenstore nodes), so
// the rules here are unit-tested without Xen.

/// What the monitor knows of one domain at one moment.
struct DomainReading: Equatable, Sendable {
    var id: DomainID
    var name: String
    var isPaused: Bool
    /// Set once the domain has shut down.
    var shutdownReason: ShutdownReason?
    var memoryKiB: UInt64
    /// xenstore `memory/target`, when the domain has one.
    var targetKiB: UInt64?
    /// How many `cpu/N/availability` nodes say "online", when the domain has them.
    var vcpusAvailable: Int?
    /// xenstore `control/shutdown` as the monitor last read it ("" once the guest took it).
    var shutdownRequest: String?
}

/// The monitor's memory between readings: the last reading of each domain, which domains
/// have run, and which are on their way to a new memory target.
struct MonitorState: Sendable {
    private(set) var domains: [DomainID: DomainReading] = [:]
    private var started: Set<DomainID> = []
    private var awaitingTarget: Set<DomainID> = []
    private(set) var requestLimit: RequestRateLimit

    /// - Parameter requestsPerSecond: the most `shutdown-requested` events per domain per
    ///   second; more valid requests are reported as `ignored`, reason ``rateLimited``.
    init(requestsPerSecond: Int = 5) {
        requestLimit = RequestRateLimit(perSecond: requestsPerSecond)
    }

    /// The requests a toolstack writes to `control/shutdown` (libxl, xl, xenstore-write).
    static let shutdownRequests: Set<String> = ["poweroff", "reboot", "suspend", "halt", "crash", "s3", "watchdog"]

    /// The `reason` of an `ignored` event for valid requests beyond the rate limit.
    static let rateLimited = "rate-limited"

    /// How close to its target a domain's memory counts as there (as `xk mem-set --wait`).
    static let targetTolerance = XenContext.memoryTolerance.kibibytes

    /// Takes the first reading without events: what runs already is the baseline.
    mutating func baseline(_ readings: [DomainReading]) {
        domains = Dictionary(readings.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        // A domain that exists when the monitor starts has been started, even if paused now.
        started = Set(readings.map(\.id))
        awaitingTarget = []
        requestLimit = RequestRateLimit(perSecond: requestLimit.perSecond)
    }

    /// Compares a new reading of every domain with the last, and returns what happened, in
    /// order: appeared domains, changed ones, then gone ones, each by id.
    mutating func apply(_ readings: [DomainReading], time: Double) -> [HostEvent] {
        var events: [HostEvent] = []
        func event(_ kind: HostEvent.Kind, _ domain: DomainReading, _ fill: (inout HostEvent) -> Void = { _ in }) {
            var e = HostEvent(time: time, kind: kind, domain: domain.id, name: domain.name)
            fill(&e)
            events.append(e)
        }
        let now = Dictionary(readings.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        for new in readings.sorted(by: { $0.id < $1.id }) {
            guard let old = domains[new.id] else {
                event(.created, new)
                if new.name.hasSuffix(Self.incomingSuffix) { event(.migrationInStarted, new) }
                changes(from: nil, to: new, time: time, event: event)
                continue
            }
            if old.name != new.name {
                event(.renamed, new) { $0.previousName = old.name }
                if old.name == new.name + Self.incomingSuffix {
                    event(.migrationInCompleted, new) { $0.previousName = old.name }
                } else if new.name == old.name + Self.migratedAwaySuffix {
                    event(.migrationOut, new) { $0.previousName = old.name }
                }
            }
            changes(from: old, to: new, time: time, event: event)
        }
        for old in domains.values.sorted(by: { $0.id < $1.id }) where now[old.id] == nil {
            event(.destroyed, old)
            started.remove(old.id)
            awaitingTarget.remove(old.id)
            requestLimit.forget(old.id)
        }
        domains = now
        return events
    }

    static let incomingSuffix = "--incoming"
    static let migratedAwaySuffix = "--migratedaway"

    private mutating func changes(from old: DomainReading?, to new: DomainReading, time: Double,
                                  event: (HostEvent.Kind, DomainReading, (inout HostEvent) -> Void) -> Void) {
        // Run state: libxl builds a domain paused; its first unpause is its start.
        if !started.contains(new.id) {
            if !new.isPaused && new.shutdownReason == nil {
                started.insert(new.id)
                event(.started, new) { _ in }
            }
        } else if let old, old.isPaused != new.isPaused, old.shutdownReason == nil {
            // Xen's pause flag counts only the toolstack's pauses, so a flag gone is an unpause
            // even when the guest, let go, shut down before this reading. A flag that appears
            // with a shutdown is not reported: xl destroy pauses what it is about to destroy.
            if !new.isPaused {
                event(.unpaused, new) { _ in }
            } else if new.shutdownReason == nil {
                event(.paused, new) { _ in }
            }
        }
        // Memory: a new target, then the moment the guest gets there.
        // (A target that appears is part of the build, not a change.)
        if let old, let target = new.targetKiB, let previous = old.targetKiB, previous != target {
            event(.memoryTargetChanged, new) { $0.targetKiB = target; $0.previousTargetKiB = previous }
            awaitingTarget.insert(new.id)
        }
        if awaitingTarget.contains(new.id), let target = new.targetKiB {
            let distance = new.memoryKiB > target ? new.memoryKiB - target : target - new.memoryKiB
            if distance <= Self.targetTolerance {
                awaitingTarget.remove(new.id)
                event(.memoryTargetReached, new) { $0.memoryKiB = new.memoryKiB; $0.targetKiB = target }
            }
        }
        if let old, let vcpus = new.vcpusAvailable, old.vcpusAvailable != nil, old.vcpusAvailable != vcpus {
            event(.vcpusChanged, new) { $0.vcpus = vcpus }
        }
        // Requests: a toolstack's, or a guest's own writes. Its junk, and valid requests beyond
        // the rate limit, are ignored events, which the caller counts and reports once a second.
        if let request = new.shutdownRequest, !request.isEmpty, request != old?.shutdownRequest {
            if Self.shutdownRequests.contains(request) {
                if requestLimit.admit(new.id, at: time) {
                    event(.shutdownRequested, new) { $0.reason = request }
                } else {
                    event(.ignored, new) { $0.detail = "control/shutdown"; $0.count = 1; $0.reason = Self.rateLimited }
                }
            } else {
                event(.ignored, new) { $0.detail = "control/shutdown"; $0.count = 1 }
            }
        }
        if new.shutdownReason != nil && old?.shutdownReason == nil, let reason = new.shutdownReason {
            event(.shutdown, new) { $0.reason = reason.rawValue }
        }
    }
}
