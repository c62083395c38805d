/// A point in time written as RFC 3339 / ISO 8601 text (`2026-11-26T09:30:00Z`), or a plain
/// date (`2026-05-01`, taken as midnight UTC). The text is kept as written; the instant is used
/// to order exams (R18).
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let text: String
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public let millisecondsSinceEpoch: Int

    /// - Returns: nil when `text` is not a valid date or date-time with a UTC offset.
    public init?(_ text: String) {
        guard let ms = Timestamp.parse(Array(text.utf8)) else { return nil }
        self.text = text
        self.millisecondsSinceEpoch = ms
    }

    /// The UTC date-time for a count of seconds since the epoch, written with a `Z`.
    public init(secondsSinceEpoch: Int) {
        let days = secondsSinceEpoch >= 0 ? secondsSinceEpoch / 86_400 : -((-secondsSinceEpoch + 86_399) / 86_400)
        let secondsOfDay = secondsSinceEpoch - days * 86_400
        let (y, m, d) = Timestamp.civil(fromDays: days)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let year = String(y)
        let padded = String(repeating: "0", count: max(0, 4 - year.count)) + year
        text = "\(padded)-\(two(m))-\(two(d))T\(two(secondsOfDay / 3600)):\(two(secondsOfDay / 60 % 60)):\(two(secondsOfDay % 60))Z"
        millisecondsSinceEpoch = secondsSinceEpoch * 1000
    }

    /// The UTC date-time with milliseconds for a count of milliseconds since the epoch
    /// (`2026-11-26T09:31:02.114Z`): how device readings and store events are stamped.
    public init(millisecondsSinceEpoch ms: Int) {
        let seconds = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000)
        let fraction = ms - seconds * 1000
        let digits = String(fraction)
        text = Timestamp(secondsSinceEpoch: seconds).text.dropLast() + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
        millisecondsSinceEpoch = ms
    }

    public var description: String { text }

    /// The date part, `YYYY-MM-DD`, as written.
    public var datePart: String { String(text.prefix(10)) }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.millisecondsSinceEpoch < b.millisecondsSinceEpoch }
    public static func == (a: Timestamp, b: Timestamp) -> Bool { a.text == b.text }
    public func hash(into hasher: inout Hasher) { hasher.combine(text) }

    /// Checks a plain calendar date `YYYY-MM-DD` (a birth date).
    public static func isValidDate(_ text: String) -> Bool {
        let b = Array(text.utf8)
        return b.count == 10 && parse(b) != nil
    }

    private static func parse(_ b: [UInt8]) -> Int? {
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var v = 0
            for i in from..<(from + count) {
                guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        func byte(_ i: Int, _ c: Character) -> Bool { i < b.count && b[i] == c.asciiValue! }
        guard let year = number(0, 4), byte(4, "-"), let month = number(5, 2), byte(7, "-"),
              let day = number(8, 2), (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year)
        else { return nil }
        let days = Timestamp.days(fromCivil: year, month, day)
        if b.count == 10 { return days * 86_400_000 }
        guard byte(10, "T") || byte(10, "t"), let hour = number(11, 2), byte(13, ":"), let minute = number(14, 2),
              hour < 24, minute < 60 else { return nil }
        var i = 16
        var second = 0
        var millis = 0
        if byte(i, ":") {
            guard let s = number(17, 2), s <= 60 else { return nil }
            second = s
            i = 19
            if byte(i, ".") {
                i += 1
                var digits = 0
                while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                    if digits < 3 { millis = millis * 10 + Int(b[i] - 0x30) }
                    digits += 1
                    i += 1
                }
                guard digits > 0 else { return nil }
                if digits < 3 { for _ in digits..<3 { millis *= 10 } }
            }
        }
        var offsetMinutes = 0
        if byte(i, "Z") || byte(i, "z") {
            i += 1
        } else if byte(i, "+") || byte(i, "-") {
            let sign = byte(i, "-") ? -1 : 1
            guard let oh = number(i + 1, 2), byte(i + 3, ":"), let om = number(i + 4, 2), oh < 24, om < 60 else { return nil }
            offsetMinutes = sign * (oh * 60 + om)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60
        return seconds * 1000 + millis
    }

    private static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Howard Hinnant's days-from-civil and civil-from-days algorithms (public domain).
    private static func days(fromCivil y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func civil(fromDays z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
