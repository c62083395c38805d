import ABIAudio
import ABICore
import Foundation

/// The report as a PDF of A4 pages: the same facts, in the same order, as the HTML report, with
/// the body diagram drawn as vector paths and every word set as real text by Pango (any script,
/// the fonts embedded) and drawn by Cairo.
///
/// The page is laid out first, as marks on pages, and drawn after, so that the footer of each
/// page can say "page 1 of 2" and a section can be moved to the next page to keep the reference
/// list company.
public enum PDFReport {
    public static func render(_ report: ExamReport) -> [UInt8] {
        var missing = 0
        return render(report, missingCharacters: &missing)
    }

    /// The PDF, and in `missingCharacters` how many characters of it no installed font could
    /// draw (shown as boxes with their code: the machine needs more fonts).
    public static func render(_ report: ExamReport, missingCharacters: inout Int) -> [UInt8] {
        let page = Layout()
        let exam = report.exam, result = report.result

        // Letterhead, with the logo at the right.
        let logo = report.site.logo.flatMap { PDFTypesetter.current.logo($0.bytes, mediaType: $0.mediaType) }
        let logoTop = page.y
        var logoBox: (width: Double, height: Double)?
        if let logo {
            let scale = min(44 / logo.height, 150 / logo.width)
            logoBox = (logo.width * scale, logo.height * scale)
        }
        let letterheadWidth = Layout.width - (logoBox.map { $0.width + 12 } ?? 0)
        for (i, line) in report.site.letterhead.enumerated() { page.paragraph(line, bold: i == 0, size: 9.5, width: letterheadWidth) }
        if let logo, let box = logoBox {
            page.marks[page.current].append(.image(logo, x: Layout.right - box.width, y: logoTop, width: box.width, height: box.height))
            page.y = max(page.y, logoTop + box.height + 4)
        }

        let title = page.text("Ankle-brachial index report", bold: true, size: 15)
        let status = page.text(report.statusWords, size: 10)
        if status.width < Layout.width - title.width - 20 {
            page.place(title, x: Layout.left, y: page.y)
            page.place(status, x: Layout.right - status.width, y: page.y + title.baseline - status.baseline)
            page.y += title.height + 6
        } else {
            page.place(title, x: Layout.left, y: page.y)
            page.y += title.height + 4
            page.paragraph(report.statusWords, size: 10)
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
        let top = page.y, diagramPage = page.current
        page.draw(BodyDiagram(report), x: Layout.right - diagramWidth, y: top, scale: scale)
        let columnWidth = Layout.width - diagramWidth - 12
        let b = result.brachial
        if let used = b.used, let side = b.usedSide {
            page.paragraph("Brachial pressure used: \(used) mmHg (\(side.word) arm)" + (b.interArmDifference.map { "; inter-arm difference \($0) mmHg" } ?? ""), width: columnWidth)
        } else {
            page.paragraph("No brachial pressure: no ABI or TBI can be calculated.", bold: true, width: columnWidth)
        }
        let label = 118.0, leg = (columnWidth - label) / 2
        page.table(columns: [label, leg, leg], rows: [["", "Right leg", "Left leg"]] + report.resultRows.map { [$0.label.trimmingLeadingSpaces, $0.right, $0.left] },
                   boldFirstColumn: true, boldFirstRow: true)
        page.paragraph("Patient ABI: " + (result.patientAbi.map(Ratio.text) ?? "—"), bold: true, width: columnWidth)
        for note in report.resultNotes { page.paragraph(note, width: columnWidth) }
        if page.current == diagramPage { page.y = max(page.y, top + BodyDiagram.height * scale + 6) }

        if !report.clinicalFindings.isEmpty {
            page.heading("Clinical findings (as recorded)")
            for line in report.clinicalFindings { page.paragraph(line, indent: 8) }
        }
        page.heading("Flags")
        if result.flags.isEmpty { page.paragraph("None.") }
        for f in result.flags {
            page.paragraph(f.line, bold: f.level == .emergency || f.level == .urgent, indent: 8)
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

        if !report.doppler.isEmpty {
            page.heading("Doppler waveforms (heard by abi; 2020 SVM/SVU words)", keepingWith: 170)
            for waveform in report.doppler {
                if let picture = waveform.picture {
                    var captioned = picture
                    captioned.caption = waveform.words
                    let height = Layout.width * 0.32
                    page.needs(height + 8)
                    page.marks[page.current].append(.doppler(captioned, x: Layout.left, y: page.y, width: Layout.width, height: height))
                    page.y += height + 8
                } else {
                    page.paragraph(waveform.words)
                }
            }
        }

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
            // The conclusion and the signature stay together on one page.
            let paragraphs = (report.signature.conclusion ?? "").split(separator: "\n").map { page.text(String($0), size: 9.5, width: Layout.width) }
                + [report.signatureLine.map { page.text($0, size: 9.5, width: Layout.width) }].compactMap { $0 }
            page.heading("Conclusion", keepingWith: paragraphs.map { $0.height + 4 }.reduce(0, +))
            for text in paragraphs { page.paragraph(text) }
        }

        // The references go with what comes before them: never alone on a page.
        let rules = [page.text(report.rulesLine, size: 9.5, width: Layout.width)]
            + ExamReport.sources.map { page.text("• " + $0, size: 8, width: Layout.width - 8) }
        page.keepWithPrevious(Layout.headingHeight + rules.map { $0.height * Layout.leading + 2 }.reduce(0, +))
        page.heading("Rules")
        page.paragraph(rules[0])
        for source in rules.dropFirst() { page.paragraph(source, indent: 8) }

        let canvas = PDFCanvas(title: "ABI report \(exam.patient.id) \(exam.details.performedOnWords)")
        let count = page.marks.count
        for (i, marks) in page.marks.enumerated() {
            if i > 0 { canvas.nextPage() }
            if let mark = report.status.watermark {
                // Under everything else on the page, across it from the lower left.
                canvas.text(page.text(mark, bold: true, size: 64, colour: "#e4e4e4"), baselineX: 110, baselineY: PDFCanvas.pageHeight - 170, angle: atan2(0.6, 0.8))
            }
            for mark in marks { mark.draw(on: canvas) }
            let footer = page.text("ABI report · \(report.patientLine) · exam \(exam.details.performedOnWords) · page \(i + 1) of \(count)",
                                   size: 7.5, width: Layout.width, ellipsize: true, colour: "#555555")
            canvas.text(footer, x: Layout.left, y: PDFCanvas.pageHeight - 24 - footer.baseline)
        }
        missingCharacters = page.missingCharacters
        return canvas.finish()
    }

    /// One thing drawn on a page, placed by the layout.
    enum Mark {
        case line(PDFText, Int, x: Double, y: Double)
        case text(PDFText, x: Double, y: Double)
        case path([(x: Double, y: Double)], closed: Bool, stroke: String?, width: Double, fill: String?)
        case circle(cx: Double, cy: Double, r: Double, stroke: String?, width: Double, fill: String?)
        case image(PDFImage, x: Double, y: Double, width: Double, height: Double)
        /// A site's Doppler spectrum (drawn by DopplerSpectrumImage, as vectors and an image).
        case doppler(SpectrumPicture, x: Double, y: Double, width: Double, height: Double)
        /// Horizontal lines, stroked together.
        case rules([(x0: Double, x1: Double, y: Double)], stroke: String, width: Double)

        func draw(on canvas: PDFCanvas) {
            switch self {
            case .line(let text, let i, let x, let y): canvas.line(text, i, x: x, y: y)
            case .text(let text, let x, let y): canvas.text(text, x: x, y: y)
            case .path(let points, let closed, let stroke, let width, let fill): canvas.path(points, closed: closed, stroke: stroke, width: width, fill: fill)
            case .circle(let cx, let cy, let r, let stroke, let width, let fill): canvas.circle(cx: cx, cy: cy, r: r, stroke: stroke, width: width, fill: fill)
            case .image(let image, let x, let y, let width, let height): canvas.image(image, x: x, y: y, width: width, height: height)
            case .doppler(let picture, let x, let y, let width, let height): canvas.doppler(picture, x: x, y: y, width: width, height: height)
            case .rules(let lines, let stroke, let width): canvas.rules(lines, stroke: stroke, width: width)
            }
        }

        /// The same mark `dy` points lower.
        func moved(by dy: Double) -> Mark {
            switch self {
            case .line(let text, let i, let x, let y): .line(text, i, x: x, y: y + dy)
            case .text(let text, let x, let y): .text(text, x: x, y: y + dy)
            case .path(let points, let closed, let stroke, let width, let fill): .path(points.map { ($0.x, $0.y + dy) }, closed: closed, stroke: stroke, width: width, fill: fill)
            case .circle(let cx, let cy, let r, let stroke, let width, let fill): .circle(cx: cx, cy: cy + dy, r: r, stroke: stroke, width: width, fill: fill)
            case .image(let image, let x, let y, let width, let height): .image(image, x: x, y: y + dy, width: width, height: height)
            case .doppler(let picture, let x, let y, let width, let height): .doppler(picture, x: x, y: y + dy, width: width, height: height)
            case .rules(let lines, let stroke, let width): .rules(lines.map { ($0.x0, $0.x1, $0.y + dy) }, stroke: stroke, width: width)
            }
        }
    }

    /// Flowing layout: a cursor that moves down the page and starts a new page when full.
    final class Layout {
        static let left = 45.0
        static let right = PDFCanvas.pageWidth - 45
        static let width = right - left
        static let top = 42.0
        static let bottom = PDFCanvas.pageHeight - 48
        static let headingHeight = 28.0
        /// Line advance in a paragraph, as a multiple of the font's own line height.
        static let leading = 1.12

        let typesetter = PDFTypesetter.current
        var marks: [[Mark]] = [[]]
        var y = top
        var current: Int { marks.count - 1 }
        /// Where the last section (from its heading) and the last paragraph or table row began.
        private var sectionStart: (index: Int, y: Double)?
        private var blockStart: (index: Int, y: Double)?

        /// Characters of the texts set so far that no installed font has.
        var missingCharacters = 0

        func text(_ string: String, bold: Bool = false, size: Double, width: Double? = nil, ellipsize: Bool = false, colour: String = "#111111") -> PDFText {
            let text = typesetter.text(string, bold: bold, size: size, width: width, ellipsize: ellipsize, colour: colour)
            missingCharacters += text.missingCharacters
            return text
        }

        func place(_ text: PDFText, x: Double, y: Double) { marks[current].append(.text(text, x: x, y: y)) }

        /// Starts a new page unless `height` more points fit on this one.
        func needs(_ height: Double) {
            if y + height > Layout.bottom { newPage() }
        }

        private func newPage() {
            flushRules()
            marks.append([])
            y = Layout.top
            sectionStart = nil
            blockStart = nil
        }

        /// Makes room for `height` points that must not start a page alone: when they do not fit,
        /// the last section (or, when that is long, its last paragraph or row) moves with them to
        /// the next page.
        func keepWithPrevious(_ height: Double) {
            guard y + height > Layout.bottom, height < Layout.bottom - Layout.top else { return }
            let limit = (Layout.bottom - Layout.top) / 3
            let start = [sectionStart, blockStart].compactMap { $0 }.first { y - $0.y <= limit && y - $0.y + height <= Layout.bottom - Layout.top }
            var moved = start.map { Array(marks[current][$0.index...]) } ?? []
            if let start {
                marks[current].removeSubrange(start.index...)
                // A table's rules are one mark: the lines above the moved part stay.
                moved = moved.compactMap { mark in
                    guard case .rules(let lines, let stroke, let width) = mark else { return mark }
                    let staying = lines.filter { $0.y < start.y }
                    if !staying.isEmpty { marks[current].append(.rules(staying, stroke: stroke, width: width)) }
                    let going = lines.filter { $0.y >= start.y }
                    return going.isEmpty ? nil : .rules(going, stroke: stroke, width: width)
                }
            }
            let shift = start.map { Layout.top - $0.y } ?? 0
            let end = y
            newPage()
            marks[current] = moved.map { $0.moved(by: shift) }
            y = start == nil ? Layout.top : end + shift
        }

        func heading(_ text: String, keepingWith following: Double = 12) {
            needs(Layout.headingHeight + max(12, following))  // a heading never ends a page
            sectionStart = (marks[current].count, y)
            y += 8
            place(self.text(text, bold: true, size: 11.5), x: Layout.left, y: y)
            marks[current].append(.path([(Layout.left, y + 15), (Layout.right, y + 15)], closed: false, stroke: "#999999", width: 0.6, fill: nil))
            y += 20
        }

        func paragraph(_ string: String, bold: Bool = false, size: Double = 9.5, indent: Double = 0, width: Double = Layout.width) {
            paragraph(text(string, bold: bold, size: size, width: width - indent), indent: indent)
        }

        /// A measured text, line by line, each line where it fits.
        func paragraph(_ text: PDFText, indent: Double = 0) {
            blockStart = (marks[current].count, y)
            for (i, line) in text.lines.enumerated() {
                needs(line.height * Layout.leading)
                marks[current].append(.line(text, i, x: Layout.left + indent, y: y))
                y += line.height * Layout.leading
            }
            y += 2
        }

        func table(columns: [Double], rows: [[String]], size: Double = 9, boldFirstColumn: Bool = false,
                   boldFirstRow: Bool = false, greyRows: Set<Int> = []) {
            for (r, row) in rows.enumerated() {
                let cells = row.indices.map { c in
                    text(row[c], bold: (boldFirstRow && r == 0) || (boldFirstColumn && c == 0), size: size, width: columns[c] - 6,
                         colour: greyRows.contains(r) ? "#666666" : "#111111")
                }
                let height = (cells.map(\.height).max() ?? size) + 4
                // The first row never stays apart from what introduces the table.
                if r == 0 { keepWithPrevious(height) } else { needs(height) }
                blockStart = (marks[current].count, y)
                var x = Layout.left
                for (c, cell) in cells.enumerated() {
                    if !row[c].isEmpty { place(cell, x: x, y: y + 2) }
                    x += columns[c]
                }
                y += height
                rules.append((Layout.left, Layout.left + columns.reduce(0, +) - 6, y - 1))
            }
            flushRules()
            y += 4
        }

        /// The rules under the rows of the table being laid out on this page: drawn as one path.
        private var rules: [(x0: Double, x1: Double, y: Double)] = []

        private func flushRules() {
            guard !rules.isEmpty else { return }
            marks[current].append(.rules(rules.map { ($0.x0, $0.x1, $0.y) }, stroke: "#dddddd", width: 0.5))
            rules = []
        }

        /// The body diagram, its box `BodyDiagram.width × scale` wide, at (x, y).
        func draw(_ diagram: BodyDiagram, x: Double, y: Double, scale: Double) {
            func point(_ p: (x: Double, y: Double)) -> (x: Double, y: Double) { (x + p.x * scale, y + p.y * scale) }
            let head = diagram.head
            marks[current].append(.circle(cx: x + head.cx * scale, cy: y + head.cy * scale, r: head.r * scale, stroke: "#333333", width: 2 * scale, fill: head.fill))
            for line in diagram.lines {
                marks[current].append(.path(line.points.map(point), closed: line.closed, stroke: line.colour, width: line.width * scale, fill: line.fill))
            }
            for label in diagram.labels {
                let text = self.text(label.text, bold: label.bold, size: BodyDiagram.fontSize * scale)
                let start = label.alignRight ? x + label.x * scale - text.width : x + label.x * scale
                place(text, x: start, y: y + label.y * scale - text.baseline)
            }
        }
    }
}
