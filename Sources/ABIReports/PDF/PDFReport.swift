import ABICore

/// The report as a PDF of one or two A4 pages: the same facts, in the same order, as the HTML
/// report, with the body diagram drawn as vector paths and every word set as real text.
public enum PDFReport {
    public static func render(_ report: ExamReport) -> [UInt8] {
        var page = Layout()
        let exam = report.exam, result = report.result

        for (i, line) in report.site.letterhead.enumerated() { page.paragraph(line, font: i == 0 ? .bold : .regular, size: 9.5) }
        page.writer.text("Ankle-brachial index report", x: Layout.left, y: page.y + 14, font: .bold, size: 15)
        let status = report.statusWords
        let statusSize = 10.0
        let statusWidth = PDFWriter.width(of: status, font: .regular, size: statusSize)
        if statusWidth < Layout.width - 230 {
            page.writer.text(status, x: Layout.right - statusWidth, y: page.y + 14, size: statusSize)
            page.y += 24
        } else {
            page.y += 24
            page.paragraph(status, size: statusSize)
        }
        for notice in report.revision.notices { page.paragraph(notice, size: 11) }

        let p = exam.patient, d = exam.details
        var header: [(String, String)] = [
            ("Patient", [p.id, p.name, p.birthDate.map { "born \($0)" }, p.sex?.rawValue, p.diabetes.map { $0 ? "diabetes" : "no diabetes" }].compactMap { $0 }.joined(separator: ", ")),
            ("Exam", [report.performedWords, d.position, d.restMinutes.map { "\($0) min rest" }, d.operator.map { "operator \($0)" }].compactMap { $0 }.joined(separator: ", ")),
        ]
        if let indication = d.indication { header.append(("Indication", indication)) }
        page.table(columns: [70, Layout.width - 70], rows: header.map { [$0.0, $0.1] }, boldFirstColumn: true)

        // Results beside the diagram.
        page.heading("Results")
        let diagramWidth = 200.0
        let scale = diagramWidth / BodyDiagram.width
        page.needs(BodyDiagram.height * scale + 8)
        let top = page.y
        page.draw(BodyDiagram(report), x: Layout.right - diagramWidth, y: top, scale: scale)
        let columnWidth = Layout.width - diagramWidth - 12
        let b = result.brachial
        if let used = b.used, let side = b.usedSide {
            page.paragraph("Brachial pressure used: \(used) mmHg (\(side.word) arm)" + (b.interArmDifference.map { "; inter-arm difference \($0) mmHg" } ?? ""), width: columnWidth)
        } else {
            page.paragraph("No brachial pressure: no ABI or TBI can be calculated.", font: .bold, width: columnWidth)
        }
        let label = 118.0, leg = (columnWidth - label) / 2
        page.table(columns: [label, leg, leg], rows: [["", "Right leg", "Left leg"]] + report.resultRows.map { [$0.label.trimmingLeadingSpaces, $0.right, $0.left] },
                   boldFirstColumn: true, boldFirstRow: true)
        page.paragraph("Patient ABI: " + (result.patientAbi.map(Ratio.text) ?? "—"), font: .bold, width: columnWidth)
        for note in report.resultNotes { page.paragraph(note, width: columnWidth) }
        page.y = max(page.y, top + BodyDiagram.height * scale + 6)

        if !report.clinicalFindings.isEmpty {
            page.heading("Clinical findings (as recorded)")
            for line in report.clinicalFindings { page.paragraph(line, indent: 8) }
        }
        page.heading("Flags")
        if result.flags.isEmpty { page.paragraph("None.") }
        for f in result.flags {
            let urgent = f.level == .emergency || f.level == .urgent
            page.paragraph(f.line, font: urgent ? .bold : .regular, indent: 8)
        }
        if !result.patterns.isEmpty {
            page.heading("Symptom patterns (informational, never a diagnosis)")
            for pattern in result.patterns {
                page.paragraph("\(pattern.side.capitalized) leg fits the pattern of \(pattern.pattern.words): \(pattern.matchedWords.joined(separator: ", "))", indent: 8)
            }
        }

        page.heading("Readings")
        var rows = [["Site", "Reading", "Method", "Device", "Seq"]]
        for line in report.readings {
            let r = line.reading
            let device = r.device.map { [$0.profile, $0.serial.map { "serial \($0)" }].compactMap { $0 }.joined(separator: ", ") } ?? ""
            rows.append([(line.postExercise ? "after exercise: " : "") + r.site.words.capitalizedFirst,
                         ExamReport.describe(r.state) + (line.superseded ? " (superseded)" : ""),
                         r.method?.rawValue ?? "", device, "\(r.seq)"])
        }
        page.table(columns: [120, 170, 75, 115, Layout.width - 480], rows: rows, boldFirstRow: true,
                   greyRows: Set(report.readings.indices.filter { report.readings[$0].superseded }.map { $0 + 1 }))

        if let prior = report.priorExam {
            page.heading("Comparison with the prior exam")
            if let words = report.priorWords { page.paragraph(words) }
            var rows = [["", prior.performedAt.datePart, exam.details.performedOnWords]]
            for side in [Side.right, .left] {
                rows.append(["\(side.capitalized) ABI", prior.abi(side).map(Ratio.text) ?? "—", result.leg(side).abi.map(Ratio.text) ?? "—"])
            }
            page.table(columns: [120, 120, 120], rows: rows, boldFirstColumn: true, boldFirstRow: true)
        }
        if report.signature.conclusion != nil || report.signatureLine != nil {
            page.heading("Conclusion")
            for paragraph in (report.signature.conclusion ?? "").split(separator: "\n") { page.paragraph(String(paragraph)) }
            if let line = report.signatureLine { page.paragraph(line) }
        }
        page.heading("Rules")
        page.paragraph(report.rulesLine)
        for source in ExamReport.sources { page.paragraph("• " + source, size: 8, indent: 8) }

        // Footers, now that the number of pages is known.
        let count = page.writer.pageCount
        for i in 0..<count {
            let footer = "ABI report · \(report.patientLine) · exam \(exam.details.performedOnWords) · page \(i + 1) of \(count)"
            page.writer.text(Layout.fit(footer, font: .regular, size: 7.5, width: Layout.width), x: Layout.left, y: PDFWriter.pageHeight - 24,
                             size: 7.5, colour: "#555555", page: i)
            if let mark = report.status.watermark { page.writer.watermark(mark, page: i) }
        }
        return page.writer.document(title: "ABI report \(exam.patient.id) \(exam.details.performedOnWords)")
    }

