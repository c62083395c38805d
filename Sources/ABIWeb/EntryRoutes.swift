import ABICapture
import ABICore
import ABIStore
import HTTPTypes
import Hummingbird

/// The routes that change the store: patients added and changed, exams entered by hand,
/// amended and discarded.
extension WebApp {
    var patientRoutes: [Route] {
        [
            Route(method: .get, path: "/patients/new", roles: WebApp.clinical) { _, _, session in
                guard let session else { return .redirect(to: "/signin") }
                return WebApp.html(Page.patientForm(PatientDetails(id: ""), existing: nil, problems: [:], message: nil, session: session))
            },
            Route(method: .post, path: "/patients", roles: WebApp.clinical) { request, _, session in
                guard let session else { return .redirect(to: "/signin") }
                var request = request
                let form = try await WebApp.form(&request)
                let details = PatientDetails(id: (form["id"] ?? "").trimmed, name: form["name"], birthDate: form["birthDate"], sex: form["sex"], diabetes: form["diabetes"])
                switch details.patient() {
                case .failure(let problems):
                    return WebApp.html(Page.patientForm(details, existing: nil, problems: problems.byField, message: nil, session: session), status: .unprocessableContent)
                case .success(let patient):
                    do {
                        try store.addPatient(patient, actor: session.user)
                    } catch let error as StoreError where error.kind == .invalid {
                        return WebApp.html(Page.patientForm(details, existing: nil, problems: [.id: "A patient with this id is already in the store: find them from the worklist."],
                                                            message: nil, session: session), status: .conflict)
                    } catch let error as StoreError {
                        return WebApp.html(Page.patientForm(details, existing: nil, problems: [:], message: "Not saved: \(error.message).", session: session), status: .internalServerError)
                    }
                    return .redirect(to: "/patients/\(Page.pathSegment(patient.id))", type: .normal)
                }
            },
            Route(method: .get, path: "/patients/:id/edit", roles: WebApp.clinical) { _, context, session in
                guard let session else { return .redirect(to: "/signin") }
                return try patient(context, session) { patient in
                    let details = PatientDetails(id: patient.id, name: patient.name, birthDate: patient.birthDate, sex: patient.sex?.rawValue,
                                                 diabetes: patient.diabetes.map { $0 ? "yes" : "no" })
                    return WebApp.html(Page.patientForm(details, existing: patient, problems: [:], message: nil, session: session))
                }
            },
            Route(method: .post, path: "/patients/:id", roles: WebApp.clinical) { request, context, session in
                guard let session else { return .redirect(to: "/signin") }
                var request = request
                let form = try await WebApp.form(&request)
                return try patient(context, session) { patient in
                    let details = PatientDetails(id: patient.id, name: form["name"], birthDate: form["birthDate"], sex: form["sex"], diabetes: form["diabetes"])
                    switch details.patient() {
                    case .failure(let problems):
                        return WebApp.html(Page.patientForm(details, existing: patient, problems: problems.byField, message: nil, session: session), status: .unprocessableContent)
                    case .success(let changes):
                        do {
                            _ = try store.editPatient(changes, actor: session.user)
                        } catch let error as StoreError {
                            return WebApp.html(Page.patientForm(details, existing: patient, problems: [:], message: "Not saved: \(error.message).", session: session),
                                               status: error.kind == .invalid ? .conflict : .internalServerError)
                        }
                        return .redirect(to: "/patients/\(Page.pathSegment(patient.id))", type: .normal)
                    }
                }
            },
            Route(method: .get, path: "/patients/:id/exams/new", roles: WebApp.clinical) { request, context, session in
                guard let session else { return .redirect(to: "/signin") }
                // The only query: which arm is measured first (it orders the form).
                var fields: [String: String] = [:]
                if let arm = request.uri.queryParameters["firstArm"].map(String.init), Side(rawValue: arm) != nil { fields["firstArm"] = arm }
                return try patient(context, session) { patient in
                    WebApp.html(Page.entryForm(patient, form: ManualEntryForm(fields), entered: nil, session: session))
                }
            },
            Route(method: .post, path: "/patients/:id/exams", roles: WebApp.clinical) { request, context, session in
                guard let session else { return .redirect(to: "/signin") }
                var request = request
                let form = ManualEntryForm(try await WebApp.form(&request))
                return try patient(context, session) { patient in try saveEntry(patient, form, session) }
            },
        ]
    }

