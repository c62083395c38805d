import ABICore
import Foundation
import GRDB

/// The store's side of a bedside capture (`abi capture`): the exam stays `in-progress` while
/// readings arrive; each reading and each chunk of raw device bytes is its own committed
/// transaction, so whatever happens to the process, nothing accepted is lost; a stopped
/// capture is resumed from what was recorded.
extension Store {
    /// One capture session of one exam (a resumed exam gets a new session).
    public struct Capture: Sendable, Equatable {
        public let examId: Int64
        public let sessionId: Int64
    }

    /// How the sequence goes for this exam.
    public struct CapturePlan: Sendable, Equatable {
        public var firstArm: Side
        public var toes: Bool
        public var repeatDeclined: Bool

        public init(firstArm: Side, toes: Bool, repeatDeclined: Bool = false) {
            self.firstArm = firstArm
            self.toes = toes
            self.repeatDeclined = repeatDeclined
        }
    }

    /// Starts an exam in progress for the patient (added with the id alone when new).
    public func beginCapture(_ patient: Patient, details: ExamDetails, plan: CapturePlan, options: RuleOptions = .standard,
                             device: DeviceIdentity?, actor: String) throws(StoreError) -> Capture {
        try write("starting the capture") { db in
            try Store.ensurePatient(patient, actor: actor, db)
            let exam = Exam(patient: patient, details: details, readings: [])
            let id = try Store.insertExam(exam, status: .inProgress, options: options, version: 1, amends: nil, db)
            try db.execute(sql: "UPDATE exams SET firstArm = ?, toes = ? WHERE id = ?", arguments: [plan.firstArm.rawValue, plan.toes, id])
            let session = try Store.newSession(id, device: device, db)
            try Store.audit(db, actor: actor, "capture-started", patient: patient.id, exam: id)
            return Capture(examId: id, sessionId: session)
        }
    }

    /// The most recent exam still in progress (of this patient, when given), continued in a new session.
    public func resumeCapture(patient: String?, device: DeviceIdentity?, actor: String) throws(StoreError) -> (Capture, CapturePlan) {
        try write("resuming the capture") { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT id, patientId, firstArm, toes, repeatDeclined FROM exams
                WHERE status = 'in-progress' AND (? IS NULL OR patientId = ?) ORDER BY id DESC LIMIT 1
                """, arguments: [patient, patient]) else {
                throw StoreError(.notFound, "there is no capture in progress" + (patient == nil ? "" : " for this patient") + " to resume")
            }
            let id: Int64 = row["id"]
            let plan = CapturePlan(firstArm: Side(rawValue: row["firstArm"] ?? "right") ?? .right, toes: row["toes"], repeatDeclined: row["repeatDeclined"])
            try db.execute(sql: "UPDATE captureSessions SET endedAt = ? WHERE examId = ? AND endedAt IS NULL", arguments: [Store.now(), id])
            let session = try Store.newSession(id, device: device, db)
            try Store.audit(db, actor: actor, "capture-resumed", patient: row["patientId"], exam: id)
            return (Capture(examId: id, sessionId: session), plan)
        }
    }

    static func newSession(_ exam: Int64, device: DeviceIdentity?, _ db: Database) throws -> Int64 {
        try db.execute(sql: "INSERT INTO captureSessions (examId, startedAt, port, profile, deviceSerial) VALUES (?, ?, ?, ?, ?)",
                       arguments: [exam, Store.now(), device?.port, device?.profile, device?.serial])
        return db.lastInsertedRowID
    }

    /// Records a reading as the exam's next in sequence and returns it as stored. The reading is
    /// on disk when this returns.
    public func record(_ capture: Capture, site: Site, state: ReadingState, time: String, method: MeasurementMethod?,
                       device: DeviceIdentity?, note: String? = nil, actor: String) throws(StoreError) -> Reading {
        try write("recording the reading") { db in
            let seq = (try Int.fetchOne(db, sql: "SELECT max(seq) FROM readings WHERE examId = ? AND phase = 'rest'", arguments: [capture.examId]) ?? 0) + 1
            let reading = Reading(site: site, seq: seq, state: state, time: time, method: method, device: device, note: note)
            try Store.insertReading(reading, exam: capture.examId, postExercise: false, db)
            try Store.audit(db, actor: actor, "reading-recorded", exam: capture.examId, detail: "\(site.rawValue) seq \(seq)")
            return reading
        }
    }

    /// Journals bytes received from the device, with their time, before they are decoded.
    public func journal(_ capture: Capture, port: String, at time: String, bytes: [UInt8]) throws(StoreError) {
        guard !bytes.isEmpty else { return }
        try write("journaling device bytes") { db in
            try db.execute(sql: "INSERT INTO deviceJournal (sessionId, port, receivedAt, bytes) VALUES (?, ?, ?, ?)",
                           arguments: [capture.sessionId, port, time, Data(bytes)])
        }
    }

    /// The journaled bytes of an exam, in the order received, with each session's device profile.
    public func journal(exam: Int64) throws(StoreError) -> [(session: Int64, profile: String?, port: String, at: String, bytes: [UInt8])] {
        try read("reading the device journal") { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM exams WHERE id = ?", arguments: [exam]) == true else {
                throw StoreError(.notFound, "there is no exam \(exam) (abi exams list)")
            }
            return try Row.fetchAll(db, sql: """
                SELECT s.id, s.profile, j.port, j.receivedAt, j.bytes FROM deviceJournal j JOIN captureSessions s ON s.id = j.sessionId
                WHERE s.examId = ? ORDER BY j.id
                """, arguments: [exam]).map { (session: $0[0], profile: $0[1], port: $0[2], at: $0[3], bytes: [UInt8]($0[4] as Data)) }
        }
    }

    /// The operator keeps the single first-arm reading (R5 then raises its warning).
    public func declineRepeat(_ capture: Capture) throws(StoreError) {
        try write("recording the choice") { db in
            try db.execute(sql: "UPDATE exams SET repeatDeclined = 1 WHERE id = ?", arguments: [capture.examId])
        }
    }

    /// Ends the session; with `finished` the exam becomes preliminary (its result is kept for lists).
    public func endCapture(_ capture: Capture, finished: Bool, actor: String) throws(StoreError) {
        try write("ending the capture") { db in
            try db.execute(sql: "UPDATE captureSessions SET endedAt = ? WHERE id = ? AND endedAt IS NULL", arguments: [Store.now(), capture.sessionId])
            guard finished else { return }
            try db.execute(sql: "UPDATE exams SET status = 'preliminary' WHERE id = ? AND status = 'in-progress'", arguments: [capture.examId])
            guard let row = try Row.fetchOne(db, sql: "SELECT e.*, NULL AS amendedBy FROM exams e WHERE id = ?", arguments: [capture.examId]) else { return }
            let stored = try Store.storedExam(row, db)
            try Store.updateResult(capture.examId, stored.exam, stored.options, db)
            try Store.audit(db, actor: actor, "capture-finished", patient: stored.exam.patient.id, exam: capture.examId)
        }
    }
}
