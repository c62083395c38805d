/// The person examined. Only `id` is required.
public struct Patient: Sendable, Hashable {
    public enum Sex: String, Sendable, CaseIterable, Hashable {
        case female, male, other, unknown
    }

    public var id: String
    public var name: String?
    /// `YYYY-MM-DD`.
    public var birthDate: String?
    public var sex: Sex?
    /// Diabetes widens the minimal detectable change of the ABI (R18).
    public var diabetes: Bool?

    public init(id: String, name: String? = nil, birthDate: String? = nil, sex: Sex? = nil, diabetes: Bool? = nil) {
        self.id = id
        self.name = name
        self.birthDate = birthDate
        self.sex = sex
        self.diabetes = diabetes
    }
}

/// When and how the exam was performed.
public struct ExamDetails: Sendable, Hashable {
    /// When the exam was performed. Optional for calculation and reports ("date not recorded");
    /// the patient store needs it.
    public var performedAt: Timestamp?
    public var indication: String?
    public var `operator`: String?
    /// supine, sitting…
    public var position: String?
    public var restMinutes: Int?

    /// The time as reports show it: the timestamp, or "date not recorded".
    public var performedAtWords: String { performedAt?.text ?? ExamDetails.dateNotRecorded }
    /// The date as reports show it: `YYYY-MM-DD`, or "date not recorded".
    public var performedOnWords: String { performedAt?.datePart ?? ExamDetails.dateNotRecorded }
    public static let dateNotRecorded = "date not recorded"

    public init(performedAt: Timestamp?, indication: String? = nil, operator: String? = nil,
                position: String? = nil, restMinutes: Int? = nil) {
        self.performedAt = performedAt
        self.indication = indication
        self.operator = `operator`
        self.position = position
        self.restMinutes = restMinutes
    }
}

/// Readings taken after a treadmill or pedal-plantarflexion exercise test (R16).
public struct PostExercise: Sendable, Hashable {
    public var minutesAfter: Int?
    public var readings: [Reading]

    public init(minutesAfter: Int? = nil, readings: [Reading]) {
        self.minutesAfter = minutesAfter
        self.readings = readings
    }
}

/// A yes/no sign recorded for one leg. The raw value is the exam-file key.
public enum LegSign: String, Sendable, CaseIterable, Hashable {
    case restPain, reliefOnDependency, burning, nightOnset, shinySkin, coolness, gangrene
    case paralysis, paresthesia, pallor, pulselessness
    case swelling, warmth, redness
    case shootingPain, numbness, briefSpasm, urgeToMove, reliefByMoving
    case claudication

    /// How the sign is asked about or reported, in plain words.
    public var words: String {
        switch self {
        case .restPain: "rest pain"
        case .reliefOnDependency: "eased by dangling the leg"
        case .burning: "burning pain"
        case .nightOnset: "starts at night"
        case .shinySkin: "shiny, hairless skin"
        case .coolness: "cool foot"
        case .gangrene: "gangrene"
        case .paralysis: "cannot move the foot"
        case .paresthesia: "numbness or pins and needles"
        case .pallor: "pale foot"
        case .pulselessness: "no foot pulse"
        case .swelling: "swelling"
        case .warmth: "warmth"
        case .redness: "redness"
        case .shootingPain: "shooting pain"
        case .numbness: "numbness"
        case .briefSpasm: "brief spasm"
        case .urgeToMove: "urge to move"
        case .reliefByMoving: "eased by moving"
        case .claudication: "calf pain on walking, eased by rest"
        }
    }
}

public enum ToeDiscoloration: String, Sendable, CaseIterable, Hashable {
    case blue, black
}

/// The symptoms and signs recorded for one leg.
public struct LegSymptoms: Sendable, Hashable {
    /// Each sign that was asked about, with the answer. A sign not in the map was not asked.
    public var answers: [LegSign: Bool]
    /// How many weeks a wound on this foot has been open.
    public var woundWeeks: ExactDecimal?
    public var toeDiscoloration: ToeDiscoloration?
    /// The distance walked before claudication starts, in metres.
    public var walkingDistanceMeters: ExactDecimal?

