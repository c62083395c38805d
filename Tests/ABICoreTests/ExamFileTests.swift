import ABICore
import Testing

/// Reading and writing abi-exam/1, and every rejection with the JSON path it names.
@Suite struct ExamFileTests {
    static let header = #""format":"abi-exam/1","patient":{"id":"P1"},"exam":{"performedAt":"2026-11-26T09:30:00Z"}"#

    static func exam(readings: String, extra: String = "") -> String {
        "{\(header),\"readings\":[\(readings)]\(extra)}"
    }

    static func decode(_ text: String) throws(InputError) -> Exam {
        try ExamFile.decode(Array(text.utf8))
    }

    @Test("Rejections name the JSON path", arguments: [
        (exam(readings: #"{"site":"rightArm","systolic":120}"#), "readings[0].site", "unknown site \"rightArm\""),
        (exam(readings: #"{"site":"rightBrachial","state":"weak"}"#), "readings[0].state", "unknown state \"weak\""),
        (exam(readings: #"{"site":"rightBrachial","systolic":120},{"site":"leftBrachial","systolic":0}"#), "readings[1].systolic", "0 is out of range"),
        (exam(readings: #"{"site":"rightBrachial","systolic":301}"#), "readings[0].systolic", "301 is out of range (1–300 mmHg)"),
        (exam(readings: #"{"site":"rightBrachial","systolic":-5}"#), "readings[0].systolic", "-5 is out of range"),
        (exam(readings: #"{"site":"rightBrachial","systolic":"120"}"#), "readings[0].systolic", "expected a whole number of mmHg, found a string \"120\""),
        (exam(readings: #"{"site":"rightBrachial","systolic":120.5}"#), "readings[0].systolic", "found the fraction 120.5"),
        (exam(readings: #"{"site":"rightBrachial","systolic":1e400}"#), "readings[0].systolic", "expected a whole number"),
        (exam(readings: #"{"site":"rightBrachial","systolic":120,"diastolic":120}"#), "readings[0].diastolic", "must be lower than the systolic"),
        (exam(readings: #"{"site":"rightBrachial","systolic":120,"diastolic":80,"map":130}"#), "readings[0].map", "between the diastolic"),
        (exam(readings: #"{"site":"rightBrachial","systolic":120,"pulse":0}"#), "readings[0].pulse", "out of range"),
        (exam(readings: #"{"site":"rightBrachial","systolic":120,"seq":2},{"site":"leftBrachial","systolic":118,"seq":2}"#), "readings[1].seq", "duplicate seq 2"),
        (exam(readings: #"{"site":"rightBrachial","systolic":120},{"site":"leftBrachial","systolic":118,"seq":1}"#), "readings[1].seq", "duplicate seq 1"),
        (exam(readings: #"{"site":"rightBrachial"}"#), "readings[0]", "neither a systolic pressure nor a state"),
        (exam(readings: #"{"site":"rightBrachial","state":"numeric"}"#), "readings[0].systolic", "is required"),
        (exam(readings: #"{"site":"rightBrachial","state":"absent","systolic":120}"#), "readings[0].systolic", "state absent has no systolic"),
        (exam(readings: #"{"site":"rightBrachial","state":"notMeasured"}"#), "readings[0].reason", "is required"),
        (exam(readings: #"{"site":"rightBrachial","state":"deviceError"}"#), "readings[0]", "code or message"),
        (exam(readings: #"{"site":"rightBrachial","state":"noncompressible","atPressure":400}"#), "readings[0].atPressure", "out of range"),
        (exam(readings: #"{"site":"rightBrachial","systolic":120,"atPressure":200}"#), "readings[0].atPressure", "only a noncompressible"),
        (exam(readings: #"{"site":"rightBrachial","systolic":120,"method":"palpation"}"#), "readings[0].method", "unknown method"),
        (exam(readings: #"{"site":"rightBrachial","systolic":120,"time":"yesterday"}"#), "readings[0].time", "not an ISO 8601"),
        (exam(readings: #"{"site":"rightBrachial","systolic":120,"time":"2026-02-30T10:00:00Z"}"#), "readings[0].time", "not an ISO 8601"),
        (exam(readings: #""rightBrachial""#), "readings[0]", "expected a reading object, found a string"),
        (exam(readings: #"{"site":"rightBrachial","systolic":120}"#, extra: #","symptoms":{"left":{"restPain":"yes"}}"#), "symptoms.left.restPain", "expected true or false"),
        (exam(readings: #"{"site":"rightBrachial","systolic":120}"#, extra: #","symptoms":{"wellsScore":2.5}"#), "symptoms.wellsScore", "whole number"),
        (exam(readings: #"{"site":"rightBrachial","systolic":120}"#, extra: #","symptoms":{"right":{"toeDiscoloration":"purple"}}"#), "symptoms.right.toeDiscoloration", "unknown toe discoloration"),
        (exam(readings: #"{"site":"rightBrachial","systolic":120}"#, extra: #","postExercise":{"readings":{}}"#), "postExercise.readings", "expected an array, found an object"),
        (exam(readings: #"{"site":"rightBrachial","systolic":120}"#, extra: #","postExercise":{"readings":[{"site":"leftToe","systolic":999}]}"#), "postExercise.readings[0].systolic", "out of range"),
        (exam(readings: #"{"site":"rightBrachial","systolic":120}"#, extra: #","prior":[{"performedAt":"2026-01-01","rightAbi":0.955}]"#), "prior[0].rightAbi", "more than two decimals"),
        (exam(readings: #"{"site":"rightBrachial","systolic":120}"#, extra: #","prior":[{"rightAbi":0.95}]"#), "prior[0].performedAt", "is required"),
        (#"{"format":"abi-exam/1","patient":{},"exam":{"performedAt":"2026-11-26T09:30:00Z"},"readings":[]}"#, "patient.id", "is required"),
        (#"{"format":"abi-exam/1","patient":{"id":""},"exam":{"performedAt":"2026-11-26T09:30:00Z"},"readings":[]}"#, "patient.id", "must not be empty"),
        (#"{"format":"abi-exam/1","patient":{"id":42},"exam":{"performedAt":"2026-11-26T09:30:00Z"},"readings":[]}"#, "patient.id", "expected a string, found a number"),
        (#"{"format":"abi-exam/1","patient":{"id":"P"},"exam":{"performedAt":"2026-11-26T09:30:00"},"readings":[]}"#, "exam.performedAt", "time zone"),
        (#"{"format":"abi-exam/1","patient":{"id":"P"},"exam":{"performedAt":"2026-11-26T09:30:00Z"}}"#, "readings", "is required"),
        (#"{"format":"abi-exam/1","patient":{"id":"P"},"exam":{"performedAt":"2026-11-26T09:30:00Z"},"readings":{}}"#, "readings", "expected an array"),
        (#"{"format":"abi-exam/2","patient":{"id":"P"}}"#, "format", "not supported"),
        (#"{"patient":{"id":"P"}}"#, "format", "is required"),
        (#"[1,2]"#, "", "expected an exam object"),
        ("\u{FEFF}" + #"{"format":"abi-exam/1"}"#, "", "byte-order mark"),
        (#"{"format":"abi-exam/1","#, "", "not valid JSON: line 1, column 24"),
        (#"{"format":"abi-exam/1","format":"abi-exam/1"}"#, "", "duplicate member \"format\""),
    ])
    func rejects(_ text: String, _ path: String, _ fragment: String) {
        if fragment == "byte-order mark" {  // and UTF-16, which a String cannot hold here
            let error = #expect(throws: InputError.self) { try ExamFile.decode([0xFF, 0xFE] + Array("{}".utf16.flatMap { [UInt8($0), 0] })) }
            #expect(error?.description.contains("UTF-16") == true)
        }
        do {
            _ = try ExamFileTests.decode(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.path == path, "\(error)")
            #expect(error.description.contains(fragment), "\(error)")
        }
    }

    @Test("Whole numbers may be written 120.0 or 1.2e2; unknown keys are ignored; seq defaults to array order")
    func accepts() throws {
        let exam = try ExamFileTests.decode(ExamFileTests.exam(
            readings: #"{"site":"rightBrachial","systolic":120.0,"vendorField":{"x":[1]}},{"site":"leftBrachial","systolic":1.2e2,"state":"numeric"},{"site":"leftToe","state":"noncompressible"}"#))
        #expect(exam.readings.map(\.seq) == [1, 2, 3])
        #expect(exam.readings.map(\.state.systolic) == [120, 120, nil])
        #expect(exam.readings[2].state == .noncompressible(atPressure: nil))
    }

    @Test("The docs/formats.md example exam reads, calculates and survives a write/read round trip")
    func formatsExample() throws {
        let text = """
        {"format": "abi-exam/1",
         "patient": {"id": "MRN-0042", "name": "Doe, Jane", "birthDate": "1948-05-17", "sex": "female", "diabetes": true},
         "exam": {"performedAt": "2026-11-26T09:30:00Z", "indication": "Night-time foot pain relieved by dangling the leg",
                  "operator": "A. Smith", "position": "supine", "restMinutes": 10},
         "readings": [
          {"site": "rightBrachial", "seq": 1, "systolic": 132, "diastolic": 80, "pulse": 70, "method": "oscillometric"},
          {"site": "rightPosteriorTibial", "seq": 2, "systolic": 110, "method": "doppler"},
          {"site": "rightDorsalisPedis", "seq": 3, "state": "absent"},
          {"site": "leftPosteriorTibial", "seq": 4, "state": "noncompressible", "atPressure": 250},
          {"site": "leftDorsalisPedis", "seq": 5, "state": "notMeasured", "reason": "wound dressing"},
          {"site": "leftBrachial", "seq": 6, "systolic": 128},
          {"site": "rightToe", "seq": 7, "systolic": 80, "method": "ppg"},
          {"site": "leftToe", "seq": 8, "state": "deviceError", "code": "E3", "message": "retry count exceeded"}
         ],
         "postExercise": {"minutesAfter": 1, "readings": [ {"site": "rightBrachial", "seq": 1, "systolic": 150} ]},
         "symptoms": {
           "acuteOnsetDays": null, "radiatesFromBack": false, "wellsScore": 1,
           "left":  {"restPain": true, "reliefOnDependency": true, "nightOnset": true, "woundWeeks": 3,
                     "swelling": false, "toeDiscoloration": null},
           "right": {"briefSpasm": true, "nightOnset": true}
         },
         "prior": [ {"performedAt": "2026-05-01T10:00:00Z", "rightAbi": 0.95, "leftAbi": 1.02} ]
        }
        """
        let exam = try ExamFileTests.decode(text)
        #expect(exam.patient.sex == .female)
        #expect(exam.details.restMinutes == 10)
        #expect(exam.prior.first?.rightAbi == 95)
        #expect(exam.symptoms?.left.woundWeeks == ExactDecimal(3))
        #expect(exam.symptoms?.left.answers[.swelling] == false)

        // The result of docs/formats.md's example result: right 110/132 = 0.83, mild; toe 80 → TBI 0.61.
        let result = exam.result()
        #expect(result.right.abi == 83)
        #expect(result.right.severity == .mild)
        #expect(result.right.tbi == 61)
        #expect(result.left.status == .noncompressible)
        #expect(result.vitals?.map == 97)
        #expect(result.flags.contains { $0.code == .noncompressibleNeedsTBI && $0.side == .left })
        // The right ABI changed 0.95 → 0.83 (0.12 > 0.11 with diabetes).
        #expect(result.flags(.abiChange).map(\.side) == [.right])
        #expect(result.patterns.map(\.pattern) == [.ischemicRestPain, .nocturnalCramp])

        let again = try ExamFile.decode(Array(ExamFile.encode(exam).utf8))
        #expect(again == exam)
    }

    @Test("Text with quotes, back-slashes, control characters and non-Latin script survives the round trip")
    func textRoundTrip() throws {
        var exam = makeExam([(.rightBrachial, mmHg(120))])
        exam.patient.name = "Ó'Brien, \"Séan\" \\ 王"
        exam.details.indication = "line one\nline two\ttab"
        exam.readings.append(Reading(site: .leftToe, seq: 2, state: .notMeasured(reason: "amputation 🦶")))
        let again = try ExamFile.decode(Array(ExamFile.encode(exam).utf8))
        #expect(again == exam)
    }

    @Test("The exam object and its time are optional for calculation; an undated exam compares with its latest prior (R18)")
    func undatedExam() throws {
        let body = #""readings":[{"site":"rightBrachial","systolic":200},{"site":"rightPosteriorTibial","systolic":140},{"site":"leftBrachial","systolic":190},{"site":"leftPosteriorTibial","systolic":190}],"prior":[{"performedAt":"2025-01-01T00:00:00Z","rightAbi":0.50},{"performedAt":"2026-01-01T00:00:00Z","rightAbi":0.90}]"#
        for text in [#"{"format":"abi-exam/1","patient":{"id":"P"},"# + body + "}",
                     #"{"format":"abi-exam/1","patient":{"id":"P"},"exam":{"operator":"A"},"# + body + "}"] {
            let exam = try ExamFileTests.decode(text)
            #expect(exam.details.performedAt == nil)
            #expect(exam.details.performedAtWords == "date not recorded")
            let result = exam.result()
            #expect(result.right.abi == 70)
            // 0.90 on 2026-01-01 is the latest prior: a fall of 0.20.
            let change = result.flags(.abiChange)
            #expect(change.map(\.level) == [.warning])
            #expect(change.first?.message.contains("from 0.90 on 2026-01-01 to 0.70 in this exam (date not recorded)") == true, "\(change)")
            let again = try ExamFile.decode(Array(ExamFile.encode(exam).utf8))
            #expect(again == exam)
        }
    }

    @Test("Errors name the path and the problem, never a patient's value; long values are cut", arguments: [
        (#""patient":{"id":"P","birthDate":"1967-02-30"}"#, "patient.birthDate", "1967"),
        (#""patient":{"id":"P","diabetes":"Example, Normal DOB 1967-03-14"}"#, "patient.diabetes", "Example"),
        (#""patient":{"id":"P","name":["Doe","Jane"],"sex":"female"}"#, "patient.name", "Doe"),
        (#""patient":{"id":"P","sex":"Doe, Jane"}"#, "patient.sex", "Doe"),
        (#""patient":{"id":"P","name":1967031412}"#, "patient.name", "1967031412"),
    ])
    func noPatientValuesInErrors(_ patient: String, _ path: String, _ secret: String) {
        let text = #"{"format":"abi-exam/1","# + patient + #","readings":[]}"#
        let error = #expect(throws: InputError.self) { try ExamFileTests.decode(text) }
        #expect(error?.path == path)
        #expect(error?.description.contains(secret) == false, "\(String(describing: error))")
    }

    @Test("A 100,000-digit number is not echoed whole")
    func longNumberCut() {
        let digits = String(repeating: "9", count: 100_000)
        let error = #expect(throws: InputError.self) { try ExamFileTests.decode(ExamFileTests.exam(readings: #"{"site":"rightBrachial","systolic":"# + digits + "}")) }
        #expect((error?.description.count ?? .max) < 200, "\(String(describing: error).prefix(300))")
    }
}
