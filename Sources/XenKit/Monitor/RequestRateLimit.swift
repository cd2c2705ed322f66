// How many shutdown requests the monitor reports per domain and second. A toolstack writes one
// request per operation (xk shutdown, xk reboot, a migration's suspend). A guest owns its
// control/shutdown node and can write valid requests into it in a loop, poweroff, reboot,
// poweroff, and each would be a line of output for whoever reads the monitor. Beyond the limit
// they are counted instead and reported once a second with the other ignored values.
//
// Pure: the caller gives the time, so tests drive it with a fake clock.

/// At most `perSecond` admissions per domain in each one-second window; the window of a
/// domain starts at its first request after the previous window ended.
struct RequestRateLimit: Sendable {
    let perSecond: Int
    private var windows: [DomainID: Window] = [:]

    private struct Window: Sendable {
        var start: Double
        var count: Int
    }

    init(perSecond: Int) {
        self.perSecond = max(perSecond, 1)
    }

    /// Whether a request of `id` at `time` (seconds) may be reported. A clock that goes back
    /// (the wall clock set by hand) starts a new window rather than holding requests back.
    mutating func admit(_ id: DomainID, at time: Double) -> Bool {
        var window = windows[id] ?? Window(start: time, count: 0)
        if time - window.start >= 1 || time < window.start {
            window = Window(start: time, count: 0)
        }
        window.count += 1
        windows[id] = window
        return window.count <= perSecond
    }

    /// Drops what is known of a domain that is gone, so that the windows stay bounded by the
    /// number of domains.
    mutating func forget(_ id: DomainID) {
        windows[id] = nil
    }

    /// The domains with a window, for tests.
    var domains: Set<DomainID> { Set(windows.keys) }
}
