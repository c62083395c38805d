import ABIAudio
import ABICore

/// The facts every report format carries (issue "Per-patient reports"): the header, every
/// reading with its state (superseded ones marked), the derived values, the flags most urgent
/// first, the symptom patterns, the comparison with the prior exam and the rule set with its
/// sources. Renderers only lay these out.
public struct ExamReport: Sendable {
    public enum Status: Sendable, Equatable {
        /// Complete and not signed.
        case preliminary
        /// A capture still in progress: sites may be missing.
        case incomplete
        case final(signedBy: String, at: Timestamp)

        public var words: String {
            switch self {
            case .preliminary: "PRELIMINARY, not signed"
            case .incomplete: "INCOMPLETE: capture in progress, not signed"
            case .final(let by, let at): "final, signed by \(by) at \(at.text)"
            }
        }

        /// The one word across a report that is not signed (the PDF's watermark).
        public var watermark: String? {
            switch self {
            case .preliminary: "PRELIMINARY"
            case .incomplete: "INCOMPLETE"
            case .final: nil
            }
        }

        public var isSigned: Bool { if case .final = self { true } else { false } }
    }

    /// A reading as reported: the one used at its site, or one superseded by a later reading (R4).
    public struct ReadingLine: Sendable {
        public var reading: Reading
        public var superseded: Bool
        public var postExercise: Bool
    }

    /// Where this version stands among the versions of the exam (abi exams amend).
    public struct Revision: Sendable, Equatable {
        /// This version amends an earlier report: "the report of 2026-11-29 (exam 1)", with the reason.
        public var replaces: String?
        public var reason: String?
        /// A later version amends this one: "the amended report of 2026-11-30 (exam 8)".
        public var supersededBy: String?

        public init(replaces: String? = nil, reason: String? = nil, supersededBy: String? = nil) {
            self.replaces = replaces
            self.reason = reason
            self.supersededBy = supersededBy
        }

        /// The notices every format shows near the top, in words.
        public var notices: [String] {
            var lines: [String] = []
            if let supersededBy { lines.append("SUPERSEDED by \(supersededBy): do not use this report.") }
            if let replaces { lines.append("AMENDED: replaces \(replaces)" + (reason.map { ". Reason: \($0)" } ?? "") + ".") }
            return lines
        }
    }

    /// The signer's interpretation and conclusion, and role, when signed.
    public struct Signature: Sendable, Equatable {
        public var role: String?
        public var conclusion: String?

        public init(role: String? = nil, conclusion: String? = nil) {
            self.role = role
            self.conclusion = conclusion
        }
    }

    /// A site's Doppler waveform as heard during the capture (`abi capture --audio`): the
    /// description in words, and the picture of its spectrum when the recording is intact.
    public struct DopplerWaveform: Sendable {
        public var site: Site
        public var description: String
        public var picture: SpectrumPicture?
        public init(site: Site, description: String, picture: SpectrumPicture?) {
            self.site = site
            self.description = description
            self.picture = picture
        }
        /// "Right posterior tibial: multiphasic (triphasic)".
        public var words: String { "\(site.words.capitalizedFirst): \(description)" }
    }

    public let exam: Exam
    public let result: ExamResult
    /// The sites' Doppler waveforms, in the order of the sites (empty without recordings).
    public var doppler: [DopplerWaveform] = []
    public let status: Status
    public let revision: Revision
    public let signature: Signature
    public let readings: [ReadingLine]
    /// The site's letterhead and interface identifiers (abi-site/1); none by default.
    public var site = SiteConfiguration()
    /// The exam's id and version in the store, for a stored exam.
    public var record: (examId: Int64, version: Int)?
    /// The research export writes this instead of the patient id (a keyed pseudonym).
    public var pseudonym: String?

    /// Whole years from the birth date to the exam's date, when both are known.
    public var ageAtExam: Int? {
        guard let born = exam.patient.birthDate, let at = exam.details.performedAt.map({ Timestamp(millisecondsSinceEpoch: $0.millisecondsSinceEpoch).datePart }) else { return nil }
        func parts(_ d: String) -> [Int] { d.split(separator: "-").compactMap { Int($0) } }
        let b = parts(born), e = parts(at)
        guard b.count == 3, e.count == 3 else { return nil }
        return e[0] - b[0] - ((e[1], e[2]) < (b[1], b[2]) ? 1 : 0)
    }

    public static let sources = [
        "2016 AHA/ACC Guideline on Lower Extremity PAD (Circulation 2017;135:e726)",
        "2024 ACC/AHA multisociety PAD guideline (Circulation 2024)",
        "Aboyans et al., Measurement and Interpretation of the ABI, AHA Scientific Statement (Circulation 2012;126:2890)",
        "Mills et al., SVS WIfI classification (J Vasc Surg 2014;59:220)",
        "Global Vascular Guidelines on CLTI (J Vasc Surg 2019)",
    ]

