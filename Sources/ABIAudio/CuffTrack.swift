/// The manometer's cuff pressures during a recording, as `abi doppler analyze --cuff` reads them
/// and `abi simulate --cuff` writes them: `seconds,mmHg` lines (12.25,128), an optional header
/// line, times that never go back.
public enum CuffTrack {
    /// A line that is not `seconds,mmHg`: the message names the file and the line.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public static func parse(_ text: String, path: String) throws(Problem) -> [(time: Double, pressure: Double)] {
        var out: [(time: Double, pressure: Double)] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed()
            let text = String(trimmed)
            if text.isEmpty || (number == 0 && text.first?.isLetter == true) { continue }
            let fields = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.filter { $0 != " " } }
            guard fields.count == 2, let t = Double(fields[0]), let p = Double(fields[1]), t.isFinite, p.isFinite,
                  t >= 0, t <= 86_400, p >= 0, p <= 400 else {
                throw Problem(description: "\(path): line \(number + 1): expected seconds,mmHg (e.g. 12.25,128), found \"\(text.prefix(40))\"")
            }
            if let last = out.last, t < last.time {
                throw Problem(description: "\(path): line \(number + 1): the time goes back (\(fields[0]) after \(last.time))")
            }
            out.append((t, p))
        }
        guard !out.isEmpty else { throw Problem(description: "\(path): no cuff pressures in it") }
        return out
    }
}
