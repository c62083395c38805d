import ABICore

#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock and monotonic time for device sessions.
public enum DeviceClock {
    /// Now as a UTC time stamp with milliseconds (`2026-11-26T09:31:02.114Z`).
    public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(millisecondsSinceEpoch: Int(ts.tv_sec) * 1000 + Int(ts.tv_nsec) / 1_000_000)
    }

    /// Monotonic milliseconds, for deadlines.
    public static func milliseconds() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int(ts.tv_sec) * 1000 + Int(ts.tv_nsec) / 1_000_000
    }
}
