import ABICapture
import ABICore
import ABIStore

/// The pages of a live capture. They are whole without the script (every command is a form that
/// shows the page again); the script (abi.js) makes them live: the cuff pressure and its curve,
/// the device banner, the current site and the readings follow the capture as it happens, and the
/// Space key (or a foot pedal that types Space) marks.
extension Page {
    /// The device choice: the live list of the station (the script keeps it current).
    static func deviceSelect(_ devices: [OfferedDevice], selected: String, problem: String?) -> String {
        var options: [(value: String, label: String)] = [("", "No device: type the values")]
        for device in devices {
            var label = device.port
            if let product = device.product { label += " · \(product)" }
            if let profile = device.profile {
                label += " · \(profile) (\(device.boundBy ?? "?"))"
            } else {
                label += " · no profile (an admin binds it)"
            }
            if !device.present { label += " · not plugged in" }
            options.append((device.port, label))
        }
        return "<div data-live-devices=\"\">" + select("device", "Device", options: options, selected: selected, problem: problem)
            + "<span class=\"hint\">The list follows the devices as they are plugged in and out. A device is used only with its profile.</span></div>"
    }

    static func captureForm(_ patient: Patient, form: ManualEntryForm, devices: [OfferedDevice], trouble: String?, problems: [String: String],
                            session: WebSession) -> String {
        func problem(_ key: String) -> String? { problems[key] }
        var body = "<h1>Start a capture <span class=\"id\">\(patientLink(patient.id)) · \(e(patient.name ?? ""))</span></h1>"
        let labels = [("device", "Device"), ("indication", "Indication"), ("operator", "Performed by"), ("position", "Position"), ("restMinutes", "Minutes of rest")]
        body += problemSummary(labels.compactMap { key, label in problem(key).map { (key, label, $0) } })
        if let trouble { body += "<p class=\"banner\">\(e(trouble))</p>" }
        body += "<form method=\"post\" action=\"/patients/\(pathSegment(patient.id))/captures\" class=\"form\" novalidate>\(csrfField(session))"
        body += "<fieldset><legend>Device</legend>" + deviceSelect(devices, selected: form.value("device"), problem: problem("device")) + "</fieldset>"
        body += examFields(form, problems: problems, session: session, entered: false)
        body += checkbox("toes", "Also take the toe pressures", checked: !form.value("toes").isEmpty) + "</fieldset>"
        body += "<div class=\"actions\"><button type=\"submit\">Start the capture</button> <a href=\"/patients/\(pathSegment(patient.id))\">Cancel</a></div>"
        body += "<p class=\"hint\">Every reading is saved as it is accepted: closing the browser, a server restart or a pulled cable loses nothing, and the capture resumes from the worklist.</p></form>"
        return layout(title: "Start a capture", session: session, body: body, script: true)
    }

    static func resumeForm(_ stored: Store.StoredExam, form: ManualEntryForm, devices: [OfferedDevice], last: DeviceIdentity?, problem: String?,
                           session: WebSession) -> String {
        let readings = stored.exam.readings.count
        var body = "<h1>Resume the capture of exam \(stored.id) <span class=\"id\">\(patientLink(stored.exam.patient.id)) · \(e(stored.exam.patient.name ?? ""))</span></h1>"
        body += "<p>This capture is in progress with \(readings) reading\(readings == 1 ? "" : "s") saved; nothing is running for it now (the browser was closed before it was saved, or the server restarted). It goes on at the next site.</p>"
        if let port = last?.port {
            body += "<p>Its last device: \(e(port))\(last?.profile.map { " (\(e($0)))" } ?? "").</p>"
        }
        body += "<form method=\"post\" action=\"/captures/\(stored.id)/resume\" class=\"form\">\(csrfField(session))"
        body += deviceSelect(devices, selected: form.value("device"), problem: problem)
        body += "<div class=\"actions\"><button type=\"submit\">Resume the capture</button> <a href=\"/exams/\(stored.id)\">See the exam so far</a></div></form>"
        return layout(title: "Resume a capture", session: session, body: body, script: true)
    }

