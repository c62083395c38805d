import ABICore
import ABIReports
import ABIStore

/// Pages are HTML written on the server: one layout, every value escaped, no inline script or
/// style (the Content-Security-Policy forbids them), the stylesheet served by abi itself.
enum Page {
    static func e(_ text: String) -> String { HTMLReport.e(text) }

    /// A whole page: the header with the user and sign-out (when signed in), then `body`.
    static func layout(title: String, session: WebSession?, body: String, script: Bool = false) -> String {
        var header = "<header><a class=\"brand\" href=\"/\">abi</a>"
        if let session {
            header += "<nav><span class=\"who\">\(e(session.user)) · \(e(session.role.rawValue))</span>"
            header += "<form method=\"post\" action=\"/signout\">\(csrfField(session))<button type=\"submit\">Sign out</button></form></nav>"
        }
        header += "</header>"
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(e(title)) · abi</title>
            <link rel="icon" href="/assets/abi.svg" type="image/svg+xml">
            <link rel="stylesheet" href="/assets/abi.css">
            \(script ? "<script src=\"/assets/abi.js\" defer></script>\n" : "")</head>
            <body>
            \(header)
            <main>
            \(body)
            </main>
            </body>
            </html>

            """
    }

    static func csrfField(_ session: WebSession) -> String {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(e(session.csrf))\">"
    }

    static func signIn(message: String?, name: String) -> String {
        var body = "<h1>Sign in</h1>"
        if let message { body += "<p class=\"error\" role=\"alert\">\(e(message))</p>" }
        body += """
            <form method="post" action="/signin" class="signin">
            <label for="name">User name</label>
            <input id="name" name="name" autocomplete="username" required value="\(e(name))">
            <label for="password">Password</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required>
            <button type="submit">Sign in</button>
            </form>
            """
        return layout(title: "Sign in", session: nil, body: body)
    }

    static func worklist(_ list: Store.Worklist, search: String?, found: [Patient]?, session: WebSession) -> String {
        func table(_ caption: String, _ entries: [Store.WorklistEntry], empty: String, link: String = "/exams/") -> String {
            var html = "<section><h2>\(e(caption))</h2>"
            guard !entries.isEmpty else { return html + "<p class=\"empty\">\(e(empty))</p></section>" }
            html += "<table><thead><tr><th scope=\"col\">Patient</th><th scope=\"col\">Name</th><th scope=\"col\">Exam</th><th scope=\"col\">Performed</th><th scope=\"col\">Status</th></tr></thead><tbody>"
            for entry in entries {
                html += "<tr><td>\(patientLink(entry.patientId))</td><td>\(e(entry.patientName ?? ""))</td><td><a href=\"\(link)\(entry.examId)\">\(entry.examId)\(link == "/exams/" ? "" : " (resume)")</a></td>"
                html += "<td>\(e(minute(entry.performedAt))) UTC</td><td>\(e(statusWords(entry.status)))</td></tr>"
            }
            return html + "</tbody></table></section>"
        }
        var body = "<h1>Worklist</h1><p class=\"actions\"><a class=\"button\" href=\"/patients/new\">Add a patient</a></p>"
        body += """
            <form method="post" action="/search" class="search" role="search">
            \(csrfField(session))
            <label for="q">Find a patient (id or name)</label>
            <input id="q" name="q" value="\(e(search ?? ""))">
            <button type="submit">Find</button>
            </form>
            """
        if let found {
            body += "<section><h2>Patients matching “\(e(search ?? ""))”</h2>"
            if found.isEmpty {
                body += "<p class=\"empty\">No patient has that id or name.</p>"
            } else {
                body += "<ul class=\"patients\">" + found.map { "<li>\(patientLink($0.id)) · \(e($0.name ?? "(no name)"))\($0.birthDate.map { " · born \(e($0))" } ?? "")</li>" }.joined() + "</ul>"
            }
            body += "</section>"
        }
        body += table("Captures in progress", list.inProgress, empty: "No capture is in progress.", link: "/captures/")
        body += table("Waiting for sign-off", list.awaitingSignOff, empty: "No preliminary exam is waiting.")
        body += table("Today", list.today, empty: "No exam today yet.")
        return layout(title: "Worklist", session: session, body: body)
    }

    /// A patient id as one segment of a path: every byte but the unreserved ones percent-encoded.
    static func pathSegment(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A stored time (`2026-11-29T09:30:00.123Z`) as a list shows it: `2026-11-29 09:30`.
    static func minute(_ time: String) -> String {
        var bytes = Array(time.utf8.prefix(16))
        if bytes.count > 10, bytes[10] == UInt8(ascii: "T") { bytes[10] = UInt8(ascii: " ") }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func patientLink(_ id: String) -> String { "<a href=\"/patients/\(pathSegment(id))\">\(e(id))</a>" }

    /// The exams listed on a patient's page unless all are asked for (the chart shows them all).
    static let recentExams = 50

    static func patient(_ patient: Patient, history: [Store.HistoryEntry], all: Bool = false, session: WebSession) -> String {
        var body = "<h1>\(e(patient.name ?? "(no name)")) <span class=\"id\">\(e(patient.id))</span></h1>"
        body += "<dl class=\"demographics\">"
        body += "<dt>Patient id</dt><dd>\(e(patient.id))</dd>"
        body += "<dt>Name</dt><dd>\(e(patient.name ?? "not recorded"))</dd>"
        body += "<dt>Born</dt><dd>\(e(patient.birthDate ?? "not recorded"))</dd>"
        body += "<dt>Sex</dt><dd>\(e(patient.sex?.rawValue ?? "not recorded"))</dd>"
        body += "<dt>Diabetes</dt><dd>\(patient.diabetes.map { $0 ? "yes" : "no" } ?? "not recorded")</dd>"
        body += "</dl>"
        body += "<p class=\"actions\"><a class=\"button\" href=\"/patients/\(pathSegment(patient.id))/captures/new\">Start a capture</a> "
        body += "<a class=\"button\" href=\"/patients/\(pathSegment(patient.id))/exams/new\">Enter an exam by hand</a> "
        body += "<a href=\"/patients/\(pathSegment(patient.id))/edit\">Change details</a></p>"
        body += "<section><h2>ABI over time</h2>\(AbiChart.svg(history))</section>"
        body += "<section><h2>Exams</h2>"
        if history.isEmpty {
            body += "<p class=\"empty\">No exam yet (captures in progress are on the worklist).</p>"
        } else {
            body += "<table><thead><tr><th scope=\"col\">Exam</th><th scope=\"col\">Performed</th><th scope=\"col\">Status</th><th scope=\"col\">Right ABI</th><th scope=\"col\">Left ABI</th><th scope=\"col\">Change (R18)</th></tr></thead><tbody>"
            let shown = all ? history.reversed() : history.suffix(recentExams).reversed()
            for entry in shown {
                func leg(_ abi: Int?, _ category: String?) -> String { (abi.map(Ratio.text) ?? "—") + (category.map { " (\($0))" } ?? "") }
                body += "<tr><td><a href=\"/exams/\(entry.id)\">\(entry.id)</a></td><td>\(e(minute(entry.performedAt))) UTC</td>"
                body += "<td>\(e(statusWords(entry.status)))</td><td>\(e(leg(entry.rightAbi, entry.rightCategory)))</td><td>\(e(leg(entry.leftAbi, entry.leftCategory)))</td>"
                body += "<td>\(entry.changes.isEmpty ? "" : entry.changes.map { e($0.message) }.joined(separator: "<br>"))</td></tr>"
            }
            body += "</tbody></table>"
            if shown.count < history.count {
                body += "<p>The latest \(shown.count) of \(history.count) exams. <a href=\"/patients/\(pathSegment(patient.id))?all=1\">Show all \(history.count)</a></p>"
            }
        }
        body += "</section>"
        return layout(title: patient.name ?? patient.id, session: session, body: body)
    }

    /// The formats an exam's report can be downloaded in: path name, label, file extension.
    static let formats: [(name: String, label: String, ext: String)] = [
        ("pdf", "PDF", "pdf"), ("html", "HTML", "html"), ("text", "Text", "txt"),
        ("csv", "CSV (research)", "csv"), ("fhir", "FHIR R4", "fhir.json"), ("hl7", "HL7 v2.5", "hl7"),
    ]

    static func exam(_ stored: Store.StoredExam, report: ExamReport, audit: [Store.AuditEvent] = [], session: WebSession, discardProblem: String? = nil) -> String {
        let result = report.result
        var body = "<h1>Exam \(stored.id) <span class=\"id\">\(patientLink(stored.exam.patient.id)) · \(e(stored.exam.patient.name ?? "")) · \(e(report.performedWords))</span></h1>"
        body += "<p class=\"status\">\(e(report.statusWords))</p>"
        if let reason = stored.discardReason { body += "<p class=\"banner\" role=\"alert\">DISCARDED: \(e(reason)). This exam is kept in the store but is not reported.</p>" }
        for notice in report.revision.notices { body += "<p class=\"banner\">\(e(notice))</p>" }
        // Emergency and urgent flags first, in a banner that cannot be missed.
        let pressing = result.flags.filter { $0.level == .emergency || $0.level == .urgent }
        if !pressing.isEmpty {
            body += "<div class=\"alert\" role=\"alert\"><ul>" + pressing.map { "<li>\(e($0.line))</li>" }.joined() + "</ul></div>"
        }
        body += "<div class=\"result\"><div class=\"diagram\">\(BodyDiagram(report).svg(width: "100%"))</div><div>"
        body += "<table><thead><tr><th scope=\"col\"></th><th scope=\"col\">Right leg</th><th scope=\"col\">Left leg</th></tr></thead><tbody>"
        for row in report.resultRows {
            body += "<tr><th scope=\"row\">\(e(row.label.trimmingCharacters(in: .whitespaces)))</th><td>\(e(row.right))</td><td>\(e(row.left))</td></tr>"
        }
        body += "</tbody></table>"
        body += "<p><strong>Patient ABI: \(e(result.patientAbi.map(Ratio.text) ?? "—"))</strong></p>"
        for note in report.resultNotes { body += "<p>\(e(note))</p>" }
        body += "</div></div>"
        if !report.clinicalFindings.isEmpty {
            body += "<section><h2>Clinical findings (as recorded)</h2><ul>" + report.clinicalFindings.map { "<li>\(e($0))</li>" }.joined() + "</ul></section>"
        }
        body += "<section><h2>Flags</h2>"
        body += result.flags.isEmpty ? "<p>None.</p>" : "<ul class=\"flags\">" + result.flags.map { "<li class=\"\($0.level.rawValue)\">\(e($0.line))</li>" }.joined() + "</ul>"
        body += "</section>"
        if !result.patterns.isEmpty {
            body += "<section><h2>Symptom patterns (informational, never a diagnosis)</h2><ul>"
            body += result.patterns.map { "<li>\(e($0.side.capitalized)) leg fits the pattern of \(e($0.pattern.words)): \(e($0.matchedWords.joined(separator: ", ")))</li>" }.joined()
            body += "</ul></section>"
        }
        if let prior = report.priorWords { body += "<section><h2>Comparison with the prior exam</h2><p>\(e(prior))</p></section>" }
        if report.signature.conclusion != nil || report.signatureLine != nil {
            body += "<section><h2>Conclusion</h2>"
            for paragraph in (report.signature.conclusion ?? "").split(separator: "\n") { body += "<p>\(e(String(paragraph)))</p>" }
            if let line = report.signatureLine { body += "<p>\(e(line))</p>" }
            body += "</section>"
        }
        body += "<p class=\"rules\">\(e(report.rulesLine))</p>"
        if stored.status == .preliminary, stored.discardReason == nil, stored.amendedBy == nil {
            body += signOffForm(stored, report: report, session: session, message: nil, conclusion: nil)
        }
        body += changeForms(stored, session: session, discardProblem: discardProblem)
        if stored.discardReason == nil {
            body += "<section><h2>Report</h2><ul class=\"downloads\">"
            body += formats.map { "<li><a href=\"/exams/\(stored.id)/report/\($0.name)\" download>\(e($0.label))</a></li>" }.joined()
            body += "</ul></section>"
        }
        if !audit.isEmpty {
            body += "<section><h2>Audit trail</h2><table><thead><tr><th scope=\"col\">Time (UTC)</th><th scope=\"col\">Who</th><th scope=\"col\">What</th><th scope=\"col\">Detail</th></tr></thead><tbody>"
            for event in audit {
                body += "<tr><td>\(e(event.at.replacingOccurrences(of: "T", with: " ").prefix(19).description))</td><td>\(e(event.actor))</td><td>\(e(event.action.replacingOccurrences(of: "-", with: " ")))</td><td>\(e(event.detail ?? ""))</td></tr>"
            }
            body += "</tbody></table></section>"
        }
        return layout(title: "Exam \(stored.id)", session: session, body: body)
    }

    /// Sign-off, for physicians: the conclusion (drafted from the result, to accept or replace)
    /// and the password typed again. Others see who may sign.
    static func signOffForm(_ stored: Store.StoredExam, report: ExamReport, session: WebSession, message: String?, conclusion: String?) -> String {
        var html = "<section id=\"sign-off\"><h2>Sign-off</h2>"
        guard session.role == .physician else {
            return html + "<p>A physician signs this exam off; it stays PRELIMINARY until then.</p></section>"
        }
        if let message { html += "<p class=\"error\" role=\"alert\">\(e(message))</p>" }
        html += """
            <form method="post" action="/exams/\(stored.id)/signoff" class="signoff">
            \(csrfField(session))
            <label for="conclusion">Interpretation and conclusion</label>
            <textarea id="conclusion" name="conclusion" rows="5" required>\(e(conclusion ?? ExamReport.draftConclusion(report.result)))</textarea>
            <label for="signoff-password">Your password, to sign</label>
            <input id="signoff-password" name="password" type="password" autocomplete="current-password" required>
            <button type="submit">Sign as \(e(session.user)), physician</button>
            </form></section>
            """
        return html
    }

    /// Amendment (physicians; a new version with its reason) and discard (a preliminary exam or a
    /// capture entered in error, with its reason). A signed exam is amended, never discarded.
    static func changeForms(_ stored: Store.StoredExam, session: WebSession, discardProblem: String?) -> String {
        guard stored.discardReason == nil, stored.amendedBy == nil else { return "" }
        var html = ""
        if session.role == .physician, stored.status != .inProgress {
            html += "<p><a class=\"button\" href=\"/exams/\(stored.id)/amend\">Amend this exam</a> <span class=\"hint\">A new version with the reason; this one is kept.</span></p>"
        }
        if stored.status != .final {
            html += "<details class=\"discard\"\(discardProblem == nil ? "" : " open")><summary>Discard this exam</summary>"
            html += "<form method=\"post\" action=\"/exams/\(stored.id)/discard\" class=\"form\">\(csrfField(session))"
            html += input("reason", "Why it is discarded (entered in error, wrong patient…)", value: "", problem: discardProblem, attributes: "required maxlength=\"500\"")
            html += "<p class=\"hint\">A discarded exam stays in the store and the audit trail, and is no longer reported or compared.</p>"
            html += "<button type=\"submit\" class=\"danger\">Discard</button></form></details>"
        }
        return html.isEmpty ? "" : "<section><h2>Changes</h2>\(html)</section>"
    }

    static func statusWords(_ status: Store.Status) -> String {
        switch status {
        case .inProgress: "in progress (INCOMPLETE)"
        case .preliminary: "PRELIMINARY, not signed"
        case .final: "signed"
        }
    }

    static func message(_ title: String, _ text: String, session: WebSession?) -> String {
        layout(title: title, session: session, body: "<h1>\(e(title))</h1><p>\(e(text))</p><p><a href=\"/\">Back to the worklist</a></p>")
    }

    /// The app's icon (served by abi itself): a falling cuff-pressure trace with the mark where
    /// the signal returns.
    static let icon = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1d5fa8"/>\
        <polyline points="5,7 9,7 11,12 15,15 19,19 23,22 27,25" fill="none" stroke="#fff" stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"/>\
        <circle cx="15" cy="15" r="3.2" fill="#f0b429"/></svg>

        """

    static let stylesheet = """
        :root { color-scheme: light; --ink: #111; --muted: #555; --line: #d5d5d5; --accent: #1d5fa8; --alert: #8e1b1b; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.45 "DejaVu Sans", system-ui, sans-serif; color: var(--ink); background: #fafafa; }
        header { display: flex; justify-content: space-between; align-items: center; padding: .5rem 1rem; background: #fff; border-bottom: 1px solid var(--line); }
        header .brand { font-weight: bold; font-size: 1.2rem; color: var(--accent); text-decoration: none; }
        header nav { display: flex; gap: 1rem; align-items: center; }
        header form { margin: 0; }
        main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
        h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
        h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
        table { border-collapse: collapse; width: 100%; background: #fff; }
        th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); }
        label { display: block; margin: .6rem 0 .2rem; font-weight: bold; }
        input { font: inherit; padding: .4rem .5rem; border: 1px solid #888; border-radius: 4px; min-width: 16rem; }
        button { font: inherit; padding: .4rem .9rem; border: 1px solid var(--accent); border-radius: 4px; background: var(--accent); color: #fff; cursor: pointer; }
        header button { background: #fff; color: var(--accent); }
        .signin { max-width: 22rem; display: grid; gap: .2rem; }
        .signin button { margin-top: 1rem; }
        .search { display: flex; gap: .5rem; align-items: end; flex-wrap: wrap; }
        .search label { margin: 0 0 .4rem; flex-basis: 100%; }
        .error { color: var(--alert); font-weight: bold; }
        .empty, .who, .id { color: var(--muted); }
        h1 .id { font-size: 1rem; font-weight: normal; }
        .demographics { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
        .demographics dt { font-weight: bold; }
        .demographics dd { margin: 0; }
        .chart { width: 100%; max-width: 44rem; height: auto; background: #fff; border: 1px solid var(--line); }
        .legend .key { margin-right: 1rem; }
        .legend .right { color: #1d5fa8; } .legend .left { color: #8e1b1b; } .legend .change { color: #8a4a00; }
        a { color: var(--accent); }
        .alert { border: 3px solid var(--alert); background: #fdecea; color: var(--alert); font-weight: bold; padding: .5rem 1rem; margin: 1rem 0; }
        .banner { border-left: 6px solid #e07b00; background: #fff4e5; padding: .5rem 1rem; font-weight: bold; }
        .status { font-weight: bold; }
        .result { display: grid; grid-template-columns: minmax(14rem, 22rem) 1fr; gap: 1.5rem; align-items: start; }
        .diagram { background: #fff; border: 1px solid var(--line); padding: .5rem; }
        .flags .emergency, .flags .urgent { color: var(--alert); font-weight: bold; }
        .downloads { display: flex; gap: 1rem; list-style: none; padding: 0; flex-wrap: wrap; }
        .rules { color: var(--muted); }
        .signoff { display: grid; gap: .2rem; max-width: 44rem; }
        .signoff button { justify-self: start; margin-top: .8rem; }
        textarea { font: inherit; padding: .4rem .5rem; border: 1px solid #888; border-radius: 4px; }
        .form fieldset { border: 1px solid var(--line); background: #fff; margin: 0 0 1rem; padding: .5rem 1rem 1rem; }
        .form legend { font-weight: bold; padding: 0 .3rem; }
        .form .row { display: flex; flex-wrap: wrap; gap: 0 1rem; align-items: end; }
        .form .field input, .form .field select { min-width: 0; }
        .form .row .field input[size] { width: auto; }
        .field { display: flex; flex-direction: column; }
        .field label { margin-bottom: .2rem; }
        .hint { color: var(--muted); font-size: .9rem; display: block; }
        .field-error { color: var(--alert); font-weight: bold; display: block; }
        .invalid input, .invalid select, fieldset.invalid { border-color: var(--alert); border-width: 2px; }
        .problems { border: 3px solid var(--alert); background: #fdecea; padding: .5rem 1rem; margin: 1rem 0; }
        .problems h2 { margin-top: .3rem; color: var(--alert); }
        .checks { display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); gap: .2rem 1rem; }
        .check { display: flex; gap: .4rem; align-items: center; }
        .check label { display: inline; margin: 0; font-weight: normal; }
        .check input { min-width: 0; width: 1.2rem; height: 1.2rem; }
        .code { color: var(--muted); font-weight: normal; font-size: .85rem; }
        select { font: inherit; padding: .4rem .5rem; border: 1px solid #888; border-radius: 4px; background: #fff; }
        .actions { display: flex; gap: 1rem; align-items: center; margin: 1rem 0; }
        a.button { display: inline-block; padding: .4rem .9rem; border: 1px solid var(--accent); border-radius: 4px; background: var(--accent); color: #fff; text-decoration: none; }
        button.danger { background: var(--alert); border-color: var(--alert); }
        .discard summary { cursor: pointer; color: var(--alert); font-weight: bold; }
        .live { display: grid; grid-template-columns: minmax(14rem, 22rem) 1fr; gap: 1.5rem; align-items: start; }
        .prompt { font-size: 1.3rem; font-weight: bold; margin: 0 0 .5rem; }
        .cuff { background: #fff; border: 1px solid var(--line); padding: .5rem 1rem; }
        .cuff .digits { font-size: 4rem; font-weight: bold; font-variant-numeric: tabular-nums; }
        .cuff .label, .cuff .unit { color: var(--muted); }
        .curve { width: 100%; height: 6rem; background: #fafafa; border: 1px solid var(--line); }
        .curve polyline { fill: none; stroke: var(--accent); stroke-width: 3; vector-effect: non-scaling-stroke; }
        .commands, .finish { display: flex; flex-wrap: wrap; gap: .5rem; margin: .8rem 0; }
        .command { margin: 0; }
        button.primary { font-size: 1.15rem; padding: .6rem 1.2rem; }
        .typed { margin: .5rem 0; }
        .typed .row, .row { display: flex; gap: .5rem; align-items: end; flex-wrap: wrap; }
        .device-banner { padding: .5rem 1rem; font-weight: bold; border-left: 6px solid var(--muted); background: #fff; }
        .device-banner.connected, .device-banner.reconnected { border-color: #2e7d32; }
        .device-banner.disconnected, .device-banner.unavailable, .device-banner.silent { border-color: var(--alert); background: #fdecea; color: var(--alert); }
        .site-mark { fill: none; stroke: #1d5fa8; stroke-width: 1.5; }
        .site-mark.current { stroke: #d97706; stroke-width: 5; }
        tr.current { background: #fff4e5; font-weight: bold; }
        .messages { list-style: none; padding: 0; margin: 0; }
        .messages li { padding: .2rem 0; border-bottom: 1px solid var(--line); }
        .messages .refused, .messages .problem { color: var(--alert); font-weight: bold; }
        .messages .recorded { color: #2e7d32; }
        .messages .time { color: var(--muted); font-variant-numeric: tabular-nums; }
        :focus-visible { outline: 3px solid #f0b429; outline-offset: 2px; }

        """
}
