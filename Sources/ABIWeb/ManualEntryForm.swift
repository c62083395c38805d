import ABICapture
import ABICore
import Foundation

/// The manual entry form: every site of the exam in the AHA order, the exam details and the
/// symptom checklist, sent at once.
///
/// The web app holds no rule of its own: each site's fields become the answer a clinician would
/// type at that site in `abi enter` (`132/80 p72`, `a`, `n 250`, `x amputation`, `e E3`), and
/// they go through the same bedside session engine, in the AHA order, with the R5 repeat, the
/// toes and the symptom questions. This happens twice: first into a copy held in memory, which
/// finds every problem and stores nothing; then, only when there is none, into the store, as a
/// capture that finishes at once (each reading committed and audited as at the bedside).
struct ManualEntryForm {
    /// The form as sent (field name to value); everything typed goes back into the page.
    var fields: [String: String]

    init(_ fields: [String: String] = [:]) { self.fields = fields }

    /// The form filled from a stored exam (to amend it): each site's latest reading, the R5
    /// repeat when the first arm has two numeric readings, the details and the checklist.
    init(exam: Exam) {
        var f: [String: String] = [:]
        let rest = exam.readings.sorted { $0.seq < $1.seq }
        let firstArm = rest.first { $0.site.kind == .brachial }?.site.side ?? .right
        f["firstArm"] = firstArm.rawValue
        func fill(_ prefix: String, _ state: ReadingState) {
            switch state {
            case .numeric(let p):
                f["\(prefix).state"] = "pressure"
                f["\(prefix).sys"] = String(p.systolic.mmHg)
                if let d = p.diastolic { f["\(prefix).dia"] = String(d.mmHg) }
                if let pulse = p.pulse { f["\(prefix).pulse"] = String(pulse.perMinute) }
            case .absent: f["\(prefix).state"] = "absent"
            case .noncompressible(let at):
                f["\(prefix).state"] = "noncompressible"
                if let at { f["\(prefix).detail"] = String(at.mmHg) }
            case .notMeasured(let reason):
                f["\(prefix).state"] = "notMeasured"
                f["\(prefix).detail"] = reason
            case .deviceError(let code, let message):
                f["\(prefix).state"] = "deviceError"
                if let detail = code ?? message { f["\(prefix).detail"] = detail }
            }
        }
        for site in Site.allCases {
            let at = rest.filter { $0.site == site }
            guard let last = at.last else { continue }
            if site == .brachial(firstArm), at.count >= 2, case .numeric = at[at.count - 2].state, case .numeric = last.state {
                fill(ManualEntryForm.code(site), at[at.count - 2].state)
                fill("repeat", last.state)
            } else {
                fill(ManualEntryForm.code(site), last.state)
            }
        }
        let methods = BedsideSession.Methods()
        for (sites, name, fallback) in [([Site.rightBrachial, .leftBrachial], "arms", methods.arms),
                                         ([.rightPosteriorTibial, .rightDorsalisPedis, .leftPosteriorTibial, .leftDorsalisPedis], "ankles", methods.ankles),
                                         ([.rightToe, .leftToe], "toes", methods.toes)] {
            f["method.\(name)"] = (rest.first { sites.contains($0.site) && $0.method != nil }?.method ?? fallback).rawValue
        }
        let details = exam.details
        f["indication"] = details.indication ?? ""
        f["operator"] = details.operator ?? ""
        f["position"] = details.position ?? ""
        f["restMinutes"] = details.restMinutes.map(String.init) ?? ""
        f["performedAt"] = details.performedAt.map(ManualEntryForm.localText) ?? ""
        if let symptoms = exam.symptoms {
            for side in Side.allCases {
                let leg = symptoms[side]
                for sign in SymptomQuestions.offeredSigns where leg.has(sign) { f[ManualEntryForm.signField(side, sign)] = "y" }
                f["\(side.rawValue).walking"] = leg.walkingDistanceMeters?.description ?? ""
                f["\(side.rawValue).woundWeeks"] = leg.woundWeeks?.description ?? ""
                f["\(side.rawValue).toeColour"] = leg.toeDiscoloration.map { $0 == .blue ? "b" : "k" } ?? ""
            }
            f["acuteOnsetDays"] = symptoms.acuteOnsetDays?.description ?? ""
            f["fromBack"] = symptoms.radiatesFromBack == true ? "y" : ""
            f["wells"] = symptoms.wellsScore.map(String.init) ?? ""
        }
        fields = f
    }

