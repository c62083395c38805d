import ABICore
import Foundation
import GRDB

/// The store's side of a bedside capture (`abi capture`): the exam stays `in-progress` while
/// readings arrive; each reading and each chunk of raw device bytes is its own committed
/// transaction, so whatever happens to the process, nothing accepted is lost; a stopped
/// capture is resumed from what was recorded.
extension Store {
    /// One capture session of one exam (a resumed exam gets a new session). While it exists,
    /// it holds the exam's capture lock: no other process can resume the exam.
    public struct Capture: Sendable, Equatable {
        public let examId: Int64
        public let sessionId: Int64
        public let patientId: String
        let lock: CaptureLock

        public static func == (a: Capture, b: Capture) -> Bool { a.examId == b.examId && a.sessionId == b.sessionId }
    }

    /// An exam's capture lock: `flock` on `<store>-captures/exam-N.lock`, held while a capture
    /// runs and released by the system when the process ends, however it ends (kill -9
    /// included), so a killed capture leaves no lock behind. The file holds the process id, for
    /// the message another process gets.
    final class CaptureLock: @unchecked Sendable {
        let path: String
        private var fd: Int32
        private let guardFD = NSLock()

        init(store: String, exam: Int64) throws(StoreError) {
            let folder = store + "-captures"
            if mkdir(folder, 0o700) != 0 && errno != EEXIST {
                throw StoreError(.unavailable, "cannot create the folder \(folder): \(String(cString: strerror(errno)))")
            }
            path = folder + "/exam-\(exam).lock"
            fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard fd >= 0 else { throw StoreError(.unavailable, "cannot open \(path): \(String(cString: strerror(errno)))") }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                var buffer = [UInt8](repeating: 0, count: 32)
                let n = pread(fd, &buffer, buffer.count, 0)
                let holder = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
                close(fd)
                throw StoreError(.invalid, "exam \(exam) is being captured right now by another abi capture (process \(holder)); it can be resumed when that one stops")
            }
            let pid = Array("\(getpid())\n".utf8)
            _ = ftruncate(fd, 0)
            _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }

        /// The capture is over for good (the exam is no longer in progress): the file goes.
        func remove() {
            unlink(path)
            release()
        }

        /// This session has ended (the exam may stay in progress): another may resume it, in this
        /// process too (the web app runs many captures).
        func release() {
            guardFD.withLock {
                if fd >= 0 { close(fd) }
                fd = -1
            }
        }

