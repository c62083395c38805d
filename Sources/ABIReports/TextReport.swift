import ABICore

/// The report as plain text for the terminal, at most 80 columns wide.
public enum TextReport {
    public static let width = 80

    public static func render(_ report: ExamReport) -> String {
        var out: [String] = []
        let rule = String(repeating: "-", count: width)
        let exam = report.exam, result = report.result
        for line in report.site.letterhead { out += wrap(line, indent: 0) }
        let title = "ANKLE-BRACHIAL INDEX REPORT"
        let status = report.statusWords
        // The status beside the title when it fits in 80 columns, else on its own lines below it.
        if title.count + 2 + status.count <= width {
            out.append(title + String(repeating: " ", count: width - title.count - status.count) + status)
        } else {
            out.append(title)
            out += wrap(status, indent: 2)
        }
        out.append(String(repeating: "=", count: width))
        for notice in report.revision.notices { out += wrap(notice, indent: 2) }

        let p = exam.patient
        var who = "Patient      \(p.id)"
        if let name = p.name { who += "  \(name)" }
        out += wrap(who, indent: 13)
        var facts: [String] = []
        if let b = p.birthDate { facts.append("born \(b)") }
        if let s = p.sex { facts.append(s.rawValue) }
        if let d = p.diabetes { facts.append(d ? "diabetes" : "no diabetes") }
        if !facts.isEmpty { out += wrap("             " + facts.joined(separator: ", "), indent: 13) }
        let d = exam.details
        var how = "Exam         \(report.performedWords)"
        if let position = d.position { how += ", \(position)" }
        if let rest = d.restMinutes { how += ", \(rest) min rest" }
        if let op = d.operator { how += ", operator \(op)" }
        out += wrap(how, indent: 13)
        if let indication = d.indication { out += wrap("Indication   \(indication)", indent: 13) }

        out.append(rule)
        out.append("READINGS")
        for line in report.readings {
            let r = line.reading
            var text = "\(line.postExercise ? "after exercise: " : "")\(r.site.words.capitalizedFirst): \(ExamReport.describe(r.state))"
            var details: [String] = ["seq \(r.seq)"]
            if let m = r.method { details.append(m.rawValue) }
            if let dev = r.device {
                details.append([dev.profile, dev.serial.map { "serial \($0)" }].compactMap { $0 }.joined(separator: " "))
            }
            text += " (\(details.filter { !$0.isEmpty }.joined(separator: ", ")))"
            if line.superseded { text += " SUPERSEDED" }
            out += wrap("  " + text, indent: 4)
        }

        if !report.doppler.isEmpty {
            out.append(rule)
            out.append("DOPPLER WAVEFORMS (heard by abi; 2020 SVM/SVU words)")
            for w in report.doppler { out += wrap("  " + w.words, indent: 4) }
        }

        out.append(rule)
        out.append("RESULTS")
        let b = result.brachial
        if let used = b.used, let side = b.usedSide {
            var text = "Brachial pressure used: \(used) mmHg (\(side.word) arm)"
            if let diff = b.interArmDifference { text += "; inter-arm difference \(diff) mmHg" }
            out += wrap(text, indent: 0)
        } else {
            out.append("No brachial pressure: no ABI or TBI can be calculated.")
        }
        out.append(column("", "Right leg", "Left leg"))
        for row in report.resultRows { out.append(column(row.label, row.right, row.left)) }
        out.append("Patient ABI: " + (result.patientAbi.map(Ratio.text) ?? "—"))
        for note in report.resultNotes { out += wrap(note, indent: 2) }
        if !report.clinicalFindings.isEmpty {
            out.append(rule)
            out.append("CLINICAL FINDINGS (as recorded)")
            for line in report.clinicalFindings { out += wrap("  " + line, indent: 4) }
        }

        out.append(rule)
        out.append("FLAGS")
        if result.flags.isEmpty { out.append("  none") }
        for f in result.flags {
            out += wrap("  " + f.line, indent: 4)
        }
        if !result.patterns.isEmpty {
            out.append(rule)
            out.append("SYMPTOM PATTERNS (informational, never a diagnosis)")
            for pattern in result.patterns {
                out += wrap("  \(pattern.side.capitalized) leg fits the pattern of \(pattern.pattern.words): \(pattern.matchedWords.joined(separator: ", "))", indent: 4)
            }
        }
        if let prior = report.priorExam {
            out.append(rule)
            out.append("COMPARISON WITH THE PRIOR EXAM")
            if let words = report.priorWords { out += wrap("  " + words, indent: 2) }
            for side in [Side.right, .left] {
                let before = prior.abi(side).map(Ratio.text) ?? "—"
                let now = result.leg(side).abi.map(Ratio.text) ?? "—"
                out.append("  \(side.capitalized) ABI: \(before) on \(prior.performedAt.datePart), \(now) on \(exam.details.performedOnWords)")
            }
        }
        if report.signature.conclusion != nil || report.signatureLine != nil {
            out.append(rule)
            out.append("CONCLUSION")
            if let conclusion = report.signature.conclusion {
                for paragraph in conclusion.split(separator: "\n", omittingEmptySubsequences: false) { out += wrap("  " + paragraph, indent: 2) }
            }
            if let line = report.signatureLine { out += wrap("  " + line, indent: 2) }
        }
        out.append(rule)
        out += wrap(report.rulesLine, indent: 7)
        out.append("Sources:")
        for source in ExamReport.sources { out += wrap("  " + source, indent: 4) }
        return out.joined(separator: "\n") + "\n"
    }

    static func column(_ label: String, _ right: String, _ left: String) -> String {
        let line = label.padded(24) + right.padded(28) + left
        return line.count <= width ? line : String(line.prefix(width))
    }

    /// Word-wraps `text` to 80 columns, continuation lines indented.
    static func wrap(_ text: String, indent: Int) -> [String] {
        var lines: [String] = []
        let leading = text.prefix { $0 == " " }
        var current = String(leading)
        var first = true
        // Empty words keep runs of spaces (the label columns) as they are.
        for word in text.dropFirst(leading.count).split(separator: " ", omittingEmptySubsequences: false) {
            let candidate = first ? current + word : current + " " + word
            first = false
            if candidate.count > width && !current.isEmpty {
                lines.append(current)
                current = String(repeating: " ", count: indent) + word
            } else {
                current = candidate
            }
        }
        lines.append(current)
        // A single word longer than the width is cut, never allowed past it.
        return lines.flatMap { line -> [String] in
            guard line.count > width else { return [line] }
            var parts: [String] = []
            var rest = Substring(line)
            while rest.count > width {
                parts.append(String(rest.prefix(width)))
                rest = rest.dropFirst(width)
            }
            parts.append(String(rest))
            return parts
        }
    }
}

extension String {
    func padded(_ n: Int) -> String { count >= n ? self + " " : self + String(repeating: " ", count: n - count) }
}
