import ABICore

/// Decodes a text-line device with a `LineProfile`. Lines end with CR, LF or CRLF (all are
/// accepted; blank lines are skipped); each line is tried against the profile's patterns in
/// order and the first match gives the record. A line that matches nothing, or on which a
/// pattern reaches PCRE2's match limit, is counted, never guessed at.
///
/// A mark without a pressure of its own takes the last cuff pressure only when that pressure is
/// confirmed: within `confirmingStep` mmHg of the sample before it. A line cut short by noise
/// (`P=12` of `P=120`) is a jump no cuff makes between two samples, so a mark right after it is
/// refused rather than recorded as 12 mmHg.
public struct LineCodec: DeviceCodec, Sendable {
    public let profile: String
    public let rules: LineProfile
    public private(set) var statistics = CodecStatistics()
    private var line: [UInt8] = []
    private var overlong = false
    /// The last cuff pressure seen, for a mark line that carries none, and whether the sample
    /// before it agreed with it.
    private var lastCuffPressure: Int?
    private var lastConfirmed = false
    /// PCRE2 match data per pattern, made by the first line this codec decodes (so that each
    /// decoder, on its own thread, has its own).
    private var scratch: [LinePattern.Scratch] = []
    /// The largest change between two cuff-pressure samples that still confirms the later one.
    public static let confirmingStep = 40

    public static let maxLineBytes = 1024

    public init(_ rules: LineProfile) {
        self.rules = rules
        self.profile = rules.name
    }

    public mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>, into records: inout [DecodedRecord]) {
        var i = 0
        while i < bytes.count {
            // The run of bytes up to the next line end is taken in one piece.
            var j = i
            while j < bytes.count && bytes[j] != 0x0A && bytes[j] != 0x0D { j += 1 }
            if overlong {
                statistics.discardedBytes += j - i
            } else if j > i {
                line.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[i..<j]))
                if line.count > LineCodec.maxLineBytes {
                    statistics.framingErrors += 1
                    statistics.discardedBytes += line.count
                    line.removeAll(keepingCapacity: true)
                    overlong = true
                }
            }
            guard j < bytes.count else { return }
            // A line end: decode the line (blank lines are skipped).
            if overlong {
                overlong = false
            } else if !line.isEmpty {
                var complete: [UInt8] = []
                swap(&complete, &line)
                if let record = complete.withUnsafeBufferPointer({ decodeLine($0) }) { records.append(record) }
                complete.removeAll(keepingCapacity: true)
                swap(&complete, &line)
            }
            i = j + 1
        }
    }

    private mutating func decodeLine(_ bytes: UnsafeBufferPointer<UInt8>) -> DecodedRecord? {
        let missing = rules.missing
        if scratch.isEmpty { scratch = rules.records.map { $0.regex.makeScratch() } }
        for (index, rule) in rules.records.enumerated() {
            let groups: LinePattern.Match
            switch rule.regex.match(bytes, scratch: scratch[index]) {
            case .matched(let found): groups = found
            case .noMatch: continue
            case .limitReached:
                statistics.framingErrors += 1
                statistics.discardedBytes += bytes.count
                return nil
            }
            statistics.frames += 1
            func field(_ name: String) -> String? {
                guard let range = groups.range(of: name) else { return nil }
                let value = String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
                return missing.contains(value) || value.isEmpty ? nil : value
            }
            if let measurement = measurement(rule, field) {
                return DecodedRecord(measurement, raw: Array(bytes))
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
                lastConfirmed = lastCuffPressure.map { abs($0 - cuff) <= LineCodec.confirmingStep } ?? false
                lastCuffPressure = cuff
                return .cuffPressure(mmHg: cuff, mark: false)
            }
            if let cuff { return .cuffPressure(mmHg: cuff, mark: true) }
            guard let marked = lastCuffPressure, lastConfirmed else {
                // A mark before any cuff pressure, or right after a jump no cuff makes: nothing
                // trustworthy to record (counted, never guessed at).
                statistics.implausibleValues += 1
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
            var status: [String] = []
            for name in ["alarm", "exception"] {
                guard let text = field(name) else { continue }
                guard let value = UInt64(text, radix: 16) else {
                    statistics.implausibleValues += 1
                    continue
                }
                var rest = value
                for (bit, word) in rules.flags[name] ?? [] where value & bit != 0 {
                    status.append(word)
                    rest &= ~bit
                }
                var bit: UInt64 = 1
                while rest != 0 {
                    if rest & bit != 0 {
                        let hex = String(bit, radix: 16)
                        status.append("\(name) 0x" + String(repeating: "0", count: max(0, text.count - hex.count)) + hex)
                        rest &= ~bit
                    }
                    bit <<= 1
                }
            }
            return .oximetry(Oximetry(spo2: whole("spo2", 1...100), pulseRate: whole("pulseRate", 1...300), perfusion: perfusion, status: status))
        case .deviceError:
            return .deviceError(code: field("code") ?? "", message: field("message") ?? "device error")
        }
    }
}
