import ABICore

/// What a device reported, validated: a value a device marks as missing is nil here, never 0,
/// 127, 511 or 2047, and a pressure outside 0–300 mmHg never gets this far.
public enum DeviceMeasurement: Sendable, Hashable {
    /// A completed blood-pressure measurement (automatic cuff, NIBP module).
    case bloodPressure(BloodPressure)
    /// The live pressure in the cuff, 0–300 mmHg. `mark` is true when the operator marked this
    /// instant (the Doppler signal returned): the marked pressure is the systolic reading.
    case cuffPressure(mmHg: Int, mark: Bool)
    /// Pulse oximetry.
    case oximetry(Oximetry)
    /// The device reported an error instead of a measurement.
    case deviceError(code: String, message: String)

    /// Whether this is a measurement a clinician would count: everything but the live cuff
    /// pressure stream (a marked cuff pressure is a Doppler reading, so it counts).
    public var isMeasurement: Bool {
        if case .cuffPressure(_, let mark) = self { return mark }
        return true
    }

    /// The `kind` of an `abi-reading/1` record.
    public var kind: String {
        switch self {
        case .bloodPressure: "bloodPressure"
        case .cuffPressure: "cuffPressure"
        case .oximetry: "oximetry"
        case .deviceError: "deviceError"
        }
    }
}

public struct BloodPressure: Sendable, Hashable {
    public var systolic: Pressure
    public var diastolic: Pressure?
    public var map: Pressure?
    public var pulseRate: Int?
    /// Conditions the device flagged (body movement, irregular pulse…).
    public var status: [String]

    public init(systolic: Pressure, diastolic: Pressure? = nil, map: Pressure? = nil, pulseRate: Int? = nil, status: [String] = []) {
        self.systolic = systolic
        self.diastolic = diastolic
        self.map = map
        self.pulseRate = pulseRate
        self.status = status
    }
}

public struct Oximetry: Sendable, Hashable {
    /// Oxygen saturation, percent (0–100).
    public var spo2: Int?
    public var pulseRate: Int?
    /// Perfusion index, percent, as the device wrote it.
    public var perfusion: ExactDecimal?
    public var status: [String]

    public init(spo2: Int? = nil, pulseRate: Int? = nil, perfusion: ExactDecimal? = nil, status: [String] = []) {
        self.spo2 = spo2
        self.pulseRate = pulseRate
        self.perfusion = perfusion
        self.status = status
    }

    /// Whether the record carries any value at all.
    public var hasValue: Bool { spo2 != nil || pulseRate != nil || perfusion != nil }
}

/// A decoded measurement with the bytes of the frame (or line) it came from.
public struct DecodedRecord: Sendable, Hashable {
    public var measurement: DeviceMeasurement
    public var raw: [UInt8]

    public init(_ measurement: DeviceMeasurement, raw: [UInt8]) {
        self.measurement = measurement
        self.raw = raw
    }
}

/// Counts of what a codec saw, for diagnostics.
public struct CodecStatistics: Sendable, Hashable {
    /// Frames (or lines) that passed every check.
    public var frames = 0
    public var checksumErrors = 0
    /// Bytes or frames that did not fit the protocol's framing.
    public var framingErrors = 0
    /// Bytes skipped while searching for the next frame.
    public var discardedBytes = 0
    /// Frames with valid checksums whose values were impossible (a pressure above 300 mmHg…).
    public var implausibleValues = 0

    public init() {}
}

/// An incremental decoder for one device protocol: bytes in any chunking, validated records out.
/// Buffers are bounded; garbage is skipped and counted.
public protocol DeviceCodec: Sendable {
    /// The profile name (`suntech-advantage`, `nonin-2`…).
    var profile: String { get }
    var statistics: CodecStatistics { get }
    /// Feeds received bytes; appends any completed records.
    mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>, into records: inout [DecodedRecord])
}

extension DeviceCodec {
    /// Convenience for tests and small inputs.
    public mutating func feed(_ bytes: [UInt8]) -> [DecodedRecord] {
        var records: [DecodedRecord] = []
        bytes.withUnsafeBufferPointer { feed($0, into: &records) }
        return records
    }
}
