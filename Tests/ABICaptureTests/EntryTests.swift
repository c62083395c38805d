import ABICapture
import ABICore
import Testing

/// Manual entry on the bedside engine (what `abi enter` runs): typed answers only, into an exam
/// held for its file. These were the tests of the old manual-entry conversation; the same
/// behaviour now comes from the one engine.
@Suite struct EntryTests {
    /// Runs typed answers through a session without a device; ends the input after the last one.
    static func run(_ answers: [String], firstArm: Side = .right, toes: Bool = false) throws -> (exam: Exam, said: String, session: BedsideSession) {
        let recorder = ExamFileRecorder(Exam(patient: Patient(id: "MRN-1"), details: ExamDetails(performedAt: Timestamp("2026-11-26T09:30:00Z")), readings: []))
        let session = BedsideSession(recorder: recorder, plan: .init(firstArm: firstArm, toes: toes, methods: .init(all: .manualEntry)),
                                     device: nil, clock: { 0 }, timestamp: { "2026-11-26T09:30:00Z" })
        var events = try session.start()
        for answer in answers { events += try session.handle(line: answer) }
        events += try session.inputEnded()
        let said = events.compactMap { event -> String? in
            switch event {
            case .prompt(let t), .note(let t), .refused(let t): t
            default: nil
            }
        }.joined(separator: "\n")
        return (recorder.exam, said, session)
    }

    static func mmHg(_ systolic: Int, _ diastolic: Int? = nil, pulse: Int? = nil) -> ReadingState {
        .numeric(try! NumericPressure(systolic: Pressure(mmHg: systolic)!, diastolic: diastolic.flatMap(Pressure.init(mmHg:)),
                                      pulse: pulse.flatMap(PulseRate.init(perMinute:))))
    }

    @Test("A full session in the AHA order, starting with the right arm; every typed exam is a valid exam file")
    func rightFirst() throws {
        let (exam, _, session) = try EntryTests.run(["132/80 p70", "110", "a", "n 250", "x wound dressing", "128/80", "e E3", "next", "90", "n", ""], toes: true)
        #expect(session.phase == .saved)
        #expect(exam.readings.map(\.site) == [.rightBrachial, .rightPosteriorTibial, .rightDorsalisPedis, .leftPosteriorTibial,
                                              .leftDorsalisPedis, .leftBrachial, .rightToe, .leftToe])
        #expect(exam.readings.map(\.seq) == Array(1...8))
        #expect(exam.readings[0].state == EntryTests.mmHg(132, 80, pulse: 70))
        #expect(exam.readings[2].state == .absent)
        #expect(exam.readings[3].state == .noncompressible(atPressure: Pressure(mmHg: 250)))
        #expect(exam.readings[4].state == .notMeasured(reason: "wound dressing"))
        #expect(exam.readings[6].state == .deviceError(code: "E3", message: nil))
        #expect(exam.readings.allSatisfy { $0.time == "2026-11-26T09:30:00Z" })
        // Not measured means measured by no method; every other reading carries the method typed with.
        #expect(exam.readings.map(\.method) == [.manualEntry, .manualEntry, .manualEntry, .manualEntry, nil, .manualEntry, .manualEntry, .manualEntry])
        #expect(exam.symptoms == nil)
        // The docs/formats.md example exam: right ABI 110/132 = 0.83.
        #expect(exam.result().right.abi == 83)
        #expect(try ExamFile.decode(Array(ExamFile.encode(exam).utf8)) == exam)
    }

    @Test("Starting with the left arm measures the left leg first")
    func leftFirst() throws {
        let (exam, _, _) = try EntryTests.run(["130", "120", "118", "110", "112", "128"], firstArm: .left)
        #expect(exam.readings.map(\.site) == [.leftBrachial, .leftPosteriorTibial, .leftDorsalisPedis, .rightPosteriorTibial,
                                              .rightDorsalisPedis, .rightBrachial])
    }

    @Test("Bad answers are explained and asked again; nothing crashes", arguments: [
        ("0", "out of range"), ("301", "out of range"), ("-5", "not understood"), ("12.5", "not a whole number"),
        ("abc", "not understood"), ("120/130", "must be lower than the systolic"), ("x", "Say why"),
        ("120/80 p0", "not a pulse"), ("99999999999999999999", "out of range"), ("a b", "takes nothing"),
        ("n 999", "out of range"), ("120/80/60", "not understood"), ("💥", "not understood"), ("?", "Space/mark"),
        ("k", "nothing to keep"), ("next", "nothing to skip"), ("save", "Not every site is done"),
    ])
    func reasks(_ bad: String, _ reason: String) throws {
        let (exam, said, _) = try EntryTests.run([bad, "130", "120", "118", "110", "112", "128"])
        #expect(said.contains(reason), "\(said)")
        #expect(exam.readings.first?.state == EntryTests.mmHg(130))
        #expect(exam.readings.count == 6)
    }

    @Test("R5: asks for the repeat when the first arm exceeds the other by more than 10 mmHg; k keeps the single reading")
    func repeatFirstArm() throws {
        let (exam, said, _) = try EntryTests.run(["150", "140", "138", "130", "128", "134", "136"])
        #expect(said.contains("R5: the first arm read more than 10 mmHg above the other"))
        #expect(exam.readings.count == 7 && exam.readings[6].site == .rightBrachial)
        let result = exam.result()
        #expect(result.brachial.right == 136)
        #expect(result.flags.isEmpty)

        let (kept, keptSaid, _) = try EntryTests.run(["150", "140", "138", "130", "128", "134", "k"])
        #expect(keptSaid.contains("Kept the single first-arm reading"))
        #expect(kept.readings.count == 6)
    }

    @Test("No repeat is asked at exactly 10 mmHg")
    func noRepeatAt10() throws {
        let (_, said, _) = try EntryTests.run(["140", "140", "138", "130", "128", "130"])
        #expect(!said.contains("R5"))
    }

    @Test("Symptom questions record the signs per leg and give the flags and patterns")
    func symptoms() throws {
        let answers = ["142/84", "60", "52", "118", "120", "138", "y",
                       "1, 2 3 5", "3", "",      // right: rest pain, eased by dangling, night, shiny skin; wound 3 weeks; normal toes
                       "99", "12 13", "", "b",    // left: a bad number asked again, then swelling and warmth; blue toes
                       "", ""]                    // no sudden onset, no Wells score
        let (exam, said, _) = try EntryTests.run(answers)
        #expect(said.contains("Type numbers from 1 to 20"))
        let symptoms = try #require(exam.symptoms)
        #expect(symptoms.right.has(.restPain) && symptoms.right.has(.shinySkin) && !symptoms.right.has(.burning))
        #expect(symptoms.right.answers[.burning] == false)
        #expect(symptoms.right.woundWeeks == ExactDecimal(3))
        #expect(symptoms.left.toeDiscoloration == .blue)
        let result = exam.result()
        #expect(result.flags.map(\.code) == [.limbAtRisk, .suspectedDVT, .cltiSuspected])
        #expect(result.patterns.map(\.pattern) == [.ischemicRestPain, .deepVeinThrombosis])
    }

    @Test("Input that ends before the sites are done stops with what was typed kept")
    func endOfInput() throws {
        let (exam, _, session) = try EntryTests.run(["130", "120"])
        #expect(session.phase == .stopped)
        #expect(exam.readings.map(\.site) == [.rightBrachial, .rightPosteriorTibial])
    }
}
