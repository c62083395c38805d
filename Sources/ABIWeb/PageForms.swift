import ABICapture
import ABICore
import ABIStore

/// The pages with forms that change the store: a patient's details, and an exam entered by hand.
/// Every problem appears beside its field, in words, and every value typed comes back.
extension Page {
    /// A labelled input, with its problem beside it (and tied to it for screen readers).
    static func input(_ name: String, _ label: String, value: String, problem: String?, type: String = "text",
                      attributes: String = "", hint: String? = nil) -> String {
        var described: [String] = []
        var html = "<div class=\"field\(problem == nil ? "" : " invalid")\"><label for=\"\(e(name))\">\(e(label))</label>"
        if let hint {
            html += "<span class=\"hint\" id=\"\(e(name))-hint\">\(e(hint))</span>"
            described.append("\(name)-hint")
        }
        if let problem {
            html += "<span class=\"field-error\" id=\"\(e(name))-error\">\(e(problem))</span>"
            described.append("\(name)-error")
        }
        html += "<input id=\"\(e(name))\" name=\"\(e(name))\" type=\"\(type)\" value=\"\(e(value))\"\(attributes.isEmpty ? "" : " " + attributes)"
        if !described.isEmpty { html += " aria-describedby=\"\(e(described.joined(separator: " ")))\"" }
        if problem != nil { html += " aria-invalid=\"true\"" }
        return html + "></div>"
    }