    /// - Parameter result: the result to report: a signed exam's, as frozen at its signature;
    ///   when nil, the rule set in force applied to the exam.
    public init(exam: Exam, options: RuleOptions = .standard, status: Status = .preliminary, result: ExamResult? = nil,
                revision: Revision = Revision(), signature: Signature = Signature()) {
        self.exam = exam
        self.result = result ?? exam.result(options: options)
        self.status = status
        self.revision = revision
        self.signature = signature
        func lines(_ readings: [Reading], post: Bool) -> [ReadingLine] {
            var latest: [Site: Int] = [:]
            for r in readings where r.seq > latest[r.site, default: Int.min] { latest[r.site] = r.seq }
            let order = Site.allCases
            return readings
                .sorted { (order.firstIndex(of: $0.site)!, $0.seq) < (order.firstIndex(of: $1.site)!, $1.seq) }
                .map { ReadingLine(reading: $0, superseded: latest[$0.site] != $0.seq, postExercise: post) }
        }
        self.readings = lines(exam.readings, post: false) + lines(exam.postExercise?.readings ?? [], post: true)
    }

    /// The most recent earlier exam, for the comparison section.
    public var priorExam: PriorExam? { exam.mostRecentPrior }

    /// When the exam was done, in the site's local time ("date not recorded" without a date).
    public var performedWords: String { exam.details.performedAt.map(site.local) ?? ExamDetails.dateNotRecorded }

    /// The status in words, with the signature's local time.
    public var statusWords: String {
        if case .final(let by, let at) = status { return "final, signed by \(by) at \(site.local(at))" }
        return status.words
    }

        /// Who the report is about, for every page: "MRN-0042 · Kowalski, Jan · born 1950-03-02".
    public var patientLine: String {
        let p = exam.patient
        return [p.id, p.name, p.birthDate.map { "born \($0)" }].compactMap { $0 }.joined(separator: " · ")
    }

    /// The signature block: "Signed by Dr K. Wiśniewska, consultant angiologist, on 2026-11-29 at 12:37 UTC".
    public var signatureLine: String? {
        guard case .final(let by, let at) = status else { return nil }
        return "Signed by \(by)" + (signature.role.map { ", \($0)" } ?? "") + ", \(site.local(at))."
    }

    /// A plain-language summary of the result, drafted for the signer to accept or replace:
    /// "Right leg: moderate PAD, ABI 0.53, toe pressure 38 mmHg (TBI 0.26). …"
    public static func draftConclusion(_ result: ExamResult) -> String {
        var sentences: [String] = []
        for leg in [result.right, result.left] {
            var parts: [String] = []
            switch (leg.status, leg.category) {
            case (_, .abnormal?):
                let severity = leg.severity.map { $0 == .mildModerate ? "mild to moderate" : $0.rawValue } ?? ""
                parts.append("\(severity) peripheral artery disease, ABI \(leg.abi.map(Ratio.text) ?? "—")".trimmingLeadingSpaces)
            case (_, .borderline?): parts.append("borderline ABI \(leg.abi.map(Ratio.text) ?? "—")")
            case (_, .normal?): parts.append("no peripheral artery disease at rest, ABI \(leg.abi.map(Ratio.text) ?? "—")")
            case (_, .noncompressible?): parts.append("noncompressible ankle arteries (ABI above 1.40, not a measure of perfusion)")
            case (.absent, _): parts.append("no Doppler signal at the ankle")
            default: parts.append("ABI not calculated")
            }
            if let toe = leg.toePressure { parts.append("toe pressure \(toe) mmHg" + (leg.tbi.map { " (TBI \(Ratio.text($0)))" } ?? "")) }
            else if leg.toeAbsent { parts.append("no toe signal") }
            sentences.append("\(leg.side.capitalized) leg: " + parts.joined(separator: ", ") + ".")
        }
        let pressing = result.flags.filter { $0.level == .emergency || $0.level == .urgent }
        if !pressing.isEmpty { sentences.append(pressing.map(\.message).joined(separator: " ")) }
        return sentences.joined(separator: " ")
    }

    /// Why a value is missing or comes from one side only, beside the result: "Brachial pressure
    /// from the right arm only (left: not measured, mastectomy).", "Left dorsalis pedis not
    /// measured: wound dressing."
    public var resultNotes: [String] {
        var notes: [String] = []
        let latest = Dictionary(exam.readings.map { ($0.site, $0) }) { a, b in a.seq > b.seq ? a : b }
        func why(_ site: Site) -> String { latest[site].map { ExamSiteWords.reason($0.state) } ?? "not recorded" }
        let b = result.brachial
        if (b.right == nil) != (b.left == nil), let side = b.usedSide {
            notes.append("Brachial pressure from the \(side.word) arm only (\(side.other.word): \(why(.brachial(side.other)))).")
        }
        for side in Side.allCases {
            for artery in AnkleArtery.allCases {
                if case .notMeasured(let reason)? = latest[.ankle(side, artery)]?.state {
                    notes.append("\(Site.ankle(side, artery).words.capitalizedFirst) not measured: \(reason).")
                }
            }
            if case .notMeasured(let reason)? = latest[.toe(side)]?.state { notes.append("\(side.capitalized) toe not measured: \(reason).") }
        }
        return notes
    }

