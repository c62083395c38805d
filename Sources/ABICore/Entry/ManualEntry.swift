/// What a typed answer means: the values and words of manual entry, checked the same way by
/// every front end (the bedside session of `abi capture` and `abi enter`, the web app).
public enum ManualEntry {
    public static let help = """
        At each site type one of:
          132          a systolic pressure in mmHg (1–300); at the arms 132/80, or 132/80 p72 with the pulse
          a            absent: no Doppler or PPG signal
          n  or n 250  noncompressible: signal persists at maximum cuff pressure (optionally the pressure reached)
          x  why       not measured, with the reason (amputation, wound, dressing, refused, suspected DVT…)
          e  or e E3   device error, with the code or message the device showed
        """

    /// Why a patient id cannot be used, or nil when it can.
    public static func patientIdProblem(_ id: String) -> String? {
        if id.isEmpty { return "A patient id is needed (the medical record number)." }
        return PatientId.problem(id).map { "A patient id \($0)." }
    }

    /// What one typed answer at a site means.
    public enum ParsedAnswer: Equatable, Sendable {
        case reading(ReadingState)
        case needsReason
        case needsDeviceCode
        case help
        case invalid(String)
    }

    /// Reads one answer: `132`, `132/80`, `132/80 p72`, `a`, `n`, `n 250`, `x reason`, `e code`, `?`.
    public static func parseReading(_ raw: String) -> ParsedAnswer {
        let text = raw.trimmed
        if text.isEmpty { return .invalid("A value is needed here: type the pressure, or a, n, x or e (? for help).") }
        let words = text.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        let head = words[0].lowercased()
        let rest = words.count > 1 ? String(words[1]).trimmed : ""
        switch head {
        case "?", "h", "help":
            return .help
        case "a", "absent":
            return rest.isEmpty ? .reading(.absent) : .invalid("a takes nothing after it (absent: no signal).")
        case "n", "noncompressible":
            if rest.isEmpty { return .reading(.noncompressible(atPressure: nil)) }
            switch parsePressure(rest, what: "cuff pressure reached") {
            case .success(let p): return .reading(.noncompressible(atPressure: p))
            case .failure(let reason): return .invalid(reason.text)
            }
        case "x", "notmeasured":
            if rest.isEmpty { return .needsReason }
            if let problem = freeTextProblem(rest, max: 200) { return .invalid(problem) }
            return .reading(.notMeasured(reason: rest))
        case "e", "error":
            if rest.isEmpty { return .needsDeviceCode }
            if let problem = freeTextProblem(rest, max: 100) { return .invalid(problem) }
            return .reading(.deviceError(code: rest, message: nil))
        default:
            return parseNumeric(text)
        }
    }

    struct Reason: Error { let text: String }

    /// Why a free-text answer cannot be stored, or nil when it can.
    public static func freeTextProblem(_ text: String, max: Int) -> String? {
        if text.unicodeScalars.count > max { return "That is longer than \(max) characters." }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return "That contains a control character." }
        return nil
    }

    private static func parsePressure(_ text: String, what: String) -> Result<Pressure, Reason> {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return .failure(Reason(text: "\"\(text)\" is not a whole number of mmHg for the \(what)."))
        }
        guard text.utf8.count <= 4, let value = Int(text), let p = Pressure(mmHg: value) else {
            let hint = text.utf8.allSatisfy({ $0 == 0x30 }) ? " For no signal type a." : ""
            return .failure(Reason(text: "\(text) mmHg is out of range: a \(what) is 1–300 mmHg.\(hint)"))
        }
        return .success(p)
    }

    private static func parseNumeric(_ text: String) -> ParsedAnswer {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard parts.count <= 2 else { return .invalid("\"\(text)\" is not understood: type 132, 132/80 or 132/80 p72 (? for help).") }
        var pulse: PulseRate?
        if parts.count == 2 {
            let p = parts[1].lowercased()
            guard p.hasPrefix("p"), let rate = Int(p.dropFirst()), p.count <= 4, let value = PulseRate(perMinute: rate) else {
                return .invalid("\"\(parts[1])\" is not a pulse: write it as p72 (1–300 beats/min).")
            }
            pulse = value
        }
        let pressures = parts[0].split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard pressures.count <= 2 else { return .invalid("\"\(parts[0])\" is not understood: type 132 or 132/80.") }
        let systolic: Pressure
        switch parsePressure(pressures[0], what: "systolic pressure") {
        case .success(let p): systolic = p
        case .failure(let reason): return .invalid(reason.text)
        }
        var diastolic: Pressure?
        if pressures.count == 2 {
            switch parsePressure(pressures[1], what: "diastolic pressure") {
            case .success(let p): diastolic = p
            case .failure(let reason): return .invalid(reason.text)
            }
        }
        do throws(NumericPressure.Problem) {
            return .reading(.numeric(try NumericPressure(systolic: systolic, diastolic: diastolic, pulse: pulse)))
        } catch {
            return .invalid("The diastolic (\(diastolic?.mmHg ?? 0)) must be lower than the systolic (\(systolic.mmHg)).")
        }
    }

}

extension String {
    /// Without leading and trailing spaces, tabs and line endings.
    public var trimmed: String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !ManualEntry.isBlank($0) }) else { return "" }
        let end = scalars.lastIndex(where: { !ManualEntry.isBlank($0) })!
        return String(scalars[start...end])
    }

    /// "Right brachial" from "right brachial" (reports and prompts).
    public var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}

extension ManualEntry {
    static func isBlank(_ s: Unicode.Scalar) -> Bool { s == " " || s == "\t" || s == "\r" || s == "\n" }
}

extension ManualEntry {
    /// The longest exam details accepted (characters), and the minutes of rest: the same for
    /// `abi enter`, `abi capture` and the web app's form.
    public static let indicationLimit = 1000
    public static let operatorLimit = 200
    public static let positionLimit = 100
    public static let restMinutesRange = 0...1440
}
