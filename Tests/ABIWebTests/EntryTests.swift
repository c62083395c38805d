import ABICore
import ABIStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import HummingbirdTesting
import NIOCore
import Testing
@testable import ABIWeb

/// Patients added and changed, exams entered by hand, amended and discarded, through the routes.
@Suite struct EntryTests {
    static let post: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    static func send(_ client: some TestClientProtocol, _ uri: String, _ session: (cookie: String, csrf: String), _ fields: [String: String]) async throws -> TestResponse {
        var headers = post
        headers[.cookie] = session.cookie
        var all = fields
        all["csrf"] = session.csrf
        return try await client.execute(uri: uri, method: .post, headers: headers, body: WebAppTests.form(all))
    }

    static func get(_ client: some TestClientProtocol, _ uri: String, _ session: (cookie: String, csrf: String)) async throws -> (HTTPResponse.Status, String) {
        let response = try await client.execute(uri: uri, method: .get, headers: [.cookie: session.cookie])
        return (response.status, String(buffer: response.body))
    }

    /// A PAD exam typed in the AHA order (right arm first): an absent dorsalis pedis, a
    /// noncompressible left posterior tibial, and rest pain relieved by dangling the right leg.
    static let padExam: [String: String] = [
        "indication": "Night-time pain in the right foot, relieved by dangling the leg", "position": "supine", "restMinutes": "10",
        "firstArm": "right",
        "RB.sys": "150", "RB.dia": "80", "RB.pulse": "72",
        "RPT.sys": "60",
        "RDP.state": "absent",
        "LPT.state": "noncompressible", "LPT.detail": "250",
        "LDP.sys": "120",
        "LB.sys": "146", "LB.dia": "78",
        "right.sign.restPain": "y", "right.sign.reliefOnDependency": "y", "right.sign.nightOnset": "y",
        "right.woundWeeks": "3",
    ]

    @Test("Add a patient: problems beside their fields with what was typed kept; a taken id refused; then the details changed, audited")
    func addAndEditPatient() async throws {
        let store = try WebAppTests.store()
        let (_, app) = WebAppTests.app(store)
        try await app.test(.router) { client in
            let session = try await WebAppTests.signIn(client)
            let form = try await EntryTests.get(client, "/patients/new", session)
            #expect(form.0 == .ok && form.1.contains("action=\"/patients\""))

            let bad = try await EntryTests.send(client, "/patients", session, ["id": "", "name": "Nowak, Ewa", "birthDate": "1950-13-40", "sex": "f"])
            let page = String(buffer: bad.body)
            #expect(bad.status == .unprocessableContent)
            #expect(page.contains("id=\"id-error\"") && page.contains("A patient id is needed"))
            #expect(page.contains("id=\"birthDate-error\"") && page.contains("Not a date"))
            #expect(page.contains("id=\"sex-error\"") && page.contains("Answer female, male, other or unknown."))
            #expect(page.contains("value=\"Nowak, Ewa\""), "the name typed comes back")
            #expect(try store.patients().count == 1)

            let good = try await EntryTests.send(client, "/patients", session, ["id": "MRN 7/1", "name": "Nowak, Ewa", "birthDate": "1950-03-04", "sex": "female", "diabetes": "no"])
            #expect(good.status == .seeOther && good.headers[.location] == "/patients/MRN%207%2F1")
            let added = try #require(try store.patient("MRN 7/1"))
            #expect(added.name == "Nowak, Ewa" && added.birthDate == "1950-03-04" && added.sex == .female && added.diabetes == false)
            let taken = try await EntryTests.send(client, "/patients", session, ["id": "MRN 7/1"])
            #expect(taken.status == .conflict && String(buffer: taken.body).contains("already in the store"))

            let edit = try await EntryTests.get(client, "/patients/MRN%207%2F1/edit", session)
            #expect(edit.0 == .ok && edit.1.contains("value=\"Nowak, Ewa\"") && edit.1.contains("action=\"/patients/MRN%207%2F1\""))
            let changed = try await EntryTests.send(client, "/patients/MRN%207%2F1", session, ["name": "Nowak-Lis, Ewa", "birthDate": "1950-03-04", "sex": "female", "diabetes": "yes"])
            #expect(changed.status == .seeOther)
            #expect(try store.patient("MRN 7/1")?.name == "Nowak-Lis, Ewa" && store.patient("MRN 7/1")?.diabetes == true)
        }
        let audit = try store.auditTrail(patient: "MRN 7/1")
        #expect(audit.contains { $0.action == "patient-added" && $0.actor == "kowalska" })
        #expect(audit.contains { $0.action == "patient-edited" && $0.actor == "kowalska" && $0.detail == "changed: name, diabetes" })
    }