    var examRoutes: [Route] {
        [
            Route(method: .post, path: "/exams/:id/discard", roles: WebApp.clinical) { request, context, session in
                guard let session else { return .redirect(to: "/signin") }
                var request = request
                let reason = (try await WebApp.form(&request))["reason"]?.trimmed ?? ""
                return try exam(context, session) { stored, report in
                    guard !reason.isEmpty, ManualEntry.freeTextProblem(reason, max: 500) == nil else {
                        return WebApp.html(Page.exam(stored, report: report, audit: try store.auditTrail(exam: stored.id), session: session,
                                                     discardProblem: reason.isEmpty ? "Say why the exam is discarded (entered in error, wrong patient…)." : "The reason is longer than 500 characters or holds a control character."),
                                           status: .unprocessableContent)
                    }
                    do {
                        try store.discard(stored.id, reason: reason, actor: session.user)
                    } catch let error as StoreError {
                        return WebApp.html(Page.message("Not discarded", error.message, session: session), status: .conflict)
                    }
                    return .redirect(to: "/exams/\(stored.id)", type: .normal)
                }
            },
            Route(method: .get, path: "/exams/:id/amend", roles: [.physician]) { _, context, session in
                guard let session else { return .redirect(to: "/signin") }
                return try exam(context, session) { stored, _ in
                    if let refusal = WebApp.amendRefusal(stored) { return WebApp.html(Page.message("Not amended", refusal, session: session), status: .conflict) }
                    return WebApp.html(Page.entryForm(stored.exam.patient, form: ManualEntryForm(exam: stored.exam), entered: nil, session: session, amending: stored.id))
                }
            },
            Route(method: .post, path: "/exams/:id/amend", roles: [.physician]) { request, context, session in
                guard let session else { return .redirect(to: "/signin") }
                var request = request
                let form = ManualEntryForm(try await WebApp.form(&request))
                return try exam(context, session) { stored, _ in try saveAmendment(stored, form, session) }
            },
        ]
    }

    /// Why an exam cannot be amended now, or nil.
    static func amendRefusal(_ stored: Store.StoredExam) -> String? {
        if stored.discardReason != nil { return "This exam was discarded; it cannot be amended." }
        if let newer = stored.amendedBy { return "This version was amended by exam \(newer): amend that one." }
        if stored.status == .inProgress { return "This exam is still being captured: finish the capture first." }
        return nil
    }

    /// The patient of the path's id, or the page that says why there is none.
    func patient(_ context: Context, _ session: WebSession, _ body: (Patient) throws -> Response) throws -> Response {
        let id = context.parameters.get("id").map { $0.removingPercentEncoding ?? $0 } ?? ""
        do {
            guard let patient = try store.patient(id) else {
                return WebApp.html(Page.message("No such patient", "There is no patient with this id. Find the patient from the worklist.", session: session), status: .notFound)
            }
            return try body(patient)
        } catch let error as StoreError {
            return WebApp.html(Page.message("The store cannot be read", error.message, session: session), status: .internalServerError)
        }
    }

