/// Where a manual-entry conversation reads answers and shows text: a terminal, a pipe, or a
/// script in a test.
public protocol EntryConsole {
    /// Shows a prompt and returns the answer line (without its line ending), or nil at the end of input.
    mutating func ask(_ prompt: String) -> String?
    /// Shows a line of text.
    mutating func say(_ text: String)
}

/// The input ended before the exam was complete; nothing is saved.
public struct EntryEnded: Error, CustomStringConvertible {
    public let atQuestion: String
    /// What was entered before the input ended (the patient and the readings so far), so that
    /// it need not be lost; nil when no reading was entered.
    public var partial: Exam?

    public var description: String { "input ended at \"\(atQuestion)\" before the exam was complete" }
}

/// The manual-entry conversation of `abi enter`: asks for each site in the AHA 2012 sequence
/// (first arm, its PT and DP, the other PT and DP, the other arm, then the toes), applies the
/// first-arm repeat rule (R5) by asking for the repeat, and offers the symptom questions.
///
/// It never fails on a bad answer: it says why and asks again.
public struct ManualEntry {
    public var patientId: String?
    public var method: MeasurementMethod
    public var details: ExamDetails
    /// The time stamp for each reading.
    public var clock: () -> Timestamp

    public init(patientId: String?, method: MeasurementMethod = .manualEntry, details: ExamDetails,
                clock: @escaping () -> Timestamp) {
        self.patientId = patientId
        self.method = method
        self.details = details
        self.clock = clock
    }

    public static let help = """
        At each site type one of:
          132          a systolic pressure in mmHg (1–300); at the arms 132/80, or 132/80 p72 with the pulse
          a            absent: no Doppler or PPG signal
          n  or n 250  noncompressible: signal persists at maximum cuff pressure (optionally the pressure reached)
          x  or x why  not measured, with the reason (amputation, wound, dressing, refused, suspected DVT…)
          e  or e E3   device error, with the code or message the device showed
          ?            this help
        """

    /// Runs the conversation.
    /// - Returns: the exam, with every reading numbered in the order it was entered.
    /// - Throws: `EntryEnded` when the input ends first.
    public func run(_ console: inout some EntryConsole) throws(EntryEnded) -> Exam {
        var sofar = Exam(patient: Patient(id: patientId ?? ""), details: details, readings: [])
        do {
            return try converse(&console, &sofar)
        } catch {
            var ended = error
            ended.partial = sofar.readings.isEmpty ? nil : sofar
            throw ended
        }
    }

    private func converse(_ console: inout some EntryConsole, _ sofar: inout Exam) throws(EntryEnded) -> Exam {
        console.say("Manual entry of ankle-brachial index pressures (rules \(RuleSet.name) v\(RuleSet.version)).")
        console.say(ManualEntry.help)

        let id: String
        if let patientId { id = patientId } else { id = try askPatientId(&console) }
        sofar.patient.id = id
        let firstArm = try askFirstArm(&console)
        var readings: [Reading] = []

        func record(_ site: Site, _ state: ReadingState) {
            readings.append(Reading(site: site, seq: readings.count + 1, state: state, time: clock().text, method: method))
            sofar.readings = readings
        }

        let sequence = MeasuringSequence(firstArm: firstArm)
        for site in sequence.sites {
            record(site, try askReading(&console, "\(site.words.capitalizedFirst) (mmHg)", site: site, optional: false)!)
        }

        // R5: when the first arm reads more than 10 mmHg above the other, repeat it.
        if sequence.repeatNeeded(readings), let first = readings[0].state.systolic, let other = readings[5].state.systolic {
            console.say("The first arm (\(firstArm.word), \(first) mmHg) read more than 10 mmHg above the \(firstArm.other.word) arm (\(other) mmHg).")
            console.say("Repeat the \(firstArm.word) arm now: the repeat replaces the first reading (AHA 2012).")
            if let repeatState = try askReading(&console, "Repeat \(firstArm.word) brachial (mmHg, Enter to keep the single reading)",
                                                site: .brachial(firstArm), optional: true) {
                record(.brachial(firstArm), repeatState)
            } else {
                console.say("Kept the single reading; the result will carry a first-arm-repeat-required warning.")
            }
        }

        for side in [Side.right, .left] {
            if let toe = try askReading(&console, "\(side.capitalized) toe (mmHg, Enter to skip)", site: .toe(side), optional: true) {
                record(.toe(side), toe)
            }
        }

        var symptoms: Symptoms?
        if try askYesNo(&console, "Record symptoms and signs (rest pain, DVT, acute ischemia)? y/n [n]") {
            symptoms = try askSymptoms(&console)
        }

        return Exam(patient: Patient(id: id), details: details, readings: readings, symptoms: symptoms)
    }

    // MARK: Questions

    private func answer(_ console: inout some EntryConsole, _ prompt: String) throws(EntryEnded) -> String {
        guard let line = console.ask(prompt + ": ") else { throw EntryEnded(atQuestion: prompt) }
        return line.trimmed
    }

    private func askPatientId(_ console: inout some EntryConsole) throws(EntryEnded) -> String {
        while true {
            let id = try answer(&console, "Patient id")
            if let problem = ManualEntry.patientIdProblem(id) {
                console.say(problem)
                continue
            }
            return id
        }
    }