    @Test("Manual entry of a PAD exam with absent and noncompressible sites and symptoms: stored as the bedside session records it, and the exam page shows its flags")
    func manualEntry() async throws {
        let store = try WebAppTests.store()
        try store.addPatient(Patient(id: "MRN-7"), actor: "test")
        let (_, app) = WebAppTests.app(store)
        try await app.test(.router) { client in
            let session = try await WebAppTests.signIn(client)
            let form = try await EntryTests.get(client, "/patients/MRN-7/exams/new", session)
            #expect(form.0 == .ok)
            // The AHA order: the first arm, its PT and DP, the other leg, the other arm.
            let order = ["RB", "RPT", "RDP", "LPT", "LDP", "LB"].map { form.1.range(of: "id=\"site-\($0)\"")!.lowerBound }
            #expect(order == order.sorted())
            let left = try await EntryTests.get(client, "/patients/MRN-7/exams/new?firstArm=left", session)
            #expect(left.1.range(of: "id=\"site-LB\"")!.lowerBound < left.1.range(of: "id=\"site-RB\"")!.lowerBound)

            let saved = try await EntryTests.send(client, "/patients/MRN-7/exams", session, EntryTests.padExam)
            #expect(saved.status == .seeOther, "\(String(buffer: saved.body).prefix(3000))")
            let location = try #require(saved.headers[.location])
            let id = try #require(Int64(location.dropFirst("/exams/".count)))
            let stored = try store.exam(id)
            #expect(stored.status == .preliminary)
            let readings = stored.exam.readings.sorted { $0.seq < $1.seq }
            #expect(readings.map(\.site) == [.rightBrachial, .rightPosteriorTibial, .rightDorsalisPedis, .leftPosteriorTibial, .leftDorsalisPedis, .leftBrachial])
            #expect(readings[0].state == .numeric(try NumericPressure(systolic: Pressure(mmHg: 150)!, diastolic: Pressure(mmHg: 80)!, pulse: PulseRate(perMinute: 72)!)))
            #expect(readings[0].method == .oscillometric && readings[1].method == .doppler)
            #expect(readings[2].state == .absent)
            #expect(readings[3].state == .noncompressible(atPressure: Pressure(mmHg: 250)!))
            #expect(stored.exam.details.indication == EntryTests.padExam["indication"] && stored.exam.details.operator == "kowalska" && stored.exam.details.restMinutes == 10)
            let symptoms = try #require(stored.exam.symptoms)
            #expect(symptoms.right.has(.restPain) && symptoms.right.has(.reliefOnDependency) && !symptoms.left.has(.restPain))
            #expect(symptoms.right.woundWeeks == ExactDecimal(3))

            // The exam page shows every flag of the result, and the pressing ones in the banner.
            let result = stored.exam.result(options: stored.options)
            #expect(!result.flags.isEmpty)
            let page = try await EntryTests.get(client, location, session)
            for flag in result.flags { #expect(page.1.contains(Page.e(flag.line)), "\(flag.line)") }
            if result.flags.contains(where: { $0.level == .urgent || $0.level == .emergency }) { #expect(page.1.contains("class=\"alert\" role=\"alert\"")) }
            #expect(result.right.abi == 40, "60 over 150")
        }
        let audit = try store.auditTrail(patient: "MRN-7").map(\.action)
        #expect(audit.contains("capture-started") && audit.contains("capture-finished") && audit.contains("symptoms-recorded"))
    }

    @Test("Manual entry with mistakes: every problem beside its field, in words, everything typed kept, and nothing stored")
    func manualEntryProblems() async throws {
        let store = try WebAppTests.store()
        try store.addPatient(Patient(id: "MRN-7"), actor: "test")
        let before = try store.auditTrail().count
        let (_, app) = WebAppTests.app(store)
        try await app.test(.router) { client in
            let session = try await WebAppTests.signIn(client)
            var fields = EntryTests.padExam
            fields["indication"] = ""
            fields["RPT.sys"] = "6O"
            fields["LDP.state"] = "notMeasured"
            fields["LDP.sys"] = ""
            fields["LB.state"] = "absent"
            fields["RB.sys"] = "400"
            fields["left.walking"] = "200"
            fields["wells"] = "12"
            let response = try await EntryTests.send(client, "/patients/MRN-7/exams", session, fields)
            let page = String(buffer: response.body)
            #expect(response.status == .unprocessableContent)
            for (field, words) in [("indication", "Give the indication"), ("RPT", "whole number of mmHg"), ("LDP", "Say why it was not measured"),
                                   ("LB", "A pressure is entered but the state is “absent (no signal)”"), ("RB", "400 mmHg is out of range"),
                                   ("left.walking", "tick claudication"), ("wells", "-2 to 9")] {
                #expect(page.contains("id=\"\(field)-error\"") || page.contains("href=\"#\(field)"), "\(field)")
                #expect(page.contains(Page.e(words)), "\(field): \(words)")
            }
            #expect(page.contains("Not saved: 7 things need your attention"))
            // What was typed comes back.
            for value in ["6O", "400", "146", "200", "12", "250"] { #expect(page.contains("value=\"\(value)\""), "\(value)") }
            #expect(page.contains("name=\"right.sign.restPain\" value=\"y\" checked"))
        }
        #expect(try store.auditTrail().count == before + 1, "only the sign-in")
        #expect(try store.worklist(since: "2000-01-01T00:00:00Z").inProgress.isEmpty)
    }

    @Test("R5 in the form: the first arm more than 10 mmHg above the other asks for the repeat, which is then recorded (or the single reading kept)")
    func repeatPrompt() async throws {
        let store = try WebAppTests.store()
        try store.addPatient(Patient(id: "MRN-7"), actor: "test")
        let (_, app) = WebAppTests.app(store)
        try await app.test(.router) { client in
            let session = try await WebAppTests.signIn(client)
            var fields = EntryTests.padExam
            fields["RB.sys"] = "162"
            fields["LB.sys"] = "140"
            let asked = try await EntryTests.send(client, "/patients/MRN-7/exams", session, fields)
            let page = String(buffer: asked.body)
            #expect(asked.status == .unprocessableContent && page.contains("id=\"site-repeat\"") && page.contains("R5: the first arm read more than 10 mmHg above the other"))
            fields["repeat.sys"] = "150"
            fields["repeat.dia"] = "84"
            let saved = try await EntryTests.send(client, "/patients/MRN-7/exams", session, fields)
            #expect(saved.status == .seeOther)
            let id = try #require(saved.headers[.location].flatMap { Int64($0.dropFirst("/exams/".count)) })
            let arm = try store.exam(id).exam.readings.filter { $0.site == .rightBrachial }.sorted { $0.seq < $1.seq }
            #expect(arm.map { $0.state.systolic } == [162, 150])
            // A pulse given with the first reading is kept with the repeat, as at the bedside.
            if case .numeric(let repeatReading) = arm[1].state { #expect(repeatReading.pulse?.perMinute == 72) }

            fields["repeat.sys"] = nil
            fields["repeat.dia"] = nil
            fields["repeat.keep"] = "y"
            let kept = try await EntryTests.send(client, "/patients/MRN-7/exams", session, fields)
            #expect(kept.status == .seeOther)
            let keptId = try #require(kept.headers[.location].flatMap { Int64($0.dropFirst("/exams/".count)) })
            let result = try store.exam(keptId).exam.result()
            #expect(result.flags.contains { $0.code == .firstArmRepeatRequired })
        }
    }

    @Test("Amend (physicians) with a reason: a new version from the prefilled form, unchanged readings keep their time; discard needs a reason and keeps the exam")
    func amendAndDiscard() async throws {
        let store = try WebAppTests.store()
        let id = try #require(try store.worklist(since: "2000-01-01T00:00:00Z").awaitingSignOff.first?.examId)
        let original = try store.exam(id).exam
        let (_, app) = WebAppTests.app(store)
        try await app.test(.router) { client in
            let session = try await WebAppTests.signIn(client)
            let form = try await EntryTests.get(client, "/exams/\(id)/amend", session)
            #expect(form.0 == .ok && form.1.contains("action=\"/exams/\(id)/amend\""))
            #expect(form.1.contains("id=\"RPT.sys\" name=\"RPT.sys\" type=\"text\" value=\"78\""), "prefilled from the exam")
            // The form as the browser sends it back: every field of the page, one changed.
            var fields = EntryTests.fields(of: form.1)
            fields["RPT.sys"] = "82"
            let noReason = try await EntryTests.send(client, "/exams/\(id)/amend", session, fields)
            #expect(noReason.status == .unprocessableContent && String(buffer: noReason.body).contains("Say why the exam is amended"))
            fields["reason"] = "Right PT misread at the bedside"
            let amended = try await EntryTests.send(client, "/exams/\(id)/amend", session, fields)
            #expect(amended.status == .seeOther, "\(String(buffer: amended.body).prefix(2000))")
            let newId = try #require(amended.headers[.location].flatMap { Int64($0.dropFirst("/exams/".count)) })
            let new = try store.exam(newId)
            #expect(new.amends == id && new.amendReason == "Right PT misread at the bedside")
            #expect(new.exam.readings.first { $0.site == .rightPosteriorTibial }?.state.systolic == 82)
            let unchanged = try #require(new.exam.readings.first { $0.site == .leftDorsalisPedis })
            #expect(unchanged == original.readings.first { $0.site == .leftDorsalisPedis }.map { var r = $0; r.seq = unchanged.seq; return r })
            #expect(new.exam.prior == original.prior && new.exam.details.performedAt == original.details.performedAt)

            // Discard the new version: a reason is needed; then it is kept, marked and not reported.
            let none = try await EntryTests.send(client, "/exams/\(newId)/discard", session, ["reason": " "])
            #expect(none.status == .unprocessableContent && String(buffer: none.body).contains("Say why the exam is discarded"))
            let discarded = try await EntryTests.send(client, "/exams/\(newId)/discard", session, ["reason": "amended in error"])
            #expect(discarded.status == .seeOther)
            #expect(try store.exam(newId).discardReason == "amended in error")
            let report = try await client.execute(uri: "/exams/\(newId)/report/pdf", method: .get, headers: [.cookie: session.cookie])
            #expect(report.status == .gone)
        }
        let audit = try store.auditTrail().filter { $0.actor == "kowalska" }.map(\.action)
        #expect(audit.contains("exam-amended") && audit.contains("exam-discarded"))
    }

    /// The fields of the first form with a submit button of the page, as a browser would send
    /// them: inputs with their values, checked checkboxes, selected options.
    static func fields(of page: String) -> [String: String] {
        var fields: [String: String] = [:]
        let entry = page[page.range(of: "class=\"form entry\"")!.lowerBound...]
        func attribute(_ tag: Substring, _ name: String) -> String? {
            guard let start = tag.range(of: " \(name)=\"") else { return nil }
            let rest = tag[start.upperBound...]
            return String(rest[..<rest.firstIndex(of: "\"")!]).replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&quot;", with: "\"")
                .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&#39;", with: "'")
        }
        for part in entry.components(separatedBy: "<input").dropFirst() {
            let tag = part[..<part.firstIndex(of: ">")!]
            guard let name = attribute(tag, "name") else { continue }
            if attribute(tag, "type") == "checkbox" && !tag.contains(" checked") { continue }
            fields[name] = attribute(tag, "value") ?? ""
        }
        for part in entry.components(separatedBy: "<select").dropFirst() {
            let tag = part[..<part.firstIndex(of: ">")!]
            guard let name = attribute(tag, "name") else { continue }
            let options = part[..<part.range(of: "</select>")!.lowerBound]
            let selected = options.components(separatedBy: "<option").dropFirst().first { $0.contains(" selected") }
                ?? options.components(separatedBy: "<option").dropFirst().first!
            fields[name] = attribute(Substring(selected), "value") ?? ""
        }
        return fields
    }

    @Test("A patient with many exams: the page lists the latest 50 (the chart has them all) and links to all of them")
    func longHistory() async throws {
        let store = try WebAppTests.store()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var exam = try ExamFile.decode(Array(Data(contentsOf: root.appendingPathComponent("samples/normal.exam.json"))))
        exam.patient = Patient(id: "LONG-1")
        exam.prior = []
        var exams: [Exam] = []
        for day in 0..<55 {
            exam.details.performedAt = Timestamp(secondsSinceEpoch: 1_700_000_000 + day * 86_400)
            exams.append(exam)
        }
        _ = try store.importExams(exams, actor: "test")
        let (_, app) = WebAppTests.app(store)
        try await app.test(.router) { client in
            let session = try await WebAppTests.signIn(client)
            let page = try await EntryTests.get(client, "/patients/LONG-1", session)
            #expect(page.1.components(separatedBy: "<tr><td><a href=\"/exams/").count - 1 == 50)
            #expect(page.1.contains("The latest 50 of 55 exams.") && page.1.contains("href=\"/patients/LONG-1?all=1\""))
            #expect(page.1.components(separatedBy: "<circle cx=").count - 1 == 55, "every exam in the chart")
            let all = try await EntryTests.get(client, "/patients/LONG-1?all=1", session)
            #expect(all.1.components(separatedBy: "<tr><td><a href=\"/exams/").count - 1 == 55 && !all.1.contains("The latest"))
        }
    }
}
