import ABICore
import GRDB
import GRDBSQLite

extension Store {
    // MARK: Patients

    /// Adds a patient; an id already in the store is refused (it names someone else).
    public func addPatient(_ patient: Patient, actor: String) throws(StoreError) {
        try write("adding patient") { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM patients WHERE id = ?", arguments: [patient.id]) == true {
                throw StoreError(.invalid, "a patient with this id is already in the store (abi patients show ID)")
            }
            try Store.insert(patient, db)
            try Store.audit(db, actor: actor, "patient-added", patient: patient.id)
        }
    }

    /// Changes the details `changes` gives (nil fields stay as they are), audited with the names
    /// of the fields changed (not their values).
    /// - Returns: the fields that changed.
    /// - Throws: `.notFound` for an unknown patient; `.invalid` when a signed exam's patient
    ///   details would change.
    public func editPatient(_ changes: Patient, actor: String) throws(StoreError) -> [String] {
        try write("changing the patient") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM patients WHERE id = ?", arguments: [changes.id]) else {
                throw StoreError(.notFound, "there is no patient with this id (abi patients list)")
            }
            let changed = Store.patientFields(Store.patient(row), changes).filter { $0.given != nil && $0.given != $0.known }.map(\.name)
            guard !changed.isEmpty else { return [] }
            do {
                try db.execute(sql: """
                    UPDATE patients SET name = coalesce(?, name), birthDate = coalesce(?, birthDate), sex = coalesce(?, sex),
                                        diabetes = coalesce(?, diabetes) WHERE id = ?
                    """, arguments: [changes.name, changes.birthDate, changes.sex?.rawValue, changes.diabetes, changes.id])
            } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                throw StoreError(.invalid, "this patient has a signed exam, whose report shows their details: they cannot change (a signed report never changes)")
            }
            try Store.audit(db, actor: actor, "patient-edited", patient: changes.id, detail: "changed: " + changed.joined(separator: ", "))
            return changed
        }
    }

    static func insert(_ p: Patient, _ db: Database) throws {
        try db.execute(sql: "INSERT INTO patients (id, name, birthDate, sex, diabetes, createdAt) VALUES (?, ?, ?, ?, ?, ?)",
                       arguments: [p.id, p.name, p.birthDate, p.sex?.rawValue, p.diabetes, Store.now()])
    }

    public func patient(_ id: String) throws(StoreError) -> Patient? {
        try read("reading the patient") { db in try Row.fetchOne(db, sql: "SELECT * FROM patients WHERE id = ?", arguments: [id]).map(Store.patient) }
    }

    public func patients() throws(StoreError) -> [Patient] {
        try read("listing patients") { db in try Row.fetchAll(db, sql: "SELECT * FROM patients ORDER BY id").map(Store.patient) }
    }

    static func patient(_ row: Row) -> Patient {
        Patient(id: row["id"], name: row["name"], birthDate: row["birthDate"],
                sex: (row["sex"] as String?).flatMap(Patient.Sex.init(rawValue:)), diabetes: row["diabetes"])
    }

    // MARK: Exams

    public enum Status: String, Sendable, CaseIterable {
        case inProgress = "in-progress", preliminary, final
    }

    /// An exam as stored: the exam itself (its `prior` completed from the store's history), its
    /// status and version, and the options it was calculated with.
    public struct StoredExam: Sendable {
        public let id: Int64
        public let exam: Exam
        public let status: Status
        public let version: Int
        public let amends: Int64?
        public let amendedBy: Int64?
        public let options: RuleOptions
        public let signedBy: String?
        public let signedAt: String?
        /// Why the exam was discarded, when it was (`abi exams discard`).
        public let discardReason: String?
        /// The result as signed, for a final exam signed since results are frozen.
        public let signedResult: ExamResult?
        /// Why this version amends the one before.
        public let amendReason: String?
        /// When the version that amends this one was made.
        public let amendedAt: String?
        /// The date of the report this version replaces (its signature, else its making).
        public let amendsReportOf: String?
        /// The signer's role and conclusion.
        public let signerRole: String?
        public let conclusion: String?

        /// The exam's result: as signed for a final exam, else the rule set in force applied now.
        public var result: ExamResult { signedResult ?? exam.result(options: options) }
    }

    /// A line of `abi exams list`.
    public struct ExamSummary: Sendable {
        public let id: Int64
        public let patientId: String
        public let performedAt: String
        public let status: Status
        public let version: Int
        public let amendedBy: Int64?
        public let rightAbi: Int?, leftAbi: Int?
        public let rightCategory: String?, leftCategory: String?
        public let discarded: Bool
    }

    /// Stores an exam from a file (`abi exams import`): the patient is added when new and must
    /// match when known; the exam is preliminary.
    public func importExam(_ exam: Exam, options: RuleOptions = .standard, actor: String) throws(StoreError) -> Int64 {
        try importExams([exam], options: options, actor: actor)[0]
    }

    /// How many exams an import stores per transaction: small enough that a bedside capture
    /// writing at the same time waits a moment, never until its busy timeout.
    public static let importBatchSize = 100

    /// Stores several exams. Every exam is checked against the store first, so a refusal (a
    /// missing date, a patient whose details differ) stores none of them; they are then written
    /// in transactions of `importBatchSize` exams, so that a long import never holds the store.
    /// An exam already stored (same patient, time and readings) is refused, naming the stored
    /// exam, unless `allowDuplicates`: importing a folder twice must not double its exams.
    /// - Parameter names: what to call each exam in an error (its file); by default its position.
    /// - Throws: `StoreError` naming the exam that was refused ("nothing was stored"); when a
    ///   write fails part-way (a full disk), the message says how many exams were stored before it.
    public func importExams(_ exams: [Exam], names: [String]? = nil, options: RuleOptions = .standard, allowDuplicates: Bool = false,
                            actor: String) throws(StoreError) -> [Int64] {
        try read("checking the exams") { db in
            var seen: [String: Patient] = [:]
            var inThisImport: [String: Int] = [:]
            for (i, exam) in exams.enumerated() {
                do {
                    guard let performedAt = exam.details.performedAt else { throw Store.undated }
                    let known = try seen[exam.patient.id] ?? Row.fetchOne(db, sql: "SELECT * FROM patients WHERE id = ?", arguments: [exam.patient.id]).map(Store.patient)
                    if let known {
                        try Store.checkSamePatient(known, exam.patient)
                        _ = try Store.detailsToAdd(known, exam.patient, db)
                    }
                    seen[exam.patient.id] = Store.merged(known, exam.patient)
                    guard !allowDuplicates else { continue }
                    for row in try Row.fetchAll(db, sql: "SELECT e.*, NULL AS amendedBy FROM exams e WHERE patientId = ? AND performedAt = ? AND discardedAt IS NULL",
                                                arguments: [exam.patient.id, performedAt.text]) {
                        let stored = try Store.storedExam(row, db).exam
                        if stored.readings == exam.readings && stored.postExercise == exam.postExercise {
                            throw StoreError(.invalid, "the same exam (patient, time and readings) is already stored as exam \(row["id"] as Int64); pass --allow-duplicate to store it again")
                        }
                    }
                    let key = exam.patient.id + "|" + performedAt.text + "|" + ExamFile.encode(Exam(patient: Patient(id: ""), details: ExamDetails(performedAt: nil),
                                                                                                 readings: exam.readings, postExercise: exam.postExercise))
                    if let first = inThisImport.updateValue(i, forKey: key) {
                        throw StoreError(.invalid, "the same exam (patient, time and readings) as \(Store.named(first, names, exams.count).dropLast(2)); pass --allow-duplicate to store both")
                    }
                } catch let error as StoreError {
                    throw StoreError(error.kind, Store.named(i, names, exams.count) + error.message + " (nothing was stored)")
                }
            }
        }
        var ids: [Int64] = []
        ids.reserveCapacity(exams.count)
        var start = 0
        while start < exams.count {
            let end = min(start + Store.importBatchSize, exams.count)
            do {
                ids += try write("importing exams") { db in
                    var batch: [Int64] = []
                    for i in start..<end {
                        do {
                            let exam = exams[i]
                            try Store.ensurePatient(exam.patient, actor: actor, db)
                            let id = try Store.insertExam(exam, status: .preliminary, options: options, version: 1, amends: nil, db)
                            try Store.audit(db, actor: actor, "exam-imported", patient: exam.patient.id, exam: id)
                            batch.append(id)
                        } catch let error as StoreError {
                            throw StoreError(error.kind, Store.named(i, names, exams.count) + error.message)
                        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                            throw StoreError(.invalid, Store.named(i, names, exams.count) + (error.message ?? "a constraint of the store failed"))
                        }
                    }
                    return batch
                }
            } catch {
                guard !ids.isEmpty else { throw StoreError(error.kind, error.message + " (nothing was stored)") }
                throw StoreError(error.kind, error.message + "; the \(ids.count) exams before it were stored (ids \(ids.first!)–\(ids.last!)), the rest were not")
            }
            start = end
        }
        return ids
    }

    static let undated = StoreError(.invalid, "exam.performedAt: a stored exam needs the date and time it was performed (add \"exam\": {\"performedAt\": \"YYYY-MM-DDTHH:MM:SSZ\"})")

    /// The details an exam gives that the store lacks for a known patient. They may be added,
    /// unless the patient has a signed exam: its report shows them and never changes.
    static func detailsToAdd(_ known: Patient, _ given: Patient, _ db: Database) throws -> [String] {
        let filled = patientFields(known, given).filter { $0.known == nil && $0.given != nil }.map(\.name)
        if !filled.isEmpty, try Bool.fetchOne(db, sql: "SELECT 1 FROM exams WHERE patientId = ? AND status = 'final'", arguments: [known.id]) == true {
            throw StoreError(.invalid, "the exam gives the patient's \(listed(filled)), which the store does not have, and this patient has a signed exam whose report would change; store the exam without \(filled.count == 1 ? "that detail" : "those details")")
        }
        return filled
    }

    /// Refuses an exam's patient whose details differ from the known ones, naming the fields
    /// (not their values: error lines reach logs).
    static func checkSamePatient(_ known: Patient, _ given: Patient) throws(StoreError) {
        let differing = patientFields(known, given).filter { $0.known != nil && $0.given != nil && $0.known != $0.given }.map(\.name)
        if !differing.isEmpty {
            throw StoreError(.invalid, "the exam's patient \(listed(differing)) \(differing.count == 1 ? "differs" : "differ") from the stored patient with this id (abi patients show ID); check that it is the same person")
        }
    }

    static func patientFields(_ known: Patient, _ given: Patient) -> [(name: String, known: String?, given: String?)] {
        [("name", known.name, given.name), ("birthDate", known.birthDate, given.birthDate), ("sex", known.sex?.rawValue, given.sex?.rawValue),
         ("diabetes", known.diabetes.map { $0 ? "yes" : "no" }, given.diabetes.map { $0 ? "yes" : "no" })]
    }

    /// The known patient with the details it lacks taken from `given`.
    static func merged(_ known: Patient?, _ given: Patient) -> Patient {
        guard let known else { return given }
        return Patient(id: known.id, name: known.name ?? given.name, birthDate: known.birthDate ?? given.birthDate,
                       sex: known.sex ?? given.sex, diabetes: known.diabetes ?? given.diabetes)
    }

    /// "file.exam.json: ", "exam 3 of 5: ", or nothing for a single unnamed exam.
    static func named(_ i: Int, _ names: [String]?, _ count: Int) -> String {
        if let names, i < names.count { return names[i] + ": " }
        return count == 1 ? "" : "exam \(i + 1) of \(count): "
    }

    /// A new version of exam `id` with the content of `exam` (same patient); the old version is kept.
    public func amend(_ id: Int64, with exam: Exam, reason: String?, actor: String) throws(StoreError) -> Int64 {
        try write("amending exam \(id)") { db in
            guard let old = try Row.fetchOne(db, sql: "SELECT patientId, version, status, ankleMethod, severityScheme, discardedAt FROM exams WHERE id = ?", arguments: [id]) else {
                throw StoreError(.notFound, "there is no exam \(id) (abi exams list)")
            }
            if let newer = try Int64.fetchOne(db, sql: "SELECT id FROM exams WHERE amends = ?", arguments: [id]) {
                throw StoreError(.invalid, "exam \(id) was already amended by exam \(newer); amend that one")
            }
            if (old["discardedAt"] as String?) != nil { throw StoreError(.invalid, "exam \(id) was discarded; it cannot be amended") }
            if old["status"] as String == Status.inProgress.rawValue {
                throw StoreError(.invalid, "exam \(id) is still being captured; finish it (abi capture --resume) before amending it")
            }
            guard old["patientId"] as String == exam.patient.id else {
                throw StoreError(.invalid, "the amendment is for another patient than exam \(id)")
            }
            guard let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines), !reason.isEmpty else {
                throw StoreError(.invalid, "an amendment needs its reason (--reason TEXT): it is printed on the amended report")
            }
            // An amendment that changes nothing would only make a confusing new version.
            guard let oldRow = try Row.fetchOne(db, sql: "SELECT e.*, NULL AS amendedBy FROM exams e WHERE id = ?", arguments: [id]) else {
                throw StoreError(.notFound, "there is no exam \(id)")
            }
            let before = try Store.storedExam(oldRow, db).exam
            func content(_ e: Exam) -> String {
                var copy = e
                copy.prior = []
                copy.patient = Patient(id: e.patient.id)
                return ExamFile.encode(copy)
            }
            if content(before) == content(exam) {
                throw StoreError(.invalid, "the file changes nothing in exam \(id) (readings, symptoms and details are the same); no new version was made")
            }
            let options = RuleOptions(ankle: AnkleMethod(rawValue: old["ankleMethod"]) ?? .higher, severity: SeverityScheme(rawValue: old["severityScheme"]) ?? .common)
            try Store.ensurePatient(exam.patient, actor: actor, db)
            let newId = try Store.insertExam(exam, status: .preliminary, options: options, version: (old["version"] as Int) + 1, amends: id, db)
            try db.execute(sql: "UPDATE exams SET amendReason = ? WHERE id = ?", arguments: [reason, newId])
            try Store.audit(db, actor: actor, "exam-amended", patient: exam.patient.id, exam: newId, detail: "amends exam \(id): \(reason)")
            return newId
        }
    }

    /// Signs the exam off: it becomes final and can no longer change.
    /// - Parameters:
    ///   - role: the signer's role ("consultant angiologist"), shown in the signature block.
    ///   - conclusion: the interpretation and conclusion the signer stands behind.
    public func finalize(_ id: Int64, by name: String, role: String? = nil, conclusion: String? = nil, actor: String) throws(StoreError) {
        try write("finalizing exam \(id)") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT status, patientId, signedBy, signedAt, discardedAt FROM exams WHERE id = ?", arguments: [id]) else {
                throw StoreError(.notFound, "there is no exam \(id) (abi exams list)")
            }
            switch Status(rawValue: row["status"]) {
            case .final?: throw StoreError(.invalid, "exam \(id) is already final (signed by \(row["signedBy"] as String? ?? "?") at \(row["signedAt"] as String? ?? "?"))")
            case .inProgress?: throw StoreError(.invalid, "exam \(id) is still being captured; finish it (abi capture --resume) before signing")
            default: break
            }
            if let newer = try Int64.fetchOne(db, sql: "SELECT id FROM exams WHERE amends = ?", arguments: [id]) {
                throw StoreError(.invalid, "exam \(id) was amended by exam \(newer): sign that version")
            }
            if (row["discardedAt"] as String?) != nil { throw StoreError(.invalid, "exam \(id) was discarded; it cannot be signed") }
            // The result as computed now, with the prior it compared with, is the record.
            guard let examRow = try Row.fetchOne(db, sql: "SELECT e.*, NULL AS amendedBy FROM exams e WHERE id = ?", arguments: [id]) else {
                throw StoreError(.notFound, "there is no exam \(id)")
            }
            let stored = try Store.storedExam(examRow, db)
            let result = stored.exam.result(options: stored.options)
            try db.execute(sql: "UPDATE exams SET status = 'final', signedBy = ?, signedAt = ?, signedResult = ?, signedPrior = ?, signerRole = ?, conclusion = ? WHERE id = ?",
                           arguments: [name, Store.now(), ResultFile.snapshot(result), ExamFile.encodePrior(stored.exam.prior), role, conclusion, id])
            try Store.audit(db, actor: actor, "exam-finalized", patient: row["patientId"], exam: id, detail: "signed by \(name)")
        }
    }

    /// Records that an exam (nil: many exams) left the store (export or report), for the audit trail.
    public func noteExport(_ id: Int64?, as what: String, actor: String) throws(StoreError) {
        try write("recording the export") { db in
            let patient = try id.flatMap { try String.fetchOne(db, sql: "SELECT patientId FROM exams WHERE id = ?", arguments: [$0]) }
            try Store.audit(db, actor: actor, "exam-exported", patient: patient, exam: id, detail: what)
        }
    }

    /// Adds the exam's patient when new; for a known patient, the exam may leave out what the
    /// store knows but must not contradict it, and details the store lacks are filled in from
    /// the exam (audited), so that the stored exam gives the same result as its file.
    static func ensurePatient(_ p: Patient, actor: String, _ db: Database) throws {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM patients WHERE id = ?", arguments: [p.id]) else {
            try insert(p, db)
            try audit(db, actor: actor, "patient-added", patient: p.id)
            return
        }
        let known = patient(row)
        try checkSamePatient(known, p)
        let filled = try detailsToAdd(known, p, db)
        guard !filled.isEmpty else { return }
        try db.execute(sql: """
            UPDATE patients SET name = coalesce(name, ?), birthDate = coalesce(birthDate, ?), sex = coalesce(sex, ?),
                                diabetes = coalesce(diabetes, ?) WHERE id = ?
            """, arguments: [p.name, p.birthDate, p.sex?.rawValue, p.diabetes, p.id])
        try audit(db, actor: actor, "patient-completed", patient: p.id, detail: "added from an exam: " + filled.joined(separator: ", "))
    }

    static func insertExam(_ exam: Exam, status: Status, options: RuleOptions, version: Int, amends: Int64?, _ db: Database) throws -> Int64 {
        let d = exam.details
        guard let performedAt = d.performedAt else { throw Store.undated }
        try db.execute(sql: """
            INSERT INTO exams (patientId, version, amends, status, performedAt, indication, operator, position, restMinutes,
                               postExercise, postExerciseMinutes, symptoms, prior, ruleSet, ankleMethod, severityScheme, createdAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [exam.patient.id, version, amends, status.rawValue, performedAt.text, d.indication, d.operator, d.position, d.restMinutes,
                             exam.postExercise != nil, exam.postExercise?.minutesAfter, exam.symptoms.map(ExamFile.encodeSymptoms),
                             exam.prior.isEmpty ? nil : ExamFile.encodePrior(exam.prior),
                             "\(RuleSet.name) v\(RuleSet.version)", options.ankle.rawValue, options.severity.rawValue, Store.now()])
        let id = db.lastInsertedRowID
        if let order = exam.order { try db.execute(sql: "UPDATE exams SET orderInfo = ? WHERE id = ?", arguments: [ExamFile.encodeOrder(order), id]) }
        for r in exam.readings { try insertReading(r, exam: id, postExercise: false, db) }
        for r in exam.postExercise?.readings ?? [] { try insertReading(r, exam: id, postExercise: true, db) }
        try updateResult(id, exam, options, db)
        return id
    }

    static func insertReading(_ r: Reading, exam: Int64, postExercise: Bool, _ db: Database) throws {
        var systolic: Int?, diastolic: Int?, map: Int?, pulse: Int?, at: Int?, reason: String?, code: String?, message: String?
        switch r.state {
        case .numeric(let p):
            systolic = p.systolic.mmHg
            diastolic = p.diastolic?.mmHg
            map = p.map?.mmHg
            pulse = p.pulse?.perMinute
        case .absent: break
        case .noncompressible(let atPressure): at = atPressure?.mmHg
        case .notMeasured(let why): reason = why
        case .deviceError(let c, let m):
            code = c
            message = m
        }
        try db.execute(sql: """
            INSERT INTO readings (examId, phase, seq, site, state, systolic, diastolic, map, pulse, atPressure, reason, errorCode, errorMessage,
                                  time, method, deviceProfile, deviceVendorId, deviceProductId, deviceSerial, devicePort, note, recordedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [exam, postExercise ? "postExercise" : "rest", r.seq, r.site.rawValue, r.state.name, systolic, diastolic, map, pulse, at,
                             reason, code, message, r.time, r.method?.rawValue, r.device?.profile, r.device?.vendorId, r.device?.productId,
                             r.device?.serial, r.device?.port, r.note, Store.now()])
    }

    /// Keeps the per-leg ABI and category of an exam in its row, for lists and history (R18).
    static func updateResult(_ id: Int64, _ exam: Exam, _ options: RuleOptions, _ db: Database) throws {
        let result = exam.result(options: options)
        // Only an ABI that says something about perfusion is compared over time (R18).
        func usable(_ leg: LegResult) -> Int? { leg.perfusionMeasuresUsable ? leg.abi : nil }
        try db.execute(sql: "UPDATE exams SET rightAbi = ?, leftAbi = ?, rightCategory = ?, leftCategory = ? WHERE id = ?",
                       arguments: [usable(result.right), usable(result.left), result.right.category?.rawValue, result.left.category?.rawValue, id])
    }

    /// The exam with its readings; its `prior` holds the imported prior entries and the most
    /// recent earlier exam of the patient in the store (its latest version).
    public func exam(_ id: Int64) throws(StoreError) -> StoredExam {
        try read("reading exam \(id)") { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT e.*, (SELECT id FROM exams n WHERE n.amends = e.id) AS amendedBy, (SELECT createdAt FROM exams n WHERE n.amends = e.id) AS amendedAt,
                       (SELECT coalesce(signedAt, createdAt) FROM exams o WHERE o.id = e.amends) AS amendsReportOf
                FROM exams e WHERE id = ?
                """, arguments: [id]) else {
                throw StoreError(.notFound, "there is no exam \(id) (abi exams list)")
            }
            return try Store.storedExam(row, db)
        }
    }

    static func storedExam(_ row: Row, _ db: Database) throws -> StoredExam {
        let id: Int64 = row["id"]
        guard let patientRow = try Row.fetchOne(db, sql: "SELECT * FROM patients WHERE id = ?", arguments: [row["patientId"] as String]) else {
            throw StoreError(.invalid, "exam \(id) names a patient the store does not hold")
        }
        var rest: [Reading] = [], post: [Reading] = []
        for r in try Row.fetchAll(db, sql: "SELECT * FROM readings WHERE examId = ? ORDER BY phase DESC, seq", arguments: [id]) {
            let reading = try reading(r)
            if (r["phase"] as String) == "postExercise" { post.append(reading) } else { rest.append(reading) }
        }
        guard let performedAt = Timestamp(row["performedAt"]) else { throw StoreError(.invalid, "exam \(id) has an unreadable time") }
        var prior: [PriorExam] = []
        if let text: String = row["prior"] { prior = try ExamFile.decodePrior(Array(text.utf8)) }
        // The most recent earlier exam of the patient in the store, in its latest version.
        if let frozen: String = row["signedPrior"] {
            // Signed: the prior exams it was compared with at sign-off, whatever came later.
            prior = try ExamFile.decodePrior(Array(frozen.utf8))
        } else if let previous = try Row.fetchOne(db, sql: """
            SELECT id, performedAt, rightAbi, leftAbi, signedBy, signedAt FROM exams e
            WHERE patientId = ? AND performedAt < ? AND status = 'final' AND discardedAt IS NULL AND id != ?
              AND NOT EXISTS (SELECT 1 FROM exams n WHERE n.amends = e.id)
            ORDER BY performedAt DESC LIMIT 1
            """, arguments: [row["patientId"] as String, performedAt.text, id]), let at = Timestamp(previous["performedAt"]) {
            // Only a signed exam counts as a prior (R18): a preliminary one may still be wrong.
            let signed = (previous["signedAt"] as String?).map { " (signed \($0.prefix(10)) by \(previous["signedBy"] as String? ?? "?"))" } ?? ""
            prior.append(PriorExam(performedAt: at, rightAbi: previous["rightAbi"], leftAbi: previous["leftAbi"],
                                   source: "exam \(previous["id"] as Int64) of \(at.datePart)\(signed)"))
        }
        var exam = Exam(
            patient: patient(patientRow),
            details: ExamDetails(performedAt: performedAt, indication: row["indication"], operator: row["operator"], position: row["position"], restMinutes: row["restMinutes"]),
            readings: rest,
            postExercise: (row["postExercise"] as Bool) ? PostExercise(minutesAfter: row["postExerciseMinutes"], readings: post) : nil,
            symptoms: try (row["symptoms"] as String?).map { text throws in try ExamFile.decodeSymptoms(Array(text.utf8)) },
            prior: prior)
        exam.order = try (row["orderInfo"] as String?).map { text throws in try ExamFile.decodeOrder(Array(text.utf8)) }
        return StoredExam(id: id, exam: exam, status: Status(rawValue: row["status"]) ?? .preliminary, version: row["version"],
                          amends: row["amends"], amendedBy: row["amendedBy"],
                          options: RuleOptions(ankle: AnkleMethod(rawValue: row["ankleMethod"]) ?? .higher,
                                               severity: SeverityScheme(rawValue: row["severityScheme"]) ?? .common),
                          signedBy: row["signedBy"], signedAt: row["signedAt"], discardReason: row["discardReason"],
                          signedResult: try (row["signedResult"] as String?).map { text throws in try ResultFile.decode(Array(text.utf8)) },
                          amendReason: row["amendReason"], amendedAt: row["amendedAt"], amendsReportOf: row["amendsReportOf"],
                          signerRole: row["signerRole"], conclusion: row["conclusion"])
    }

    static func reading(_ r: Row) throws -> Reading {
        let site = Site(rawValue: r["site"])!
        func pressure(_ column: String) -> Pressure? { (r[column] as Int?).flatMap { Pressure(mmHg: $0) } }
        let state: ReadingState
        switch r["state"] as String {
        case "numeric":
            guard let systolic = pressure("systolic") else { throw StoreError(.invalid, "a stored reading has no systolic pressure") }
            state = .numeric(try NumericPressure(systolic: systolic, diastolic: pressure("diastolic"),
                                                 pulse: (r["pulse"] as Int?).flatMap { PulseRate(perMinute: $0) }, map: pressure("map")))
        case "absent": state = .absent
        case "noncompressible": state = .noncompressible(atPressure: pressure("atPressure"))
        case "notMeasured": state = .notMeasured(reason: r["reason"] ?? "")
        default: state = .deviceError(code: r["errorCode"], message: r["errorMessage"])
        }
        let device: DeviceIdentity? = [r["deviceProfile"], r["deviceVendorId"], r["deviceProductId"], r["deviceSerial"], r["devicePort"]].contains { ($0 as String?) != nil }
            ? DeviceIdentity(profile: r["deviceProfile"], vendorId: r["deviceVendorId"], productId: r["deviceProductId"], serial: r["deviceSerial"], port: r["devicePort"])
            : nil
        return Reading(site: site, seq: r["seq"], state: state, time: r["time"],
                       method: (r["method"] as String?).flatMap(MeasurementMethod.init(rawValue:)), device: device, note: r["note"])
    }

    /// Every exam, or one patient's, oldest first, streamed to `each` (a large store is never
    /// held in memory). Columns are read with SQLite's own calls: over 50,000 rows, GRDB's typed
    /// row access took most of the time of `abi exams list`.
    public func exams(patient: String? = nil, _ each: (ExamSummary) throws -> Void) throws(StoreError) {
        try read("listing exams") { db in
            let statement = try db.makeStatement(sql: """
                SELECT e.id, e.patientId, e.performedAt, e.status, e.version, e.rightAbi, e.leftAbi, e.rightCategory, e.leftCategory, n.id, e.discardedAt
                FROM exams e LEFT JOIN exams n ON n.amends = e.id
                WHERE ?1 IS NULL OR e.patientId = ?1 ORDER BY e.performedAt, e.id
                """)
            try statement.setArguments([patient])
            try Store.eachRow(statement, db) { row in
                try each(ExamSummary(id: Int64(row.int(0) ?? 0), patientId: row.text(1) ?? "", performedAt: row.text(2) ?? "",
                                     status: Status(rawValue: row.text(3) ?? "") ?? .preliminary, version: row.int(4) ?? 1,
                                     amendedBy: row.int(9).map(Int64.init), rightAbi: row.int(5), leftAbi: row.int(6), rightCategory: row.text(7),
                                     leftCategory: row.text(8), discarded: !row.isNull(10)))
            }
        }
    }

    /// A statement's rows read with SQLite's own calls (faster than GRDB's typed row access over
    /// many rows), one at a time.
    struct RawRow {
        let statement: OpaquePointer
        func text(_ i: Int32) -> String? { sqlite3_column_text(statement, i).map { String(cString: $0) } }
        func int(_ i: Int32) -> Int? { isNull(i) ? nil : Int(sqlite3_column_int64(statement, i)) }
        func isNull(_ i: Int32) -> Bool { sqlite3_column_type(statement, i) == SQLITE_NULL }
    }

    static func eachRow(_ statement: Statement, _ db: Database, _ body: (RawRow) throws -> Void) throws {
        let s = statement.sqliteStatement
        defer { sqlite3_reset(s) }
        while true {
            let code = sqlite3_step(s)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection))) }
            try body(RawRow(statement: s))
        }
    }

    /// Every exam id of the store that is not amended by a later version, oldest first.
    public func currentExamIds() throws(StoreError) -> [Int64] {
        try read("listing exams") { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM exams e WHERE status != 'in-progress' AND discardedAt IS NULL AND NOT EXISTS (SELECT 1 FROM exams n WHERE n.amends = e.id) ORDER BY performedAt, id")
        }
    }

    // MARK: History

    /// One exam in a patient's history, with R18 applied against the exam before it.
    public struct HistoryEntry: Sendable {
        public let id: Int64
        public let performedAt: String
        public let status: Status
        public let rightAbi: Int?, leftAbi: Int?
        public let rightCategory: String?, leftCategory: String?
        /// The `abi-change` flags (R18) against the previous exam in the history.
        public let changes: [Flag]
    }

    /// The patient's exams (latest versions, in-progress ones left out), oldest first, each
    /// compared with the one before it by R18.
    public func history(patient id: String) throws(StoreError) -> (Patient, [HistoryEntry]) {
        try read("reading the history") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM patients WHERE id = ?", arguments: [id]) else {
                throw StoreError(.notFound, "there is no patient with this id (abi patients list)")
            }
            let patient = Store.patient(row)
            var entries: [HistoryEntry] = []
            var previous: PriorExam?
            // Read with SQLite's own calls (as `exams`): a patient followed for years has hundreds of exams.
            let statement = try db.makeStatement(sql: """
                SELECT id, performedAt, status, rightAbi, leftAbi, rightCategory, leftCategory FROM exams e
                WHERE patientId = ? AND status != 'in-progress' AND discardedAt IS NULL AND NOT EXISTS (SELECT 1 FROM exams n WHERE n.amends = e.id)
                ORDER BY performedAt, id
                """)
            try statement.setArguments([id])
            try Store.eachRow(statement, db) { row in
                let performedAt = row.text(1) ?? ""
                let at = Timestamp(performedAt) ?? Timestamp(secondsSinceEpoch: 0)
                let right = row.int(3), left = row.int(4)
                var changes: [Flag] = []
                if let previous, previous.performedAt < at {
                    for (side, abi) in [(Side.right, right), (.left, left)] {
                        if let abi, let flag = AbiChange.flag(side, from: previous, to: abi, at: at, diabetes: patient.diabetes == true) { changes.append(flag) }
                    }
                }
                entries.append(HistoryEntry(id: Int64(row.int(0) ?? 0), performedAt: performedAt, status: Status(rawValue: row.text(2) ?? "") ?? .preliminary,
                                            rightAbi: right, leftAbi: left, rightCategory: row.text(5), leftCategory: row.text(6), changes: changes))
                previous = PriorExam(performedAt: at, rightAbi: right, leftAbi: left)
            }
            return (patient, entries)
        }
    }
}
