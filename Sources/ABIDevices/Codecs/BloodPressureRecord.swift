import ABICore

/// IEEE 11073-20601 SFLOAT: top 4 bits a signed base-10 exponent, low 12 bits a signed mantissa
/// (docs/devices.md, confirmed).
public enum SFLOAT {
    /// The value, or nil for the special values (NaN, NRes, reserved, ±∞), which are never numbers.
    public static func decode(_ raw: UInt16) -> ExactDecimal? {
        let mantissaBits = Int(raw & 0x0FFF)
        let exponentBits = Int(raw >> 12)
        if exponentBits == 0, [0x7FF, 0x800, 0x801, 0x7FE, 0x802].contains(mantissaBits) { return nil }
        let mantissa = mantissaBits >= 0x800 ? mantissaBits - 0x1000 : mantissaBits
        let exponent = exponentBits >= 8 ? exponentBits - 16 : exponentBits
        if exponent >= 0 {
            var value = mantissa
            for _ in 0..<exponent { value *= 10 }
            return ExactDecimal(value)
        }
        return ExactDecimal(significand: mantissa, scale: -exponent)
    }
}

/// The Bluetooth Blood Pressure Measurement record (flags, SYS, DIA, MAP as SFLOAT, optional
/// time stamp, pulse, user id and measurement status), reusable for any cuff that sends it.
public enum BloodPressureRecord {
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case truncated(needed: Int, had: Int)
        case noSystolic

        public var description: String {
            switch self {
            case .truncated(let needed, let had): "record truncated: \(had) bytes, the flags need \(needed)"
            case .noSystolic: "the systolic value is a special value (no value)"
            }
        }
    }

    static let statusNames = ["bodyMovement", "cuffTooLoose", "irregularPulse", "pulseTooHigh", "pulseTooLow", "improperPosition"]

    /// Decodes one record into a measurement: a blood pressure, or a device error when the values
    /// are impossible (outside 1–300 mmHg, diastolic not below systolic).
    public static func decode(_ bytes: [UInt8]) throws(Problem) -> DeviceMeasurement {
        guard !bytes.isEmpty else { throw .truncated(needed: 7, had: 0) }
        let flags = bytes[0]
        let kPa = flags & 0x01 != 0
        var needed = 7
        if flags & 0x02 != 0 { needed += 7 }
        if flags & 0x04 != 0 { needed += 2 }
        if flags & 0x08 != 0 { needed += 1 }
        if flags & 0x10 != 0 { needed += 2 }
        guard bytes.count >= needed else { throw .truncated(needed: needed, had: bytes.count) }
        func u16(_ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
        var at = 7
        if flags & 0x02 != 0 { at += 7 }
        var pulse: ExactDecimal?
        if flags & 0x04 != 0 {
            pulse = SFLOAT.decode(u16(at))
            at += 2
        }
        if flags & 0x08 != 0 { at += 1 }
        var status: [String] = []
        if flags & 0x10 != 0 {
            let bits = u16(at)
            status = statusNames.enumerated().filter { bits & (1 << $0.offset) != 0 }.map(\.element)
        }

        func pressure(_ value: ExactDecimal?) -> (Pressure?, String?) {
            guard let value else { return (nil, nil) }
            let p = kPa ? Pressure(kPa: value) : Pressure(roundingMmHg: value)
            return (p, "\(value) \(kPa ? "kPa" : "mmHg")")
        }
        let (sys, sysText) = pressure(SFLOAT.decode(u16(1)))
        guard let sysText else { throw .noSystolic }
        let (dia, diaText) = pressure(SFLOAT.decode(u16(3)))
        let (map, mapText) = pressure(SFLOAT.decode(u16(5)))
        let implausible = sys == nil || (diaText != nil && dia == nil) || (mapText != nil && map == nil)
            || (dia.map { $0 >= sys! } ?? false)
        if implausible {
            return .deviceError(code: "implausible", message: "implausible values: systolic \(sysText), diastolic \(diaText ?? "none"), MAP \(mapText ?? "none")")
        }
        var rate: Int?
        if let pulse, let whole = pulse.roundedHalfUp, (1...300).contains(whole) { rate = whole }
        return .bloodPressure(BloodPressure(systolic: sys!, diastolic: dia, map: map, pulseRate: rate, status: status))
    }
}

extension Pressure {
    /// A pressure in mmHg given with decimals, rounded half-up to whole mmHg (R1).
    public init?(roundingMmHg value: ExactDecimal) {
        guard let whole = value.roundedHalfUp else { return nil }
        self.init(mmHg: whole)
    }
}

extension ExactDecimal {
    /// Rounded half-up (away from zero on .5) to a whole number.
    public var roundedHalfUp: Int? {
        guard scale > 0 else { return significand }
        var divisor = 1
        for _ in 0..<scale {
            let (d, overflow) = divisor.multipliedReportingOverflow(by: 10)
            if overflow { return 0 }
            divisor = d
        }
        let magnitude = (2 * significand.magnitude + UInt(divisor)) / (2 * UInt(divisor))
        return significand < 0 ? -Int(magnitude) : Int(magnitude)
    }
}