    /// Why a patient id cannot be used, or nil when it can.
    public static func patientIdProblem(_ id: String) -> String? {
        if id.isEmpty { return "A patient id is needed (the medical record number)." }
        return PatientId.problem(id).map { "A patient id \($0)." }
    }

    private func askFirstArm(_ console: inout some EntryConsole) throws(EntryEnded) -> Side {
        while true {
            switch try answer(&console, "First arm measured, r or l [r]").lowercased() {
            case "", "r", "right": return .right
            case "l", "left": return .left
            default: console.say("Type r for the right arm or l for the left arm.")
            }
        }
    }

    private func askYesNo(_ console: inout some EntryConsole, _ prompt: String) throws(EntryEnded) -> Bool {
        while true {
            switch try answer(&console, prompt).lowercased() {
            case "", "n", "no": return false
            case "y", "yes": return true
            default: console.say("Type y or n.")
            }
        }
    }

    /// Asks for one reading until the answer is valid. Returns nil only when `optional` and the answer is empty.
    private func askReading(_ console: inout some EntryConsole, _ prompt: String, site: Site, optional: Bool) throws(EntryEnded) -> ReadingState? {
        while true {
            let text = try answer(&console, prompt)
            if text.isEmpty && optional { return nil }
            switch ManualEntry.parseReading(text) {
            case .reading(let state):
                return state
            case .needsReason:
                while true {
                    let reason = try answer(&console, "Reason \(site.words) not measured (amputation, wound, dressing, refused, suspected DVT…)")
                    if reason.isEmpty {
                        console.say("A reason is needed.")
                    } else if let problem = ManualEntry.freeTextProblem(reason, max: 200) {
                        console.say(problem)
                    } else {
                        return .notMeasured(reason: reason)
                    }
                }
            case .needsDeviceCode:
                while true {
                    let code = try answer(&console, "Error code or message the device showed (Enter if none)")
                    if let problem = ManualEntry.freeTextProblem(code, max: 100) {
                        console.say(problem)
                        continue
                    }
                    return .deviceError(code: code.isEmpty ? nil : code, message: code.isEmpty ? "device error, no code shown" : nil)
                }
            case .help:
                console.say(ManualEntry.help)
            case .invalid(let reason):
                console.say(reason)
            }
        }
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

    // MARK: Symptoms

    /// The signs offered per leg, in the order they are numbered.
    public static let offeredSigns: [LegSign] = [
        .restPain, .reliefOnDependency, .nightOnset, .burning, .shinySkin, .coolness, .gangrene,
        .paralysis, .paresthesia, .pallor, .pulselessness,
        .swelling, .warmth, .redness,
    ]

    private func askSymptoms(_ console: inout some EntryConsole) throws(EntryEnded) -> Symptoms {
        console.say("Signs per leg: type the numbers of those present, separated by spaces (Enter for none).")
        let list = ManualEntry.offeredSigns.enumerated().map { "\($0.offset + 1) \($0.element.words)" }
        console.say("  " + list.joined(separator: " · "))
        var symptoms = Symptoms()
        for side in [Side.right, .left] {
            var leg = LegSymptoms()
            let chosen = try askSignNumbers(&console, "\(side.capitalized) leg signs")
            for (i, sign) in ManualEntry.offeredSigns.enumerated() { leg.answers[sign] = chosen.contains(i + 1) }
            leg.woundWeeks = try askNumber(&console, "\(side.capitalized) foot wound, weeks open (Enter if none)", range: 0...5200).map(ExactDecimal.init)
            leg.toeDiscoloration = try askToeColour(&console, side)
            if side == .right { symptoms.right = leg } else { symptoms.left = leg }
        }
        symptoms.acuteOnsetDays = try askNumber(&console, "Days since a sudden onset (Enter if the onset was not sudden)", range: 0...36_500).map(ExactDecimal.init)
        symptoms.wellsScore = try askNumber(&console, "Wells DVT score, -2 to 9 (Enter if not scored)", range: -2...9)
        return symptoms
    }

    private func askSignNumbers(_ console: inout some EntryConsole, _ prompt: String) throws(EntryEnded) -> Set<Int> {
        let count = ManualEntry.offeredSigns.count
        while true {
            let text = try answer(&console, prompt)
            let items = text.split(whereSeparator: { $0 == " " || $0 == "," })
            let numbers = items.map { Int($0) }
            if numbers.allSatisfy({ $0.map { (1...count).contains($0) } ?? false }) {
                return Set(numbers.compactMap { $0 })
            }
            console.say("Type numbers from 1 to \(count) separated by spaces, or press Enter for none.")
        }
    }

    private func askNumber(_ console: inout some EntryConsole, _ prompt: String, range: ClosedRange<Int>) throws(EntryEnded) -> Int? {
        while true {
            let text = try answer(&console, prompt)
            if text.isEmpty { return nil }
            if text.utf8.count <= 6, let n = Int(text), range.contains(n) { return n }
            console.say("Type a whole number from \(range.lowerBound) to \(range.upperBound), or press Enter to skip.")
        }
    }

    private func askToeColour(_ console: inout some EntryConsole, _ side: Side) throws(EntryEnded) -> ToeDiscoloration? {
        while true {
            switch try answer(&console, "\(side.capitalized) toe colour: Enter normal, b blue, k black").lowercased() {
            case "", "normal": return nil
            case "b", "blue": return .blue
            case "k", "black": return .black
            default: console.say("Press Enter for normal, or type b for blue or k for black.")
            }
        }
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and line endings.
    var trimmed: String {
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
