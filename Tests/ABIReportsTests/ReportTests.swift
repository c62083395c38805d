import ABICore
import ABIReports
import Foundation
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite struct ReportTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let vectors = root.appendingPathComponent("Tests/Fixtures/vectors")

    static func exam(_ url: URL) throws -> Exam { try ExamFile.decode(Array(Data(contentsOf: url))) }

    static let goldenExams: [(String, URL)] = [
        ("pad", root.appendingPathComponent("samples/pad.exam.json")),
        ("noncompressible-with-toes", root.appendingPathComponent("samples/noncompressible-with-toes.exam.json")),
        ("v06-inter-arm-difference", vectors.appendingPathComponent("v06-inter-arm-difference.exam.json")),
        ("v13-exercise", vectors.appendingPathComponent("v13-exercise.exam.json")),
    ]

    /// Compares with the golden file; ABI_UPDATE_GOLDEN=1 writes it instead (review the diff).
    static func matchGolden(_ name: String, _ text: String) throws {
        let url = golden.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["ABI_UPDATE_GOLDEN"] == "1" {
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(text == expected, "\(name) differs from its golden file; if the change is intended, run with ABI_UPDATE_GOLDEN=1 and review the diff")
    }

    @Test("Text reports match their golden files", arguments: goldenExams.map(\.0))
    func textGolden(_ name: String) throws {
        let url = ReportTests.goldenExams.first { $0.0 == name }!.1
        try ReportTests.matchGolden("\(name).txt", TextReport.render(ExamReport(exam: try ReportTests.exam(url))))
    }

    @Test("CSV reports match their golden files", arguments: goldenExams.map(\.0))
    func csvGolden(_ name: String) throws {
        let url = ReportTests.goldenExams.first { $0.0 == name }!.1
        try ReportTests.matchGolden("\(name).csv", CSVReport.headerLine + CSVReport.rows(ExamReport(exam: try ReportTests.exam(url))))
    }

    @Test("HTML reports match their golden files", arguments: goldenExams.map(\.0))
    func htmlGolden(_ name: String) throws {
        let url = ReportTests.goldenExams.first { $0.0 == name }!.1
        try ReportTests.matchGolden("\(name).html", HTMLReport.render(ExamReport(exam: try ReportTests.exam(url))))
    }

    @Test("HTML is well-formed (an XML parser reads it), self-contained, escapes text, and holds the values and the diagram")
    func htmlChecks() throws {
        for url in ReportTests.allVectors + [ReportTests.root.appendingPathComponent("samples/pad.exam.json")] {
            var exam = try ReportTests.exam(url)
            exam.patient.name = "<script>alert('x')</script> & Co"
            let report = ExamReport(exam: exam)
            let html = HTMLReport.render(report)
            let document = try XMLDocument(data: Data(html.utf8), options: [])
            #expect(document.rootElement()?.name == "html")
            #expect(!html.contains("<script>"))
            #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co"))
            #expect(!html.contains("http://") || html.components(separatedBy: "http://").count == 2)  // only the SVG namespace
            #expect(!html.contains("src=") && !html.contains("<link"))
            #expect(html.contains("<svg"))
            for leg in [report.result.right, report.result.left] {
                if let abi = leg.abi { #expect(html.contains(Ratio.text(abi))) }
                // The category is written out, not only shown as a colour.
                #expect(html.contains(BodyDiagram.legStyle(leg).label))
            }
        }
    }

    @Test("HL7 v2.5 ORU^R01 for every vector passes hl7apy's strict validation, delimiters in text escaped")
    func hl7() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("abi-hl7-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var files: [String] = []
        let now = Timestamp("2026-11-26T12:00:00Z")!
        for (i, url) in (ReportTests.allVectors + [ReportTests.root.appendingPathComponent("samples/pad.exam.json")]).enumerated() {
            var exam = try ReportTests.exam(url)
            if i == 0 {
                exam.patient.id = "MRN|42^~\\&"
                exam.patient.name = "O'Brien|Smith, Ann^Marie"
                exam.details.indication = "line one\nline two & more"
            }
            let message = HL7Report.render(ExamReport(exam: exam), controlId: "T\(i)", now: now)
            #expect(message.hasPrefix("MSH|^~\\&|ABI|"))
            #expect(message.contains("|ORU^R01^ORU_R01|T\(i)|P|2.5||||||UNICODE UTF-8\r"))
            let file = dir.appendingPathComponent("\(i).hl7")
            try message.write(to: file, atomically: true, encoding: .utf8)
            files.append(file.path)
            if i == 0 {
                #expect(message.contains("MRN\\F\\42\\S\\\\R\\\\E\\\\T\\^^^^MR"))
                #expect(message.contains("line one\\X0D\\line two \\T\\ more"))
            }
            // Each used pressure is an OBX with the MDC code and unit.
            for leg in [ExamReport(exam: exam).result.right, ExamReport(exam: exam).result.left] {
                if let abi = leg.abi { #expect(message.contains("|ABI^Ankle-brachial index^L|\(leg.side.rawValue)|\(Ratio.text(abi))|")) }
            }
        }
        let python = ReportTests.root.appendingPathComponent(".build-python/bin/python3")
        let process = Process()
        process.executableURL = python
        process.arguments = [ReportTests.root.appendingPathComponent("Tests/ABIReportsTests/Validators/hl7_validate.py").path] + files
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")

        // The exam's id (OBR-3): stable for the same exam, different for another patient or time, ≤ 20 characters.
        var a = try ReportTests.exam(ReportTests.allVectors[0]), b = a
        b.patient.id += "-other"
        #expect(HL7Report.fillerId(for: a) == HL7Report.fillerId(for: a))
        #expect(HL7Report.fillerId(for: a) != HL7Report.fillerId(for: b))
        #expect(HL7Report.fillerId(for: a).count == 19)
        a.details.performedAt = Timestamp("2026-11-27T09:30:00Z")!
        #expect(HL7Report.fillerId(for: a) != HL7Report.fillerId(for: b))
        // Message control ids (MSH-10): every message its own, 19 characters (MSH-10 takes 20).
        let ids = Set((0..<1000).map { _ in HL7Report.newControlId() })
        #expect(ids.count == 1000 && ids.allSatisfy { $0.count == 19 })
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("OK ") }.count == files.count)
    }

    @Test("The reason beside the result (one arm only, a site not measured) and the clinical findings in words, in text, HTML and PDF")
    func reasonsAndFindings() throws {
        let single = ExamReport(exam: try ReportTests.exam(ReportTests.vectors.appendingPathComponent("v22-single-arm-mastectomy.exam.json")))
        #expect(single.resultNotes.first?.hasPrefix("Brachial pressure from the right arm only (left: not measured, ") == true, "\(single.resultNotes)")
        let absent = ExamReport(exam: try ReportTests.exam(ReportTests.root.appendingPathComponent("samples/absent-signals.exam.json")))
        #expect(absent.clinicalFindings.first == "Right leg: rest pain, starts at night, shiny, hairless skin, a foot wound open 5 weeks, black toes.")
        #expect(absent.resultNotes == ["Left toe not measured: dressing on the left hallux."])
        for report in [single, absent] {
            let text = TextReport.render(report).split(whereSeparator: \.isWhitespace).joined(separator: " ")
            let html = HTMLReport.render(report)
            let pdf = try PDFReportTests.text(PDFReportTests.write(report, "notes.pdf"))
            for line in report.resultNotes + report.clinicalFindings {
                #expect(text.contains(line), "\(line)")
                #expect(html.contains(HTMLReport.e(line)), "\(line)")
                #expect(pdf.contains(line.split(whereSeparator: \.isWhitespace).joined(separator: " ")), "\(line)")
            }
        }
        #expect(TextReport.render(absent).contains("CLINICAL FINDINGS"))
        #expect(!TextReport.render(single).contains("CLINICAL FINDINGS"))
    }

    @Test("R2: the body diagram colours absent signals and ABI < 0.40 most strongly, has a legend, labels of at least 8 pt that stay inside it, and an amputated leg")
    func bodyDiagram() throws {
        let absent = ExamReport(exam: try ReportTests.exam(ReportTests.root.appendingPathComponent("samples/absent-signals.exam.json")))
        #expect(BodyDiagram.legStyle(absent.result.right).fill == BodyDiagram.legend[0].fill)  // no signal: the strongest
        let severe = ExamReport(exam: try ReportTests.exam(ReportTests.vectors.appendingPathComponent("v08-severe-clti-range.exam.json")))
        #expect(BodyDiagram.legStyle(severe.result.right).fill == BodyDiagram.legend[0].fill)  // ABI 0.35
        let svg = BodyDiagram(absent).svg(width: "74mm")
        for entry in BodyDiagram.legend { #expect(svg.contains(">\(entry.words)</text>") && svg.contains("fill=\"\(entry.fill)\"")) }
        // 14.5 units in a 360-unit box drawn 74 mm wide (HTML) or 200 pt wide (PDF): 8 pt or more.
        #expect(BodyDiagram.fontSize * 74 / BodyDiagram.width * 72 / 25.4 >= 8)
        #expect(BodyDiagram.fontSize * 200 / BodyDiagram.width >= 8)
        #expect(svg.contains("text-anchor=\"end\">abnormal</text>"))  // the left leg's label ends inside the box
        var amputee = try ReportTests.exam(ReportTests.vectors.appendingPathComponent("v01-normal-arms-equal.exam.json"))
        amputee.readings = amputee.readings.map { r in
            var r = r
            if r.site == .leftPosteriorTibial || r.site == .leftDorsalisPedis { r.state = .notMeasured(reason: "below-knee amputation") }
            return r
        }
        let stump = BodyDiagram(ExamReport(exam: amputee)).svg(width: "74mm")
        #expect(stump.contains(">amputated</text>"))
    }

    @Test("R4: every PDF page names the patient (id, name, birth date); a signed text report's header stays within 80 columns")
    func pageIdentification() throws {
        var exam = try ReportTests.exam(ReportTests.root.appendingPathComponent("samples/pad.exam.json"))
        exam.details.indication = String(repeating: "a long indication that fills the first page ", count: 12)
        let signed = ExamReport(exam: exam, status: .final(signedBy: "Dr K. Wiśniewska, consultant angiologist and head of department", at: Timestamp("2026-11-29T12:37:29.486Z")!))
        for line in TextReport.render(signed).split(separator: "\n") { #expect(line.count <= 80, "\(line)") }
        let pdf = try PDFReportTests.write(signed, "pages.pdf")
        let info = String(decoding: try runTool("/usr/bin/pdfinfo", [pdf.path]).output, as: UTF8.self)
        let pages = Int(info.split(separator: "\n").first { $0.hasPrefix("Pages:") }?.split(separator: " ").last ?? "1") ?? 1
        #expect(pages == 2)
        for page in 1...pages {
            let text = String(decoding: try runTool("/usr/bin/pdftotext", ["-f", "\(page)", "-l", "\(page)", pdf.path, "-"]).output, as: UTF8.self)
            #expect(text.contains("DEMO-0002 · Example, Claudicant · born 1949-08-02"), "page \(page)")
        }
    }

    @Test("Pseudonyms: SHA-256 and HMAC-SHA-256 give the published test vectors; one patient, one pseudonym, which another key changes")
    func pseudonyms() {
        func hex(_ bytes: [UInt8]) -> String { bytes.map { String($0 >> 4, radix: 16) + String($0 & 0x0F, radix: 16) }.joined() }
        #expect(hex(Pseudonym.sha256(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(Pseudonym.sha256([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex(Pseudonym.sha256(Array(String(repeating: "a", count: 1000).utf8))) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
        // RFC 4231, test case 2.
        #expect(hex(Pseudonym.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        let key = "a long secret key of the clinic"
        #expect(Pseudonym.of("MRN-0042", key: key) == Pseudonym.of("MRN-0042", key: key))
        #expect(Pseudonym.of("MRN-0042", key: key) != Pseudonym.of("MRN-0043", key: key))
        #expect(Pseudonym.of("MRN-0042", key: key) != Pseudonym.of("MRN-0042", key: key + "!"))
        #expect(Pseudonym.of("MRN-0042", key: key).count == 18)
    }

    @Test("I1: the order travels: exam file round trip, HL7 ORC and OBR-2/3/16, FHIR basedOn; hl7apy accepts it")
    func orderAndBodySite() throws {
        var exam = try ReportTests.exam(ReportTests.root.appendingPathComponent("samples/pad.exam.json"))
        exam.order = Order(placerNumber: "PL-2026-0042", fillerNumber: "VL-77", orderingProvider: "Dr O. Rder")
        #expect(try ExamFile.decode(Array(ExamFile.encode(exam).utf8)).order == exam.order)
        let message = HL7Report.render(ExamReport(exam: exam), controlId: "T1", now: Timestamp("2026-11-29T10:00:00Z")!)
        let segments = message.split(separator: "\r").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        let orc = try #require(segments.first { $0[0] == "ORC" }), obr = try #require(segments.first { $0[0] == "OBR" })
        #expect(orc[1] == "RE" && orc[2] == "PL-2026-0042" && orc[3] == "VL-77" && orc[12] == "Dr O. Rder")
        #expect(obr[2] == "PL-2026-0042" && obr[3] == "VL-77" && obr[16] == "Dr O. Rder" && obr[25] == "P")
        #expect(FHIRReport.render(ExamReport(exam: exam)).contains("\"value\": \"PL-2026-0042\""))
        // The site of each pressure: OBX-4, and a site-specific code beside the MDC one (v2.5 has
        // no OBX-20); the method in OBX-17.
        let ankle = try #require(segments.first { $0[0] == "OBX" && $0[4] == "rightPosteriorTibial" })
        #expect(ankle[3] == "150021^MDC_PRESS_BLD_NONINV_SYS^MDC^rightPosteriorTibial.SYS^Right posterior tibial systolic pressure^L", "\(ankle[3])")
        #expect(ankle.count > 17 && ankle[17] == "doppler^Doppler^L")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("abi-order-\(UUID().uuidString).hl7")
        try message.write(to: file, atomically: true, encoding: .utf8)
        let python = ReportTests.root.appendingPathComponent(".build-python/bin/python3").path
        let run = try runTool(python, [ReportTests.root.appendingPathComponent("Tests/ABIReportsTests/Validators/hl7_validate.py").path, file.path])
        #expect(run.status == 0, "\(String(decoding: run.output, as: UTF8.self))")
    }

    static var allVectors: [URL] {
        ((try? FileManager.default.contentsOfDirectory(atPath: vectors.path)) ?? []).filter { $0.hasSuffix(".exam.json") }.sorted().map { vectors.appendingPathComponent($0) }
    }

    @Test("Every vector gives a text report within 80 columns that holds its values, and well-formed CSV")
    func everyVector() throws {
        #expect(ReportTests.allVectors.count >= 20)
        for url in ReportTests.allVectors {
            let report = ExamReport(exam: try ReportTests.exam(url))
            let text = TextReport.render(report)
            for line in text.split(separator: "\n") { #expect(line.count <= 80, "\(url.lastPathComponent): \(line)") }
            #expect(text.contains(report.exam.patient.id))
            for leg in [report.result.right, report.result.left] {
                if let abi = leg.abi { #expect(text.contains(Ratio.text(abi)), "\(url.lastPathComponent) lacks ABI \(Ratio.text(abi))") }
                if let tbi = leg.tbi { #expect(text.contains(Ratio.text(tbi))) }
            }
            // Flags, statuses and symptom features in words, never their codes (a person reads this).
            let flowing = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            for flag in report.result.flags {
                #expect(flowing.contains(flag.line), "\(url.lastPathComponent): \(flag.line)")
                #expect(!text.contains(flag.code.rawValue), "\(url.lastPathComponent) shows the code \(flag.code.rawValue)")
            }
            for pattern in report.result.patterns { for feature in pattern.matched where feature.contains(where: \.isUppercase) { #expect(!text.contains(feature), "\(feature)") } }
            for leg in [report.result.right, report.result.left] where leg.status != .ok { #expect(text.contains(leg.status.words)) }
            #expect(text.contains("Rules: acc-aha-2016 v\(RuleSet.version), ankle=higher, severity=common"))

            let rows = ReportTests.parseCSV(CSVReport.headerLine + CSVReport.rows(report))
            #expect(rows.count == 3)
            #expect(rows.allSatisfy { $0.count == CSVReport.header.count })
            let side = CSVReport.header.firstIndex(of: "side")!, abi = CSVReport.header.firstIndex(of: "abi")!
            #expect(rows[1][side] == "right" && rows[2][side] == "left")
            #expect(rows[1][abi] == (report.result.right.abi.map(Ratio.text) ?? ""))
        }
    }

    @Test("Superseded readings are marked; the non-standard ankle method is labelled")
    func supersededAndLabels() throws {
        let report = ExamReport(exam: try ReportTests.exam(ReportTests.vectors.appendingPathComponent("v06-inter-arm-difference.exam.json")),
                                options: RuleOptions(ankle: .lower))
        let text = TextReport.render(report)
        #expect(text.contains("Right brachial: 162 mmHg (seq 1) SUPERSEDED"))
        #expect(!text.contains("Right brachial: 150 mmHg (seq 2) SUPERSEDED"))
        #expect(text.contains("NON-STANDARD"))
        #expect(CSVReport.rows(report).contains(",lower,\r\n"))
    }

    @Test("CSV: quoting, and free text that a spreadsheet would run as a formula is defused")
    func csvEscaping() throws {
        var exam = try ReportTests.exam(ReportTests.vectors.appendingPathComponent("v01-normal-arms-equal.exam.json"))
        exam.patient.id = "=HYPERLINK(\"x\",\"y\")"
        let rows = ReportTests.parseCSV(CSVReport.rows(ExamReport(exam: exam)))
        #expect(rows[0][0] == "'=HYPERLINK(\"x\",\"y\")")
        exam.patient.id = "Doe, Jane"
        #expect(ReportTests.parseCSV(CSVReport.rows(ExamReport(exam: exam)))[0][0] == "Doe, Jane")
    }

    /// A small RFC 4180 reader, independent of the writer.
    static func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], cell = "", quoted = false
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { cell.append("\""); chars = chars.dropFirst() } else { quoted = false }
                } else { cell.append(c) }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                row.append(cell); cell = ""
            } else if c == "\r\n" || c == "\n" {
                row.append(cell); rows.append(row); row = []; cell = ""
            } else {
                cell.append(c)
            }
        }
        return rows
    }
}

/// Runs a program and gives its exit status and standard output.
func runTool(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: Data) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, data)
}

/// The PDF writer checked by real tools (Debian's qpdf and poppler-utils): structure, text, picture.
@Suite struct PDFReportTests {
    static func write(_ report: ExamReport, _ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("abi-pdf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try Data(PDFReport.render(report)).write(to: url)
        return url
    }

    /// The text of a PDF as pdftotext gives it, with runs of white space made single spaces.
    static func text(_ url: URL) throws -> String {
        let run = try runTool("/usr/bin/pdftotext", [url.path, "-"])
        #expect(run.status == 0)
        return String(decoding: run.output, as: UTF8.self).split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    @Test("Every vector's PDF passes qpdf --check, has one or two pages, and its text holds every value of the text report")
    func everyVector() throws {
        for url in ReportTests.allVectors + ["pad", "normal", "absent-signals", "noncompressible-with-toes"].map({ ReportTests.root.appendingPathComponent("samples/\($0).exam.json") }) {
            let report = ExamReport(exam: try ReportTests.exam(url))
            let pdf = try PDFReportTests.write(report, "report.pdf")
            let check = try runTool("/usr/bin/qpdf", ["--check", pdf.path])
            #expect(check.status == 0, "\(url.lastPathComponent): \(String(decoding: check.output, as: UTF8.self))")
            let info = String(decoding: try runTool("/usr/bin/pdfinfo", [pdf.path]).output, as: UTF8.self)
            #expect(info.contains("Pages:           1") || info.contains("Pages:           2"), "\(url.lastPathComponent): \(info)")
            #expect(info.contains("Page size:       595.28 x 841.89 pts (A4)"))
            let text = try PDFReportTests.text(pdf)
            // Every token of the text report that carries a number is in the PDF's text.
            let values = TextReport.render(report).split(whereSeparator: \.isWhitespace)
                .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "(),;:.")) }
                .filter { $0.contains(where: \.isNumber) }
            #expect(!values.isEmpty)
            for value in Set(values) { #expect(text.contains(value), "\(url.lastPathComponent): the PDF lacks \(value)") }
            #expect(text.contains(report.exam.patient.id))
            let flowing = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            for flag in report.result.flags { #expect(flowing.contains(flag.line.split(whereSeparator: \.isWhitespace).joined(separator: " ")), "\(url.lastPathComponent): \(flag.line)") }
            for pattern in report.result.patterns { #expect(text.contains("fits the pattern of \(pattern.pattern.words)")) }
            #expect(text.contains(report.rulesLine))
        }
    }

    @Test("Text is escaped and encoded: brackets, backslashes and accented letters come back out as written")
    func escaping() throws {
        var exam = try ReportTests.exam(ReportTests.root.appendingPathComponent("samples/pad.exam.json"))
        exam.patient.id = "MRN(7)\\x"
        exam.patient.name = "Ébène, Zoë – O’Brien"
        exam.details.indication = String(repeating: "claudication ", count: 30) + String(repeating: "X", count: 200)
        let text = try PDFReportTests.text(try PDFReportTests.write(ExamReport(exam: exam), "escaping.pdf"))
        #expect(text.contains("MRN(7)\\x"))
        #expect(text.contains("Ébène, Zoë – O’Brien"))
        #expect(text.replacingOccurrences(of: " ", with: "").contains(String(repeating: "X", count: 200)))
    }

    /// Names in five scripts, each as a patient would be registered.
    static let names = [
        ("Polish", "Żółć, Łukasz"), ("Greek", "Παπαδόπουλος, Γιώργος"), ("Cyrillic", "Иванова, Ольга Сергеевна"),
        ("Chinese", "王小明"), ("Arabic", "محمد عبد الله"),
    ]

    @Test("Every script: pdftotext gives back the exact name, every font is embedded, qpdf --check passes, and the name is drawn")
    func unicodeNames() throws {
        for (script, name) in PDFReportTests.names {
            var exam = try ReportTests.exam(ReportTests.root.appendingPathComponent("samples/pad.exam.json"))
            var nameless = exam
            nameless.patient.name = ""
            exam.patient.name = name
            let pdf = try PDFReportTests.write(ExamReport(exam: exam), "\(script).pdf")
            #expect(try runTool("/usr/bin/qpdf", ["--check", pdf.path]).status == 0, "\(script)")
            // poppler marks a right-to-left run with U+202B … U+202C; they are not part of the name.
            let text = try PDFReportTests.text(pdf).unicodeScalars.filter { !(0x202A...0x202E).contains($0.value) }
            #expect(String(String.UnicodeScalarView(text)).contains("\(exam.patient.id), \(name), born"), "\(script): \(String(String.UnicodeScalarView(text)).prefix(200))")
            #expect(!String(String.UnicodeScalarView(text)).contains("?"), "\(script): a character was replaced")
            // pdffonts: every font embedded (the "emb" column), none left to the reader's machine.
            let fonts = String(decoding: try runTool("/usr/bin/pdffonts", [pdf.path]).output, as: UTF8.self).split(separator: "\n").dropFirst(2)
            #expect(!fonts.isEmpty)
            for font in fonts {
                let columns = font.split(separator: " ", omittingEmptySubsequences: true)
                #expect(columns.count >= 7 && columns[columns.count - 5] == "yes", "\(script): \(font)")
            }
            if script == "Chinese" { #expect(fonts.contains { $0.contains("CJK") }, "\(script): no CJK font: \(fonts)") }
            // The picture: poppler draws the name from the embedded fonts. The patient's row has
            // more ink with the name than the same report has without it.
            #expect(try PDFReportTests.patientRowInk(pdf) > PDFReportTests.patientRowInk(try PDFReportTests.write(ExamReport(exam: nameless), "nameless.pdf")) + 6 * name.count,
                    "\(script): the name is not drawn")
        }
    }

    /// Dark pixels in the patient's row (the line with "born") of page 1, drawn at 100 dpi.
    static func patientRowInk(_ pdf: URL) throws -> Int {
        let boxes = String(decoding: try runTool("/usr/bin/pdftotext", ["-bbox", "-f", "1", "-l", "1", pdf.path, "-"]).output, as: UTF8.self)
        guard let line = boxes.split(separator: "\n").first(where: { $0.hasSuffix(">born</word>") }),
              let yMin = Double(line.split(separator: "\"")[3]), let yMax = Double(line.split(separator: "\"")[7]) else { return 0 }
        let prefix = pdf.deletingPathExtension().path + "-row"
        let top = Int(yMin * 100 / 72), height = Int((yMax - yMin) * 100 / 72) + 1
        #expect(try runTool("/usr/bin/pdftoppm", ["-r", "100", "-f", "1", "-l", "1", "-singlefile", "-x", "0", "-y", "\(top)", "-W", "827", "-H", "\(height)", pdf.path, prefix]).status == 0)
        return try PPM(Data(contentsOf: URL(fileURLWithPath: prefix + ".ppm"))).pixels(near: "#111111", tolerance: 90).count
    }

    @Test("The letterhead's logo in the PDF: an SVG drawn as vectors, a PNG as an image, both at the top right; a broken one is refused")
    func logo() throws {
        let svg = Array(##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40"><rect x="0" y="0" width="120" height="40" fill="#0a7f3f"/></svg>"##.utf8)
        // A 2 × 2 PNG, every pixel #0a7f3f.
        let png = [UInt8](Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGPgqrcHIgYIBQAVGgMhqaQHfwAAAABJRU5ErkJggg==")!)
        for (file, bytes, images) in [("logo.svg", svg, 0), ("logo.png", png, 1)] {
            let config = Array(#"{"format": "abi-site/1", "clinic": {"name": "Vascular Lab", "logo": "\#(file)"}}"#.utf8)
            var report = ExamReport(exam: try ReportTests.exam(ReportTests.root.appendingPathComponent("samples/pad.exam.json")))
            report.site = try SiteConfiguration.decode(config) { _ in bytes }
            let pdf = try PDFReportTests.write(report, "logo.pdf")
            let list = String(decoding: try runTool("/usr/bin/pdfimages", ["-list", pdf.path]).output, as: UTF8.self)
            #expect(list.split(separator: "\n").count == 2 + images, "\(file): \(list)")
            let prefix = pdf.deletingPathExtension().path
            #expect(try runTool("/usr/bin/pdftoppm", ["-r", "50", "-f", "1", "-l", "1", "-singlefile", pdf.path, prefix]).status == 0)
            let logo = try PPM(Data(contentsOf: URL(fileURLWithPath: prefix + ".ppm"))).pixels(near: "#0a7f3f", tolerance: 12)
            #expect(logo.count > 300, "\(file): \(logo.count) pixels of the logo")
            #expect(logo.allSatisfy { $0.0 > 413 / 2 && $0.1 < 64 }, "\(file): the logo is not at the top right")
        }
        #expect(throws: InputError.self) { try SiteConfiguration.decode(Array(#"{"format": "abi-site/1", "clinic": {"logo": "x.svg"}}"#.utf8)) { _ in Array("<svg".utf8) } }
    }

    @Test("The reference list never sits alone on a page, however long the report before it")
    func referencesKeepCompany() throws {
        // The indication grows a line at a time, so that the end of the report crosses the foot
        // of the first page.
        var seenBreak = false
        for findings in 0..<48 {
            var exam = try ReportTests.exam(ReportTests.vectors.appendingPathComponent("v01-normal-arms-equal.exam.json"))
            exam.details.indication = String(repeating: "a long indication that takes room on the page, ", count: findings * 2)
            let report = ExamReport(exam: exam, status: .final(signedBy: "Dr K. Wiśniewska", at: Timestamp("2026-11-29T12:37:29.486Z")!))
            let pdf = try PDFReportTests.write(report, "references.pdf")
            let info = String(decoding: try runTool("/usr/bin/pdfinfo", [pdf.path]).output, as: UTF8.self)
            let pages = Int(info.split(separator: "\n").first { $0.hasPrefix("Pages:") }?.split(separator: " ").last ?? "1") ?? 1
            let last = String(decoding: try runTool("/usr/bin/pdftotext", ["-f", "\(pages)", "-l", "\(pages)", pdf.path, "-"]).output, as: UTF8.self)
            guard let rules = last.range(of: "Rules\n") else {
                Issue.record("no Rules heading on the last page (\(findings))")
                continue
            }
            // Before the heading on its page: more than the repeated patient footer.
            let before = last[..<rules.lowerBound].split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("ABI report ·") && !$0.isEmpty }
            #expect(!before.isEmpty, "\(findings): the references stand alone on page \(pages)")
            if pages > 1 { seenBreak = true }
        }
        #expect(seenBreak)
    }

    @Test("The picture: pdftoppm renders the page; each leg has its category's colour, the right leg on the viewer's left")
    func picture() throws {
        for (vector, right, left) in [("v07-absent-dp", "#f4b6b0", "#cfe8cf"), ("v05-1.41-noncompressible-with-toe", "#c9c9e8", "#cfe8cf")] {
            let report = ExamReport(exam: try ReportTests.exam(ReportTests.vectors.appendingPathComponent("\(vector).exam.json")))
            #expect(BodyDiagram.legStyle(report.result.right).fill == right && BodyDiagram.legStyle(report.result.left).fill == left)
            let pdf = try PDFReportTests.write(report, "picture.pdf")
            let prefix = pdf.deletingPathExtension().path
            #expect(try runTool("/usr/bin/pdftoppm", ["-r", "50", "-f", "1", "-l", "1", "-singlefile", pdf.path, prefix]).status == 0)
            let image = try PPM(Data(contentsOf: URL(fileURLWithPath: prefix + ".ppm")))
            #expect(abs(image.width - 413) <= 1 && abs(image.height - 585) <= 1)  // A4 at 50 dpi
            let rightLeg = image.pixels(near: right), leftLeg = image.pixels(near: left)
            #expect(rightLeg.count > 40 && leftLeg.count > 40, "\(vector): legs not drawn in their colours")
            let mean = { (points: [(Int, Int)]) in points.map(\.0).reduce(0, +) / max(1, points.count) }
            #expect(mean(rightLeg) < mean(leftLeg))
            #expect(mean(rightLeg) > image.width / 2)  // the diagram sits at the right of the results
            #expect(image.pixels(near: "#111111", tolerance: 60).count > 500)  // text is drawn
        }
    }
}

/// A binary PPM (P6) image, as pdftoppm writes it.
struct PPM {
    let width: Int, height: Int
    let bytes: [UInt8]

    init(_ data: Data) throws {
        let all = [UInt8](data)
        var fields: [String] = []
        var i = 0
        while fields.count < 4 {
            while all[i] == 0x20 || all[i] == 0x0A { i += 1 }
            var field = ""
            while all[i] != 0x20 && all[i] != 0x0A { field.append(Character(UnicodeScalar(all[i]))); i += 1 }
            fields.append(field)
        }
        guard fields[0] == "P6", let w = Int(fields[1]), let h = Int(fields[2]) else { throw CocoaError(.fileReadCorruptFile) }
        width = w
        height = h
        bytes = Array(all[(i + 1)...])
    }

    /// The (x, y) of every pixel within `tolerance` of the colour `#rrggbb` in each channel.
    func pixels(near hex: String, tolerance: Int = 10) -> [(Int, Int)] {
        let v = Int(hex.dropFirst(), radix: 16)!
        let target = [(v >> 16) & 0xFF, (v >> 8) & 0xFF, v & 0xFF]
        var found: [(Int, Int)] = []
        for y in 0..<height {
            for x in 0..<width {
                let o = (y * width + x) * 3
                if (0..<3).allSatisfy({ abs(Int(bytes[o + $0]) - target[$0]) <= tolerance }) { found.append((x, y)) }
            }
        }
        return found
    }
}

/// FHIR R4 bundles, validated by the PyPI package fhir.resources (FHIR 4.0.1) and by the checks
/// of Validators/fhir_validate.py; the codes the issue names are checked here.
@Suite struct FHIRReportTests {
    static let validator = ReportTests.root.appendingPathComponent("Tests/ABIReportsTests/Validators/fhir_validate.py").path
    static let python = ReportTests.root.appendingPathComponent(".build-python/bin/python3").path

    static func bundle(_ vector: String) throws -> (ExamReport, [[String: Any]]) {
        let report = ExamReport(exam: try ReportTests.exam(ReportTests.vectors.appendingPathComponent("\(vector).exam.json")))
        let json = try JSONSerialization.jsonObject(with: Data(FHIRReport.render(report).utf8)) as! [String: Any]
        return (report, (json["entry"] as! [[String: Any]]).map { $0["resource"] as! [String: Any] })
    }

    /// SNOMED CT body structures, as published (checked against HL7 value sets of BP body sites).
    static let siteCodes: [Site: String] = [
        .rightBrachial: "723962009", .leftBrachial: "723961002", .rightPosteriorTibial: "214811007", .leftPosteriorTibial: "214912001",
        .rightDorsalisPedis: "792816004", .leftDorsalisPedis: "792817008", .rightToe: "723730004", .leftToe: "723724004",
    ]

    static func codes(_ concept: Any?) -> [String] {
        ((concept as? [String: Any])?["coding"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
    }

    @Test("Every vector's bundle is valid FHIR R4 to fhir.resources, and its ABIs are the calculated ones")
    func everyVector() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("abi-fhir-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var expected: [String] = []
        var files: [String] = []
        for (i, url) in (ReportTests.allVectors + [ReportTests.root.appendingPathComponent("samples/pad.exam.json")]).enumerated() {
            var exam = try ReportTests.exam(url)
            if i == 0 {
                exam.patient.name = "O\"Brien, Ann \\ Marie\n"
                exam.details.indication = "pain </div> & more"
            }
            let report = ExamReport(exam: exam)
            func abi(_ leg: LegResult) -> String { leg.abi.map(Ratio.text) ?? "-" }
            // Both kinds of bundle: a collection (a file), and a transaction (for a FHIR server).
            for type in FHIRReport.BundleType.allCases {
                let file = dir.appendingPathComponent("\(i)-\(type.rawValue).json")
                try FHIRReport.render(report, bundle: type).write(to: file, atomically: true, encoding: .utf8)
                files.append(file.path)
                expected.append("right=\(abi(report.result.right)) left=\(abi(report.result.left))")
            }
        }
        // Broken on purpose: the validator must reject them, or its approval means nothing.
        let good = try String(contentsOfFile: files[0], encoding: .utf8)
        let badStatus = dir.appendingPathComponent("bad-status.json"), badValue = dir.appendingPathComponent("bad-value.json")
        let badElement = dir.appendingPathComponent("bad-element.json")
        try good.replacingOccurrences(of: "\"effectiveDateTime\"", with: "\"effectiveDate\"").write(to: badElement, atomically: true, encoding: .utf8)
        try good.replacingOccurrences(of: "\"status\": \"preliminary\"", with: "\"status\": \"guessed\"").write(to: badStatus, atomically: true, encoding: .utf8)
        try good.replacingOccurrences(of: "\"code\": \"{ratio}\"\n", with: "\"code\": \"{ratio}\"\n}, \"valueString\": \"x\", \"z\": {\n").write(to: badValue, atomically: true, encoding: .utf8)

        let badRequest = dir.appendingPathComponent("bad-request.json")
        try String(contentsOfFile: files[1], encoding: .utf8).replacingOccurrences(of: "\"method\": \"PUT\"", with: "\"method\": \"POST\"")
            .write(to: badRequest, atomically: true, encoding: .utf8)

        let run = try runTool(FHIRReportTests.python, [FHIRReportTests.validator] + files + [badStatus.path, badValue.path, badElement.path, badRequest.path])
        let lines = String(decoding: run.output, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(run.status == 1)
        #expect(lines.count == files.count + 4)
        for (i, line) in lines.prefix(files.count).enumerated() {
            #expect(line.hasPrefix("OK ") && line.hasSuffix(expected[i]), "\(line) (expected \(expected[i]))")
        }
        #expect(lines.suffix(4).allSatisfy { $0.hasPrefix("INVALID ") }, "\(lines.suffix(4))")
    }

    @Test("I2: a transaction bundle updates instead of duplicating: a resend has the same conditional PUTs and identifiers, another version other ones; superseded readings are left out")
    func transaction() throws {
        let url = ReportTests.vectors.appendingPathComponent("v19-first-arm-repeat-missing.exam.json")
        var exam = try ReportTests.exam(url)
        exam.readings.append(Reading(site: .rightPosteriorTibial, seq: 99, state: .numeric(try NumericPressure(systolic: Pressure(mmHg: 101)!))))
        var report = ExamReport(exam: exam)
        func requests(_ text: String) throws -> [String] {
            let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
            #expect(json["type"] as? String == "transaction")
            return (json["entry"] as! [[String: Any]]).compactMap { ($0["request"] as? [String: Any])?["url"] as? String }
        }
        let first = try requests(FHIRReport.render(report, bundle: .transaction))
        let again = try requests(FHIRReport.render(report, bundle: .transaction))
        #expect(first == again && first.count > 5)
        #expect(first[0] == "Patient?identifier=urn:abi:patient-id|\(exam.patient.id)")
        #expect(first.dropFirst().allSatisfy { $0.contains("?identifier=urn:ietf:rfc:3986|urn:uuid:") })
        report.record = (7, 2)
        let amended = try requests(FHIRReport.render(report, bundle: .transaction))
        #expect(Set(amended.dropFirst()).isDisjoint(with: Set(first.dropFirst())))
        // The superseded right PT reading is not a resource; its replacement is.
        let text = FHIRReport.render(report)
        #expect(text.contains("\"value\": 101") && !text.contains("Superseded by a later reading"))
    }

    @Test("ABI per leg: SNOMED 446841001, laterality in bodySite, {ratio}, interpretation incl. borderline and noncompressible")
    func abiObservations() throws {
        for (vector, right, left) in [("v03-borderline-bounds", "borderline", "borderline"), ("v05-1.41-noncompressible-with-toe", "noncompressible", "normal"),
                                      ("v08-severe-clti-range", "abnormal", "abnormal")] {
            let (report, resources) = try FHIRReportTests.bundle(vector)
            let abis = resources.filter { FHIRReportTests.codes($0["code"]).contains("446841001") && !(($0["code"] as? [String: Any])?["text"] as? String ?? "").contains("exercise") }
            #expect(abis.count == 2)
            for (i, observation) in abis.enumerated() {
                let leg = i == 0 ? report.result.right : report.result.left, words = i == 0 ? right : left
                #expect(FHIRReportTests.codes(observation["bodySite"]) == [leg.side == .right ? "62175007" : "32153003"])
                let value = observation["valueQuantity"] as? [String: Any]
                #expect(value?["code"] as? String == "{ratio}" && value?["system"] as? String == "http://unitsofmeasure.org")
                #expect((value?["value"] as? NSNumber)?.doubleValue == leg.abi.map { Double($0) / 100 })
                let interpretation = (observation["interpretation"] as? [[String: Any]])?.first
                #expect((interpretation?["text"] as? String)?.hasPrefix(words) == true, "\(vector): \(interpretation ?? [:])")
                let code = FHIRReportTests.codes(interpretation).first
                #expect(code == ["normal": "N", "abnormal": "L", "noncompressible": "H", "borderline": nil][words]!)
            }
        }
        let text = FHIRReport.render(ExamReport(exam: try ReportTests.exam(ReportTests.vectors.appendingPathComponent("v01-normal-arms-equal.exam.json"))))
        #expect(!text.contains("41979-6"))
    }

    @Test("Pressures: lateral SNOMED body sites, Doppler/oscillometry methods, mm[Hg], BP profile, dataAbsentReason for the missing")
    func pressures() throws {
        for vector in ["v07-absent-dp", "v18-dvt-signs", "v20-device-error-ankle", "v13-exercise", "v10-bilateral-noncompressible-toes"] {
            let (report, resources) = try FHIRReportTests.bundle(vector)
            let pressures = resources.filter { FHIRReportTests.codes($0["code"]).contains("271649006") || FHIRReportTests.codes($0["code"]).contains("85354-9") }
            #expect(pressures.count == report.readings.count)
            for (observation, line) in zip(pressures, report.readings) {
                #expect(FHIRReportTests.codes(observation["bodySite"]) == [FHIRReportTests.siteCodes[line.reading.site]!])
                let method = FHIRReportTests.codes(observation["method"])
                switch line.reading.method {
                case .doppler?: #expect(method == ["765172009"])
                case .oscillometric?: #expect(method == ["31813000"])
                default: break
                }
                let brachial = line.reading.site == .rightBrachial || line.reading.site == .leftBrachial
                if brachial {
                    #expect((observation["meta"] as? [String: Any])?["profile"] as? [String] == ["http://hl7.org/fhir/StructureDefinition/bp"])
                    let components = observation["component"] as? [[String: Any]] ?? []
                    #expect(components.flatMap { FHIRReportTests.codes($0["code"]) }.starts(with: ["8480-6", "8462-4"]))
                }
                let absent = observation["dataAbsentReason"] ?? (brachial ? (observation["component"] as? [[String: Any]])?.first?["dataAbsentReason"] : nil)
                switch line.reading.state {
                case .numeric(let p):
                    #expect(absent == nil)
                    let quantity = brachial ? (observation["component"] as? [[String: Any]])?.first?["valueQuantity"] as? [String: Any] : observation["valueQuantity"] as? [String: Any]
                    #expect(quantity?["value"] as? Int == p.systolic.mmHg && quantity?["code"] as? String == "mm[Hg]")
                case .notMeasured: #expect(FHIRReportTests.codes(absent) == ["not-performed"])
                case .deviceError: #expect(FHIRReportTests.codes(absent) == ["error"])
                case .absent: #expect(FHIRReportTests.codes(absent) == ["unknown"] && ((absent as? [String: Any])?["text"] as? String)?.contains("absent") == true)
                case .noncompressible(let at):
                    // Above the cuff's maximum: a value with the comparator ">" when the pressure reached is known.
                    let quantity = observation["valueQuantity"] as? [String: Any]
                    if let at {
                        #expect(quantity?["comparator"] as? String == ">" && quantity?["value"] as? Int == at.mmHg)
                    } else {
                        #expect(quantity == nil && absent != nil)
                    }
                }
            }
        }
        // The same exam gives the same ids; another patient at the same time, other ids.
        var exam = try ReportTests.exam(ReportTests.vectors.appendingPathComponent("v01-normal-arms-equal.exam.json"))
        let first = FHIRReport.render(ExamReport(exam: exam))
        #expect(first == FHIRReport.render(ExamReport(exam: exam)))
        exam.patient.id += "-2"
        let ids = { (text: String) in Set(text.split(separator: "\n").filter { $0.contains("\"fullUrl\"") }) }
        #expect(ids(first).isDisjoint(with: ids(FHIRReport.render(ExamReport(exam: exam)))))
        #expect(ids(first).count == (try JSONSerialization.jsonObject(with: Data(first.utf8)) as! [String: Any])["entry"].map { ($0 as! [Any]).count })
    }
}

/// The HTML report in a real browser: headless Chromium (Debian's chromium) renders it to a PNG
/// and prints it on A4 and on Letter; the prints are read back with poppler.
@Suite struct HTMLRenderTests {
    static func chromium(_ arguments: [String], profile: URL) throws -> Int32 {
        try runTool("/usr/bin/timeout", ["120", "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars",
                                         "--user-data-dir=\(profile.path)"] + arguments).status
    }

    @Test("Chromium renders the page and prints it on one or two A4 and Letter pages holding the values and the leg colours")
    func chromium() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("abi-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (vector, right, left) in [("v07-absent-dp", "#f4b6b0", "#cfe8cf"), ("v05-1.41-noncompressible-with-toe", "#c9c9e8", "#cfe8cf")] {
            let report = ExamReport(exam: try ReportTests.exam(ReportTests.vectors.appendingPathComponent("\(vector).exam.json")))
            let html = HTMLReport.render(report)
            let page = dir.appendingPathComponent("\(vector).html")
            try html.write(to: page, atomically: true, encoding: .utf8)

            let png = dir.appendingPathComponent("\(vector).png")
            #expect(try HTMLRenderTests.chromium(["--window-size=900,1300", "--screenshot=\(png.path)", page.absoluteString], profile: dir.appendingPathComponent("profile")) == 0)
            let picture = try Data(contentsOf: png)
            #expect(picture.starts(with: [0x89, 0x50, 0x4E, 0x47]) && picture.count > 20_000, "\(vector): no rendered page")

            for paper in ["A4", "Letter"] {
                // The report leaves the paper to the printer (@page size: auto); choose it as a user would.
                let sized = dir.appendingPathComponent("\(vector)-\(paper).html")
                try html.replacingOccurrences(of: "@page { size: auto;", with: "@page { size: \(paper);").write(to: sized, atomically: true, encoding: .utf8)
                let pdf = dir.appendingPathComponent("\(vector)-\(paper).pdf")
                #expect(try HTMLRenderTests.chromium(["--no-pdf-header-footer", "--print-to-pdf=\(pdf.path)", sized.absoluteString], profile: dir.appendingPathComponent("profile")) == 0)
                let info = String(decoding: try runTool("/usr/bin/pdfinfo", [pdf.path]).output, as: UTF8.self)
                #expect(info.contains("Pages:           1") || info.contains("Pages:           2"), "\(vector) on \(paper): \(info)")
                #expect(info.contains(paper == "A4" ? "(A4)" : "(letter)"), "\(info)")
                let text = try PDFReportTests.text(pdf)
                #expect(text.contains(report.exam.patient.id))
                // Every printed page names the patient (a header that repeats on each page).
                let pages = Int(info.split(separator: "\n").first { $0.hasPrefix("Pages:") }?.split(separator: " ").last ?? "1") ?? 1
                for page in 1...pages {
                    let pageText = String(decoding: try runTool("/usr/bin/pdftotext", ["-f", "\(page)", "-l", "\(page)", pdf.path, "-"]).output, as: UTF8.self)
                    #expect(pageText.contains("ABI report · \(report.patientLine)"), "\(vector) on \(paper), page \(page)")
                }
                for leg in [report.result.right, report.result.left] {
                    if let abi = leg.abi { #expect(text.contains(Ratio.text(abi))) }
                    // The label is written on two lines beside the leg ("abnormal" / "moderate").
                    for part in BodyDiagram.legStyle(leg).label.split(separator: ",") { #expect(text.contains(part.drop(while: { $0 == " " }))) }
                }
                #expect(text.contains(report.rulesLine))

                let prefix = dir.appendingPathComponent("\(vector)-\(paper)").path
                #expect(try runTool("/usr/bin/pdftoppm", ["-r", "50", "-f", "1", "-l", "1", "-singlefile", pdf.path, prefix]).status == 0)
                let image = try PPM(Data(contentsOf: URL(fileURLWithPath: prefix + ".ppm")))
                let rightLeg = image.pixels(near: right), leftLeg = image.pixels(near: left)
                #expect(rightLeg.count > 40 && leftLeg.count > 40, "\(vector) on \(paper): legs not drawn in their colours")
                let mean = { (points: [(Int, Int)]) in points.map(\.0).reduce(0, +) / max(1, points.count) }
                #expect(mean(rightLeg) < mean(leftLeg))
            }
        }
    }
}
