import ABICore
import ABIStore
import Foundation
import GRDB
import Testing

/// The patient store against a real SQLite file: migrations, the constraints an outside program
/// meets, immutability of final exams, amendments, round trips and history (R18).
@Suite struct StoreTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let vectors = root.appendingPathComponent("Tests/Fixtures/vectors")

    static func newStore() throws -> Store {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("abi-store-\(UUID().uuidString)")
        return try Store(path: dir.appendingPathComponent("data/abi.sqlite").path)
    }

    static func exam(_ name: String) throws -> Exam {
        let url = name.hasPrefix("v") ? vectors.appendingPathComponent("\(name).exam.json") : root.appendingPathComponent("samples/\(name).exam.json")
        return try ExamFile.decode(Array(Data(contentsOf: url)))
    }

    /// The same file opened directly, as another program would.
    static func raw(_ store: Store) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        return try DatabaseQueue(path: store.path, configuration: configuration)
    }

    static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! NSNumber).intValue
    }

    @Test("Migrations from empty: every table, WAL, foreign keys; the file is 0600 in a 0700 folder; reopening migrates nothing twice")
    func migrations() throws {
        let store = try StoreTests.newStore()
        #expect(try StoreTests.mode(store.path) == 0o600)
        #expect(try StoreTests.mode(URL(fileURLWithPath: store.path).deletingLastPathComponent().path) == 0o700)
        let db = try StoreTests.raw(store)
        try db.read { db in
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            for table in ["audit", "captureSessions", "deviceJournal", "exams", "patients", "readings"] { #expect(tables.contains(table)) }
            #expect(try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal")
            #expect(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") == ["2026-11-26 patients, exams, readings, journal, audit"])
        }
        _ = try Store(path: store.path)
        #expect(try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM grdb_migrations") } == 1)
    }

    @Test("Constraints live in SQL: an outside program cannot record an impossible reading", arguments: [
        "INSERT INTO readings (examId, phase, seq, site, state, systolic, recordedAt) VALUES (1, 'rest', 90, 'rightBrachial', 'numeric', 0, 'now')",
        "INSERT INTO readings (examId, phase, seq, site, state, systolic, recordedAt) VALUES (1, 'rest', 90, 'rightBrachial', 'numeric', 301, 'now')",
        "INSERT INTO readings (examId, phase, seq, site, state, systolic, recordedAt) VALUES (1, 'rest', 90, 'rightKnee', 'numeric', 120, 'now')",
        "INSERT INTO readings (examId, phase, seq, site, state, recordedAt) VALUES (1, 'rest', 90, 'rightBrachial', 'numeric', 'now')",
        "INSERT INTO readings (examId, phase, seq, site, state, systolic, recordedAt) VALUES (1, 'rest', 90, 'rightBrachial', 'absent', 120, 'now')",
        "INSERT INTO readings (examId, phase, seq, site, state, recordedAt) VALUES (1, 'rest', 90, 'rightBrachial', 'notMeasured', 'now')",
        "INSERT INTO readings (examId, phase, seq, site, state, recordedAt) VALUES (1, 'rest', 90, 'rightBrachial', 'guessed', 'now')",
        "INSERT INTO readings (examId, phase, seq, site, state, systolic, diastolic, recordedAt) VALUES (1, 'rest', 90, 'rightBrachial', 'numeric', 120, 120, 'now')",
        "INSERT INTO readings (examId, phase, seq, site, state, systolic, recordedAt) VALUES (1, 'rest', 1, 'rightBrachial', 'numeric', 120, 'now')",
        "INSERT INTO readings (examId, phase, seq, site, state, systolic, recordedAt) VALUES (999, 'rest', 90, 'rightBrachial', 'numeric', 120, 'now')",
        "INSERT INTO readings (examId, phase, seq, site, state, systolic, method, recordedAt) VALUES (1, 'rest', 90, 'rightBrachial', 'numeric', 120, 'palpation', 'now')",
        "UPDATE exams SET status = 'done' WHERE id = 1",
        "UPDATE exams SET status = 'final' WHERE id = 1",
        "UPDATE exams SET restMinutes = -1 WHERE id = 1",
        "INSERT INTO exams (patientId, status, performedAt, ruleSet, ankleMethod, severityScheme, createdAt) VALUES ('NOBODY', 'preliminary', '2026-11-26', 'x', 'higher', 'common', 'now')",
        "INSERT INTO patients (id, birthDate, createdAt) VALUES ('P2', '1950-02-30', 'now')",
        "INSERT INTO patients (id, sex, createdAt) VALUES ('P3', 'f', 'now')",
    ])
    func constraints(_ sql: String) throws {
        let store = try StoreTests.newStore()
        _ = try store.importExam(try StoreTests.exam("pad"), actor: "test")
        let db = try StoreTests.raw(store)
        #expect(throws: DatabaseError.self) { try db.write { try $0.execute(sql: sql) } }
        // The valid form of the same kind of statement goes through.
        try db.write { try $0.execute(sql: "INSERT INTO readings (examId, phase, seq, site, state, systolic, recordedAt) VALUES (1, 'rest', 91, 'rightBrachial', 'numeric', 120, 'now')") }
    }

    @Test("A final exam and its readings cannot change; signing twice is refused; the audit trail is append-only")
    func immutability() throws {
        let store = try StoreTests.newStore()
        let id = try store.importExam(try StoreTests.exam("pad"), actor: "nurse")
        try store.finalize(id, by: "Dr A. Smith", actor: "doctor")
        let db = try StoreTests.raw(store)
        for sql in ["UPDATE exams SET indication = 'changed' WHERE id = \(id)", "DELETE FROM exams WHERE id = \(id)",
                    "UPDATE readings SET systolic = 99 WHERE examId = \(id)", "DELETE FROM readings WHERE examId = \(id)",
                    "INSERT INTO readings (examId, phase, seq, site, state, systolic, recordedAt) VALUES (\(id), 'rest', 99, 'leftToe', 'numeric', 50, 'now')",
                    "UPDATE audit SET actor = 'someone else'", "DELETE FROM audit"] {
            #expect(throws: DatabaseError.self, "\(sql)") { try db.write { try $0.execute(sql: sql) } }
        }
        #expect(throws: StoreError.self) { try store.finalize(id, by: "Someone", actor: "doctor") }
        let stored = try store.exam(id)
        #expect(stored.status == .final && stored.signedBy == "Dr A. Smith")
        #expect(ExamFile.encode(stored.exam) == ExamFile.encode(try StoreTests.exam("pad")))
        #expect(try store.auditTrail(exam: id).map(\.action) == ["exam-imported", "exam-finalized"])
        #expect(try store.auditTrail(exam: id).map(\.actor) == ["nurse", "doctor"])
    }

    @Test("An amendment is a new version that keeps the old one; a version is amended once; history uses the latest")
    func amendments() throws {
        let store = try StoreTests.newStore()
        let original = try StoreTests.exam("pad")
        let id = try store.importExam(original, actor: "nurse")
        try store.finalize(id, by: "Dr A. Smith", actor: "doctor")
        var corrected = original
        corrected.readings = corrected.readings.map { r in
            guard r.site == .rightPosteriorTibial else { return r }
            var r = r
            r.state = .numeric(try! NumericPressure(systolic: Pressure(mmHg: 84)!))
            return r
        }
        let newId = try store.amend(id, with: corrected, reason: "re-measured", actor: "doctor")
        let old = try store.exam(id), new = try store.exam(newId)
        #expect(old.status == .final && old.amendedBy == newId && ExamFile.encode(old.exam) == ExamFile.encode(original))
        #expect(new.status == .preliminary && new.version == 2 && new.amends == id)
        #expect(new.exam.readings.first { $0.site == .rightPosteriorTibial }?.state.systolic == 84)
        #expect(throws: StoreError.self) { try store.amend(id, with: corrected, reason: nil, actor: "doctor") }
        var other = corrected
        other.patient.id = "SOMEONE-ELSE"
        #expect(throws: StoreError.self) { try store.amend(newId, with: other, reason: nil, actor: "doctor") }
        let (_, history) = try store.history(patient: original.patient.id)
        #expect(history.map(\.id) == [newId])
        #expect(history.first?.rightAbi == 58)  // 84 / 146
    }

    @Test("Every vector (and the PAD sample, with prior exam and symptoms) goes in and comes out the same, its ABIs and categories kept for lists")
    func roundTrip() throws {
        let store = try StoreTests.newStore()
        let names = try FileManager.default.contentsOfDirectory(atPath: StoreTests.vectors.path).filter { $0.hasSuffix(".exam.json") }.sorted()
        #expect(names.count >= 20)
        var exams: [Exam] = []
        for name in names { exams.append(try ExamFile.decode(Array(Data(contentsOf: StoreTests.vectors.appendingPathComponent(name))))) }
        exams.append(try StoreTests.exam("pad"))  // with an imported prior exam and symptoms
        #expect(exams.last?.prior.isEmpty == false && exams.last?.symptoms != nil)
        let ids = try store.importExams(exams, actor: "test")
        var listed: [Int64: Store.ExamSummary] = [:]
        try store.exams { listed[$0.id] = $0 }
        for (exam, id) in zip(exams, ids) {
            let stored = try store.exam(id)
            var expected = exam
            expected.prior = stored.exam.prior.filter { p in exam.prior.contains(p) }  // the store may add its own previous exam
            #expect(ExamFile.encode(expected) == ExamFile.encode({ var e = stored.exam; e.prior = expected.prior; return e }()))
            #expect(exam.prior.allSatisfy { stored.exam.prior.contains($0) }, "imported prior exams kept")
            let result = exam.result(options: .standard)
            #expect(listed[id]?.rightCategory == result.right.category?.rawValue && listed[id]?.leftCategory == result.left.category?.rawValue)
            #expect(listed[id]?.rightAbi == (result.right.perfusionMeasuresUsable ? result.right.abi : nil))
        }
    }

    @Test("Import is all or nothing; a known patient's details must not be contradicted")
    func importRules() throws {
        let store = try StoreTests.newStore()
        var bad = try StoreTests.exam("normal")
        bad.patient.birthDate = "1901-01-01"
        _ = try store.importExam(try StoreTests.exam("normal"), actor: "test")
        #expect(throws: StoreError.self) { try store.importExams([try StoreTests.exam("pad"), bad], actor: "test") }
        var count = 0
        try store.exams { _ in count += 1 }
        #expect(count == 1)
        #expect(try store.patient("DEMO-0002") == nil)  // rolled back with its exam
        #expect(throws: StoreError.self) { try store.addPatient(Patient(id: "DEMO-0001"), actor: "test") }
    }

    @Test("Import fills in the details a known patient lacks (audited), so the stored result equals the file's; it names the fields that differ")
    func importCompletesPatient() throws {
        let store = try StoreTests.newStore()
        try store.addPatient(Patient(id: "DEMO-0002"), actor: "nurse")
        let file = try StoreTests.exam("pad")
        let id = try store.importExam(file, actor: "nurse")
        let stored = try store.exam(id)
        #expect(stored.exam.patient == file.patient)
        #expect(ResultFile.encode(stored.exam.result(), pretty: false) == ResultFile.encode(file.result(), pretty: false))
        let trail = try store.auditTrail().filter { $0.action == "patient-completed" }
        #expect(trail.count == 1)
        #expect(trail.first?.detail == "added from an exam: name, birthDate, sex, diabetes")

        var other = file
        other.patient.birthDate = "1901-01-01"
        other.patient.sex = .other
        do {
            _ = try store.importExam(other, actor: "nurse")
            Issue.record("a contradicting patient was accepted")
        } catch {
            #expect(error.kind == .invalid)
            #expect(error.message.contains("birthDate and sex differ"), "\(error)")
            #expect(!error.message.contains("1901"), "no patient values in errors: \(error)")
        }
    }

    @Test("Storing an exam needs its date; every patient created by import or capture has its patient-added entry")
    func undatedAndAdded() throws {
        let store = try StoreTests.newStore()
        var undated = try StoreTests.exam("normal")
        undated.details.performedAt = nil
        do {
            _ = try store.importExam(undated, actor: "nurse")
            Issue.record("an undated exam was stored")
        } catch {
            #expect(error.message.contains("exam.performedAt"), "\(error)")
        }
        _ = try store.importExam(try StoreTests.exam("normal"), actor: "nurse")
        _ = try store.beginCapture(Patient(id: "BED-1"), details: ExamDetails(performedAt: Timestamp(secondsSinceEpoch: 0)),
                                   plan: .init(firstArm: .right, toes: false), device: nil, actor: "nurse")
        let added = try store.auditTrail().filter { $0.action == "patient-added" }.compactMap(\.patientId)
        #expect(added.sorted() == ["BED-1", "DEMO-0001"])
    }

    @Test("History applies R18 against the exam before: 0.08, or 0.11 with diabetes; warning beyond 0.15")
    func history() throws {
        let store = try StoreTests.newStore()
        func exam(_ day: Int, rightAnkle: Int, diabetes: Bool) -> Exam {
            let brachial = try! NumericPressure(systolic: Pressure(mmHg: 100)!)
            func r(_ site: Site, _ seq: Int, _ mmHg: Int) -> Reading { Reading(site: site, seq: seq, state: .numeric(try! NumericPressure(systolic: Pressure(mmHg: mmHg)!))) }
            return Exam(patient: Patient(id: "H-1", diabetes: diabetes), details: ExamDetails(performedAt: Timestamp("2026-0\(day)-01")!),
                        readings: [Reading(site: .rightBrachial, seq: 1, state: .numeric(brachial)), r(.rightPosteriorTibial, 2, rightAnkle), r(.rightDorsalisPedis, 3, rightAnkle),
                                   r(.leftPosteriorTibial, 4, 100), r(.leftDorsalisPedis, 5, 100), r(.leftBrachial, 6, 100)])
        }
        // Right ABI: 1.00, 0.92 (−0.08: within), 0.83 (−0.09: beyond 0.08), 1.00 (+0.17: warning).
        _ = try store.importExams([exam(1, rightAnkle: 100, diabetes: false), exam(2, rightAnkle: 92, diabetes: false),
                                   exam(3, rightAnkle: 83, diabetes: false), exam(4, rightAnkle: 100, diabetes: false)], actor: "test")
        let (_, entries) = try store.history(patient: "H-1")
        #expect(entries.map(\.rightAbi) == [100, 92, 83, 100])
        #expect(entries.map { $0.changes.map(\.level) } == [[], [], [.info], [.warning]])
        #expect(entries[2].changes.first?.side == .right && entries[2].changes.first?.code == .abiChange)
        // The same history with diabetes: 0.09 is within 0.11.
        let diabetic = try StoreTests.newStore()
        _ = try diabetic.importExams([exam(1, rightAnkle: 100, diabetes: true), exam(2, rightAnkle: 91, diabetes: true)], actor: "test")
        #expect(try diabetic.history(patient: "H-1").1.map(\.changes.count) == [0, 0])
        #expect(throws: StoreError.self) { try store.history(patient: "NOBODY") }
        // A stored exam's result compares with the previous stored exam, as the history does.
        var ids: [Int64] = []
        try store.exams(patient: "H-1") { ids.append($0.id) }
        let third = try store.exam(ids[2])
        #expect(third.exam.result(options: .standard).flags.filter { $0.code == .abiChange }.map(\.message) == entries[2].changes.map(\.message))
    }
}
