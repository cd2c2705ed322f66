#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The wall clock, for event timestamps (the monotonic clock measures intervals).
public enum WallClock {
    /// Seconds since the Unix epoch, with sub-second precision.
    public static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Local time with milliseconds: "2026-12-01 21:40:06.123".
    public static func format(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.down))
        let millis = Int((seconds - Double(whole)) * 1000)
        return local("%Y-%m-%d %H:%M:%S", at: whole) + "." + (millis < 10 ? "00" : millis < 100 ? "0" : "") + String(millis)
    }

    /// Local time in strftime(3)'s `format`, at `seconds` since the epoch (default: now). The
    /// one place xk formats a time of day (log lines, xl -T's stamps, uptime's clock, events).
    public static func local(_ format: String, at seconds: Int? = nil) -> String {
        var whole = time_t(seconds ?? Int(time(nil)))
        var parts = tm()
        localtime_r(&whole, &parts)
        var buffer = [CChar](repeating: 0, count: 96)
        let count = strftime(&buffer, buffer.count, format, &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Seconds on the monotonic clock, for intervals and deadlines in blocking loops.
public enum MonotonicSeconds {
    public static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