        deinit { if fd >= 0 { close(fd) } }
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
        let started: (Int64, Int64) = try write("starting the capture") { db in
            try Store.ensurePatient(patient, actor: actor, db)
            let exam = Exam(patient: patient, details: details, readings: [])
            let id = try Store.insertExam(exam, status: .inProgress, options: options, version: 1, amends: nil, db)
            try db.execute(sql: "UPDATE exams SET firstArm = ?, toes = ? WHERE id = ?", arguments: [plan.firstArm.rawValue, plan.toes, id])
            let session = try Store.newSession(id, device: device, db)
            try Store.audit(db, actor: actor, "capture-started", patient: patient.id, exam: id)
            return (id, session)
        }
        return Capture(examId: started.0, sessionId: started.1, patientId: patient.id, lock: try CaptureLock(store: path, exam: started.0))
    }

    /// The most recent exam still in progress of this patient, continued in a new session.
    /// Without a patient, only when one patient has a capture in progress: a capture is never
    /// continued into another patient's exam. An exam another process is capturing is refused.
    /// - Parameter exam: this exam only (the web app resumes the exam of its page).
    public func resumeCapture(patient: String?, exam: Int64? = nil, device: DeviceIdentity?, actor: String) throws(StoreError) -> (Capture, CapturePlan) {
        let candidates: [(id: Int64, patient: String)] = try read("finding the capture in progress") { db in
            try Row.fetchAll(db, sql: """
                SELECT id, patientId FROM exams WHERE status = 'in-progress' AND discardedAt IS NULL AND (?1 IS NULL OR patientId = ?1)
                AND (?2 IS NULL OR id = ?2) ORDER BY id DESC
                """, arguments: [patient, exam]).map { ($0["id"], $0["patientId"]) }
        }
        guard let candidate = candidates.first else {
            throw StoreError(.notFound, "there is no capture in progress" + (patient == nil ? "" : " for this patient") + " to resume")
        }
        let patients = Set(candidates.map(\.patient))
        if patient == nil && patients.count > 1 {
            throw StoreError(.invalid, "captures are in progress for \(patients.count) patients: name the patient with --patient ID (abi exams list shows them)")
        }
        let lock = try CaptureLock(store: path, exam: candidate.id)
        return try write("resuming the capture") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT id, patientId, firstArm, toes, repeatDeclined FROM exams WHERE id = ? AND status = 'in-progress' AND discardedAt IS NULL",
                                             arguments: [candidate.id]) else {
                throw StoreError(.notFound, "the capture of exam \(candidate.id) has just ended; there is nothing to resume")
            }
            let id: Int64 = row["id"]
            let plan = CapturePlan(firstArm: Side(rawValue: row["firstArm"] ?? "right") ?? .right, toes: row["toes"], repeatDeclined: row["repeatDeclined"])
            try db.execute(sql: "UPDATE captureSessions SET endedAt = ? WHERE examId = ? AND endedAt IS NULL", arguments: [Store.now(), id])
            let session = try Store.newSession(id, device: device, db)
            try Store.audit(db, actor: actor, "capture-resumed", patient: row["patientId"], exam: id)
            return (Capture(examId: id, sessionId: session, patientId: row["patientId"], lock: lock), plan)
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

    /// The device of the exam's latest capture session that had one (a resumed capture goes on with it).
    public func lastDevice(exam: Int64) throws(StoreError) -> DeviceIdentity? {
        try read("reading the capture sessions") { db in
            try Row.fetchOne(db, sql: "SELECT port, profile, deviceSerial FROM captureSessions WHERE examId = ? AND port IS NOT NULL ORDER BY id DESC LIMIT 1",
                             arguments: [exam]).map { DeviceIdentity(profile: $0["profile"], serial: $0["deviceSerial"], port: $0["port"]) }
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

    /// Records the symptoms and signs asked at the bedside (they replace any recorded before).
    public func recordSymptoms(_ capture: Capture, _ symptoms: Symptoms, actor: String) throws(StoreError) {
        try write("recording the symptoms") { db in
            try db.execute(sql: "UPDATE exams SET symptoms = ? WHERE id = ? AND status = 'in-progress'",
                           arguments: [ExamFile.encodeSymptoms(symptoms), capture.examId])
            guard db.changesCount == 1 else { throw StoreError(.invalid, "exam \(capture.examId) is no longer in progress") }
            try Store.audit(db, actor: actor, "symptoms-recorded", patient: capture.patientId, exam: capture.examId)
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
        if finished { capture.lock.remove() } else { capture.lock.release() }
    }

    /// Discards an exam entered in error, or a capture that will not be finished: it stays in the
    /// store and the audit trail (with the reason), and leaves lists of current exams, history,
    /// exports and R18. A signed exam is never discarded (amend it); a capture running in another
    /// process is not either.
    public func discard(_ id: Int64, reason: String, actor: String) throws(StoreError) {
        let status: (status: String, discarded: Bool, amendedBy: Int64?)? = try read("reading the exam") { db in
            try Row.fetchOne(db, sql: "SELECT status, discardedAt, (SELECT id FROM exams n WHERE n.amends = e.id) AS amendedBy FROM exams e WHERE id = ?",
                             arguments: [id]).map { ($0["status"], ($0["discardedAt"] as String?) != nil, $0["amendedBy"]) }
        }
        guard let status else { throw StoreError(.notFound, "there is no exam \(id) (abi exams list)") }
        if status.discarded { throw StoreError(.invalid, "exam \(id) is already discarded") }
        if status.status == Status.final.rawValue { throw StoreError(.invalid, "exam \(id) is signed; a signed exam is corrected by amending it, never discarded") }
        if let newer = status.amendedBy { throw StoreError(.invalid, "exam \(id) was amended by exam \(newer); discard that one") }
        // An exam in progress must not be capturing in another process right now.
        let lock = status.status == Status.inProgress.rawValue ? try CaptureLock(store: path, exam: id) : nil
        try write("discarding exam \(id)") { db in
            try db.execute(sql: "UPDATE captureSessions SET endedAt = ? WHERE examId = ? AND endedAt IS NULL", arguments: [Store.now(), id])
            try db.execute(sql: "UPDATE exams SET discardedAt = ?, discardReason = ? WHERE id = ? AND discardedAt IS NULL", arguments: [Store.now(), reason, id])
            let patient = try String.fetchOne(db, sql: "SELECT patientId FROM exams WHERE id = ?", arguments: [id])
            try Store.audit(db, actor: actor, "exam-discarded", patient: patient, exam: id, detail: reason)
        }
        lock?.remove()
    }
}
