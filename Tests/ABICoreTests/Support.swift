import ABICore
import Foundation

/// Builds exams for rule tests: readings in the order given, numbered 1, 2, 3…
func makeExam(_ readings: [(Site, ReadingState)], patient: Patient = Patient(id: "T1"),
              performedAt: String = "2026-11-26T09:30:00Z", symptoms: Symptoms? = nil,
              post: [(Site, ReadingState)]? = nil, prior: [PriorExam] = []) -> Exam {
    func number(_ list: [(Site, ReadingState)]) -> [Reading] {
        list.enumerated().map { Reading(site: $0.element.0, seq: $0.offset + 1, state: $0.element.1) }
    }
    return Exam(
        patient: patient,
        details: ExamDetails(performedAt: Timestamp(performedAt)!),
        readings: number(readings),
        postExercise: post.map { PostExercise(minutesAfter: 1, readings: number($0)) },
        symptoms: symptoms,
        prior: prior
    )
}

/// A numeric reading state with a systolic pressure.
func mmHg(_ systolic: Int, _ diastolic: Int? = nil, pulse: Int? = nil, map: Int? = nil) -> ReadingState {
    .numeric(try! NumericPressure(systolic: Pressure(mmHg: systolic)!, diastolic: diastolic.flatMap(Pressure.init(mmHg:)),
                                  pulse: pulse.flatMap(PulseRate.init(perMinute:)), map: map.flatMap(Pressure.init(mmHg:))))
}

/// A full AHA-sequence exam: right arm, right PT, DP, left PT, DP, left arm, then extras.
func standardExam(rightArm: ReadingState = mmHg(120), rightPT: ReadingState = mmHg(120), rightDP: ReadingState = mmHg(110),
                  leftPT: ReadingState = mmHg(120), leftDP: ReadingState = mmHg(110), leftArm: ReadingState = mmHg(118),
                  extra: [(Site, ReadingState)] = [], symptoms: Symptoms? = nil, patient: Patient = Patient(id: "T1"),
                  prior: [PriorExam] = []) -> Exam {
    makeExam([(.rightBrachial, rightArm), (.rightPosteriorTibial, rightPT), (.rightDorsalisPedis, rightDP),
              (.leftPosteriorTibial, leftPT), (.leftDorsalisPedis, leftDP), (.leftBrachial, leftArm)] + extra,
             patient: patient, symptoms: symptoms, prior: prior)
}

extension ExamResult {
    func flags(_ code: FlagCode) -> [Flag] { flags.filter { $0.code == code } }
    var flagCodes: [String] { flags.map(\.code.rawValue) }
}

/// The project's own copy of the rule set's test vectors: `Tests/Fixtures/vectors`.
let vectorsDirectory: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/vectors")

let packageDirectory: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
