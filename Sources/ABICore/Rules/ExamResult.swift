/// A leg's ABI status (R9).
public enum LegStatus: String, Sendable, CaseIterable, Hashable {
    case ok, noncompressible, absent, notMeasured, notCalculable
}

/// The 2016 ACC/AHA category of a rounded ABI (R10).
public enum ABICategory: String, Sendable, CaseIterable, Hashable {
    case abnormal, borderline, normal, noncompressible

    /// ≤0.90 abnormal, 0.91–0.99 borderline, 1.00–1.40 normal, >1.40 noncompressible.
    public init(abi hundredths: Int) {
        switch hundredths {
        case ...90: self = .abnormal
        case 91...99: self = .borderline
        case 100...140: self = .normal
        default: self = .noncompressible
        }
    }
}

/// The severity of an abnormal ABI under a named scheme (R11).
public enum Severity: String, Sendable, CaseIterable, Hashable {
    case mild, moderate, severe
    case mildModerate = "mild-moderate"

    /// - Returns: nil unless the ABI is abnormal (≤ 0.90).
    public init?(abi hundredths: Int, scheme: SeverityScheme) {
        guard hundredths <= 90 else { return nil }
        switch scheme {
        case .common: self = hundredths >= 70 ? .mild : hundredths >= 40 ? .moderate : .severe
        case .nice: self = hundredths >= 50 ? .mildModerate : .severe
        }
    }
}

/// The exercise ABI of one leg (R16).
public struct ExerciseResult: Sendable, Hashable {
    /// Post-exercise ABI in hundredths.
    public var abi: Int
    /// The fall of the ABI in whole percent (a rise is negative); nil when the resting ABI is 0.00.
    public var abiDropPercent: Int?
    /// Resting minus post-exercise ankle pressure, mmHg (a rise is negative).
    public var anklePressureDrop: Int
    public var positiveByAbi: Bool
    public var positiveByPressure: Bool
}

/// Everything derived for one leg.
public struct LegResult: Sendable, Hashable {
    public var side: Side
    public var status: LegStatus
    /// The ankle pressure A of R7, when a numeric ankle pressure was measured and the leg is not noncompressible.
    public var anklePressure: Int?
    public var ankleArtery: AnkleArtery?
    /// ABI in hundredths.
    public var abi: Int?
    public var category: ABICategory?
    public var severity: Severity?
    public var toePressure: Int?
    /// The toe reading is `absent`: no measurable toe perfusion (R12).
    public var toeAbsent: Bool
    /// TBI in hundredths.
    public var tbi: Int?
    public var tbiAbnormal: Bool?
    public var wifiIschemiaGrade: Int?
    public var exercise: ExerciseResult?

    /// Whether the ABI and ankle pressure say something about perfusion: status `ok` and the
    /// category is not `noncompressible` (a calcified vessel's pressure does not).
    public var perfusionMeasuresUsable: Bool { status == .ok && category != .noncompressible }
}

/// The arm pressures and the denominator B (R6, R13).
public struct BrachialResult: Sendable, Hashable {
    public var right: Int?
    public var left: Int?
    public var used: Int?
    public var usedSide: Side?
    public var interArmDifference: Int?
}

/// Vitals from the brachial reading used as B (R17).
public struct Vitals: Sendable, Hashable {
    public enum MeanSource: String, Sendable, Hashable, CaseIterable { case measured, estimated }

    public var systolic: Int
    public var diastolic: Int
    public var pulsePressure: Int
    public var map: Int
    public var mapSource: MeanSource
    public var pulseRate: Int?
}

/// How urgent a flag is, most urgent first.
public enum FlagLevel: String, Sendable, CaseIterable, Hashable, Comparable {
    case emergency, urgent, warning, info

