import ABICore

/// The report as one self-contained HTML file (no external assets): the same facts as the text
/// report, with an inline SVG body diagram that puts each pressure at its site and colours each
/// leg by its category, with the category also written out so that colour is never the only
/// label. Print styles fit A4 and Letter.
public enum HTMLReport {
    public static func render(_ report: ExamReport) -> String {
        let exam = report.exam, result = report.result
        var h = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8"/>
            <meta name="viewport" content="width=device-width, initial-scale=1"/>
            <title>ABI report \(e(exam.patient.id)) \(e(exam.details.performedOnWords))</title>
            <style>
            @page { size: auto; margin: 15mm; }
            body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10.5pt; color: #111; max-width: 180mm; margin: 0 auto; }
            h1 { font-size: 15pt; margin: 0 0 2mm 0; display: flex; justify-content: space-between; }
            h2 { font-size: 11.5pt; border-bottom: 1px solid #999; margin: 5mm 0 2mm 0; }
            table { border-collapse: collapse; width: 100%; }
            th, td { text-align: left; padding: 1mm 2mm; border-bottom: 1px solid #ddd; vertical-align: top; }
            .status { font-size: 11pt; font-weight: normal; }
            .superseded { color: #777; text-decoration: line-through; }
            .flag-emergency, .flag-urgent { font-weight: bold; }
            .layout { display: flex; gap: 6mm; align-items: flex-start; }
            .diagram { flex: 0 0 74mm; }
            .note { color: #444; font-size: 9pt; }
            .letterhead { display: flex; gap: 4mm; align-items: center; margin-bottom: 3mm; font-size: 9.5pt; }
            .letterhead img { max-height: 18mm; max-width: 50mm; }
            .notice { border: 2px solid #b00020; color: #b00020; padding: 4pt 6pt; }
            /* The patient on every printed page: a table header repeats at the top of each page. */
            table.page, table.page > tbody > tr > td, table.page > thead > tr > td { border: 0; padding: 0; }
            .running { font-size: 8pt; color: #444; border-bottom: 1px solid #ccc; padding-bottom: 1mm; }
            @media screen { table.page > thead { display: none; } }
            @media print { .layout { break-inside: avoid; } h2 { break-after: avoid; } }
            </style>
            </head>
            <body>

            """
        h += "<table class=\"page\"><thead><tr><td><div class=\"running\">ABI report · \(e(report.patientLine)) · exam \(e(exam.details.performedOnWords)) · \(e(report.statusWords))</div></td></tr></thead>\n<tbody><tr><td>\n"
        if !report.site.letterhead.isEmpty || report.site.logo != nil {
            h += "<div class=\"letterhead\">"
            if let logo = report.site.logo { h += "<img src=\"data:\(logo.mediaType);base64,\(Base64.encode(logo.bytes))\" alt=\"\(e(report.site.clinic ?? "logo"))\"/>" }
            h += "<div>" + report.site.letterhead.enumerated().map { $0.offset == 0 ? "<strong>\(e($0.element))</strong>" : e($0.element) }.joined(separator: "<br/>") + "</div></div>\n"
        }
        h += "<h1><span>Ankle-brachial index report</span><span class=\"status\">\(e(report.statusWords))</span></h1>\n"
        if !report.status.isSigned { h += "<p class=\"notice\"><strong>\(e(report.statusWords)): this report may change until a clinician signs it.</strong></p>\n" }
        for notice in report.revision.notices { h += "<p class=\"notice\"><strong>\(e(notice))</strong></p>\n" }
        h += "<table class=\"header\">\n"
        let p = exam.patient
        h += row("Patient", [p.id, p.name, p.birthDate.map { "born \($0)" }, p.sex?.rawValue, p.diabetes.map { $0 ? "diabetes" : "no diabetes" }].compactMap { $0 }.joined(separator: ", "))
        let d = exam.details
        h += row("Exam", [report.performedWords, d.position, d.restMinutes.map { "\($0) min rest" }, d.operator.map { "operator \($0)" }].compactMap { $0 }.joined(separator: ", "))
        if let indication = d.indication { h += row("Indication", indication) }
        h += "</table>\n"

        h += "<h2>Results</h2>\n<div class=\"layout\">\n<div class=\"diagram\">\n\(BodyDiagram(report).svg(width: "74mm"))</div>\n<div>\n"
        let b = result.brachial
        if let used = b.used, let side = b.usedSide {
            h += "<p>Brachial pressure used: <b>\(used) mmHg</b> (\(side.word) arm)" + (b.interArmDifference.map { "; inter-arm difference \($0) mmHg" } ?? "") + "</p>\n"
        } else {
            h += "<p><b>No brachial pressure:</b> no ABI or TBI can be calculated.</p>\n"
        }
        h += "<table class=\"results\">\n<tr><th></th><th>Right leg</th><th>Left leg</th></tr>\n"
        for row in report.resultRows {
            h += "<tr><th>\(e(row.label.trimmingLeadingSpaces))</th><td>\(e(row.right))</td><td>\(e(row.left))</td></tr>\n"
        }
        h += "</table>\n<p>Patient ABI: <b>\(result.patientAbi.map(Ratio.text) ?? "—")</b></p>\n"
        for note in report.resultNotes { h += "<p>\(e(note))</p>\n" }
        h += "</div>\n</div>\n"
        if !report.clinicalFindings.isEmpty {
            h += "<h2>Clinical findings (as recorded)</h2>\n<ul>\n"
            for line in report.clinicalFindings { h += "<li>\(e(line))</li>\n" }
            h += "</ul>\n"
        }

        h += "<h2>Flags</h2>\n"
        if result.flags.isEmpty { h += "<p>None.</p>\n" }
        else {
            h += "<ul>\n"
            for f in result.flags {
                h += "<li class=\"flag-\(f.level.rawValue)\">\(e(f.line))</li>\n"
            }
            h += "</ul>\n"
        }
        if !result.patterns.isEmpty {
            h += "<h2>Symptom patterns <span class=\"note\">(informational, never a diagnosis)</span></h2>\n<ul>\n"
            for pattern in result.patterns {
                h += "<li>\(e(pattern.side.capitalized)) leg fits the pattern of \(e(pattern.pattern.words)): \(e(pattern.matchedWords.joined(separator: ", ")))</li>\n"
            }
            h += "</ul>\n"
        }

        h += "<h2>Readings</h2>\n<table class=\"readings\">\n<tr><th>Site</th><th>Reading</th><th>Method</th><th>Device</th><th>Seq</th></tr>\n"
        for line in report.readings {
            let r = line.reading
            let site = (line.postExercise ? "after exercise: " : "") + r.site.words.capitalizedFirst
            let device = r.device.map { [$0.profile, $0.serial.map { "serial \($0)" }].compactMap { $0 }.joined(separator: ", ") } ?? ""
            h += "<tr\(line.superseded ? " class=\"superseded\"" : "")><td>\(e(site))</td><td>\(e(ExamReport.describe(r.state)))\(line.superseded ? " (superseded)" : "")</td><td>\(e(r.method?.rawValue ?? ""))</td><td>\(e(device))</td><td>\(r.seq)</td></tr>\n"
        }
        h += "</table>\n"

        if !report.doppler.isEmpty {
            h += "<h2>Doppler waveforms <span class=\"note\">(heard by abi; 2020 SVM/SVU words)</span></h2>\n"
            for w in report.doppler {
                h += "<figure class=\"doppler\">"
                if let picture = w.picture {
                    let png = DopplerSpectrumImage.png(picture, width: 1080, height: 390)
                    h += "<img src=\"data:image/png;base64,\(Base64.encode(png))\" width=\"540\" height=\"195\" alt=\"Doppler spectrum of the \(e(w.site.words)): \(e(w.description))\">"
                }
                h += "<figcaption>\(e(w.words))</figcaption></figure>\n"
            }
        }

        if let prior = report.priorExam {
            h += "<h2>Comparison with the prior exam</h2>\n<p>\(e(report.priorWords ?? ""))</p>\n<table>\n<tr><th></th><th>\(e(prior.performedAt.datePart))</th><th>\(e(exam.details.performedOnWords))</th></tr>\n"
            for side in [Side.right, .left] {
                h += "<tr><th>\(side.capitalized) ABI</th><td>\(prior.abi(side).map(Ratio.text) ?? "—")</td><td>\(result.leg(side).abi.map(Ratio.text) ?? "—")</td></tr>\n"
            }
            h += "</table>\n"
        }
        if report.signature.conclusion != nil || report.signatureLine != nil {
            h += "<h2>Conclusion</h2>\n"
            for paragraph in (report.signature.conclusion ?? "").split(separator: "\n") { h += "<p>\(e(String(paragraph)))</p>\n" }
            if let line = report.signatureLine { h += "<p class=\"signature\"><strong>\(e(line))</strong></p>\n" }
        }
        h += "<h2>Rules</h2>\n<p>\(e(report.rulesLine))</p>\n<ul class=\"note\">\n"
        for source in ExamReport.sources { h += "<li>\(e(source))</li>\n" }
        h += "</ul>\n</td></tr></tbody></table>\n</body>\n</html>\n"
        return h
    }

    private static func row(_ label: String, _ value: String) -> String {
        "<tr><th>\(e(label))</th><td>\(e(value))</td></tr>\n"
    }

    /// Escapes text for HTML element content and attribute values.
    public static func e(_ text: String) -> String {
        // The characters escaped are ASCII, so the UTF-8 bytes are escaped one by one; most texts
        // have none of them and are returned as they are.
        func special(_ b: UInt8) -> Bool { b == 0x26 || b == 0x3C || b == 0x3E || b == 0x22 || b == 0x27 }
        guard text.utf8.contains(where: special) else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 24)
        for b in text.utf8 {
            switch b {
            case 0x26: out.append(contentsOf: "&amp;".utf8)
            case 0x3C: out.append(contentsOf: "&lt;".utf8)
            case 0x3E: out.append(contentsOf: "&gt;".utf8)
            case 0x22: out.append(contentsOf: "&quot;".utf8)
            case 0x27: out.append(contentsOf: "&#39;".utf8)
            default: out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    var trimmingLeadingSpaces: String { String(drop { $0 == " " }) }
}
