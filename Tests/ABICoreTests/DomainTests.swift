import ABICore
import Testing

@Suite struct DomainTests {
    @Test("R1: pressures are whole mmHg in 1…300; 0 and 301 cannot be represented")
    func pressureRange() {
        #expect(Pressure(mmHg: 0) == nil)
        #expect(Pressure(mmHg: -1) == nil)
        #expect(Pressure(mmHg: 301) == nil)
        #expect(Pressure(mmHg: 1)?.mmHg == 1)
        #expect(Pressure(mmHg: 300)?.mmHg == 300)
    }

    @Test("R1: kPa to mmHg with 1 kPa = 7.50062 mmHg, rounded half-up",
          arguments: [("1", 8), ("16", 120), ("13.3", 100), ("0.1", 1), ("40", 300), ("17.33", 130)])
    func kPa(_ text: String, _ mmHg: Int) throws {
        guard case .number(let n) = try JSONParser.parse(text), let d = n.decimal else { Issue.record("parse"); return }
        #expect(Pressure(kPa: d)?.mmHg == mmHg)
    }

    @Test("R1: kPa values outside 1…300 mmHg are rejected", arguments: ["0.06", "40.1", "0", "-2"])
    func kPaOutOfRange(_ text: String) throws {
        guard case .number(let n) = try JSONParser.parse(text), let d = n.decimal else { Issue.record("parse"); return }
        #expect(Pressure(kPa: d) == nil)
    }

    @Test("R2: diastolic must be below systolic; a measured mean between them")
    func numericPressure() {
        let p120 = Pressure(mmHg: 120)!
        #expect(throws: NumericPressure.Problem.diastolicNotBelowSystolic) {
            try NumericPressure(systolic: p120, diastolic: p120)
        }
        #expect(throws: NumericPressure.Problem.meanOutsideSystolicDiastolic) {
            try NumericPressure(systolic: p120, diastolic: Pressure(mmHg: 80), map: Pressure(mmHg: 70))
        }
        #expect((try? NumericPressure(systolic: p120, diastolic: Pressure(mmHg: 80), map: Pressure(mmHg: 93))) != nil)
    }

    @Test("Timestamps: RFC 3339 with a zone, or a plain date; ordered by instant", arguments: [
        ("2026-11-26T09:30:00Z", true), ("2026-11-26T09:30:00.125+01:00", true), ("2026-11-26t09:30z", true),
        ("2024-02-29", true), ("2023-02-29", false), ("2026-13-01", false), ("2026-11-26T24:00:00Z", false),
        ("2026-11-26T09:30:00", false), ("2026-11-26 09:30:00Z", false), ("26/11/2026", false), ("", false),
        ("2026-11-26T09:30:00.Z", false), ("2026-11-26T09:30:00Zjunk", false),
    ])
    func timestamps(_ text: String, _ valid: Bool) {
        #expect((Timestamp(text) != nil) == valid, "\(text)")
    }

    @Test("Timestamps compare by the instant, across offsets; the epoch writer is exact")
    func timestampOrder() {
        #expect(Timestamp("2026-11-26T10:00:00+01:00")! < Timestamp("2026-11-26T09:30:00Z")!)
        #expect(Timestamp("2026-11-26T09:30:00.5Z")!.millisecondsSinceEpoch == Timestamp("2026-11-26T09:30:00Z")!.millisecondsSinceEpoch + 500)
        #expect(Timestamp(secondsSinceEpoch: 0).text == "1970-01-01T00:00:00Z")
        #expect(Timestamp(secondsSinceEpoch: 1_795_685_400).text == "2026-11-26T09:30:00Z")
        #expect(Timestamp("2026-11-26T09:30:00Z")!.millisecondsSinceEpoch == 1_795_685_400_000)
        #expect(Timestamp(secondsSinceEpoch: 951_782_400).text == "2000-02-29T00:00:00Z")
        // With milliseconds: written with three digits, and read back to the same instant.
        for ms in [0, 5, 1_795_685_402_114, 1_795_685_402_009, -1] {
            let t = Timestamp(millisecondsSinceEpoch: ms)
            #expect(Timestamp(t.text)?.millisecondsSinceEpoch == ms, "\(t.text)")
        }
        #expect(Timestamp(millisecondsSinceEpoch: 1_795_685_402_114).text == "2026-11-26T09:30:02.114Z")
        #expect(Timestamp(millisecondsSinceEpoch: -1).text == "1969-12-31T23:59:59.999Z")
    }

    @Test("File names from patient ids are sanitised", arguments: [
        ("MRN-0042", "MRN-0042"), ("../../etc/x", "etc_x"), ("Doe, Jane", "Doe_Jane"), ("", "patient"),
        ("...", "patient"), ("-rf", "rf"), ("a/b\\c:d", "a_b_c_d"), ("王小明", "patient"), ("id\u{0}x", "id_x"),
    ])
    func fileNames(_ id: String, _ name: String) {
        #expect(FileName.sanitized(id) == name)
    }

    @Test("Sanitised file names stay short and safe for any id")
    func fileNameProperty() {
        var rng = SplitMix64(seed: 5)
        for _ in 0..<2_000 {
            var id = ""
            for _ in 0..<Int(rng.next() % 100) { id.unicodeScalars.append(Unicode.Scalar(UInt8(truncatingIfNeeded: rng.next() % 128))) }
            let name = FileName.sanitized(id)
            #expect(!name.isEmpty && name.count <= 64)
            #expect(!name.hasPrefix(".") && !name.hasPrefix("-"))
            #expect(name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        }
    }

    @Test("One patient-id rule: not blank, at most 64 characters, no control, format or line-break characters, no U+FFFD", arguments: [
        ("", "must not be empty"), ("   ", "must not be empty"), ("\t", "must not be empty"),
        ("MRN\n2", "control character"), ("MRN\t2", "control character"), ("\u{9B}31m", "control character (U+009B)"),
        ("\u{202E}MRN", "invisible formatting character (U+202E)"), ("MR\u{200B}N", "invisible formatting character"),
        ("MRN\u{2028}", "line break"), ("\u{FFFD}\u{FFFD}", "not valid UTF-8"), (String(repeating: "x", count: 65), "longer than 64"),
    ])
    func patientIdRefused(_ id: String, _ fragment: String) {
        #expect(PatientId.problem(id)?.contains(fragment) == true, "\(PatientId.problem(id) ?? "accepted")")
        let file = ExamFile.encode(Exam(patient: Patient(id: id), details: ExamDetails(performedAt: nil), readings: []))
        let error = #expect(throws: InputError.self) { try ExamFile.decode(Array(file.utf8)) }
        #expect(error?.path == "patient.id")
    }

    @Test("Ids as clinics write them are accepted", arguments: ["MRN-0042", "12345678", "Ünal-7", "王-42", "A B", String(repeating: "9", count: 64)])
    func patientIdAccepted(_ id: String) {
        #expect(PatientId.problem(id) == nil)
    }
}