    public static func < (a: FlagLevel, b: FlagLevel) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The flag codes of docs/rules.md, in the order of its table (which is also the report order within a level).
public enum FlagCode: String, Sendable, CaseIterable, Hashable {
    case acuteLimbIschemia = "acute-limb-ischemia"
    case limbAtRisk = "limb-at-risk"
    case suspectedDVT = "suspected-dvt"
    case cltiSuspected = "clti-suspected"
    case absentAnkleSignals = "absent-ankle-signals"
    case anklePressureBelow50 = "ankle-pressure-below-50"
    case toePressureBelow30 = "toe-pressure-below-30"
    case abiBelow040 = "abi-below-0.40"
    case toePressureImplausible = "toe-pressure-implausible"
    case incompleteExam = "incomplete-exam"
    case noncompressibleNeedsTBI = "noncompressible-needs-tbi"
    case deviceErrorPossiblePAD = "device-error-possible-pad"
    case interArmDifference = "inter-arm-difference"
    case firstArmRepeatRequired = "first-arm-repeat-required"
    case noBrachialPressure = "no-brachial-pressure"
    case abiChange = "abi-change"
    case exercisePositive = "exercise-positive"
    case restPainWithoutSevereIschemia = "rest-pain-without-severe-ischemia"
    case singleArmBrachial = "single-arm-brachial"
}

/// A red flag or warning raised by the rules.
public struct Flag: Sendable, Hashable {
    public var code: FlagCode
    public var level: FlagLevel
    public var side: Side?
    /// A plain-language explanation for the clinician.
    public var message: String

    public init(_ code: FlagCode, _ level: FlagLevel, side: Side?, _ message: String) {
        self.code = code
        self.level = level
        self.side = side
        self.message = message
    }
}

/// Informational symptom patterns; never a diagnosis.
public enum SymptomPattern: String, Sendable, CaseIterable, Hashable {
    case ischemicRestPain = "ischemic-rest-pain"
    case nerveRootCompression = "nerve-root-compression"
    case nocturnalCramp = "nocturnal-cramp"
    case restlessLegs = "restless-legs"
    case deepVeinThrombosis = "deep-vein-thrombosis"

    /// "ischemic rest pain", for sentences.
    public var words: String {
        switch self {
        case .ischemicRestPain: "ischemic rest pain"
        case .nerveRootCompression: "nerve root compression"
        case .nocturnalCramp: "nocturnal cramp"
        case .restlessLegs: "restless legs"
        case .deepVeinThrombosis: "deep vein thrombosis"
        }
    }
}

/// A pattern whose features (at least two) were present on one leg.
public struct PatternMatch: Sendable, Hashable {
    public var pattern: SymptomPattern
    public var side: Side
    /// The matched feature names, sorted.
    public var matched: [String]
}

/// The result of applying the rule set to one exam: an `abi-result/1` document.
public struct ExamResult: Sendable, Hashable {
    public var patientId: String
    public var options: RuleOptions
    public var brachial: BrachialResult
    public var right: LegResult
    public var left: LegResult
    /// The lower of the two legs' ABIs (R15), in hundredths.
    public var patientAbi: Int?
    public var vitals: Vitals?
    /// Ordered emergency, urgent, warning, info; within a level in docs/rules.md table order, right before left.
    public var flags: [Flag]
    public var patterns: [PatternMatch]

    public func leg(_ side: Side) -> LegResult { side == .right ? right : left }
}

// MARK: In words, for the formats people read (the data formats keep the codes).

extension LegStatus {
    /// "no ankle signal" (at either artery), not `absent`.
    public var words: String {
        switch self {
        case .ok: "measured"
        case .noncompressible: "noncompressible (calcified arteries)"
        case .absent: "no ankle signal"
        case .notMeasured: "not measured"
        case .notCalculable: "not calculable"
        }
    }
}

extension Flag {
    /// "URGENT: No Doppler signal at the right ankle arteries: …", without the code.
    public var line: String { "\(level.rawValue.uppercased()): \(message)" }
}

extension PatternMatch {
    /// The matched features in words: "starts at night, eased by dangling the leg", not `nightOnset`.
    public var matchedWords: [String] {
        matched.map { feature in
            if let sign = LegSign(rawValue: feature) { return sign.words }
            switch feature {
            case "nonHealingWound": return "a wound open 2 weeks or more"
            case "radiatesFromBack": return "pain starting in the back"
            default: return feature
            }
        }
    }
}