    static func select(_ name: String, _ label: String, options: [(value: String, label: String)], selected: String, problem: String? = nil) -> String {
        var html = "<div class=\"field\(problem == nil ? "" : " invalid")\"><label for=\"\(e(name))\">\(e(label))</label>"
        if let problem { html += "<span class=\"field-error\" id=\"\(e(name))-error\">\(e(problem))</span>" }
        html += "<select id=\"\(e(name))\" name=\"\(e(name))\"\(problem == nil ? "" : " aria-describedby=\"\(e(name))-error\" aria-invalid=\"true\"")>"
        html += options.map { "<option value=\"\(e($0.value))\"\($0.value == selected ? " selected" : "")>\(e($0.label))</option>" }.joined()
        return html + "</select></div>"
    }

    static func checkbox(_ name: String, _ label: String, checked: Bool, value: String = "y") -> String {
        "<div class=\"check\"><input type=\"checkbox\" id=\"\(e(name))\" name=\"\(e(name))\" value=\"\(e(value))\"\(checked ? " checked" : "")><label for=\"\(e(name))\">\(e(label))</label></div>"
    }

    /// The list of problems at the top of a form that was not saved, each linking to its field.
    static func problemSummary(_ problems: [(anchor: String, label: String, text: String)]) -> String {
        guard !problems.isEmpty else { return "" }
        var html = "<div class=\"problems\" role=\"alert\"><h2>Not saved: \(problems.count == 1 ? "1 thing needs" : "\(problems.count) things need") your attention</h2><ul>"
        html += problems.map { "<li><a href=\"#\(e($0.anchor))\">\(e($0.label))</a>: \(e($0.text))</li>" }.joined()
        return html + "</ul><p>Everything you typed is still in the form.</p></div>"
    }

    // MARK: Patients

    static let patientFields: [(field: PatientDetails.Field, label: String, hint: String?)] = [
        (.id, "Patient id (medical record number)", nil), (.name, "Name", "Family, Given"),
        (.birthDate, "Birth date", nil), (.sex, "Sex", nil), (.diabetes, "Diabetes", "Widens the minimal detectable change of the ABI (R18)"),
    ]

    /// Adding a patient (`existing` nil) or changing one's details.
    static func patientForm(_ details: PatientDetails, existing: Patient?, problems: [PatientDetails.Field: String], message: String?,
                            session: WebSession) -> String {
        let adding = existing == nil
        var body = "<h1>\(adding ? "Add a patient" : "Change \(e(existing?.name ?? existing!.id))’s details")</h1>"
        body += problemSummary(patientFields.compactMap { f in problems[f.field].map { (f.field.rawValue, f.label, $0) } })
        if let message { body += "<p class=\"error\" role=\"alert\">\(e(message))</p>" }
        if !adding {
            body += "<p class=\"hint\">A detail once recorded can be corrected, not removed. A patient with a signed exam keeps the details of its report (a signed report never changes).</p>"
        }
        body += "<form method=\"post\" action=\"\(adding ? "/patients" : "/patients/\(pathSegment(existing!.id))")\" class=\"form\">\(csrfField(session))"
        for f in patientFields {
            let problem = problems[f.field]
            switch f.field {
            case .id:
                if adding {
                    body += input("id", f.label, value: details.id, problem: problem, attributes: "required maxlength=\"\(PatientId.maximumLength)\" autocomplete=\"off\"")
                } else {
                    body += "<p><strong>\(e(f.label)):</strong> \(e(details.id))</p>"
                }
            case .name:
                body += input("name", f.label, value: details.name ?? "", problem: problem, attributes: "maxlength=\"200\" autocomplete=\"off\"", hint: f.hint)
            case .birthDate:
                body += input("birthDate", f.label, value: details.birthDate ?? "", problem: problem, type: "date")
            case .sex:
                body += select("sex", f.label, options: [("", "not recorded"), ("female", "female"), ("male", "male"), ("other", "other"), ("unknown", "unknown")],
                               selected: details.sex ?? "", problem: problem)
            case .diabetes:
                body += select("diabetes", f.label, options: [("", "not recorded"), ("yes", "yes"), ("no", "no")], selected: details.diabetes ?? "", problem: problem)
            }
        }
        body += "<div class=\"actions\"><button type=\"submit\">\(adding ? "Add the patient" : "Save the changes")</button>"
        body += adding ? " <a href=\"/\">Cancel</a>" : " <a href=\"/patients/\(pathSegment(existing!.id))\">Cancel</a>"
        body += "</div></form>"
        return layout(title: adding ? "Add a patient" : "Change details", session: session, body: body)
    }

    // MARK: Manual entry

    /// The manual entry form of a patient: the exam details, the sites in the AHA order (with the
    /// R5 repeat when it is asked for), the toes, and the symptom and sign checklist.
    /// With `amending`, the form of an amendment of that exam (prefilled, with its reason).
    static func entryForm(_ patient: Patient, form: ManualEntryForm, entered: ManualEntryForm.Entered?, session: WebSession,
                          amending: Int64? = nil, message: String? = nil) -> String {
        let problems = entered?.problems ?? [:]
        func problem(_ key: String) -> String? { problems[key] }
        let id = pathSegment(patient.id)
        let heading = amending.map { "Amend exam \($0)" } ?? "Enter an exam by hand"
        var body = "<h1>\(heading) <span class=\"id\">\(patientLink(patient.id)) · \(e(patient.name ?? ""))</span></h1>"
        if let message { body += "<p class=\"error\" role=\"alert\">\(e(message))</p>" }

        // The problems, in the order of the form.
        var summary: [(anchor: String, label: String, text: String)] = []
        if let p = problem("reason") { summary.append(("reason", "Reason for the amendment", p)) }
        let detailLabels = [("indication", "Indication"), ("performedAt", "Performed at"), ("operator", "Performed by"), ("position", "Position"),
                            ("restMinutes", "Minutes of rest")]
        for (key, label) in detailLabels { if let p = problem(key) { summary.append((key, label, p)) } }
        for site in form.sequence {
            let code = ManualEntryForm.code(site)
            if let p = problem(code) { summary.append(("\(code).state", site.words.capitalizedFirst, p)) }
        }
        if let p = problem("repeat") { summary.append(("repeat.sys", "First-arm repeat (R5)", p)) }
        for toe in ManualEntryForm.toes {
            let code = ManualEntryForm.code(toe)
            if let p = problem(code) { summary.append(("\(code).state", toe.words.capitalizedFirst, p)) }
        }
        for key in ManualEntryForm.questionFields { if let p = problem(key) { summary.append((key, checklistLabel(key), p)) } }
        for side in Side.allCases { if let p = problem("\(side.rawValue).signs") { summary.append(("\(side.rawValue).sign.restPain", "\(side.capitalized) leg signs", p)) } }
        body += problemSummary(summary)

        let action = amending.map { "/exams/\($0)/amend" } ?? "/patients/\(id)/exams"
        body += "<form method=\"post\" action=\"\(action)\" class=\"form entry\" novalidate>\(csrfField(session))"
        if amending != nil {
            body += "<fieldset><legend>The amendment</legend>"
            body += input("reason", "Reason for the amendment (required; printed on the amended report)", value: form.value("reason"), problem: problem("reason"),
                          attributes: "required maxlength=\"500\"")
            body += "<p class=\"hint\">The amendment is a new version, PRELIMINARY until signed; this version is kept. Sites left as they are keep their time and device.</p></fieldset>"
        }
        // The exam details.
        body += examFields(form, problems: problems, session: session, entered: true)
        body += "<p class=\"hint\">The sites below follow the AHA order for the arm measured first; if you change it, the order on saving is that of the arm chosen.</p></fieldset>"

        // The sites, in the AHA order.
        body += "<h2>Pressures, in the AHA order</h2>"
        for (n, site) in form.sequence.enumerated() {
            body += siteFields(form, site: site, number: n + 1, problem: problem(ManualEntryForm.code(site)))
            if n == 5, entered?.repeatAsked == true || ["repeat.sys", "repeat.dia", "repeat.pulse", "repeat.keep"].contains(where: { !form.value($0).isEmpty }) {
                body += repeatFields(form, problem: problem("repeat"))
            }
        }
        body += "<h2>Toe pressures (optional)</h2><p class=\"hint\">Leave a toe empty if it was not measured. Noncompressible ankles say nothing about perfusion: the toe pressure does (TBI).</p>"
        for toe in ManualEntryForm.toes {
            body += siteFields(form, site: toe, number: nil, problem: problem(ManualEntryForm.code(toe)))
        }

        // The checklist of the bedside session's symptom questions.
        body += "<h2>Symptoms and signs</h2><p class=\"hint\">They tell ischaemic rest pain from nerve, cramp and restless-legs pain, and raise the urgent and emergency flags. Tick what is present.</p>"
        for side in Side.allCases {
            let signsProblem = problem("\(side.rawValue).signs")
            body += "<fieldset class=\"leg\(signsProblem == nil ? "" : " invalid")\"><legend>\(e(side.capitalized)) leg</legend>"
            if let signsProblem { body += "<span class=\"field-error\">\(e(signsProblem))</span>" }
            body += "<div class=\"checks\">"
            for sign in SymptomQuestions.offeredSigns {
                let name = ManualEntryForm.signField(side, sign)
                body += checkbox(name, sign.words.capitalizedFirst, checked: !form.value(name).isEmpty)
            }
            body += "</div><div class=\"row\">"
            body += input("\(side.rawValue).walking", checklistLabel("\(side.rawValue).walking"), value: form.value("\(side.rawValue).walking"),
                          problem: problem("\(side.rawValue).walking"), attributes: "inputmode=\"numeric\" size=\"6\"", hint: "With claudication; empty if not known")
            body += input("\(side.rawValue).woundWeeks", checklistLabel("\(side.rawValue).woundWeeks"), value: form.value("\(side.rawValue).woundWeeks"),
                          problem: problem("\(side.rawValue).woundWeeks"), attributes: "inputmode=\"numeric\" size=\"4\"", hint: "Empty if there is no wound")
            body += select("\(side.rawValue).toeColour", checklistLabel("\(side.rawValue).toeColour"), options: [("", "normal"), ("b", "blue"), ("k", "black")],
                           selected: form.value("\(side.rawValue).toeColour"), problem: problem("\(side.rawValue).toeColour"))
            body += "</div></fieldset>"
        }
        body += "<fieldset><legend>Both legs</legend><div class=\"row\">"
        body += input("acuteOnsetDays", checklistLabel("acuteOnsetDays"), value: form.value("acuteOnsetDays"), problem: problem("acuteOnsetDays"),
                      attributes: "inputmode=\"numeric\" size=\"5\"", hint: "Such as a foot that suddenly cannot move; empty if the onset was not sudden")
        body += input("wells", checklistLabel("wells"), value: form.value("wells"), problem: problem("wells"), attributes: "inputmode=\"numeric\" size=\"3\"",
                      hint: "-2 to 9; empty if not scored")
        body += "</div>"
        if let p = problem("fromBack") { body += "<span class=\"field-error\">\(e(p))</span>" }
        body += checkbox("fromBack", checklistLabel("fromBack"), checked: !form.value("fromBack").isEmpty)
        body += "</fieldset>"
        let cancel = amending.map { "/exams/\($0)" } ?? "/patients/\(id)"
        body += "<div class=\"actions\"><button type=\"submit\">\(amending == nil ? "Save the exam" : "Save the amendment")</button> <a href=\"\(cancel)\">Cancel</a></div>"
        body += "<p class=\"hint\">Saved, the exam is PRELIMINARY until a physician signs it off.</p></form>"
        return layout(title: heading, session: session, body: body)
    }

    /// The exam's details, shared by manual entry (`entered`: the time it was performed, and the
    /// toes' method) and the capture form (the methods of typed values): an open fieldset.
    static func examFields(_ form: ManualEntryForm, problems: [String: String], session: WebSession, entered: Bool) -> String {
        var html = "<fieldset><legend>The exam</legend><div class=\"row\">"
        html += input("indication", "Indication (required)", value: form.value("indication"), problem: problems["indication"],
                      attributes: "required maxlength=\"\(ManualEntry.indicationLimit)\"", hint: "Why the exam is done, e.g. calf pain on walking")
        if entered {
            html += input("performedAt", "Performed at", value: form.value("performedAt"), problem: problems["performedAt"], type: "datetime-local",
                          hint: "Leave empty for now; the station's local time")
        }
        html += input("operator", "Performed by", value: form.fields["operator"] ?? session.user, problem: problems["operator"], attributes: "maxlength=\"\(ManualEntry.operatorLimit)\"")
        html += input("position", "Position", value: form.fields["position"] ?? "supine", problem: problems["position"], attributes: "maxlength=\"\(ManualEntry.positionLimit)\"")
        html += input("restMinutes", "Minutes of rest", value: form.value("restMinutes"), problem: problems["restMinutes"], attributes: "inputmode=\"numeric\" size=\"4\"")
        html += "</div><div class=\"row\">"
        html += select("firstArm", "Arm measured first", options: [("right", "right"), ("left", "left")], selected: form.firstArm.rawValue)
        let methods = ManualEntryForm.methods.map { ($0.value.rawValue, $0.label) }
        let chosen = form.methodChoice
        html += select("method.arms", entered ? "Arms measured by" : "Typed arm values measured by", options: methods, selected: chosen.arms.rawValue)
        html += select("method.ankles", entered ? "Ankles measured by" : "Typed ankle values measured by", options: methods, selected: chosen.ankles.rawValue)
        if entered { html += select("method.toes", "Toes measured by", options: methods, selected: chosen.toes.rawValue) }
        return html + "</div>"
    }

    static func checklistLabel(_ key: String) -> String {
        let parts = key.split(separator: ".").map(String.init)
        let side = parts.count == 2 ? (Side(rawValue: parts[0])?.capitalized ?? "") + " " : ""
        switch parts.last ?? "" {
        case "walking": return side + "leg: metres walked before the claudication starts"
        case "woundWeeks": return side + "foot wound: weeks open"
        case "toeColour": return side + "toe colour"
        case "acuteOnsetDays": return "Days since a sudden onset"
        case "fromBack": return "The shooting pain starts in the back"
        case "wells": return "Wells DVT score"
        default: return key
        }
    }

    /// One site's fields: its state, the pressures (diastolic and pulse at the arms), the details.
    static func siteFields(_ form: ManualEntryForm, site: Site, number: Int?, problem: String?) -> String {
        let code = ManualEntryForm.code(site)
        let arm = site.kind == .brachial
        var html = "<fieldset class=\"site\(problem == nil ? "" : " invalid")\" id=\"site-\(code)\"><legend>\(number.map { "\($0). " } ?? "")\(e(site.words.capitalizedFirst)) <span class=\"code\">\(code)</span></legend>"
        if let problem { html += "<span class=\"field-error\" id=\"\(code)-error\">\(e(problem))</span>" }
        html += "<div class=\"row\">"
        html += select("\(code).state", "State", options: ManualEntryForm.states, selected: form.value("\(code).state").isEmpty ? "pressure" : form.value("\(code).state"))
        html += input("\(code).sys", "Systolic (mmHg)", value: form.value("\(code).sys"), problem: nil, attributes: "inputmode=\"numeric\" size=\"4\" autocomplete=\"off\"")
        if arm {
            html += input("\(code).dia", "Diastolic (mmHg)", value: form.value("\(code).dia"), problem: nil, attributes: "inputmode=\"numeric\" size=\"4\" autocomplete=\"off\"")
            html += input("\(code).pulse", "Pulse (/min)", value: form.value("\(code).pulse"), problem: nil, attributes: "inputmode=\"numeric\" size=\"4\" autocomplete=\"off\"")
        }
        html += input("\(code).detail", "Details", value: form.value("\(code).detail"), problem: nil, attributes: "maxlength=\"200\" autocomplete=\"off\"",
                      hint: "Noncompressible: the cuff pressure reached · not measured: why · device error: its code")
        return html + "</div></fieldset>"
    }

    /// The R5 prompt: the first arm measured again, or the single reading kept.
    static func repeatFields(_ form: ManualEntryForm, problem: String?) -> String {
        var html = "<fieldset class=\"site repeat\(problem == nil ? "" : " invalid")\" id=\"site-repeat\"><legend>R5: \(e(form.firstArm.capitalized)) arm again</legend>"
        if let problem { html += "<span class=\"field-error\" id=\"repeat-error\">\(e(problem))</span>" }
        html += "<div class=\"row\">"
        html += input("repeat.sys", "Systolic (mmHg)", value: form.value("repeat.sys"), problem: nil, attributes: "inputmode=\"numeric\" size=\"4\" autocomplete=\"off\"")
        html += input("repeat.dia", "Diastolic (mmHg)", value: form.value("repeat.dia"), problem: nil, attributes: "inputmode=\"numeric\" size=\"4\" autocomplete=\"off\"")
        html += input("repeat.pulse", "Pulse (/min)", value: form.value("repeat.pulse"), problem: nil, attributes: "inputmode=\"numeric\" size=\"4\" autocomplete=\"off\"")
        html += "</div>" + checkbox("repeat.keep", "Keep the single reading (the result then carries a first-arm-repeat-required warning)", checked: !form.value("repeat.keep").isEmpty)
        return html + "</fieldset>"
    }
}
