import ABICore

/// The symptom step of a bedside session: the questions that tell ischaemic rest pain from
/// nerve-root compression, cramps and restless legs, and that raise the urgent and emergency
/// flags (docs/rules.md). One question at a time; a bad answer is explained and asked again.
///
/// It starts from what is already recorded (the DVT signs of `--dvt`), and answers add to it.
public struct SymptomQuestions: Sendable {
    /// The signs offered per leg, in the order they are numbered.
    public static let offeredSigns: [LegSign] = [
        .restPain, .reliefOnDependency, .nightOnset, .burning, .shinySkin, .coolness, .gangrene,
        .paralysis, .paresthesia, .pallor, .pulselessness,
        .swelling, .warmth, .redness,
        .shootingPain, .numbness, .briefSpasm, .urgeToMove, .reliefByMoving, .claudication,
    ]

    /// The numbered list shown before the per-leg questions.
    public static var signList: String {
        offeredSigns.enumerated().map { "\($0.offset + 1) \($0.element.words)" }.joined(separator: " · ")
    }

    /// A question of the step (a field of the web app's checklist).
    public enum Question: Sendable, Equatable {
        case record
        case signs(Side)
        case walkingDistance(Side)
        case woundWeeks(Side)
        case toeColour(Side)
        case acuteOnset
        case fromBack
        case wells
    }

    private var queue: [Question] = [.record]
    public private(set) var symptoms: Symptoms
    /// Whether the operator chose to record any.
    public private(set) var recording = false

    public init(starting: Symptoms?) { symptoms = starting ?? Symptoms() }

    /// The question to answer now, or nil when the step is over.
    public var prompt: String? {
        guard let question = queue.first else { return nil }
        switch question {
        case .record: return "Record symptoms and signs (rest pain, claudication, wounds, DVT, acute ischaemia, nerve and cramp signs)? y/n [n]"
        case .signs(let side): return "\(side.capitalized) leg signs: the numbers of those present (Enter for none)"
        case .walkingDistance(let side): return "\(side.capitalized) leg: metres walked before the claudication starts (Enter if not known)"
        case .woundWeeks(let side): return "\(side.capitalized) foot wound, weeks open (Enter if none)"
        case .toeColour(let side): return "\(side.capitalized) toe colour: Enter normal, b blue, k black"
        case .acuteOnset: return "Days since a sudden onset, such as a foot that suddenly cannot move (Enter if the onset was not sudden)"
        case .fromBack: return "Does the shooting pain start in the back? y/n [n]"
        case .wells: return "Wells DVT score, -2 to 9 (Enter if not scored)"
        }
    }

    /// The question to answer now, or nil when the step is over.
    public var current: Question? { queue.first }

    /// What is shown before a question, once (the numbered signs before the first leg).
    public var preamble: String? {
        if case .signs = queue.first { return "Signs: " + SymptomQuestions.signList }
        return nil
    }

    public enum Outcome: Sendable, Equatable {
        /// Accepted; ask the next question (or the step is over when `prompt` is nil).
        case next
        /// Not understood: the reason, and the same question again.
        case again(String)
    }

    /// Takes the answer to the current question.
    public mutating func answer(_ raw: String) -> Outcome {
        guard let question = queue.first else { return .next }
        let text = raw.trimmed
        switch question {
        case .record:
            guard let yes = SymptomQuestions.yesNo(text) else { return .again("Type y or n.") }
            recording = yes
            queue = yes ? [.signs(.right), .woundWeeks(.right), .toeColour(.right), .signs(.left), .woundWeeks(.left), .toeColour(.left),
                           .acuteOnset, .wells] : []
            return .next
        case .signs(let side):
            let items = text.split(whereSeparator: { $0 == " " || $0 == "," })
            let count = SymptomQuestions.offeredSigns.count
            let numbers = items.compactMap { Int($0) }.filter { (1...count).contains($0) }
            guard numbers.count == items.count else {
                return .again("Type numbers from 1 to \(count) separated by spaces, or press Enter for none.")
            }
            var leg = symptoms[side]
            for (i, sign) in SymptomQuestions.offeredSigns.enumerated() {
                // A sign already recorded (the DVT signs of --dvt) stays; the others take this answer.
                leg.answers[sign] = leg.has(sign) || numbers.contains(i + 1)
            }
            symptoms[side] = leg
            queue.removeFirst()
            if leg.has(.claudication) { queue.insert(.walkingDistance(side), at: 0) }
            if leg.has(.shootingPain), !queue.contains(.fromBack), let wells = queue.firstIndex(of: .wells) {
                queue.insert(.fromBack, at: wells)
            }
            return .next
        case .walkingDistance(let side):
            guard let metres = SymptomQuestions.number(text, 0...100_000) else {
                return .again("Type the distance in whole metres (0 to 100000), or press Enter if not known.")
            }
            symptoms[side].walkingDistanceMeters = metres.map(ExactDecimal.init)
        case .woundWeeks(let side):
            guard let weeks = SymptomQuestions.number(text, 0...5200) else {
                return .again("Type a whole number of weeks from 0 to 5200, or press Enter if there is no wound.")
            }
            symptoms[side].woundWeeks = weeks.map(ExactDecimal.init)
        case .toeColour(let side):
            switch text.lowercased() {
            case "", "normal": symptoms[side].toeDiscoloration = nil
            case "b", "blue": symptoms[side].toeDiscoloration = .blue
            case "k", "black": symptoms[side].toeDiscoloration = .black
            default: return .again("Press Enter for normal, or type b for blue or k for black.")
            }
        case .acuteOnset:
            guard let days = SymptomQuestions.number(text, 0...36_500) else {
                return .again("Type a whole number of days from 0 to 36500, or press Enter if the onset was not sudden.")
            }
            symptoms.acuteOnsetDays = days.map(ExactDecimal.init)
        case .fromBack:
            guard let yes = SymptomQuestions.yesNo(text) else { return .again("Type y or n.") }
            symptoms.radiatesFromBack = yes
        case .wells:
            guard let score = SymptomQuestions.number(text, -2...9) else {
                return .again("Type a whole number from -2 to 9, or press Enter if not scored.")
            }
            symptoms.wellsScore = score ?? symptoms.wellsScore
        }
        queue.removeFirst()
        return .next
    }

    static func yesNo(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "", "n", "no": false
        case "y", "yes": true
        default: nil
        }
    }

    /// nil: not a number in range; .some(nil): empty (not given).
    static func number(_ text: String, _ range: ClosedRange<Int>) -> Int?? {
        if text.isEmpty { return .some(nil) }
        guard text.utf8.count <= 7, let n = Int(text), range.contains(n) else { return nil }
        return .some(n)
    }
}
