import ABICore

/// Decodes a text-line device with a `LineProfile`. Lines end with CR, LF or CRLF (all are
/// accepted; blank lines are skipped); each line is tried against the profile's patterns in
/// order and the first match gives the record. A line that matches nothing is counted, never
/// guessed at.
public struct LineCodec: DeviceCodec, @unchecked Sendable {
    public let profile: String
    public let rules: LineProfile
    public private(set) var statistics = CodecStatistics()
    private var line: [UInt8] = []
    private var overlong = false
    /// The last cuff pressure seen, for a mark line that carries none.
    private var lastCuffPressure: Int?

    public static let maxLineBytes = 1024

    public init(_ rules: LineProfile) {
        self.rules = rules
        self.profile = rules.name
    }

    public mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>, into records: inout [DecodedRecord]) {
        for byte in bytes {
            if byte == 0x0A || byte == 0x0D {
                if overlong {
                    overlong = false
                } else if !line.isEmpty {
                    let complete = line
                    if let record = decodeLine(complete) { records.append(record) }
                }
                line.removeAll(keepingCapacity: true)
            } else if !overlong {
                line.append(byte)
                if line.count > LineCodec.maxLineBytes {
                    statistics.framingErrors += 1
                    statistics.discardedBytes += line.count
                    line.removeAll(keepingCapacity: true)
                    overlong = true
                }
            } else {
                statistics.discardedBytes += 1
            }
        }
    }

    private mutating func decodeLine(_ bytes: [UInt8]) -> DecodedRecord? {
        let text = String(decoding: bytes, as: UTF8.self)
        let missing = rules.missing
        for rule in rules.records {
            guard let match = try? rule.regex.firstMatch(in: text) else { continue }
            statistics.frames += 1
            func field(_ name: String) -> String? {
                guard let found = match.output[name]?.substring else { return nil }
                let value = String(found)
                return missing.contains(value) || value.isEmpty ? nil : value
            }
            if let measurement = measurement(rule, field) {
                return DecodedRecord(measurement, raw: bytes)
            }
            return nil
        }
        statistics.framingErrors += 1
        statistics.discardedBytes += bytes.count
        return nil
    }

    private mutating func measurement(_ rule: LineProfile.RecordRule, _ field: (String) -> String?) -> DeviceMeasurement? {
        func pressure(_ name: String) -> (value: Pressure?, present: Bool) {
            guard let text = field(name) else { return (nil, false) }
            guard let d = ExactDecimal(decimalText: text) else { return (nil, true) }
            return (rule.unit == .kPa ? Pressure(kPa: d) : Pressure(roundingMmHg: d), true)
        }
        func whole(_ name: String, _ range: ClosedRange<Int>) -> Int? {
            guard let text = field(name) else { return nil }
            guard let value = ExactDecimal(decimalText: text)?.wholeNumber, range.contains(value) else {
                statistics.implausibleValues += 1
                return nil
            }
            return value
        }
        switch rule.kind {
        case .cuffPressure, .mark:
            var cuff: Int?
            if let text = field("pressure") {
                guard let d = ExactDecimal(decimalText: text) else {
                    statistics.implausibleValues += 1
                    return nil
                }
                let mmHg: Int? = rule.unit == .kPa ? (d.significand == 0 ? 0 : Pressure(kPa: d)?.mmHg) : d.roundedHalfUp
                guard let mmHg, (0...300).contains(mmHg) else {
                    statistics.implausibleValues += 1
                    return nil
                }
                cuff = mmHg
            }
            if rule.kind == .cuffPressure {
                guard let cuff else { return nil }
                lastCuffPressure = cuff
                return .cuffPressure(mmHg: cuff, mark: false)
            }
            guard let marked = cuff ?? lastCuffPressure else {
                statistics.framingErrors += 1  // a mark before any cuff pressure: nothing to record
                return nil
            }
            return .cuffPressure(mmHg: marked, mark: true)
        case .bloodPressure:
            let sys = pressure("systolic"), dia = pressure("diastolic"), map = pressure("map")
            guard let systolic = sys.value, dia.present == (dia.value != nil), map.present == (map.value != nil),
                  dia.value.map({ $0 < systolic }) ?? true else {
                statistics.implausibleValues += 1
                return .deviceError(code: "implausible", message: "implausible blood pressure: \(field("systolic") ?? "--")/\(field("diastolic") ?? "--") MAP \(field("map") ?? "--")")
            }
            return .bloodPressure(BloodPressure(systolic: systolic, diastolic: dia.value, map: map.value, pulseRate: whole("pulseRate", 1...300)))
        case .oximetry:
            var perfusion: ExactDecimal?
            if let text = field("perfusion") {
                perfusion = ExactDecimal(decimalText: text)
                if perfusion == nil { statistics.implausibleValues += 1 }
            }
            return .oximetry(Oximetry(spo2: whole("spo2", 0...100), pulseRate: whole("pulseRate", 1...300), perfusion: perfusion))
        case .deviceError:
            return .deviceError(code: field("code") ?? "", message: field("message") ?? "device error")
        }
    }
}
