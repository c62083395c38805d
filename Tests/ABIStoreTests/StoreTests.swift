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
            for table in ["audit", "captureSessions", "deviceJournal", "dopplerSounds", "exams", "patients", "readings", "users"] { #expect(tables.contains(table)) }
            #expect(try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal")
            #expect(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier") ==
                    ["2026-11-26 patients, exams, readings, journal, audit", "2026-11-29 application id; no path around immutability", "2026-11-29 discarded exams",
                     "2026-11-29 the signed result is the record", "2026-11-29 the worklist by status", "2026-11-29 users of the web app",
                     "2026-11-30 the Doppler's sound of each site"])
            #expect(try Int.fetchOne(db, sql: "PRAGMA application_id") == 0x6162_6931)
        }
        _ = try Store(path: store.path)
        #expect(try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM grdb_migrations") } == 7)
    }

    @Test("Durable before acknowledged: the setting in force on the writing connection is synchronous = FULL")
    func synchronousFull() throws {
        let store = try StoreTests.newStore()
        #expect(try store.synchronousSetting() == 2)
        #expect(try Store(path: store.path, access: .existing).synchronousSetting() == 2)
    }

    @Test("No path around immutability for an outside program: REPLACE, patients, sessions, the journal, the amends link")
    func noHoles() throws {
        let store = try StoreTests.newStore()
        let id = try store.importExam(try StoreTests.exam("pad"), actor: "nurse")
        try store.finalize(id, by: "Dr A", actor: "doctor")
        let other = try store.importExam(try StoreTests.exam("normal"), actor: "nurse")
        let capture = try store.beginCapture(Patient(id: "BED-1"), details: ExamDetails(performedAt: Timestamp(secondsSinceEpoch: 0)),
                                             plan: .init(firstArm: .right, toes: false), device: nil, actor: "nurse")
        try store.journal(capture, port: "/dev/ttyUSB0", at: "2026-11-29T10:00:00.000Z", bytes: [1, 2, 3])
        try store.endCapture(capture, finished: false, actor: "nurse")
        var configuration = Configuration()
        configuration.foreignKeysEnabled = false  // as the sqlite3 shell has it
        let db = try DatabaseQueue(path: store.path, configuration: configuration)
        let attempts = [
            """
            REPLACE INTO exams (id, patientId, version, status, performedAt, ruleSet, ankleMethod, severityScheme, createdAt)
              SELECT id, patientId, version, 'preliminary', performedAt, ruleSet, ankleMethod, severityScheme, createdAt FROM exams WHERE id = \(id)
            """,
            "UPDATE exams SET status = 'preliminary', signedBy = NULL, signedAt = NULL WHERE id = \(id)",
            "INSERT OR REPLACE INTO audit (id, at, actor, action) VALUES (2, '2026-01-01', 'nobody', 'nothing-happened')",
            "UPDATE patients SET name = 'Someone Else' WHERE id = 'DEMO-0002'",
            "UPDATE patients SET diabetes = 0 WHERE id = 'DEMO-0002'",
            "DELETE FROM patients WHERE id = 'DEMO-0002'",
            "DELETE FROM patients WHERE id = 'DEMO-0001'",
            "UPDATE patients SET id = 'X' WHERE id = 'DEMO-0001'",
            "REPLACE INTO patients (id, createdAt) VALUES ('DEMO-0001', 'now')",
            "DELETE FROM deviceJournal",
            "UPDATE deviceJournal SET bytes = x'00'",
            "REPLACE INTO deviceJournal (id, sessionId, port, receivedAt, bytes) SELECT id, sessionId, port, receivedAt, x'ff' FROM deviceJournal",
            "UPDATE captureSessions SET port = '/dev/forged'",
            "UPDATE captureSessions SET endedAt = 'later'",
            "DELETE FROM captureSessions",
            "UPDATE exams SET amends = \(id), version = 2 WHERE id = \(other)",
            "UPDATE exams SET performedAt = '2020-01-01T00:00:00Z' WHERE id = \(other)",
            "UPDATE exams SET patientId = 'BED-1' WHERE id = \(other)",
        ]
        for sql in attempts {
            #expect(throws: DatabaseError.self, "\(sql)") { try db.write { try $0.execute(sql: sql) } }
        }
        #expect(try store.exam(id).status == .final)
        #expect(try store.journal(exam: capture.examId).map(\.bytes) == [[1, 2, 3]])
        // What the store itself does still works: a new patient's missing details can be added.
        try db.write { try $0.execute(sql: "UPDATE patients SET name = 'Bed, One' WHERE id = 'BED-1'") }
    }

    @Test("Many processes opening a new store at once: every one succeeds")
    func concurrentFirstOpen() async throws {
        for _ in 0..<20 {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("abi-store-\(UUID().uuidString)")
            let path = dir.appendingPathComponent("abi.sqlite").path
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<4 {
                    group.addTask { try Store(path: path).addPatient(Patient(id: "P\(n)"), actor: "t") }
                }
                try await group.waitForAll()
            }
            #expect(try Store(path: path).patients().count == 4)
        }
    }

    @Test("A foreign SQLite file, a store of a newer abi, a damaged store: refused with a clear message and left as they are")
    func foreignNewerDamaged() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("abi-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        func bytes(_ p: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: p)) }
        func refused(_ p: String, _ access: Store.Access, _ fragment: String) throws {
            let before = try bytes(p)
            let error = #expect(throws: StoreError.self, "\(p) opened") { try Store(path: p, access: access) }
            #expect(error?.message.contains(fragment) == true, "\(String(describing: error))")
            #expect(try bytes(p) == before, "\(p) was modified")
        }
        let foreign = dir.appendingPathComponent("customers.sqlite").path
        try DatabaseQueue(path: foreign).write { try $0.execute(sql: "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)") }
        for access in [Store.Access.create, .existing, .readOnly] { try refused(foreign, access, "is not an abi store") }
        let text = dir.appendingPathComponent("notes.txt").path
        try Data("not a database at all, just some text that is long enough".utf8).write(to: URL(fileURLWithPath: text))
        try refused(text, .create, "not an SQLite database")

        let newer = try StoreTests.newStore()
        _ = try newer.importExam(try StoreTests.exam("pad"), actor: "t")
        try StoreTests.raw(newer).write { try $0.execute(sql: "INSERT INTO grdb_migrations VALUES ('2027-01-01 future change')") }
        try StoreTests.raw(newer).writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        for access in [Store.Access.create, .readOnly] { try refused(newer.path, access, "made by a newer version of abi") }

        let damaged = try StoreTests.newStore()
        for i in 0..<300 { var e = try StoreTests.exam("pad"); e.patient.id = "P\(i)"; _ = try damaged.importExam(e, actor: "t") }
        try StoreTests.raw(damaged).writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: damaged.path))
        try handle.seek(toOffset: 4096 * 5)  // the b-tree header of page 6
        handle.write(Data(repeating: 0xA5, count: 400))
        try handle.close()
        try refused(damaged.path, .create, "is damaged")
    }

    @Test("A read-only command never creates a store; a read-only store can be read; a store others can read is reported")
    func readOnlyAndMissing() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("abi-store-\(UUID().uuidString)")
        let missing = dir.appendingPathComponent("typo/abi.sqlite").path
        for access in [Store.Access.readOnly, .existing] {
            let error = #expect(throws: StoreError.self) { try Store(path: missing, access: access) }
            #expect(error?.kind == .notFound && error?.message.contains("no store at") == true, "\(String(describing: error))")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path))

        let store = try StoreTests.newStore()
        #expect(store.created && store.warnings.isEmpty)
        _ = try store.importExam(try StoreTests.exam("pad"), actor: "t")
        #expect(!(try Store(path: store.path)).created)
        chmod(store.path, 0o644)
        #expect(try Store(path: store.path, access: .readOnly).warnings.first?.contains("can be read by other users (mode 644)") == true)
        chmod(store.path, 0o400)
        let readOnly = try Store(path: store.path, access: .readOnly)
        #expect(try readOnly.exam(1).exam.patient.id == "DEMO-0002")
        #expect(throws: StoreError.self) { try readOnly.finalize(1, by: "Dr", actor: "t") }
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

    @Test("The same exam (patient, time, readings) is not stored twice, from two imports or within one, unless asked")
    func duplicates() throws {
        let store = try StoreTests.newStore()
        let pad = try StoreTests.exam("pad")
        let first = try store.importExam(pad, actor: "t")
        let again = #expect(throws: StoreError.self) { try store.importExam(pad, actor: "t") }
        #expect(again?.message.contains("already stored as exam \(first)") == true, "\(String(describing: again))")
        let twice = #expect(throws: StoreError.self) { try store.importExams([try StoreTests.exam("normal"), try StoreTests.exam("normal")], names: ["a.json", "b.json"], actor: "t") }
        #expect(twice?.message.hasPrefix("b.json: the same exam (patient, time and readings) as a.json") == true, "\(String(describing: twice))")
        var other = pad
        other.readings[0].state = .numeric(try NumericPressure(systolic: Pressure(mmHg: 150)!))
        #expect(throws: Never.self) { _ = try store.importExam(other, actor: "t") }  // another reading: another exam
        #expect(throws: Never.self) { _ = try store.importExams([pad], allowDuplicates: true, actor: "t") }
        var count = 0
        try store.exams { _ in count += 1 }
        #expect(count == 3)
    }

    @Test("A capture in progress cannot be amended; a version that was amended cannot be signed (audit D7)")
    func amendRules() throws {
        let store = try StoreTests.newStore()
        let capture = try store.beginCapture(Patient(id: "IP"), details: ExamDetails(performedAt: Timestamp(secondsSinceEpoch: 0)),
                                             plan: .init(firstArm: .right, toes: false), device: nil, actor: "nurse")
        let exam = try store.exam(capture.examId).exam
        let inProgress = #expect(throws: StoreError.self) { try store.amend(capture.examId, with: exam, reason: "x", actor: "dr") }
        #expect(inProgress?.message.contains("still being captured") == true)
        let id = try store.importExam(try StoreTests.exam("normal"), actor: "nurse")
        var changed = try StoreTests.exam("normal")
        changed.details.indication = "corrected"
        let newer = try store.amend(id, with: changed, reason: "typo", actor: "dr")
        let sign = #expect(throws: StoreError.self) { try store.finalize(id, by: "Dr", actor: "dr") }
        #expect(sign?.message.contains("amended by exam \(newer)") == true)
        try store.finalize(newer, by: "Dr", actor: "dr")
    }

    @Test("Resume of a named exam takes that exam, even when the patient has a newer capture in progress (the web app resumes the exam of its page)")
    func resumeNamedExam() throws {
        let store = try StoreTests.newStore()
        let details = ExamDetails(performedAt: Timestamp(secondsSinceEpoch: 0))
        var older: Store.Capture? = try store.beginCapture(Patient(id: "P-2"), details: details, plan: .init(firstArm: .right, toes: false), device: nil, actor: "n")
        let olderId = older!.examId
        try store.endCapture(older!, finished: false, actor: "n")
        older = nil
        var newer: Store.Capture? = try store.beginCapture(Patient(id: "P-2"), details: details, plan: .init(firstArm: .left, toes: false), device: nil, actor: "n")
        try store.endCapture(newer!, finished: false, actor: "n")
        newer = nil
        let (resumed, plan) = try store.resumeCapture(patient: "P-2", exam: olderId, device: nil, actor: "n")
        #expect(resumed.examId == olderId && plan.firstArm == .right)
        #expect(throws: StoreError.self) { try store.resumeCapture(patient: "OTHER", exam: olderId, device: nil, actor: "n") }
        _ = resumed
    }

    @Test("Resume never picks another patient's capture, and never one another process is capturing (audit D1)")
    func resumeIsSafe() throws {
        let store = try StoreTests.newStore()
        let details = ExamDetails(performedAt: Timestamp(secondsSinceEpoch: 0))
        var alice: Store.Capture? = try store.beginCapture(Patient(id: "BED1-ALICE"), details: details, plan: .init(firstArm: .right, toes: false), device: nil, actor: "n")
        try store.endCapture(alice!, finished: false, actor: "n")
        alice = nil  // that process has stopped: its lock is gone
        let bob = try store.beginCapture(Patient(id: "BED2-BOB"), details: details, plan: .init(firstArm: .right, toes: false), device: nil, actor: "n")
        let ambiguous = #expect(throws: StoreError.self) { try store.resumeCapture(patient: nil, device: nil, actor: "n") }
        #expect(ambiguous?.message.contains("captures are in progress for 2 patients") == true, "\(String(describing: ambiguous))")
        let (resumed, _) = try store.resumeCapture(patient: "BED1-ALICE", device: nil, actor: "n")
        #expect(resumed.patientId == "BED1-ALICE")
        // Bob's capture is live (its lock held): another "process" (another descriptor) cannot take it.
        let live = #expect(throws: StoreError.self) { try store.resumeCapture(patient: "BED2-BOB", device: nil, actor: "n") }
        #expect(live?.message.contains("is being captured right now by another abi capture (process \(getpid()))") == true, "\(String(describing: live))")
        try store.endCapture(bob, finished: true, actor: "n")
        #expect(!FileManager.default.fileExists(atPath: store.path + "-captures/exam-\(bob.examId).lock"))
        _ = resumed
    }

    @Test("A discarded exam stays in the store and the trail but leaves history, report --all, R18 priors and resume; signed or live exams are not discarded")
    func discard() throws {
        let store = try StoreTests.newStore()
        var older = try StoreTests.exam("pad")
        older.details.performedAt = Timestamp("2026-01-01T09:00:00Z")
        older.prior = []
        older.readings = older.readings.map { r in
            var r = r
            if r.site == .rightPosteriorTibial { r.state = .numeric(try! NumericPressure(systolic: Pressure(mmHg: 120)!)) }
            return r
        }
        let wrong = try store.importExam(older, actor: "n")
        var current = try StoreTests.exam("pad")
        current.prior = []
        let id = try store.importExam(current, actor: "n")
        #expect(try store.exam(id).exam.prior.isEmpty)  // an unsigned exam is no prior (R18, v2); a discarded one can never be signed
        try store.discard(wrong, reason: "wrong patient selected", actor: "n")
        #expect(try store.exam(id).exam.prior.isEmpty)
        #expect(try store.currentExamIds() == [id])
        #expect(try store.history(patient: "DEMO-0002").1.map(\.id) == [id])
        #expect(try store.exam(wrong).discardReason == "wrong patient selected")
        #expect(try store.auditTrail(exam: wrong).map(\.action).last == "exam-discarded")
        #expect(throws: StoreError.self) { try store.discard(wrong, reason: "again", actor: "n") }
        #expect(throws: StoreError.self) { try store.finalize(wrong, by: "Dr", actor: "n") }
        #expect(throws: DatabaseError.self) { try StoreTests.raw(store).write { try $0.execute(sql: "UPDATE exams SET discardedAt = NULL WHERE id = \(wrong)") } }
        try store.finalize(id, by: "Dr", actor: "n")
        #expect(throws: StoreError.self) { try store.discard(id, reason: "x", actor: "n") }

        let live = try store.beginCapture(Patient(id: "BED-9"), details: ExamDetails(performedAt: Timestamp(secondsSinceEpoch: 0)),
                                          plan: .init(firstArm: .right, toes: false), device: nil, actor: "n")
        let refused = #expect(throws: StoreError.self) { try store.discard(live.examId, reason: "x", actor: "n") }
        #expect(refused?.message.contains("being captured right now") == true)
        try store.endCapture(live, finished: false, actor: "n")
        let examId = live.examId
        _ = consume live  // the capture process has stopped
        try store.discard(examId, reason: "patient left", actor: "n")
        #expect(throws: StoreError.self) { try store.resumeCapture(patient: "BED-9", device: nil, actor: "n") }
    }

    @Test("A store of an earlier abi is brought up to date even by a command that only reads, and then lists as before")
    func readOnlyOpenMigratesAnOlderStore() throws {
        let store = try StoreTests.newStore()
        let id = try store.importExam(try StoreTests.exam("pad"), actor: "n")
        // Take the store back to before the last migration, as an earlier abi left it.
        try StoreTests.raw(store).writeWithoutTransaction { db in
            try db.execute(sql: """
                DROP TRIGGER discardedStaysDiscarded; DROP TRIGGER discardedTakesNoReadings; DROP INDEX examsByTime;
                ALTER TABLE exams DROP COLUMN discardedAt; ALTER TABLE exams DROP COLUMN discardReason;
                CREATE INDEX examsByTime ON exams(performedAt, id, patientId, status, version, rightAbi, leftAbi, rightCategory, leftCategory);
                DELETE FROM grdb_migrations WHERE identifier = '2026-11-29 discarded exams';
                """)
        }
        let reader = try Store(path: store.path, access: .readOnly)
        var ids: [Int64] = []
        try reader.exams { ids.append($0.id) }
        #expect(ids == [id])
        #expect(try StoreTests.raw(store).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM grdb_migrations") } == 7)
    }

    @Test("A signed report never changes: a patient with a signed exam gets no details added, by import, edit or an outside program")
    func signedPatientIsFrozen() throws {
        let store = try StoreTests.newStore()
        var first = try StoreTests.exam("normal")
        first.patient = Patient(id: "P-S")
        let id = try store.importExam(first, actor: "n")
        try store.finalize(id, by: "Dr", actor: "n")
        let signed = ExamFile.encode(try store.exam(id).exam)
        var second = try StoreTests.exam("normal")
        second.patient = Patient(id: "P-S", diabetes: true)
        second.details.performedAt = Timestamp("2026-12-01T09:00:00Z")
        let refused = #expect(throws: StoreError.self) { try store.importExams([second], names: ["later.json"], actor: "n") }
        #expect(refused?.message.contains("gives the patient's diabetes") == true && refused?.message.contains("nothing was stored") == true, "\(String(describing: refused))")
        #expect(throws: StoreError.self) { try store.editPatient(Patient(id: "P-S", name: "Late, Name"), actor: "n") }
        #expect(throws: DatabaseError.self) { try StoreTests.raw(store).write { try $0.execute(sql: "UPDATE patients SET diabetes = 1 WHERE id = 'P-S'") } }
        #expect(ExamFile.encode(try store.exam(id).exam) == signed)
        var count = 0
        try store.exams { _ in count += 1 }
        #expect(count == 1)
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

    @Test("History applies R18 against the exam before: 0.08, or 0.11 with diabetes; a fall beyond 0.15 is a warning, a rise is info (v2)")
    func history() throws {
        let store = try StoreTests.newStore()
        func exam(_ day: Int, rightAnkle: Int, diabetes: Bool) -> Exam {
            let brachial = try! NumericPressure(systolic: Pressure(mmHg: 100)!)
            func r(_ site: Site, _ seq: Int, _ mmHg: Int) -> Reading { Reading(site: site, seq: seq, state: .numeric(try! NumericPressure(systolic: Pressure(mmHg: mmHg)!))) }
            return Exam(patient: Patient(id: "H-1", diabetes: diabetes), details: ExamDetails(performedAt: Timestamp("2026-0\(day)-01")!),
                        readings: [Reading(site: .rightBrachial, seq: 1, state: .numeric(brachial)), r(.rightPosteriorTibial, 2, rightAnkle), r(.rightDorsalisPedis, 3, rightAnkle),
                                   r(.leftPosteriorTibial, 4, 100), r(.leftDorsalisPedis, 5, 100), r(.leftBrachial, 6, 100)])
        }
        // Right ABI: 1.00, 0.92 (−0.08: within), 0.83 (−0.09: beyond 0.08), 1.00 (+0.17: a rise, info), 0.83 (−0.17: warning).
        _ = try store.importExams([exam(1, rightAnkle: 100, diabetes: false), exam(2, rightAnkle: 92, diabetes: false),
                                   exam(3, rightAnkle: 83, diabetes: false), exam(4, rightAnkle: 100, diabetes: false),
                                   exam(5, rightAnkle: 83, diabetes: false)], actor: "test")
        let (_, entries) = try store.history(patient: "H-1")
        #expect(entries.map(\.rightAbi) == [100, 92, 83, 100, 83])
        #expect(entries.map { $0.changes.map(\.level) } == [[], [], [.info], [.info], [.warning]])
        #expect(entries[2].changes.first?.side == .right && entries[2].changes.first?.code == .abiChange)
        // The same history with diabetes: 0.09 is within 0.11.
        let diabetic = try StoreTests.newStore()
        _ = try diabetic.importExams([exam(1, rightAnkle: 100, diabetes: true), exam(2, rightAnkle: 91, diabetes: true)], actor: "test")
        #expect(try diabetic.history(patient: "H-1").1.map(\.changes.count) == [0, 0])
        #expect(throws: StoreError.self) { try store.history(patient: "NOBODY") }
        // A stored exam's result compares with the previous stored exam, as the history does.
        var ids: [Int64] = []
        try store.exams(patient: "H-1") { ids.append($0.id) }
        for id in ids.prefix(2) { try store.finalize(id, by: "Dr H", actor: "test") }  // only signed exams are priors
        let third = try store.exam(ids[2])
        #expect(third.exam.prior.last?.source?.hasPrefix("exam \(ids[1]) of 2026-02-01 (signed ") == true)
        #expect(third.exam.result(options: .standard).flags.filter { $0.code == .abiChange }.map(\.message) == entries[2].changes.map(\.message))
    }

    @Test("S1: the signed result is the record: importing (and signing) an older exam later changes neither the flags, the comparison nor the rule set of a final exam; only signed exams are priors")
    func signedResultIsFrozen() throws {
        let store = try StoreTests.newStore()
        var current = try StoreTests.exam("pad")
        current.prior = []
        let id = try store.importExam(current, actor: "t")
        try store.finalize(id, by: "Dr K", actor: "t")
        let signed = try store.exam(id)
        let frozen = try #require(signed.signedResult)
        #expect(frozen == current.result())
        #expect(signed.exam.prior.isEmpty)

        // An older exam of the same patient arrives after the signature, is signed too.
        var older = try StoreTests.exam("pad")
        older.prior = []
        older.details.performedAt = Timestamp("2026-05-12T09:00:00Z")!
        older.readings = older.readings.map { r in
            var r = r
            if r.site == .rightPosteriorTibial { r.state = .numeric(try! NumericPressure(systolic: Pressure(mmHg: 140)!)) }
            return r
        }
        let olderId = try store.importExam(older, actor: "t")
        try store.finalize(olderId, by: "Dr K", actor: "t")
        let again = try store.exam(id)
        #expect(again.result == frozen)
        #expect(again.exam.prior.isEmpty)
        #expect(!again.result.flags.contains { $0.code == .abiChange })
        // An exam not yet signed compares with the signed one before it, which it names.
        var later = try StoreTests.exam("pad")
        later.prior = []
        later.details.performedAt = Timestamp("2026-12-01T09:00:00Z")!
        let laterId = try store.importExam(later, actor: "t")
        #expect(try store.exam(laterId).exam.prior.last?.source?.hasPrefix("exam \(id) of 2026-11-26 (signed ") == true)

        // Nobody writes a frozen result but the signature: not on a signed exam, not on an unsigned one.
        let db = try StoreTests.raw(store)
        #expect(throws: (any Error).self) { try db.write { try $0.execute(sql: "UPDATE exams SET signedResult = '{}' WHERE id = ?", arguments: [id]) } }
        #expect(throws: (any Error).self) { try db.write { try $0.execute(sql: "UPDATE exams SET signedResult = '{}' WHERE id = ?", arguments: [laterId]) } }
    }

    @Test("An exam signed under an older rule set keeps that version in its report")
    func signedVersionIsKept() throws {
        let store = try StoreTests.newStore()
        var exam = try StoreTests.exam("pad")
        exam.prior = []
        let id = try store.importExam(exam, actor: "t")
        try store.finalize(id, by: "Dr K", actor: "t")
        // What a store signed under version 1 holds (written as the migration that froze it would have).
        var v1 = exam.result()
        v1.options.version = 1
        let db = try StoreTests.raw(store)
        try db.write { db in
            try db.execute(sql: "DROP TRIGGER finalExamsAreImmutable")
            try db.execute(sql: "UPDATE exams SET signedResult = ? WHERE id = ?", arguments: [ResultFile.snapshot(v1), id])
        }
        #expect(try store.exam(id).result.options.description.hasPrefix("acc-aha-2016 v1,"))
    }

    @Test("The order an exam answers is kept with it (import, read back, export)")
    func orderIsKept() throws {
        let store = try StoreTests.newStore()
        var exam = try StoreTests.exam("pad")
        exam.order = Order(placerNumber: "PL-1", fillerNumber: nil, orderingProvider: "Dr O")
        let id = try store.importExam(exam, actor: "t")
        #expect(try store.exam(id).exam.order == exam.order)
        #expect(ExamFile.encode(try store.exam(id).exam).contains("\"placerNumber\": \"PL-1\""))
    }
}