    public init(answers: [LegSign: Bool] = [:], woundWeeks: ExactDecimal? = nil, toeDiscoloration: ToeDiscoloration? = nil,
                walkingDistanceMeters: ExactDecimal? = nil) {
        self.answers = answers
        self.woundWeeks = woundWeeks
        self.toeDiscoloration = toeDiscoloration
        self.walkingDistanceMeters = walkingDistanceMeters
    }

    public func has(_ sign: LegSign) -> Bool { answers[sign] == true }

    /// A wound open two weeks or more (R feature `nonHealingWound`).
    public var hasNonHealingWound: Bool {
        guard let woundWeeks else { return false }
        return woundWeeks >= ExactDecimal(2)
    }
}

/// Symptoms recorded for the patient and per leg (FORMATS `symptoms`).
public struct Symptoms: Sendable, Hashable {
    /// Days since a sudden onset, or nil when the onset was not sudden.
    public var acuteOnsetDays: ExactDecimal?
    public var radiatesFromBack: Bool?
    public var wellsScore: Int?
    public var right: LegSymptoms
    public var left: LegSymptoms

    public init(acuteOnsetDays: ExactDecimal? = nil, radiatesFromBack: Bool? = nil, wellsScore: Int? = nil,
                right: LegSymptoms = LegSymptoms(), left: LegSymptoms = LegSymptoms()) {
        self.acuteOnsetDays = acuteOnsetDays
        self.radiatesFromBack = radiatesFromBack
        self.wellsScore = wellsScore
        self.right = right
        self.left = left
    }

    public subscript(side: Side) -> LegSymptoms {
        get { side == .right ? right : left }
        set { if side == .right { right = newValue } else { left = newValue } }
    }
}

/// The order an exam answers: the placer's (the ordering system's) number, the filler's (the
/// lab's) number, and who ordered it.
public struct Order: Sendable, Hashable {
    public var placerNumber: String?
    public var fillerNumber: String?
    public var orderingProvider: String?

    public init(placerNumber: String? = nil, fillerNumber: String? = nil, orderingProvider: String? = nil) {
        self.placerNumber = placerNumber
        self.fillerNumber = fillerNumber
        self.orderingProvider = orderingProvider
    }
}

/// The ABIs of an earlier exam of the same patient, for R18.
public struct PriorExam: Sendable, Hashable {
    public var performedAt: Timestamp
    /// ABI in hundredths (0.95 → 95), or nil when not recorded.
    public var rightAbi: Int?
    public var leftAbi: Int?

    /// Which exam it was, in words ("exam 3, signed 2026-05-12"), when the store knows it.
    public var source: String?

    public init(performedAt: Timestamp, rightAbi: Int?, leftAbi: Int?, source: String? = nil) {
        self.performedAt = performedAt
        self.rightAbi = rightAbi
        self.leftAbi = leftAbi
        self.source = source
    }

    public func abi(_ side: Side) -> Int? { side == .right ? rightAbi : leftAbi }
}

/// One ankle-brachial index exam: an `abi-exam/1` file.
public struct Exam: Sendable, Hashable {
    public var patient: Patient
    public var details: ExamDetails
    public var readings: [Reading]
    public var postExercise: PostExercise?
    public var symptoms: Symptoms?
    public var prior: [PriorExam]
    /// The request the exam answers (HL7 ORC/OBR order numbers, FHIR basedOn), when known.
    public var order: Order?

    /// The most recent prior exam before this one (R18); every listed prior exam counts as
    /// earlier when this exam has no date.
    public var mostRecentPrior: PriorExam? {
        let now = details.performedAt
        return prior.filter { p in now.map { p.performedAt < $0 } ?? true }.max { $0.performedAt < $1.performedAt }
    }

    public init(patient: Patient, details: ExamDetails, readings: [Reading], postExercise: PostExercise? = nil,
                symptoms: Symptoms? = nil, prior: [PriorExam] = []) {
        self.patient = patient
        self.details = details
        self.readings = readings
        self.postExercise = postExercise
        self.symptoms = symptoms
        self.prior = prior
    }
}