    /// A command button: a form of its own, so that it works without the script.
    static func commandButton(_ exam: Int64, _ command: String, _ label: String, session: WebSession, id: String? = nil, hidden: Bool = false,
                              kind: String = "") -> String {
        "<form method=\"post\" action=\"/captures/\(exam)/command\" class=\"command\"\(hidden ? " hidden" : "")\(id.map { " id=\"\($0)\"" } ?? "")>\(csrfField(session))"
            + "<input type=\"hidden\" name=\"command\" value=\"\(e(command))\"><button type=\"submit\"\(kind.isEmpty ? "" : " class=\"\(kind)\"")>\(e(label))</button></form>"
    }

    static func capture(_ patient: Patient, state: LiveCapture.Snapshot, diagram: String, session: WebSession) -> String {
        let exam = state.exam
        var body = "<div class=\"capture\" data-capture=\"\(exam)\">"
        body += "<h1>Capture, exam \(exam) <span class=\"id\">\(patientLink(patient.id)) · \(e(patient.name ?? ""))</span></h1>"
        body += "<p id=\"banner\" class=\"device-banner \(e(state.connection ?? "none"))\" role=\"status\"\(state.banner == nil ? " hidden" : "")>\(e(state.banner ?? ""))</p>"
        body += "<p id=\"ended\" class=\"banner\" role=\"alert\"\(state.ended == nil ? " hidden" : "")>\(e(state.ended ?? "")) <a href=\"/exams/\(exam)\">Open the exam</a></p>"
        body += "<div class=\"live\"><div class=\"diagram\" id=\"diagram\">\(diagram)</div><div class=\"panel\">"
        body += "<p id=\"prompt\" class=\"prompt\" aria-live=\"polite\">\(e(state.prompt ?? ""))</p>"
        body += "<div class=\"cuff\"><span class=\"label\">Cuff</span> <output id=\"cuff\" class=\"digits\" aria-live=\"off\">\(state.cuff.map(String.init) ?? "—")</output> <span class=\"unit\">mmHg</span>"
        body += " <span id=\"deflation\" class=\"hint\">\(state.deflation.map { "falling \($0) mmHg/s" } ?? "")</span>"
        body += "<p id=\"too-fast\" class=\"error\"\(state.tooFast ? "" : " hidden")>Deflating too fast: aim for 2–3 mmHg/s.</p>"
        body += "<svg id=\"curve\" class=\"curve\" viewBox=\"-10000 0 10000 300\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"Cuff pressure over the last 10 seconds\"><polyline id=\"curve-line\" points=\"\(state.curve.map { "\($0[0]),\(300 - $0[1])" }.joined(separator: " "))\"/></svg></div>"
        // The commands of the measuring sequence.
        body += "<div class=\"commands\" id=\"commands\">"
        body += commandButton(exam, "mark", "Mark (Space)", session: session, id: "mark", hidden: state.device == nil || state.automaticCuff, kind: "primary")
        body += commandButton(exam, "auto", "Auto: measure", session: session, id: "auto", hidden: !state.automaticCuff, kind: "primary")
        body += commandButton(exam, "s", "Stop cuff", session: session, id: "stop", hidden: !state.automaticCuff, kind: "danger")
        body += commandButton(exam, "a", "Absent", session: session)
        body += commandButton(exam, "n", "Noncompressible", session: session)
        body += commandButton(exam, "k", "Keep single reading (R5)", session: session, id: "keep", hidden: !state.keys.contains("k keep"))
        body += commandButton(exam, "next", "Move on", session: session, id: "next", hidden: !state.keys.contains("next move on"))
        body += "</div>"
        // A typed value (or an answer to a symptom question), as typed at the site shown.
        body += "<form method=\"post\" action=\"/captures/\(exam)/command\" class=\"typed\" id=\"typed\">\(csrfField(session))"
        body += "<input type=\"hidden\" name=\"typedAt\" id=\"typedAt\" value=\"\(e(state.site ?? ""))\">"
        body += "<label for=\"text\" id=\"text-label\">\(state.question == nil ? "Type a value (132, 132/80 p72, n 250, x reason, e code)" : "Your answer")</label>"
        body += "<div class=\"row\"><input id=\"text\" name=\"text\" autocomplete=\"off\" inputmode=\"text\"><button type=\"submit\">Enter</button></div></form>"
        // Skip the site, saying why (amputation, wound dressing, refused, suspected DVT…).
        body += "<form method=\"post\" action=\"/captures/\(exam)/command\" class=\"typed\">\(csrfField(session))<input type=\"hidden\" name=\"command\" value=\"x\">"
        body += "<label for=\"skip-reason\">Not measured here, because</label><div class=\"row\"><input id=\"skip-reason\" name=\"text\" autocomplete=\"off\" maxlength=\"200\" required>"
        body += "<button type=\"submit\">Skip the site</button></div></form>"
        body += "<form method=\"post\" action=\"/captures/\(exam)/command\" class=\"typed row\">\(csrfField(session))<input type=\"hidden\" name=\"command\" value=\"r\">"
        body += select("text", "Measure a site again", options: state.sites.map { ($0.code, "\($0.words) (\($0.code))") }, selected: state.site ?? "").replacingOccurrences(of: "id=\"text\"", with: "id=\"redo-site\"").replacingOccurrences(of: "for=\"text\"", with: "for=\"redo-site\"")
        body += "<button type=\"submit\">Redo</button></form>"
        body += "<div class=\"row finish\">" + commandButton(exam, "save", "Save the exam", session: session, id: "save", hidden: state.phase != "review", kind: "primary")
        body += commandButton(exam, "q", "Stop for now (keep it in progress)", session: session) + "</div>"
        body += "</div></div>"
        // What was accepted, with its time, and what the session said.
        body += "<div class=\"live\"><section><h2>Sites</h2><table><thead><tr><th scope=\"col\">Site</th><th scope=\"col\">Reading</th><th scope=\"col\">Time</th></tr></thead><tbody id=\"sites\">"
        for site in state.sites {
            body += "<tr\(site.code == state.site ? " class=\"current\"" : "")><td>\(e(site.words)) (\(e(site.code)))</td><td>\(e(site.value ?? "—"))</td><td>\(e(site.time ?? ""))</td></tr>"
        }
        body += "</tbody></table></section><section><h2>Messages</h2><ul id=\"messages\" class=\"messages\">"
        body += state.messages.reversed().map { "<li class=\"\(e($0.kind))\"><span class=\"time\">\(e($0.at))</span> \(e($0.text))</li>" }.joined()
        body += "</ul></section></div>"
        body += "<section><h2>Readings accepted</h2><table><thead><tr><th scope=\"col\">Time (UTC)</th><th scope=\"col\">Site</th><th scope=\"col\">Reading</th></tr></thead><tbody id=\"readings\">"
        body += state.readings.map { "<tr><td>\(e($0.time ?? ""))</td><td>\(e($0.words))</td><td>\(e($0.value ?? ""))</td></tr>" }.joined()
        body += "</tbody></table></section></div>"
        return layout(title: "Capture, exam \(exam)", session: session, body: body, script: true)
    }
}