    /// A time as the form's date-time field shows it: the station's local time, to the minute.
    static func localText(_ time: Timestamp) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone.current
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm"
        return formatter.string(from: Date(timeIntervalSince1970: Double(time.millisecondsSinceEpoch) / 1000))
    }

    func value(_ name: String) -> String { (fields[name] ?? "").trimmed }

    var firstArm: Side { Side(rawValue: value("firstArm")) ?? .right }
    var sequence: [Site] { MeasuringSequence(firstArm: firstArm).sites }
    static let toes: [Site] = [.rightToe, .leftToe]

    /// The states a site can be given, as the form's choices.
    static let states: [(value: String, label: String)] = [
        ("pressure", "Pressure"), ("absent", "Absent (no signal)"), ("noncompressible", "Noncompressible"),
        ("notMeasured", "Not measured"), ("deviceError", "Device error"),
    ]

    /// The methods a kind of site can be measured by, with the defaults of the bedside session.
    static let methods: [(value: MeasurementMethod, label: String)] = [
        (.oscillometric, "Oscillometric cuff"), (.doppler, "Doppler"), (.auscultatory, "Auscultation"), (.ppg, "PPG (photoplethysmography)"),
    ]

    var methodChoice: BedsideSession.Methods {
        var methods = BedsideSession.Methods()
        if let m = MeasurementMethod(rawValue: value("method.arms")) { methods.arms = m }
        if let m = MeasurementMethod(rawValue: value("method.ankles")) { methods.ankles = m }
        if let m = MeasurementMethod(rawValue: value("method.toes")) { methods.toes = m }
        return methods
    }

    static func code(_ site: Site) -> String { BedsideSession.code(site) }

    // MARK: From fields to answers

    /// Whether anything is entered for `site` (an optional toe left alone is not measured).
    func given(_ site: Site) -> Bool {
        let c = ManualEntryForm.code(site)
        let state = value("\(c).state")
        return !(state.isEmpty || state == "pressure") || ["sys", "dia", "pulse", "detail"].contains { !value("\(c).\($0)").isEmpty }
    }

    /// The answers `abi enter` would take for a site's fields (a device error is followed by
    /// `next`, moving on as the operator would), or what is wrong with them in words.
    func answers(_ prefix: String, isArm: Bool, state: String? = nil) -> Result<[String], Problem> {
        let state = state ?? value("\(prefix).state")
        let sys = value("\(prefix).sys"), dia = isArm ? value("\(prefix).dia") : "", pulse = isArm ? value("\(prefix).pulse") : ""
        let detail = value("\(prefix).detail")
        for (name, text) in [("systolic", sys), ("diastolic", dia), ("pulse", pulse)] where !text.isEmpty {
            guard text.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) else {
                return .failure(Problem("The \(name) is a whole number\(name == "pulse" ? " of beats per minute" : " of mmHg"), in digits only."))
            }
        }
        let numbers = !sys.isEmpty || !dia.isEmpty || !pulse.isEmpty
        switch state {
        case "pressure", "":
            guard !sys.isEmpty else {
                return .failure(Problem(numbers ? "Enter the systolic pressure too." : "Enter the systolic pressure, or choose what happened instead (absent, noncompressible, not measured, device error)."))
            }
            guard detail.isEmpty else { return .failure(Problem("Details are for the other states (the pressure reached, the reason, the device's code); clear them, or choose the state.")) }
            return .success([sys + (dia.isEmpty ? "" : "/\(dia)") + (pulse.isEmpty ? "" : " p\(pulse)")])
        case "absent", "noncompressible", "notMeasured", "deviceError":
            guard !numbers else {
                let words = ManualEntryForm.states.first { $0.value == state }!.label.lowercased()
                return .failure(Problem("A pressure is entered but the state is “\(words)”: clear the pressure, or choose Pressure."))
            }
            switch state {
            case "absent":
                guard detail.isEmpty else { return .failure(Problem("Absent takes no details; clear them.")) }
                return .success(["a"])
            case "noncompressible":
                return .success([detail.isEmpty ? "n" : "n \(detail)"])
            case "notMeasured":
                guard !detail.isEmpty else { return .failure(Problem("Say why it was not measured in the details (amputation, wound dressing, refused…).")) }
                return .success(["x \(detail)"])
            default:
                return .success([detail.isEmpty ? "e" : "e \(detail)", "next"])
            }
        default:
            return .failure(Problem("Choose one of the states offered."))
        }
    }

    struct Problem: Error { let text: String; init(_ text: String) { self.text = text } }

    // MARK: Exam details

    /// The exam details, or the problems of their fields. `now` is the time of the entry; a time
    /// typed without a zone is the server's local time (the station's clock).
    func details(user: String, now: Timestamp) -> (ExamDetails, [String: String]) {
        var problems: [String: String] = [:]
        let indication = value("indication")
        if indication.isEmpty {
            problems["indication"] = "Give the indication (why the exam was done): accreditation bodies require it before an exam is saved."
        } else if let problem = ManualEntry.freeTextProblem(indication, max: ManualEntry.indicationLimit) {
            problems["indication"] = problem
        }
        let person = value("operator").isEmpty ? user : value("operator")
        if let problem = ManualEntry.freeTextProblem(person, max: ManualEntry.operatorLimit) { problems["operator"] = problem }
        let position = value("position").isEmpty ? "supine" : value("position")
        if let problem = ManualEntry.freeTextProblem(position, max: ManualEntry.positionLimit) { problems["position"] = problem }
        var rest: Int?
        if !value("restMinutes").isEmpty {
            rest = Int(value("restMinutes"))
            if rest.map(ManualEntry.restMinutesRange.contains) != true {
                problems["restMinutes"] = "Minutes of rest are a whole number from \(ManualEntry.restMinutesRange.lowerBound) to \(ManualEntry.restMinutesRange.upperBound)."
                rest = nil
            }
        }
        var performed = now
        if !value("performedAt").isEmpty {
            if let time = ManualEntryForm.localTime(value("performedAt")) {
                if time.millisecondsSinceEpoch > now.millisecondsSinceEpoch + 60_000 {
                    problems["performedAt"] = "That time is in the future."
                } else {
                    performed = time
                }
            } else {
                problems["performedAt"] = "Not a date and time: write it as YYYY-MM-DD HH:MM."
            }
        }
        return (ExamDetails(performedAt: performed, indication: indication, operator: person, position: position, restMinutes: rest), problems)
    }

    /// A time as a browser's date-time field sends it (`2026-11-29T09:30`, the station's local
    /// time), or with its zone (`2026-11-29T09:30:00Z`).
    static func localTime(_ text: String) -> Timestamp? {
        if let zoned = Timestamp(text) { return zoned }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone.current
        for format in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return Timestamp(secondsSinceEpoch: Int(date.timeIntervalSince1970)) }
        }
        return nil
    }

    // MARK: Symptoms

    static func signField(_ side: Side, _ sign: LegSign) -> String { "\(side.rawValue).sign.\(sign.rawValue)" }

    /// The checklist fields other than the signs, each answering one symptom question.
    static func questionField(_ question: SymptomQuestions.Question) -> String? {
        switch question {
        case .record, .signs: nil
        case .walkingDistance(let side): "\(side.rawValue).walking"
        case .woundWeeks(let side): "\(side.rawValue).woundWeeks"
        case .toeColour(let side): "\(side.rawValue).toeColour"
        case .acuteOnset: "acuteOnsetDays"
        case .fromBack: "fromBack"
        case .wells: "wells"
        }
    }

    static let questionFields = ["right.walking", "right.woundWeeks", "right.toeColour", "left.walking", "left.woundWeeks", "left.toeColour",
                                 "acuteOnsetDays", "fromBack", "wells"]

    var anySymptom: Bool {
        Side.allCases.contains { side in SymptomQuestions.offeredSigns.contains { !value(ManualEntryForm.signField(side, $0)).isEmpty } }
            || ManualEntryForm.questionFields.contains { !value($0).isEmpty && value($0) != "normal" && value($0) != "no" }
    }

    // MARK: Entering

    /// The outcome of giving the form to the engine.
    struct Entered {
        /// What is wrong, by field group (a site's code, `repeat`, a detail's name, a checklist field).
        var problems: [String: String] = [:]
        /// R5 asks for the first arm to be measured again (the form shows the repeat).
        var repeatAsked = false
    }

    /// Gives the form's answers to a bedside session over `recorder`: the six sites in the AHA
    /// order, the R5 repeat, the toes entered, then the symptom checklist.
    func enter(into recorder: ExamRecorder, time: String) throws -> Entered {
        var entered = Entered()
        let engine = BedsideSession(recorder: recorder,
                                    plan: BedsideSession.Plan(firstArm: firstArm, toes: false, asksSymptoms: false, methods: methodChoice),
                                    device: nil, clock: { 0 }, timestamp: { time })
        _ = try engine.start()
        /// Gives `lines` to the engine; the first refusal is the problem of `field`. A refused
        /// site is given "absent" so that the rest of the form is still checked (a copy only:
        /// nothing is stored while there is a problem).
        func give(_ answers: Result<[String], Problem>, field: String) throws {
            var refusal: String?
            switch answers {
            case .failure(let problem): refusal = problem.text
            case .success(let lines):
                for line in lines where refusal == nil {
                    refusal = try engine.handle(line: line).compactMap { if case .refused(let why) = $0 { why } else { nil } }.first
                }
            }
            if let refusal {
                entered.problems[field] = refusal
                if engine.phase == .measuring { _ = try engine.handle(line: "a") }
            }
        }
        for site in sequence {
            guard engine.site == site else { throw Problem("the bedside session is at \(engine.site?.words ?? "no site"), not the \(site.words)") }
            try give(answers(ManualEntryForm.code(site), isArm: true), field: ManualEntryForm.code(site))
        }
        let repeatGiven = ["repeat.sys", "repeat.dia", "repeat.pulse"].contains { !value($0).isEmpty }
        if case .repeatFirstArm = engine.step {
            entered.repeatAsked = true
            if repeatGiven {
                try give(answers("repeat", isArm: true, state: "pressure"), field: "repeat")
            } else if !value("repeat.keep").isEmpty {
                try give(.success(["k"]), field: "repeat")
            } else {
                entered.problems["repeat"] = "R5: the first arm read more than 10 mmHg above the other. Measure the \(firstArm.word) arm again and enter it here (the repeat replaces the first reading), or keep the single reading."
            }
        } else if repeatGiven && entered.problems.isEmpty {
            entered.problems["repeat"] = "No repeat is needed now (R5 asks for one only when the first arm reads more than 10 mmHg above the other): clear the repeat."
        }
        for toe in ManualEntryForm.toes where given(toe) {
            try give(.success(["r \(ManualEntryForm.code(toe))"]), field: ManualEntryForm.code(toe))
            if entered.problems[ManualEntryForm.code(toe)] == nil {
                try give(answers(ManualEntryForm.code(toe), isArm: false), field: ManualEntryForm.code(toe))
            }
        }

        // The symptom checklist answers the bedside session's symptom questions.
        var questions = SymptomQuestions(starting: recorder.symptoms)
        _ = questions.answer(anySymptom ? "y" : "n")
        var answered: Set<String> = []
        while let question = questions.current {
            let answer: String
            var field: String
            switch question {
            case .signs(let side):
                field = "\(side.rawValue).signs"
                answer = SymptomQuestions.offeredSigns.enumerated()
                    .filter { !value(ManualEntryForm.signField(side, $0.element)).isEmpty }.map { String($0.offset + 1) }.joined(separator: " ")
            default:
                field = ManualEntryForm.questionField(question) ?? "symptoms"
                answered.insert(field)
                let text = value(field)
                answer = switch question {
                case .toeColour: text == "normal" ? "" : text
                case .fromBack: text.isEmpty ? "n" : text
                default: text
                }
            }
            if case .again(let why) = questions.answer(answer) {
                entered.problems[field] = why.replacingOccurrences(of: "Type ", with: "Enter ").replacingOccurrences(of: ", or press Enter if", with: ", or leave it empty if")
                _ = questions.answer(question == .fromBack ? "n" : "")
            }
        }
        for field in ManualEntryForm.questionFields where !answered.contains(field) && !value(field).isEmpty && value(field) != "normal" {
            entered.problems[field] = field.hasSuffix("walking")
                ? "A walking distance goes with claudication: tick claudication for this leg, or clear the distance."
                : "This goes with shooting pain: tick shooting pain, or clear this answer."
        }
        if questions.recording, entered.problems.isEmpty { try recorder.recordSymptoms(questions.symptoms) }
        return entered
    }
}
