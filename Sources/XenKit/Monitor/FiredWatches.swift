// Fired xenstore watches, coalesced. The monitor's drain thread folds every event into one of
// these while the side that produces host events is busy, or blocked writing its output to a
// reader that stalls; that side takes the whole set when it is ready.
//
// Why its size cannot grow with what a guest does: per domain it keeps a count, which of the
// four watched nodes fired, and at most one shutdown request value. The domain is taken from
// the watch's token (a path the monitor set itself), not from the changed path, which a guest
// chooses (it may create children under its own control/shutdown). Ids outside the range Xen
// gives domains are not kept. So it holds at most one entry per domain id, however many
// events fire and however long nobody takes them.

/// The nodes of a domain's xenstore home that the monitor watches.
struct WatchedNodes: OptionSet, Hashable, Sendable {
    let rawValue: UInt8

    init(rawValue: UInt8) { self.rawValue = rawValue }

    static let name = WatchedNodes(rawValue: 1 << 0)
    static let memoryTarget = WatchedNodes(rawValue: 1 << 1)
    static let cpu = WatchedNodes(rawValue: 1 << 2)
    static let controlShutdown = WatchedNodes(rawValue: 1 << 3)

    /// Each node's path under the domain's home, in the order the monitor watches them.
    static let paths: [(path: String, node: WatchedNodes)] = [
        ("name", .name), ("memory/target", .memoryTarget), ("cpu", .cpu), ("control/shutdown", .controlShutdown),
    ]

    /// The node for a path under a domain's home ("control/shutdown"); empty for others.
    init(path: Substring) {
        self = Self.paths.first { $0.path == path }?.node ?? []
    }
}

/// What fired since the set was last taken: per domain, and the two special watches.
struct FiredWatches: Equatable, Sendable {
    /// What fired for one domain.
    struct Domain: Equatable, Sendable {
        /// Events for this domain's nodes.
        var count = 0
        /// Which of its nodes they were on.
        var nodes: WatchedNodes = []
        /// `control/shutdown` as read when its watch fired, when that was not empty. Read at
        /// once because a guest takes a request by writing "" over it, often before the monitor
        /// reads the domain again.
        var request: String?
    }

    private(set) var domains: [DomainID: Domain] = [:]
    /// `@introduceDomain` fired: a domain appeared.
    private(set) var introduced = false
    /// `@releaseDomain` fired: a domain shut down or died.
    private(set) var released = false
    /// Every event folded in, including those outside any domain's home.
    private(set) var total = 0

    var isEmpty: Bool { total == 0 && domains.isEmpty }

    /// Folds one event in. Returns the domain when its `control/shutdown` fired and no request
    /// was read for it yet: the caller reads the node and gives the value to
    /// ``record(request:for:)``.
    mutating func record(_ event: XenStoreWatchEvent) -> DomainID? {
        total += 1
        switch event.watched {
        case XenStorePath.introduceDomain.rawValue: introduced = true; return nil
        case XenStorePath.releaseDomain.rawValue: released = true; return nil
        default: break
        }
        guard let (id, node) = Self.domainNode(ofToken: event.watched) else { return nil }
        var entry = domains[id] ?? Domain()
        entry.count += 1
        entry.nodes.insert(node)
        domains[id] = entry
        return node.contains(.controlShutdown) && entry.request == nil ? id : nil
    }

    /// Keeps the first request read for `id` since the set was taken.
    mutating func record(request: String, for id: DomainID) {
        guard id <= DomainID.maxNormal else { return }
        if domains[id]?.request == nil { domains[id, default: Domain()].request = request }
    }

    /// (7, .controlShutdown) for the token "/local/domain/7/control/shutdown"; nil for tokens
    /// that are not a watched node of a normal domain.
    static func domainNode(ofToken token: String) -> (DomainID, WatchedNodes)? {
        let prefix = "/local/domain/"
        guard token.hasPrefix(prefix) else { return nil }
        let rest = token.dropFirst(prefix.count)
        guard let slash = rest.firstIndex(of: "/"), let raw = UInt32(rest[..<slash]) else { return nil }
        let id = DomainID(raw)
        let node = WatchedNodes(path: rest[rest.index(after: slash)...])
        guard id <= DomainID.maxNormal, !node.isEmpty else { return nil }
        return (id, node)
    }
}