    /// Flowing layout: a cursor that moves down the page and starts a new page when full.
    struct Layout {
        static let left = 45.0
        static let right = PDFWriter.pageWidth - 45
        static let width = right - left
        static let top = 42.0
        static let bottom = PDFWriter.pageHeight - 48

        var writer = PDFWriter()
        var y = top

        init() { writer.addPage() }

        /// Starts a new page unless `height` more points fit on this one.
        mutating func needs(_ height: Double) {
            if y + height > Layout.bottom {
                writer.addPage()
                y = Layout.top
            }
        }

        mutating func heading(_ text: String) {
            needs(40)  // a heading never ends a page
            y += 8
            writer.text(text, x: Layout.left, y: y + 11, font: .bold, size: 11.5)
            writer.lines([(Layout.left, y + 15), (Layout.right, y + 15)], colour: "#999999", width: 0.6)
            y += 20
        }

        mutating func paragraph(_ text: String, font: PDFWriter.Font = .regular, size: Double = 9.5, indent: Double = 0, width: Double = Layout.width) {
            for line in Layout.wrap(text, font: font, size: size, width: width - indent) {
                needs(size * 1.35)
                writer.text(line, x: Layout.left + indent, y: y + size, font: font, size: size)
                y += size * 1.35
            }
            y += 2
        }

