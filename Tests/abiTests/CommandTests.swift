import ABICore
import Foundation
import Testing

/// End-to-end tests: the built `abi` binary run with real arguments, files and pipes.
@Suite struct CommandTests {
    static let binary: URL = {
        // The test bundle sits beside the products it depends on, `abi` among them.
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return exe.deletingLastPathComponent().appendingPathComponent("abi")
    }()

    static let packageDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let vectors = packageDirectory.appendingPathComponent("Tests/Fixtures/vectors")

    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func abi(_ arguments: [String], stdin: String? = nil, in directory: URL? = nil) throws -> Run {
        try run(binary, arguments, stdin: stdin, in: directory)
    }

    /// Runs a program to its end with the given standard input, collecting its output.
    static func run(_ executable: URL, _ arguments: [String], stdin: String? = nil, in directory: URL? = nil,
                    environment: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        let writer = Thread {
            if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                   stderr: String(decoding: errData, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("abi-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    // MARK: abi calc

    @Test("abi calc prints abi-result/1 for a vector")
    func calcJSON() throws {
        let run = try CommandTests.abi(["calc", CommandTests.vectors.appendingPathComponent("v08-severe-clti-range.exam.json").path])
        #expect(run.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect(json?["format"] as? String == "abi-result/1")
        #expect(json?["patientAbi"] as? Double == 0.35)
        #expect(run.stdout.contains("\"abi\": 0.35"))
    }

    @Test("abi calc --format text: ABI, category, severity, WIfI, flags most urgent first, the rule set")
    func calcText() throws {
        let run = try CommandTests.abi(["calc", "--format", "text", CommandTests.vectors.appendingPathComponent("v08-severe-clti-range.exam.json").path])
        #expect(run.status == 0)
        #expect(run.stdout.contains("Rules: acc-aha-2016 v2, ankle=higher, severity=common"))
        #expect(run.stdout.contains("0.35  abnormal, severe"))
        #expect(run.stdout.contains("ischemia grade 3"))
        #expect(run.stdout.contains("URGENT    Right ankle pressure 45 mmHg, below 50 mmHg") && !run.stdout.contains("ankle-pressure-below-50"), "\(run.stdout)")
        let lower = try CommandTests.abi(["calc", "--format", "text", "--ankle", "lower", "--severity", "nice",
                                          CommandTests.vectors.appendingPathComponent("v08-severe-clti-range.exam.json").path])
        #expect(lower.stdout.contains("NON-STANDARD"))
        #expect(lower.stdout.contains("severity=nice"))
        // Right leg with the lower ankle pressure: 40/130 = 0.31.
        #expect(lower.stdout.contains("0.31  abnormal, severe (severity scheme nice)"))
    }

    @Test("abi calc reads standard input with -")
    func calcStdin() throws {
        let text = try String(contentsOf: CommandTests.vectors.appendingPathComponent("v01-normal-arms-equal.exam.json"), encoding: .utf8)
        let run = try CommandTests.abi(["calc", "-"], stdin: text)
        #expect(run.status == 0)
        #expect(run.stdout.contains("\"patientId\": \"V01\""))
    }

    @Test("Exit codes: 65 names file, path and value; 66 for a missing file; 64 for usage")
    func exitCodes() throws {
        let dir = try CommandTests.temporaryDirectory()
        let bad = dir.appendingPathComponent("bad.exam.json")
        try #"{"format":"abi-exam/1","patient":{"id":"P"},"exam":{"performedAt":"2026-11-26T09:30:00Z"},"readings":[{"site":"rightBrachial","systolic":120},{"site":"leftBrachial","systolic":"x"}]}"#
            .write(to: bad, atomically: true, encoding: .utf8)
        let invalid = try CommandTests.abi(["calc", bad.path])
        #expect(invalid.status == 65)
        #expect(invalid.stderr.contains("bad.exam.json: readings[1].systolic: expected a whole number of mmHg, found a string \"x\""))
        #expect(invalid.stdout.isEmpty)

        let missing = try CommandTests.abi(["calc", dir.appendingPathComponent("none.json").path])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("none.json: No such file or directory"))

        #expect(try CommandTests.abi(["calc"]).status == 64)
        #expect(try CommandTests.abi(["calc", "--ankle", "highest", bad.path]).status == 64)
        #expect(try CommandTests.abi(["calc", "--batch", "x", "--format", "text"]).status == 64)
        #expect(try CommandTests.abi(["frobnicate"]).status == 64)
    }

    // MARK: abi calc --batch

    @Test("--batch: one record per input line, blank ones included, each with its line number; a bad line gives an error record and the batch goes on")
    func batch() throws {
        let vectors = try FileManager.default.contentsOfDirectory(atPath: CommandTests.vectors.path).filter { $0.hasSuffix(".exam.json") }.sorted()
        var lines: [String] = []
        for name in vectors.prefix(3) {
            let data = try Data(contentsOf: CommandTests.vectors.appendingPathComponent(name))
            let object = try JSONSerialization.jsonObject(with: data)
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
        }
        lines.insert(#"{"format":"abi-exam/1","patient":{"id":"B"},"exam":{"performedAt":"2026-11-26T09:30:00Z"},"readings":[{"site":"leftToe","systolic":0}]}"#, at: 1)
        lines.insert("not json", at: 3)
        lines.insert("", at: 4)
        lines.insert("  \t", at: 6)
        let input = lines.joined(separator: "\n") + "\n"
        let run = try CommandTests.abi(["calc", "--batch", "-"], stdin: input)
        #expect(run.status == 65)
        let out = run.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(out.count == lines.count)
        #expect(out.map { $0?["line"] as? Int } == Array(1...lines.count))
        #expect(out[0]?["patientId"] as? String == "V01")
        #expect(out[1]?["format"] as? String == "abi-error/1")
        #expect(out[1]?["path"] as? String == "readings[0].systolic")
        #expect(out[2]?["patientId"] as? String == "V02")
        #expect((out[3]?["message"] as? String)?.contains("not valid JSON") == true)
        #expect(out[4]?["format"] as? String == "abi-error/1")
        #expect((out[4]?["message"] as? String)?.contains("empty line") == true)
        #expect(out[5]?["patientId"] as? String == "V03")
        #expect(out[6]?["format"] as? String == "abi-error/1")
        #expect(run.stderr.contains("4 of 7 lines rejected"))

        let good = try CommandTests.abi(["calc", "--batch", "-"], stdin: lines[0] + "\n" + lines[2])
        #expect(good.status == 0)
        #expect(good.stdout.split(separator: "\n").count == 2)
    }

    @Test("--batch keeps input order across blocks and processor cores")
    func batchOrder() throws {
        // 5,000 lines cross the 4,096-line block boundary and are split between workers.
        var lines: [String] = []
        for i in 1...5_000 {
            if i % 997 == 0 {
                lines.append("{\"format\":\"abi-exam/1\"}")
            } else {
                let ankle = 60 + i % 200
                lines.append(#"{"format":"abi-exam/1","patient":{"id":"B\#(i)"},"exam":{"performedAt":"2026-11-26T09:30:00Z"},"readings":[{"site":"rightBrachial","systolic":150},{"site":"rightPosteriorTibial","systolic":\#(ankle)}]}"#)
            }
        }
        let run = try CommandTests.abi(["calc", "--batch", "-"], stdin: lines.joined(separator: "\n"))
        #expect(run.status == 65)
        let out = run.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(out.count == 5_000)
        for (index, record) in out.enumerated() {
            let i = index + 1
            if i % 997 == 0 {
                #expect(record?["line"] as? Int == i)
                #expect(record?["path"] as? String == "patient")
            } else {
                #expect(record?["patientId"] as? String == "B\(i)")
                #expect(record?["line"] as? Int == i)
                let legs = record?["legs"] as? [String: Any]
                let right = legs?["right"] as? [String: Any]
                let ankle = 60 + i % 200
                #expect((right?["abi"] as? NSNumber)?.doubleValue == Double((200 * ankle + 150) / 300) / 100)
            }
        }
        #expect(run.stderr.contains("5 of 5000 lines rejected"))
    }

    // MARK: abi enter

    @Test("abi enter -o: piped answers write a valid exam file, mode 0600, and show the result; per-site methods")
    func enter() throws {
        let dir = try CommandTests.temporaryDirectory()
        let answers = ["132/80", "110", "a", "n 250", "x wound dressing", "128/80", "n", ""].joined(separator: "\n") + "\n"
        let run = try CommandTests.abi(["enter", "--patient", "MRN-0042", "-o", "exam.json", "--performed-at", "2026-11-26T09:30:00Z"],
                                       stdin: answers, in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("Recorded right posterior tibial: 110 mmHg (reading 2)."))
        #expect(run.stdout.contains("0.83  abnormal, mild"))
        #expect(run.stderr.contains("saved the exam to exam.json"))
        let path = dir.appendingPathComponent("exam.json").path
        #expect(try CommandTests.mode(path) == 0o600)
        let calc = try CommandTests.abi(["calc", path])
        #expect(calc.status == 0)
        #expect(calc.stdout.contains("\"abi\": 0.83"))
        let exam = try ExamFile.decode(Array(Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(exam.readings.map(\.method) == [.oscillometric, .doppler, .doppler, .doppler, nil, .oscillometric])
        #expect(exam.readings.allSatisfy { $0.time == nil })  // an earlier exam: the readings carry no time of their own

        // An existing file is not replaced without --force, and the check comes before any question.
        let again = try CommandTests.abi(["enter", "--patient", "MRN-0042", "-o", "exam.json"], stdin: answers, in: dir)
        #expect(again.status == 73)
        #expect(again.stderr.contains("already exists"))
        #expect(!again.stderr.contains("Patient"))
        let forced = try CommandTests.abi(["enter", "--patient", "MRN-0042", "-o", "exam.json", "--force", "--method", "manual-entry"], stdin: answers, in: dir)
        #expect(forced.status == 0)
        #expect(try CommandTests.mode(path) == 0o600)
        let manual = try ExamFile.decode(Array(Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(manual.readings.first?.method == .manualEntry)
    }

    @Test("E1, E4 / rule 10: back and redo fix a typo before saving; a toe takes no diastolic; a number as a reason is questioned; no future date")
    func enterCorrections() throws {
        let dir = try CommandTests.temporaryDirectory()
        let answers = ["130/80", "96", "back", "69", "120", "x 110", "x dressing", "118", "128/80", "90/60", "90", "95", "n", "r RB", "132/80", ""]
        let run = try CommandTests.abi(["enter", "--patient", "MRN-7002", "--toes", "-o", "-"], stdin: answers.joined(separator: "\n") + "\n", in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("looks like a pressure") && run.stderr.contains("Only the arms take a diastolic"))
        let exam = try ExamFile.decode(Array(run.stdout.utf8))
        let latest = Dictionary(exam.readings.map { ($0.site, $0.state) }) { _, b in b }
        #expect(latest[.rightPosteriorTibial]?.systolic == 69)
        #expect(latest[.rightBrachial]?.systolic == 132)
        #expect(latest[.rightToe] == .numeric(try NumericPressure(systolic: Pressure(mmHg: 90)!)))
        #expect(exam.readings.first { $0.site == .rightToe }?.method == .ppg)
        let future = try CommandTests.abi(["enter", "--patient", "P", "-o", "-", "--performed-at", "2030-01-01T09:00:00Z"], stdin: "")
        #expect(future.status == 64 && future.stderr.contains("is in the future"))
        let negative = try CommandTests.abi(["enter", "--patient", "P", "-o", "-", "--rest-minutes=-5"], stdin: "")
        #expect(negative.status == 64 && negative.stderr.contains("out of range"), "\(negative.stderr)")
    }

    @Test("abi enter names an interrupted entry's file from a sanitised patient id")
    func enterDefaultName() throws {
        let dir = try CommandTests.temporaryDirectory()
        let run = try CommandTests.abi(["enter", "--patient", "../../etc/x", "-o", "out.json"], stdin: "130\n120\nq\n", in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(files == ["out.json.partial"])
        let exam = try ExamFile.decode(Array(Data(contentsOf: dir.appendingPathComponent(files[0]))))
        #expect(exam.patient.id == "../../etc/x")
    }

    @Test("abi enter -o: input that ends early exits 65, keeps what was typed in a partial file; -o - prints the exam")
    func enterEndsEarly() throws {
        let dir = try CommandTests.temporaryDirectory()
        let nothing = try CommandTests.abi(["enter", "--patient", "P", "-o", "exam.json"], stdin: "", in: dir)
        #expect(nothing.status == 65)
        #expect(nothing.stderr.contains("nothing was entered"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)

        let run = try CommandTests.abi(["enter", "--patient", "P", "-o", "exam.json"], stdin: "130\n120\n", in: dir)
        #expect(run.status == 65)
        #expect(run.stderr.contains("input ended"))
        #expect(run.stderr.contains("the 2 readings entered were saved to exam.json.partial"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["exam.json.partial"])
        let partialPath = dir.appendingPathComponent("exam.json.partial").path
        #expect(try CommandTests.mode(partialPath) == 0o600)
        let partial = try ExamFile.decode(Array(Data(contentsOf: URL(fileURLWithPath: partialPath))))
        #expect(partial.readings.map(\.state.systolic) == [130, 120])

        // Input that ends after the sites saves (E3: an unanswered symptom question loses nothing).
        let answers = ["130", "120", "118", "110", "112", "128", "y", "1"].joined(separator: "\n") + "\n"
        let out = try CommandTests.abi(["enter", "--patient", "P", "-o", "-"], stdin: answers, in: dir)
        #expect(out.status == 0, "\(out.stderr)")
        let exam = try ExamFile.decode(Array(out.stdout.utf8))
        #expect(exam.readings.count == 6)
        #expect(exam.symptoms?.right.has(.restPain) == true)
        #expect(out.stderr.contains("Recorded left brachial: 128 mmHg"))
    }

    @Test("E2, E3 / rule 10: abi enter stores the exam by default, with the patient's details and the prior comparison; quit keeps it in progress for --resume")
    func enterIntoTheStore() throws {
        let dir = try CommandTests.temporaryDirectory()
        let db = dir.appendingPathComponent("abi.sqlite").path
        let sample = CommandTests.packageDirectory.appendingPathComponent("samples/pad.exam.json").path
        #expect(try CommandTests.abi(["exams", "import", sample, "--db", db]).status == 0)
        #expect(try CommandTests.abi(["exams", "finalize", "1", "--by", "Dr A", "--db", db]).status == 0)
        let first = try CommandTests.abi(["enter", "--patient", "DEMO-0002", "--db", db], stdin: "142/84\n60\nq\n")
        #expect(first.status == 0 && first.stderr.contains("Patient: DEMO-0002 ·"), "\(first.stderr)")
        #expect(first.stderr.contains("abi enter --resume --patient DEMO-0002"))
        let rest = try CommandTests.abi(["enter", "--resume", "--patient", "DEMO-0002", "--db", db], stdin: "52\n118\n120\n138\nn\n\n")
        #expect(rest.status == 0, "\(rest.stderr)")
        #expect(rest.stdout.contains("ABI result for patient DEMO-0002"))
        #expect(rest.stdout.contains("Prior exam   2026-") && rest.stdout.contains("right 0.42 (was "), "\(rest.stdout)")
        let shown = try CommandTests.abi(["exams", "show", "2", "--format", "json", "--db", db])
        #expect(shown.stdout.contains("\"status\": \"preliminary\""), "\(shown.stdout.prefix(300))")
    }

    @Test("The site configuration (ABI_SITE, abi-site/1): letterhead and logo on the reports, HL7 MSH-3 to MSH-6, MSH-18 and PID-3's authority, the FHIR identifier system; a bad file is named")
    func siteConfiguration() throws {
        let dir = try CommandTests.temporaryDirectory()
        let logo = dir.appendingPathComponent("logo.png")
        // A real PNG (1 × 1 pixel).
        let png = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")!
        try png.write(to: logo)
        let site = dir.appendingPathComponent("site.json")
        try """
            {"format": "abi-site/1",
             "clinic": {"name": "Vascular Lab, Szpital Miejski", "department": "Angiology", "address": "ul. Długa 1, Warszawa", "phone": "+48 22 000 00 00", "logo": "\(logo.path)", "timeZone": "Europe/Warsaw"},
             "hl7": {"sendingApplication": "ABI", "sendingFacility": "VASCLAB", "receivingApplication": "EPIC", "receivingFacility": "HOSP", "assigningAuthority": "HOSP-MRN"},
             "fhir": {"patientIdentifierSystem": "urn:oid:1.2.3.4.5"}}
            """.write(to: site, atomically: true, encoding: .utf8)
        let exam = CommandTests.packageDirectory.appendingPathComponent("samples/pad.exam.json").path
        func report(_ format: String, site path: String = site.path) throws -> Run {
            try CommandTests.run(CommandTests.binary, ["report", exam, "--format", format], environment: ["ABI_SITE": path])
        }
        #expect(try report("text").stdout.hasPrefix("Vascular Lab, Szpital Miejski\nAngiology\nul. Długa 1, Warszawa\nPhone +48 22 000 00 00\n"))
        // Times in the clinic's zone on the human reports (09:30 UTC is 10:30 in Warsaw in November); UTC in the data.
        let local = try report("text").stdout
        #expect(local.contains("Exam         2026-11-26 10:30 ") && local.contains("(UTC+01:00)"), "\(local.prefix(700))")
        #expect(try report("fhir").stdout.contains("\"effectiveDateTime\": \"2026-11-26T09:30:00Z\""))
        let html = try report("html").stdout
        #expect(html.contains("<strong>Vascular Lab, Szpital Miejski</strong>") && html.contains("src=\"data:image/png;base64,\(png.base64EncodedString())\""))
        let hl7 = try report("hl7").stdout
        #expect(hl7.hasPrefix("MSH|^~\\&|ABI|VASCLAB|EPIC|HOSP|") && hl7.contains("||||||UNICODE UTF-8\r"), "\(hl7.prefix(200))")
        #expect(hl7.contains("PID|1||DEMO-0002^^^HOSP-MRN^MR|"))
        #expect(try report("fhir").stdout.contains("\"system\": \"urn:oid:1.2.3.4.5\""))
        let pdf = dir.appendingPathComponent("r.pdf")
        #expect(try CommandTests.run(CommandTests.binary, ["report", exam, "--format", "pdf", "-o", pdf.path], environment: ["ABI_SITE": site.path]).status == 0)
        #expect(try CommandTests.run(URL(fileURLWithPath: "/usr/bin/pdftotext"), [pdf.path, "-"]).stdout.contains("Vascular Lab, Szpital Miejski"))
        // The logo is in the PDF as an image.
        let images = try CommandTests.run(URL(fileURLWithPath: "/usr/bin/pdfimages"), ["-list", pdf.path]).stdout
        #expect(images.split(separator: "\n").count == 3 && images.contains(" image "), "\(images)")
        // A file that is not a PNG is named as the logo.
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]).write(to: logo)
        let broken = try report("text")
        #expect(broken.status == 65 && broken.stderr.contains("clinic.logo: is not a PNG image that can be read"), "\(broken.stderr)")
        // Without a site file nothing changes; a bad one is named with its key; a missing one is 66.
        #expect(try CommandTests.abi(["report", exam]).stdout.hasPrefix("ANKLE-BRACHIAL INDEX REPORT"))
        try #"{"format": "abi-site/1", "hl7": {"sendingFacility": 7}}"#.write(to: site, atomically: true, encoding: .utf8)
        let bad = try report("text")
        #expect(bad.status == 65 && bad.stderr.contains("site.json: hl7.sendingFacility"), "\(bad.stderr)")
        #expect(try report("text", site: dir.appendingPathComponent("none.json").path).status == 66)
    }

    // MARK: abi report

    @Test("abi report writes text or CSV, to a 0600 file that is not overwritten without --force")
    func report() throws {
        let dir = try CommandTests.temporaryDirectory()
        let exam = CommandTests.packageDirectory.appendingPathComponent("samples/pad.exam.json").path
        let text = try CommandTests.abi(["report", exam])
        #expect(text.status == 0)
        #expect(text.stdout.contains("ANKLE-BRACHIAL INDEX REPORT"))
        #expect(text.stdout.contains("DEMO-0002"))
        let out = dir.appendingPathComponent("report.csv").path
        let csv = try CommandTests.abi(["report", exam, "--format", "csv", "-o", out])
        #expect(csv.status == 0)
        #expect(try CommandTests.mode(out) == 0o600)
        #expect(try String(contentsOfFile: out, encoding: .utf8).hasPrefix("patient_id,exam_id,version,exam_status,performed_at,age_at_exam,sex,diabetes,side,"))
        #expect(try CommandTests.abi(["report", exam, "--format", "csv", "-o", out]).status == 73)
        #expect(try CommandTests.abi(["report", exam, "--format", "csv", "-o", out, "--force"]).status == 0)
        #expect(try CommandTests.abi(["report", dir.appendingPathComponent("none.json").path]).status == 66)
        #expect(try CommandTests.abi(["report", exam, "--format", "docx"]).status == 64)
    }

    @Test("abi report --all: one file per exam named from the sanitised id, a folder 0700 and files 0600; CSV of every exam; bad files skipped")
    func reportAll() throws {
        let dir = try CommandTests.temporaryDirectory()
        let exams = dir.appendingPathComponent("exams")
        try FileManager.default.createDirectory(at: exams, withIntermediateDirectories: true)
        for name in ["v01-normal-arms-equal", "v13-exercise"] {
            try FileManager.default.copyItem(at: CommandTests.vectors.appendingPathComponent("\(name).exam.json"), to: exams.appendingPathComponent("\(name).exam.json"))
        }
        var hostile = try String(contentsOf: CommandTests.vectors.appendingPathComponent("v08-severe-clti-range.exam.json"), encoding: .utf8)
        hostile = hostile.replacingOccurrences(of: "\"V08\"", with: "\"../../etc/x\"")
        try hostile.write(to: exams.appendingPathComponent("hostile.exam.json"), atomically: true, encoding: .utf8)
        try "{}".write(to: exams.appendingPathComponent("broken.exam.json"), atomically: true, encoding: .utf8)

        let out = dir.appendingPathComponent("reports")
        let run = try CommandTests.abi(["report", "--all", exams.path, "--out-dir", out.path, "--format", "html"])
        #expect(run.status == 65)
        #expect(run.stderr.contains("broken.exam.json: format: is required"))
        #expect(run.stderr.contains("3 of 4 exams reported"))
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(files == ["V01-20261126-093000.html", "V13-20261126-093000.html", "etc_x-20261126-093000.html"])
        #expect(try CommandTests.mode(out.path) == 0o700)
        #expect(try files.allSatisfy { try CommandTests.mode(out.appendingPathComponent($0).path) == 0o600 })
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("etc").path))

        let csv = try CommandTests.abi(["report", "--all", exams.path, "--format", "csv"])
        #expect(csv.stdout.split(separator: "\r\n").count == 1 + 3 * 2)
        #expect(try CommandTests.abi(["report", "--all", exams.path, "--format", "html"]).status == 64)
    }

    // MARK: help

    @Test("--help of every command is complete", arguments: [
        ([String](), ["calc", "enter", "capture", "report", "patients", "exams", "history", "Exit codes", "65 invalid input data"]),
        (["capture"], ["--patient", "--port", "--profile", "--auto", "--resume", "--toes", "--dvt", "--first-arm", "--db",
                       "--new-patient", "--rest-minutes", "--arm-method", "132", "Space or mark", "auto", "Esc, s or stop", "absent",
                       "noncompressible", "x REASON", "keep", "next", "r or r SITE", "quit", "review", "exams discard"]),
        (["report"], ["--format", "pdf", "fhir", "hl7", "--all", "--out-dir", "EXAM_ID", "--db"]),
        (["exams"], ["list", "show", "import", "export", "finalize", "amend", "journal", "discard"]),
        (["calc"], ["--batch", "--format", "--ankle", "--severity", "abi-error/1", "non-standard"]),
        (["enter"], ["--patient", "--output", "--force", "--method", "--performed-at", "noncompressible", "AHA 2012"]),
    ])
    func help(_ command: [String], _ words: [String]) throws {
        let run = try CommandTests.abi(command + ["--help"])
        #expect(run.status == 0)
        for word in words { #expect(run.stdout.contains(word), "\(command) --help lacks \(word)") }
    }

    @Test("Shell completion scripts come from ArgumentParser")
    func completion() throws {
        let run = try CommandTests.abi(["--generate-completion-script", "bash"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("_abi"))
    }

    @Test("Output files appear whole or not at all: written beside and moved into place; a killed run's leftovers are removed; an existing file is kept without --force")
    func atomicOutput() throws {
        let dir = try CommandTests.temporaryDirectory()
        let out = dir.appendingPathComponent("report.csv").path
        // A leftover of a run killed while writing (its process long gone: above Linux's pid_max).
        let stale = out + ".tmp-4194305"
        _ = FileManager.default.createFile(atPath: stale, contents: Data("half a report".utf8))
        let mine = out + ".tmp-\(getpid())"  // a live process's file is not touched
        _ = FileManager.default.createFile(atPath: mine, contents: Data("in progress".utf8))
        let sample = CommandTests.packageDirectory.appendingPathComponent("samples/pad.exam.json").path
        let run = try CommandTests.abi(["report", sample, "--format", "csv", "-o", out])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: mine))
        #expect(try String(contentsOfFile: out, encoding: .utf8).hasPrefix("patient_id,"))
        #expect(try CommandTests.mode(out) == 0o600)
        let again = try CommandTests.abi(["report", sample, "--format", "text", "-o", out])
        #expect(again.status == 73 && again.stderr.contains("already exists"))
        #expect(try String(contentsOfFile: out, encoding: .utf8).hasPrefix("patient_id,"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") && !$0.hasSuffix("\(getpid())") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        #expect(try CommandTests.abi(["report", sample, "--format", "text", "-o", out, "--force"]).status == 0)
        #expect(!(try String(contentsOfFile: out, encoding: .utf8).hasPrefix("patient_id,")))  // replaced by the text report
        // A batch sweeps its folder once: a killed batch's leftover goes, a live process's stays.
        let folder = dir.appendingPathComponent("reports")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let staleReport = folder.appendingPathComponent("DEMO-0002-20261126-093000.txt.tmp-4194305").path
        _ = FileManager.default.createFile(atPath: staleReport, contents: Data("half a report".utf8))
        let live = folder.appendingPathComponent("other.txt.tmp-\(getpid())").path
        _ = FileManager.default.createFile(atPath: live, contents: Data("in progress".utf8))
        let batch = try CommandTests.abi(["report", "--all", CommandTests.packageDirectory.appendingPathComponent("samples").path, "--out-dir", folder.path])
        #expect(batch.status == 0, "\(batch.stderr)")
        #expect(!FileManager.default.fileExists(atPath: staleReport) && FileManager.default.fileExists(atPath: live))
    }

    @Test("abi calc warns about a key it does not know, naming its JSON path, and still calculates")
    func unknownKeyWarning() throws {
        let dir = try CommandTests.temporaryDirectory()
        let file = dir.appendingPathComponent("typo.exam.json")
        try #"{"format":"abi-exam/1","patient":{"id":"P"},"readings":[{"site":"rightBrachial","systolic":120,"diastolc":80}]}"#.write(to: file, atomically: true, encoding: .utf8)
        let run = try CommandTests.abi(["calc", file.path])
        #expect(run.status == 0)
        #expect(run.stderr.contains("typo.exam.json: warning: readings[0].diastolc is not a field of abi-exam/1"), "\(run.stderr)")
    }
}
