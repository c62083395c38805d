/// An exact decimal number: `significand × 10^-scale`, normalised so that the significand has
/// no trailing zeros once `scale > 0`.
///
/// Used for the few inputs that may carry decimals (weeks a wound has been open, days since
/// onset, prior ABIs) so that comparisons such as "woundWeeks ≥ 2" are exact.
public struct ExactDecimal: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let significand: Int
    public let scale: Int

    static let maxScale = 18

    public init(significand: Int, scale: Int) {
        var s = significand
        var k = scale
        while k > 0 && s % 10 == 0 {
            s /= 10
            k -= 1
        }
        self.significand = s
        self.scale = k
    }

    public init(_ whole: Int) { self.init(significand: whole, scale: 0) }

    /// Parses a literal that already matches the JSON number grammar.
    /// Returns nil when the value does not fit 18 significant digits or 18 decimals.
    init?(jsonLiteral text: String) {
        var negative = false
        var digits = 0
        var digitCount = 0
        var fractionDigits = 0
        var exponent = 0
        var exponentNegative = false
        var part = 0  // 0 integer, 1 fraction, 2 exponent
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "-"):
                if part == 2 { exponentNegative = true } else { negative = true }
            case UInt8(ascii: "+"):
                continue
            case UInt8(ascii: "."):
                part = 1
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                part = 2
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let d = Int(byte - UInt8(ascii: "0"))
                if part == 2 {
                    exponent = exponent * 10 + d
                    if exponent > 1000 { return nil }
                } else {
                    if digits == 0 && d == 0 {
                        if part == 1 { fractionDigits += 1 }
                        continue
                    }
                    digitCount += 1
                    if digitCount > 18 { return nil }
                    digits = digits * 10 + d
                    if part == 1 { fractionDigits += 1 }
                }
            default:
                return nil
            }
        }
        var power = (exponentNegative ? -exponent : exponent) - fractionDigits
        if digits == 0 { power = 0 }
        var value = negative ? -digits : digits
        while power > 0 {
            let (m, overflow) = value.multipliedReportingOverflow(by: 10)
            if overflow { return nil }
            value = m
            power -= 1
        }
        // Strip trailing zeros before checking the scale limit ("1.500000…" is fine).
        var scale = -power
        while scale > 0 && value % 10 == 0 {
            value /= 10
            scale -= 1
        }
        if scale > ExactDecimal.maxScale { return nil }
        self.init(significand: value, scale: scale)
    }

    /// Parses plain decimal text as devices write it: `98`, `098`, `-3`, `03.60`.
    /// - Returns: nil for anything else (signs other than a leading minus, exponents, `--`).
    public init?(decimalText text: some StringProtocol) {
        var sawDigit = false
        var sawPoint = false
        var lastWasDigit = false
        for (i, byte) in text.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                sawDigit = true
                lastWasDigit = true
            case UInt8(ascii: "-") where i == 0:
                lastWasDigit = false
            case UInt8(ascii: ".") where !sawPoint && lastWasDigit:
                sawPoint = true
                lastWasDigit = false
            default:
                return nil
            }
        }
        guard sawDigit, lastWasDigit else { return nil }
        self.init(jsonLiteral: String(text))
    }

    /// The value when it is a whole number.
    public var wholeNumber: Int? { scale == 0 ? significand : nil }

    /// The value in hundredths when it has at most two decimals (0.95 → 95).
    public var hundredths: Int? {
        switch scale {
        case 0: significand.multipliedReportingOverflow(by: 100).overflow ? nil : significand * 100
        case 1: significand.multipliedReportingOverflow(by: 10).overflow ? nil : significand * 10
        case 2: significand
        default: nil
        }
    }

    public static func < (a: ExactDecimal, b: ExactDecimal) -> Bool {
        // Both significands are below 10^18 and scales at most 18, so Int128 holds either side.
        let scale = max(a.scale, b.scale)
        return a.scaled(to: scale) < b.scaled(to: scale)
    }

    private func scaled(to target: Int) -> Int128 {
        var v = Int128(significand)
        for _ in 0..<(target - scale) { v *= 10 }
        return v
    }

    public var description: String {
        if scale == 0 { return String(significand) }
        let negative = significand < 0
        var digits = String(significand.magnitude)
        if digits.count <= scale {
            digits = String(repeating: "0", count: scale - digits.count + 1) + digits
        }
        let split = digits.index(digits.endIndex, offsetBy: -scale)
        return (negative ? "-" : "") + digits[..<split] + "." + digits[split...]
    }
}