    /// The recorded symptoms and signs in words, per leg then for the patient ("Right leg: rest
    /// pain, starts at night; wound open 3 weeks; blue toes."); empty when none were recorded.
    public var clinicalFindings: [String] {
        guard let symptoms = exam.symptoms else { return [] }
        var lines: [String] = []
        for side in Side.allCases {
            let leg = symptoms[side]
            var parts = LegSign.allCases.filter(leg.has).map(\.words)
            if let weeks = leg.woundWeeks { parts.append("a foot wound open \(weeks) weeks") }
            if let distance = leg.walkingDistanceMeters { parts.append("claudication after \(distance) m") }
            if let colour = leg.toeDiscoloration { parts.append("\(colour.rawValue) toes") }
            lines.append("\(side.capitalized) leg: " + (parts.isEmpty ? "none recorded" : parts.joined(separator: ", ")) + ".")
        }
        var patient: [String] = []
        if let days = symptoms.acuteOnsetDays { patient.append("sudden onset \(days) days ago") }
        if symptoms.radiatesFromBack == true { patient.append("pain starting in the back") }
        if let wells = symptoms.wellsScore { patient.append("Wells DVT score \(wells)") }
        if !patient.isEmpty { lines.append(patient.joined(separator: "; ").capitalizedFirst + ".") }
        return lines
    }

    /// "Compared with exam 3 (signed 2026-05-12 by Dr A)", or the prior exam's date.
    public var priorWords: String? {
        priorExam.map { "Compared with " + ($0.source ?? "the exam of \($0.performedAt.datePart)") + "." }
    }

    /// "132/80 mmHg, pulse 70", "no signal (absent)", "noncompressible at 250 mmHg", "not measured: wound dressing", "device error E3: …".
    public static func describe(_ state: ReadingState) -> String {
        switch state {
        case .numeric(let p):
            var text = "\(p.systolic.mmHg)"
            if let d = p.diastolic { text += "/\(d.mmHg)" }
            text += " mmHg"
            if let m = p.map { text += ", MAP \(m.mmHg)" }
            if let r = p.pulse { text += ", pulse \(r.perMinute)" }
            return text
        case .absent: return "no signal (absent)"
        case .noncompressible(let at): return "noncompressible" + (at.map { " at \($0.mmHg) mmHg" } ?? "")
        case .notMeasured(let reason): return "not measured: \(reason)"
        case .deviceError(let code, let message):
            return "device error" + (code.map { " \($0)" } ?? "") + (message.map { ": \($0)" } ?? "")
        }
    }

    /// The per-leg results as rows of (label, right leg, left leg), shared by every layout.
    public var resultRows: [(label: String, right: String, left: String)] {
        var rows: [(String, String, String)] = []
        func both(_ label: String, _ value: (LegResult) -> String) { rows.append((label, value(result.right), value(result.left))) }
        both("Status") { $0.status.words }
        both("Ankle pressure") { leg in leg.anklePressure.map { "\($0) mmHg \(leg.ankleArtery == .dorsalisPedis ? "(DP)" : "(PT)")" } ?? "—" }
        both("ABI") { leg in leg.abi.map(Ratio.text) ?? (leg.status == .noncompressible ? "not reported" : "—") }
        both("Category") { $0.category?.rawValue ?? "—" }
        both("Severity (\(result.options.severity.rawValue))") { $0.severity?.rawValue ?? "—" }
        both("Toe pressure") { leg in leg.toePressure.map { "\($0) mmHg" } ?? (leg.toeAbsent ? "no signal" : "—") }
        both("TBI") { leg in leg.tbi.map { "\(Ratio.text($0)) \(leg.tbiAbnormal == true ? "(abnormal)" : "(normal)")" } ?? "—" }
        both("WIfI ischemia grade") { $0.wifiIschemiaGrade.map(String.init) ?? "—" }
        if result.right.exercise != nil || result.left.exercise != nil {
            both("Exercise ABI") { $0.exercise.map { Ratio.text($0.abi) } ?? "—" }
            both("  ABI fall (>20%)") { leg in leg.exercise.map { e in (e.abiDropPercent.map { "\($0)%" } ?? "—") + (e.positiveByAbi ? " positive" : " negative") } ?? "—" }
            both("  ankle fall (>30 mmHg)") { leg in leg.exercise.map { "\($0.anklePressureDrop) mmHg" + ($0.positiveByPressure ? " positive" : " negative") } ?? "—" }
        }
        return rows
    }

    /// The rule set line every report prints, with the non-standard label when it applies.
    public var rulesLine: String { "Rules: \(result.options)" }
}
