/// Something that happened on the host, as ``HostMonitor`` saw it.
///
/// Each event names the domain by id and by its name at that moment. The fields that do not
/// apply to a kind are nil. docs/json.md documents the JSON form `xk monitor --json` prints.
public struct HostEvent: Sendable, Equatable, CustomStringConvertible {
    /// What happened. New kinds may be added: switch with a `default`.
    public struct Kind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A new domain appeared (created, restored or arriving by migration); it is paused
        /// while it is built.
        public static let created = Kind(rawValue: "created")
        /// The new domain ran for the first time.
        public static let started = Kind(rawValue: "started")
        public static let paused = Kind(rawValue: "paused")
        public static let unpaused = Kind(rawValue: "unpaused")
        /// The toolstack asked the guest to shut down (`control/shutdown`); ``reason`` says how.
        public static let shutdownRequested = Kind(rawValue: "shutdown-requested")
        /// The domain has shut down; ``reason`` is poweroff, reboot, suspend, crash, watchdog
        /// or soft_reset.
        public static let shutdown = Kind(rawValue: "shutdown")
        /// The domain is gone.
        public static let destroyed = Kind(rawValue: "destroyed")
        /// The domain's name changed from ``previousName``.
        public static let renamed = Kind(rawValue: "renamed")
        /// The balloon target changed to ``targetKiB`` (from ``previousTargetKiB``).
        public static let memoryTargetChanged = Kind(rawValue: "memory-target-changed")
        /// The guest's memory reached its target (within 1 MiB): ``memoryKiB``.
        public static let memoryTargetReached = Kind(rawValue: "memory-target-reached")
        /// The vCPUs the guest is asked to have online changed: ``vcpus`` of them.
        public static let vcpusChanged = Kind(rawValue: "vcpus-changed")
        /// A migration into this host began (a domain named `NAME--incoming` appeared).
        public static let migrationInStarted = Kind(rawValue: "migration-in-started")
        /// A migration into this host completed: `NAME--incoming` became `NAME`.
        public static let migrationInCompleted = Kind(rawValue: "migration-in-completed")
        /// A migration away from this host reached its end: the domain was renamed
        /// `NAME--migratedaway` (it is destroyed next).
        public static let migrationOut = Kind(rawValue: "migration-out")
        /// A domain fired more xenstore watches than the monitor reads one by one: they were
        /// coalesced, ``count`` of them over the last second (a guest writing junk or floods
        /// into its own xenstore area).
        public static let watchFlood = Kind(rawValue: "watch-flood")
        /// Values in the domain's xenstore area were ignored, ``count`` of them (``detail``
        /// says which node): values the monitor does not understand, or, with ``reason``
        /// `rate-limited`, valid shutdown requests beyond the most reported per second (a
        /// guest writing requests into its own control/shutdown in a loop).
        public static let ignored = Kind(rawValue: "ignored")
    }

    /// Seconds since the Unix epoch.
    public var time: Double
    public var kind: Kind
    public var domain: DomainID
    /// The domain's name when the event happened.
    public var name: String
    public var reason: String?
    public var previousName: String?
    public var targetKiB: UInt64?
    public var previousTargetKiB: UInt64?
    public var memoryKiB: UInt64?
    public var vcpus: Int?
    public var count: Int?
    public var detail: String?

    public init(time: Double, kind: Kind, domain: DomainID, name: String, reason: String? = nil,
                previousName: String? = nil, targetKiB: UInt64? = nil, previousTargetKiB: UInt64? = nil,
                memoryKiB: UInt64? = nil, vcpus: Int? = nil, count: Int? = nil, detail: String? = nil) {
        self.time = time
        self.kind = kind
        self.domain = domain
        self.name = name
        self.reason = reason
        self.previousName = previousName
        self.targetKiB = targetKiB
        self.previousTargetKiB = previousTargetKiB
        self.memoryKiB = memoryKiB
        self.vcpus = vcpus
        self.count = count
        self.detail = detail
    }

    /// One line for people, without the time: "shutdown lab-pv (3): poweroff".
    public var description: String {
        var text = "\(kind) \(name) (\(domain))"
        var facts: [String] = []
        if let reason, kind != .ignored { facts.append(reason) }
        if let previousName { facts.append("was \(previousName)") }
        if let targetKiB {
            facts.append("target \(targetKiB / 1024) MiB" + (previousTargetKiB.map { " (was \($0 / 1024) MiB)" } ?? ""))
        }
        if let memoryKiB { facts.append("memory \(memoryKiB / 1024) MiB") }
        if let vcpus { facts.append("\(vcpus) vCPU\(vcpus == 1 ? "" : "s")") }
        if kind == .ignored && reason == MonitorState.rateLimited {
            facts.append("\(count ?? 1) request\(count == 1 ? "" : "s") in \(detail ?? "its xenstore area") over the rate limit")
        } else if kind == .ignored {
            facts.append("\(count ?? 1) value\(count == 1 ? "" : "s") not understood in \(detail ?? "its xenstore area")")
        } else {
            if let count { facts.append("\(count) watch events coalesced") }
            if let detail { facts.append(detail) }
        }
        if !facts.isEmpty { text += ": " + facts.joined(separator: ", ") }
        return text
    }

    /// Whether the event concerns the domain an operator named (by id, or by name, which
    /// also matches the names a migration gives it and the name it had before a rename).
    public func concerns(_ filter: String) -> Bool {
        if let id = UInt32(filter) { return domain.rawValue == id }
        let names = [name, previousName].compactMap { $0 }
        return names.contains { $0 == filter || $0 == filter + "--incoming" || $0 == filter + "--migratedaway" }
    }
}
