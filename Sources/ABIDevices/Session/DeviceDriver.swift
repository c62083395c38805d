/// What the host must send to a device that does not talk unasked (the SunTech module is
/// polled); devices that stream need no driver.
public protocol DeviceDriver {
    /// Commands to send now, at monotonic time `now` (ms). Called when the port opens and at
    /// every wake-up.
    mutating func commands(now: Int) -> [[UInt8]]
    /// When the driver next wants to send (monotonic ms), or nil when it waits for nothing.
    var nextWake: Int? { get }
    /// Tells the driver what the device reported.
    mutating func observe(_ measurement: DeviceMeasurement)
    /// Starts a measurement (an automatic cuff) at `now`.
    mutating func startMeasurement(now: Int)
    /// Stops a running measurement: the cuff deflates (the next `commands` carry the abort).
    mutating func abortMeasurement(now: Int)
    /// What to send before the port is closed, so that no cuff stays inflated when abi stops.
    func closingCommands() -> [[UInt8]]
    /// Whether the device measures when asked (an automatic cuff).
    var measuresOnRequest: Bool { get }
}

extension DeviceDriver {
    public mutating func abortMeasurement(now: Int) {}
    public func closingCommands() -> [[UInt8]] { [] }
    public var measuresOnRequest: Bool { false }
}

/// What a capture asks of a device, one byte each on the session's control descriptor.
public enum DeviceControl: UInt8, Sendable {
    case startMeasurement = 1
    case abortMeasurement = 2
}

/// Drives a SunTech Advantage module (docs/devices.md): start a measurement, poll the cuff pressure
/// every 500 ms while it runs, poll the BP data every 2 s until a result or an error comes.
public struct SunTechDriver: DeviceDriver {
    private var measuringSince: Int?
    private var nextCuffPoll = 0
    private var nextDataPoll = 0
    private var pendingStart = false
    private var pendingAbort = false

    public init(startImmediately: Bool) {
        pendingStart = startImmediately
    }

    public var measuresOnRequest: Bool { true }

    public mutating func startMeasurement(now: Int) {
        pendingStart = true
        pendingAbort = false
    }

    public mutating func abortMeasurement(now: Int) {
        pendingStart = false
        pendingAbort = true
        measuringSince = nil
    }

    /// The abort, whether or not abi started a measurement: the module may be measuring on its
    /// own button, and an abort to an idle module does nothing.
    public func closingCommands() -> [[UInt8]] { [SunTechAdvantage.Command.abort] }

    public var nextWake: Int? {
        if pendingStart || pendingAbort { return 0 }
        guard measuringSince != nil else { return nil }
        return min(nextCuffPoll, nextDataPoll)
    }

    public mutating func commands(now: Int) -> [[UInt8]] {
        var out: [[UInt8]] = []
        if pendingAbort {
            pendingAbort = false
            out.append(SunTechAdvantage.Command.abort)
        }
        if pendingStart {
            pendingStart = false
            measuringSince = now
            nextCuffPoll = now + 500
            nextDataPoll = now + 2000
            out.append(SunTechAdvantage.Command.startAdultBP)
        }
        guard measuringSince != nil else { return out }
        // Polls keep to a fixed grid from the start (not from when the wake-up came), so the
        // order is always the same: at 2 s, the fourth cuff poll, then the first data poll.
        if now >= nextCuffPoll {
            out.append(SunTechAdvantage.Command.getCuffPressure)
            while nextCuffPoll <= now { nextCuffPoll += 500 }
        }
        if now >= nextDataPoll {
            out.append(SunTechAdvantage.Command.getBPData)
            while nextDataPoll <= now { nextDataPoll += 2000 }
        }
        return out
    }

    public mutating func observe(_ measurement: DeviceMeasurement) {
        switch measurement {
        case .bloodPressure, .deviceError: measuringSince = nil
        default: break
        }
    }
}
