import ABICore
import Testing

/// A console that answers from a script and keeps a transcript.
struct ScriptedConsole: EntryConsole {
    var answers: [String]
    var transcript: [String] = []

    init(_ answers: [String]) { self.answers = answers }

    mutating func ask(_ prompt: String) -> String? {
        transcript.append(prompt)
        return answers.isEmpty ? nil : answers.removeFirst()
    }

    mutating func say(_ text: String) { transcript.append(text) }

    var text: String { transcript.joined(separator: "\n") }
}

@Suite struct ManualEntryTests {
    static let start = Timestamp("2026-11-26T09:30:00Z")!

    static func run(_ answers: [String], patient: String? = "MRN-1") throws -> (Exam, ScriptedConsole) {
        let entry = ManualEntry(patientId: patient, details: ExamDetails(performedAt: start)) { start }
        var console = ScriptedConsole(answers)
        let exam = try entry.run(&console)
        #expect(console.answers.isEmpty, "answers left over: \(console.answers)")
        return (exam, console)
    }

    @Test("A full session in the AHA order, starting with the right arm")
    func rightFirst() throws {
        let (exam, console) = try ManualEntryTests.run(["", "132/80 p70", "110", "a", "n 250", "x wound dressing", "128", "80", "e E3", "n"])
        #expect(exam.readings.map(\.site) == [.rightBrachial, .rightPosteriorTibial, .rightDorsalisPedis, .leftPosteriorTibial,
                                              .leftDorsalisPedis, .leftBrachial, .rightToe, .leftToe])
        #expect(exam.readings.map(\.seq) == Array(1...8))
        #expect(exam.readings[0].state == mmHg(132, 80, pulse: 70))
        #expect(exam.readings[2].state == .absent)
        #expect(exam.readings[3].state == .noncompressible(atPressure: Pressure(mmHg: 250)))
        #expect(exam.readings[4].state == .notMeasured(reason: "wound dressing"))
        #expect(exam.readings[7].state == .deviceError(code: "E3", message: nil))
        #expect(exam.readings.allSatisfy { $0.method == .manualEntry && $0.time == "2026-11-26T09:30:00Z" })
        #expect(exam.symptoms == nil)
        #expect(console.text.contains("Right posterior tibial (mmHg): "))
        // It is the docs/formats.md example exam: right ABI 110/132 = 0.83.
        #expect(exam.result().right.abi == 83)
    }

    @Test("Starting with the left arm measures the left leg first")
    func leftFirst() throws {
        let (exam, _) = try ManualEntryTests.run(["l", "130", "120", "118", "110", "112", "128", "", "", ""])
        #expect(exam.readings.map(\.site) == [.leftBrachial, .leftPosteriorTibial, .leftDorsalisPedis, .rightPosteriorTibial,
                                              .rightDorsalisPedis, .rightBrachial])
    }

    @Test("Bad answers are explained and asked again; nothing crashes", arguments: [
        ("0", "out of range"), ("301", "out of range"), ("-5", "not a whole number"), ("12.5", "not a whole number"),
        ("abc", "not a whole number"), ("", "A value is needed"), ("120/130", "must be lower than the systolic"),
        ("120/80 p0", "not a pulse"), ("99999999999999999999", "out of range"), ("a b", "takes nothing"),
        ("n 999", "out of range"), ("120/80/60", "not understood"), ("💥", "not a whole number"), ("?", "At each site type"),
    ])
    func reasks(_ bad: String, _ reason: String) throws {
        let (exam, console) = try ManualEntryTests.run(["r", bad, "130", "120", "118", "110", "112", "128", "", "", ""])
        #expect(console.text.contains(reason), "\(console.text)")
        #expect(exam.readings.first?.state == mmHg(130))
        #expect(exam.readings.count == 6)
    }

    @Test("R5: asks for the repeat when the first arm exceeds the other by more than 10 mmHg")
    func repeatFirstArm() throws {
        let (exam, console) = try ManualEntryTests.run(["r", "150", "140", "138", "130", "128", "134", "136", "", "", ""])
        #expect(console.text.contains("Repeat the right arm now"))
        #expect(exam.readings.count == 7)
        #expect(exam.readings[6].site == .rightBrachial)
        let result = exam.result()
        #expect(result.brachial.right == 136)
        #expect(result.flags.isEmpty)

        let (kept, keptConsole) = try ManualEntryTests.run(["r", "150", "140", "138", "130", "128", "134", "", "", "", ""])
        #expect(keptConsole.text.contains("Kept the single reading"))
        #expect(kept.result().flags.map(\.code) == [.interArmDifference, .firstArmRepeatRequired])
    }

    @Test("No repeat is asked at exactly 10 mmHg")
    func noRepeatAt10() throws {
        let (_, console) = try ManualEntryTests.run(["r", "140", "140", "138", "130", "128", "130", "", "", ""])
        #expect(!console.text.contains("Repeat"))
    }

    @Test("Symptom questions record the signs per leg and give the flags and patterns")
    func symptoms() throws {
        let answers = ["r", "142/84", "60", "52", "118", "120", "138", "", "55", "y",
                       "1, 2 3 5", "3", "",      // right: rest pain, eased by dangling, night, shiny skin; wound 3 weeks; normal toes
                       "99", "12 13", "", "b",    // left: bad number re-asked, then swelling and warmth; blue toes
                       "", ""]                    // no sudden onset, no Wells score
        let (exam, console) = try ManualEntryTests.run(answers)
        #expect(console.text.contains("Type numbers from 1 to 14"))
        let symptoms = try #require(exam.symptoms)
        #expect(symptoms.right.has(.restPain) && symptoms.right.has(.shinySkin) && !symptoms.right.has(.burning))
        #expect(symptoms.right.answers[.burning] == false)
        #expect(symptoms.right.woundWeeks == ExactDecimal(3))
        #expect(symptoms.left.toeDiscoloration == .blue)
        let result = exam.result()
        #expect(result.flags.map(\.code) == [.limbAtRisk, .suspectedDVT, .cltiSuspected])
        #expect(result.patterns.map(\.pattern) == [.ischemicRestPain, .deepVeinThrombosis])
    }

    @Test("Asks for the patient id when not given, and re-asks a blank one")
    func patientId() throws {
        let (exam, console) = try ManualEntryTests.run(["", "MRN-7", "r", "130", "120", "118", "110", "112", "128", "", "", ""], patient: nil)
        #expect(exam.patient.id == "MRN-7")
        #expect(console.text.contains("A patient id is needed"))
    }

    @Test("The end of input stops the entry with an error that carries what was entered")
    func endOfInput() {
        let entry = ManualEntry(patientId: "P", details: ExamDetails(performedAt: ManualEntryTests.start)) { ManualEntryTests.start }
        var console = ScriptedConsole(["r", "130", "120"])
        do {
            _ = try entry.run(&console)
            Issue.record("an incomplete entry returned an exam")
        } catch {
            #expect(error.atQuestion == "Right dorsalis pedis (mmHg)")
            #expect(error.partial?.readings.map(\.site) == [.rightBrachial, .rightPosteriorTibial])
            #expect(error.partial?.patient.id == "P")
        }
        var silent = ScriptedConsole(["r"])
        do {
            _ = try entry.run(&silent)
        } catch {
            #expect(error.partial == nil)
        }
    }

    @Test("Every typed exam is a valid exam file")
    func validFile() throws {
        let (exam, _) = try ManualEntryTests.run(["r", "132/80", "110", "a", "n", "x", "amputation", "128", "e", "", "", "n"])
        #expect(exam.readings[4].state == .notMeasured(reason: "amputation"))
        #expect(exam.readings[6].state == .deviceError(code: nil, message: "device error, no code shown"))
        let again = try ExamFile.decode(Array(ExamFile.encode(exam).utf8))
        #expect(again == exam)
    }
}
