/// A systolic, diastolic or mean pressure in whole mmHg, always within 1…300 (RULES R1).
///
/// There is no way to build a `Pressure` of 0: a missing signal is `ReadingState.absent`.
public struct Pressure: Sendable, Hashable, Comparable, CustomStringConvertible {
    public static let plausibleRange = 1...300

    public let mmHg: Int

    /// - Returns: nil when `mmHg` is outside 1…300.
    public init?(mmHg: Int) {
        guard Pressure.plausibleRange.contains(mmHg) else { return nil }
        self.mmHg = mmHg
    }

    /// Converts a device value in kPa (as an exact decimal) to whole mmHg, rounding half-up
    /// with 1 kPa = 7.50062 mmHg (R1).
    /// - Returns: nil when the converted value is outside 1…300.
    public init?(kPa: ExactDecimal) {
        // mmHg = kPa × 750062 / 100000, with kPa = significand / 10^scale.
        guard kPa.significand > 0, kPa.scale <= 12 else { return nil }
        var denominator = Int128(100_000)
        for _ in 0..<kPa.scale { denominator *= 10 }
        let numerator = Int128(kPa.significand) * 750_062
        let rounded = (2 * numerator + denominator) / (2 * denominator)
        guard rounded <= Int128(Int.max) else { return nil }
        self.init(mmHg: Int(rounded))
    }

    public static func < (a: Pressure, b: Pressure) -> Bool { a.mmHg < b.mmHg }
    public var description: String { String(mmHg) }
}

/// A pulse rate in beats per minute, within 1…300.
public struct PulseRate: Sendable, Hashable, CustomStringConvertible {
    public static let plausibleRange = 1...300
    public let perMinute: Int

    public init?(perMinute: Int) {
        guard PulseRate.plausibleRange.contains(perMinute) else { return nil }
        self.perMinute = perMinute
    }

    public var description: String { String(perMinute) }
}

/// A numeric blood-pressure measurement. Its initialiser enforces R2: the diastolic is lower
/// than the systolic, and a measured mean lies between the two.
public struct NumericPressure: Sendable, Hashable {
    public let systolic: Pressure
    public let diastolic: Pressure?
    public let pulse: PulseRate?
    /// A mean arterial pressure the device measured (not estimated).
    public let map: Pressure?

    public enum Problem: Error, Equatable, Sendable {
        case diastolicNotBelowSystolic
        case meanOutsideSystolicDiastolic
    }

    public init(systolic: Pressure, diastolic: Pressure? = nil, pulse: PulseRate? = nil, map: Pressure? = nil) throws(Problem) {
        if let diastolic, diastolic >= systolic { throw .diastolicNotBelowSystolic }
        if let map, map > systolic || map < (diastolic ?? Pressure(mmHg: 1)!) { throw .meanOutsideSystolicDiastolic }
        self.systolic = systolic
        self.diastolic = diastolic
        self.pulse = pulse
        self.map = map
    }
}

/// The one state a reading at a site is in (RULES R2).
public enum ReadingState: Sendable, Hashable {
    /// A measured systolic pressure, with optional diastolic, pulse and measured mean.
    case numeric(NumericPressure)
    /// No Doppler or PPG signal.
    case absent
    /// The signal persisted at the maximum cuff pressure (optionally the pressure reached).
    case noncompressible(atPressure: Pressure?)
    /// Not measured, with the reason (amputation, wound, dressing, suspected DVT…).
    case notMeasured(reason: String)
    /// The device reported an error instead of a pressure.
    case deviceError(code: String?, message: String?)

    /// The name used in exam files (`numeric`, `absent`, …).
    public var name: String {
        switch self {
        case .numeric: "numeric"
        case .absent: "absent"
        case .noncompressible: "noncompressible"
        case .notMeasured: "notMeasured"
        case .deviceError: "deviceError"
        }
    }

    public var systolic: Int? {
        if case .numeric(let p) = self { return p.systolic.mmHg }
        return nil
    }
}

/// How a pressure was taken (R3).
public enum MeasurementMethod: String, Sendable, CaseIterable, Hashable {
    case doppler, oscillometric, auscultatory, ppg
    case manualEntry = "manual-entry"
}

/// Which device a reading came from.
public struct DeviceIdentity: Sendable, Hashable {
    public var profile: String?
    public var vendorId: String?
    public var productId: String?
    public var serial: String?
    public var port: String?

    public init(profile: String? = nil, vendorId: String? = nil, productId: String? = nil, serial: String? = nil, port: String? = nil) {
        self.profile = profile
        self.vendorId = vendorId
        self.productId = productId
        self.serial = serial
        self.port = port
    }
}

/// One reading at one site. Every reading is kept, even when a later one supersedes it (R4).
public struct Reading: Sendable, Hashable {
    public var site: Site
    /// Order of measurement; the highest at a site is the one used (R4).
    public var seq: Int
    public var state: ReadingState
    /// ISO 8601 time the reading was taken.
    public var time: String?
    public var method: MeasurementMethod?
    public var device: DeviceIdentity?
    public var note: String?

    public init(site: Site, seq: Int, state: ReadingState, time: String? = nil,
                method: MeasurementMethod? = nil, device: DeviceIdentity? = nil, note: String? = nil) {
        self.site = site
        self.seq = seq
        self.state = state
        self.time = time
        self.method = method
        self.device = device
        self.note = note
    }
}