        mutating func table(columns: [Double], rows: [[String]], size: Double = 9, boldFirstColumn: Bool = false,
                            boldFirstRow: Bool = false, greyRows: Set<Int> = []) {
            let leading = size * 1.3
            for (r, row) in rows.enumerated() {
                var cells: [[String]] = []
                for (c, cell) in row.enumerated() {
                    let font: PDFWriter.Font = (boldFirstRow && r == 0) || (boldFirstColumn && c == 0) ? .bold : .regular
                    cells.append(Layout.wrap(cell, font: font, size: size, width: columns[c] - 6))
                }
                let height = Double(cells.map(\.count).max() ?? 1) * leading + 4
                needs(height)
                var x = Layout.left
                for (c, lines) in cells.enumerated() {
                    let font: PDFWriter.Font = (boldFirstRow && r == 0) || (boldFirstColumn && c == 0) ? .bold : .regular
                    for (i, line) in lines.enumerated() {
                        writer.text(line, x: x, y: y + size + 1 + Double(i) * leading, font: font, size: size,
                                    colour: greyRows.contains(r) ? "#666666" : "#111111")
                    }
                    x += columns[c]
                }
                y += height
                writer.lines([(Layout.left, y - 1), (Layout.left + columns.reduce(0, +) - 6, y - 1)], colour: "#dddddd", width: 0.5)
            }
            y += 4
        }

        mutating func draw(_ diagram: BodyDiagram, x: Double, y: Double, scale: Double) {
            func point(_ p: (x: Double, y: Double)) -> (x: Double, y: Double) { (x + p.x * scale, y + p.y * scale) }
            let head = diagram.head
            writer.circle(cx: x + head.cx * scale, cy: y + head.cy * scale, r: head.r * scale, width: 2 * scale, fill: head.fill)
            for line in diagram.lines {
                writer.lines(line.points.map(point), closed: line.closed, colour: line.colour, width: line.width * scale, fill: line.fill)
            }
            for label in diagram.labels {
                let size = BodyDiagram.fontSize * scale, font: PDFWriter.Font = label.bold ? .bold : .regular
                let start = label.alignRight ? x + label.x * scale - PDFWriter.width(of: label.text, font: font, size: size) : x + label.x * scale
                writer.text(label.text, x: start, y: y + label.y * scale, font: font, size: size)
            }
        }

        /// Word-wraps `text` to lines no wider than `width`; a word wider than a line is broken.
        static func wrap(_ text: String, font: PDFWriter.Font, size: Double, width: Double) -> [String] {
            var lines: [String] = []
            var current = ""
            for word in text.split(separator: " ") {
                let candidate = current.isEmpty ? String(word) : current + " " + word
                if PDFWriter.width(of: candidate, font: font, size: size) <= width {
                    current = candidate
                    continue
                }
                if !current.isEmpty { lines.append(current) }
                current = ""
                var rest = Substring(word)
                while PDFWriter.width(of: String(rest), font: font, size: size) > width {
                    var n = rest.count - 1
                    while n > 1 && PDFWriter.width(of: String(rest.prefix(n)), font: font, size: size) > width { n -= 1 }
                    lines.append(String(rest.prefix(n)))
                    rest = rest.dropFirst(n)
                }
                current = String(rest)
            }
            if !current.isEmpty || lines.isEmpty { lines.append(current) }
            return lines
        }

        /// `text` cut with an ellipsis to fit `width`.
        static func fit(_ text: String, font: PDFWriter.Font, size: Double, width: Double) -> String {
            guard PDFWriter.width(of: text, font: font, size: size) > width else { return text }
            var cut = Substring(text)
            while !cut.isEmpty && PDFWriter.width(of: cut + "…", font: font, size: size) > width { cut = cut.dropLast() }
            return cut + "…"
        }
    }
}