    /// An exam entered by hand: checked whole on a copy (nothing stored while anything is wrong),
    /// then stored as a capture that finishes at once.
    func saveEntry(_ patient: Patient, _ form: ManualEntryForm, _ session: WebSession) throws -> Response {
        let now = Timestamp(Store.nowText()) ?? Timestamp(secondsSinceEpoch: 0)
        let (details, detailProblems) = form.details(user: session.user, now: now)
        let time = (details.performedAt ?? now).text
        var entered = try form.enter(into: ExamFileRecorder(Exam(patient: patient, details: details, readings: [])), time: time)
        entered.problems.merge(detailProblems) { a, _ in a }
        guard entered.problems.isEmpty else {
            return WebApp.html(Page.entryForm(patient, form: form, entered: entered, session: session), status: .unprocessableContent)
        }
        let plan = Store.CapturePlan(firstArm: form.firstArm, toes: ManualEntryForm.toes.contains(where: form.given))
        let capture: Store.Capture
        do {
            capture = try store.beginCapture(patient, details: details, plan: plan, device: nil, actor: session.user)
        } catch {
            return WebApp.html(Page.entryForm(patient, form: form, entered: nil, session: session, message: "Not saved: \(error.message)."), status: .internalServerError)
        }
        do {
            let recorder = try StoreRecorder(store: store, capture: capture, plan: plan, actor: session.user)
            let stored = try form.enter(into: recorder, time: time)
            guard stored.problems.isEmpty else {
                throw StoreError(.invalid, "the form gave other answers the second time (\(stored.problems.keys.sorted().joined(separator: ", ")))")
            }
            try store.endCapture(capture, finished: true, actor: session.user)
        } catch {
            // What was recorded stays, as a capture in progress on the worklist.
            let why = (error as? StoreError)?.message ?? "\(error)"
            return WebApp.html(Page.entryForm(patient, form: form, entered: nil, session: session,
                                              message: "Not finished: \(why). What was recorded is kept as exam \(capture.examId), in progress on the worklist."),
                               status: .internalServerError)
        }
        return .redirect(to: "/exams/\(capture.examId)", type: .normal)
    }

    /// A new version of an exam from the amendment form, with its reason. Readings the form left
    /// as they were keep their time, method and device; the others are the physician's entry.
    func saveAmendment(_ stored: Store.StoredExam, _ form: ManualEntryForm, _ session: WebSession) throws -> Response {
        if let refusal = WebApp.amendRefusal(stored) { return WebApp.html(Page.message("Not amended", refusal, session: session), status: .conflict) }
        let now = Timestamp(Store.nowText()) ?? Timestamp(secondsSinceEpoch: 0)
        var (details, detailProblems) = form.details(user: session.user, now: now)
        // A time left as shown keeps its seconds.
        if let original = stored.exam.details.performedAt, form.value("performedAt") == ManualEntryForm.localText(original) { details.performedAt = original }
        let copy = ExamFileRecorder(Exam(patient: stored.exam.patient, details: details, readings: []))
        var entered = try form.enter(into: copy, time: (details.performedAt ?? now).text)
        entered.problems.merge(detailProblems) { a, _ in a }
        let reason = form.value("reason")
        if reason.isEmpty {
            entered.problems["reason"] = "Say why the exam is amended: the reason is printed on the amended report."
        } else if let problem = ManualEntry.freeTextProblem(reason, max: 500) {
            entered.problems["reason"] = problem
        }
        func again(_ message: String?, _ status: HTTPResponse.Status) -> Response {
            WebApp.html(Page.entryForm(stored.exam.patient, form: form, entered: entered, session: session, amending: stored.id, message: message), status: status)
        }
        guard entered.problems.isEmpty else { return again(nil, .unprocessableContent) }
        var exam = stored.exam
        exam.details = details
        exam.symptoms = copy.exam.symptoms
        var originals = stored.exam.readings
        exam.readings = copy.exam.readings.map { reading in
            guard let i = originals.firstIndex(where: { $0.site == reading.site && $0.state == reading.state }) else { return reading }
            var kept = originals.remove(at: i)
            kept.seq = reading.seq
            return kept
        }
        do {
            let id = try store.amend(stored.id, with: exam, reason: reason, actor: session.user)
            return .redirect(to: "/exams/\(id)", type: .normal)
        } catch {
            return again("Not amended: \(error.message).", error.kind == .invalid ? .conflict : .internalServerError)
        }
    }
}
