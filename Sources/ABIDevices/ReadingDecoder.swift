import ABICore

/// Turns received bytes into `abi-reading/1` records for one device: the profile's codec, then
/// the rule that oximetry is reported at most once a second (oximeters send 3 to 60 a second):
/// the first reading in each second of the clock is kept. (Counting 1,000 ms from the last kept
/// reading instead would drop every other line of a 1 Hz oximeter whose clock runs a little fast,
/// or whose lines arrive with a few milliseconds of jitter.) A reading with values is never hidden
/// by one without: when the second's first reading had none (sensor off, searching), the first
/// one with values in that second is reported too.
/// `abi listen` and `abi ingest` share it, so a replayed capture gives what the live run gave.
public struct ReadingDecoder {
    public private(set) var codec: any DeviceCodec
    public let profile: String
    public var port: String?
    public var serial: String?
    private var lastOximetrySecond: Int?
    private var lastOximetryHadValue = false
    private var records: [DecodedRecord] = []

    public init(profile: DeviceProfile, port: String? = nil, serial: String? = nil) {
        self.codec = profile.makeCodec()
        self.profile = profile.name
        self.port = port
        self.serial = serial
    }

    /// Decodes a chunk received at `time` (nil when the capture has no times; then no rate limit applies).
    public mutating func receive(_ bytes: UnsafeBufferPointer<UInt8>, at time: Timestamp?) -> [DeviceReading] {
        records.removeAll(keepingCapacity: true)
        codec.feed(bytes, into: &records)
        var readings: [DeviceReading] = []
        for record in records {
            if case .oximetry(let o) = record.measurement, let time {
                let second = time.millisecondsSinceEpoch.floorDividedBy1000
                if let last = lastOximetrySecond, second <= last, lastOximetryHadValue || !o.hasValue { continue }
                lastOximetrySecond = second
                lastOximetryHadValue = o.hasValue
            }
            readings.append(DeviceReading(time: time, profile: profile, port: port, serial: serial,
                                          content: .measurement(record.measurement), raw: record.raw))
        }
        return readings
    }

    public mutating func receive(_ bytes: [UInt8], at time: Timestamp?) -> [DeviceReading] {
        bytes.withUnsafeBufferPointer { receive($0, at: time) }
    }
}

extension Int {
    /// The whole second a millisecond count falls in, rounding down also before 1970.
    fileprivate var floorDividedBy1000: Int { self >= 0 ? self / 1000 : (self - 999) / 1000 }
}
