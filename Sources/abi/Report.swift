import ABICore
import ABIDevices
import ABIReports
import ABIStore
import ArgumentParser
import CShims

#if canImport(Glibc)
import Glibc
#endif

extension ABI {
    struct Report: ParsableCommand {
        enum Format: String, ExpressibleByArgument, CaseIterable {
            case text, html, pdf, csv, fhir, hl7

            var fileExtension: String {
                switch self {
                case .text: "txt"
                case .fhir: "fhir.json"
                default: rawValue
                }
            }
        }

        static let configuration = CommandConfiguration(
            abstract: "Write patients' ABI reports from exam files: text, HTML, PDF, CSV, FHIR R4 or HL7 v2.",
            discussion: """
                Every format carries the same facts: the patient and exam, every reading with its \
                state (superseded readings marked), the derived values, the flags most urgent \
                first, the symptom patterns, the comparison with the prior exam, and the rule set \
                with its sources.

                With --all, EXAM is a folder of exam files (*.exam.json): --format csv writes one CSV \
                of every exam (to -o or standard output); the other formats write one file per \
                exam into --out-dir, named from the sanitised patient id and the exam time. A bad \
                exam file is reported and skipped; the exit code is then 65.

                CSV has one row per leg with a header; its columns are listed in docs/csv-report.md. \
                Files are created mode 0600 (folders 0700) and never overwritten without --force.

                Examples:
                  abi report samples/pad.exam.json --format html -o pad.html
                  abi report samples/pad.exam.json --format pdf -o pad.pdf
                  abi report samples/pad.exam.json --format fhir -o pad.fhir.json
                  abi report --all samples --out-dir reports --format html
                  abi report --all samples --format csv -o research.csv
                """
        )

        @Argument(help: ArgumentHelp("The exam file (abi-exam/1), - for standard input, or an exam id of the store; with --all a folder of exam files, or nothing for the whole store.", valueName: "EXAM.json|-|EXAM_ID|FOLDER"))
        var exam: String?

        @Option(help: ArgumentHelp("text, html (one self-contained file with a body diagram), pdf (A4, the diagram in vector form), csv, fhir (a FHIR R4 Bundle), or hl7 (an HL7 v2.5 ORU^R01 message).", valueName: "FORMAT"))
        var format: Format = .text

        @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write to this file instead of standard output.", valueName: "FILE"))
        var output: String?

        @ArgumentParser.Flag(help: "Report every exam: of the folder, or of the store.")
        var all = false

        @Option(help: ArgumentHelp("With --all and any format but csv: the folder for the reports (created 0700).", valueName: "DIR"))
        var outDir: String?

        @ArgumentParser.Flag(help: "Replace output files that exist.")
        var force = false

        @Option(help: ArgumentHelp("FHIR: collection (a file), or transaction (POST it to a FHIR server: each resource a conditional update on its identifier, so a resend updates).", valueName: "collection|transaction"))
        var bundle: String = "collection"

        @ArgumentParser.Flag(help: "CSV: write a keyed pseudonym (P-…) instead of each patient id, with the key of the site configuration (research.pseudonymKey).")
        var pseudonymise = false

        @OptionGroup var rules: RuleArguments
        @OptionGroup var store: StoreArguments

        func validate() throws {
            if all && format != .csv && outDir == nil { throw ValidationError("--all with --format \(format.rawValue) needs --out-dir DIR.") }
            if !all && outDir != nil { throw ValidationError("--out-dir goes with --all.") }
            if all && format != .csv && output != nil { throw ValidationError("-o is for one report or the CSV of --all; use --out-dir.") }
            if !all && exam == nil { throw ValidationError("Name an exam file, - for standard input, or a stored exam id; or use --all.") }
            if pseudonymise && format != .csv { throw ValidationError("--pseudonymise is for --format csv.") }
            guard let type = FHIRReport.BundleType(rawValue: bundle) else { throw ValidationError("--bundle: collection or transaction.") }
            if type != .collection && format != .fhir { throw ValidationError("--bundle is for --format fhir.") }
        }

        func run() throws {
            try SiteFile.load()
            if pseudonymise && SiteFile.loaded.pseudonymKey == nil {
                throw Failure(.usage, "--pseudonymise needs research.pseudonymKey in the site configuration (abi-site/1: $ABI_SITE, ~/.config/abi/site.json or /etc/abi/site.json)")
            }
            guard all, outDir != nil || format == .csv else {
                let (report, stored) = try load(exam ?? "-")
                var bytes = render(report)
                if let output { try Files.createPrivate(output, bytes: bytes, replace: force) }
                else if format == .pdf && Terminal.isTerminal(STDOUT_FILENO) {
                    throw Failure(.usage, "a PDF is not for the terminal: write it with -o FILE.pdf, or redirect standard output")
                } else if !Terminal.writeAll(&bytes, to: STDOUT_FILENO) {
                    throw Failure(.cannotCreate, "cannot write the report: \(String(cString: strerror(errno)))")
                }
                // A stored exam's report is in the audit trail once it has been written, not before.
                if let (db, id) = stored {
                    do { try db.noteExport(id, as: "\(format.rawValue) report", actor: store.actor) } catch { throw Failure(error) }
                }
                return
            }
            // The exams to report: a folder's files, or the store's current exams (latest versions).
            let names: [String]
            var db: Store?
            if let exam {
                names = try Files.examFiles(in: exam)
            } else {
                db = try store.open(.existing)
                do { names = try db!.currentExamIds().map(String.init) } catch { throw Failure(error) }
            }
            var rejected = 0
            var usedNames: Set<String> = []
            if let outDir {
                try Files.makePrivateDirectory(outDir)
                PrivateFile.removeStaleTemporaries(in: outDir)
                var info = stat()
                if stat(outDir, &info) == 0, info.st_mode & 0o077 != 0 {
                    Terminal.error("abi: warning: the folder \(outDir) can be reached by other users (mode \(String(info.st_mode & 0o777, radix: 8))); reports hold patient data: chmod 700 \(outDir)")
                }
            }
            // CSV goes out row by row, never held whole: a research export of a large store stays small in memory.
            let csvFile: PrivateFile? = format == .csv && output != nil ? try PrivateFile(output!, replace: force) : nil
            var csvOut = BufferedOutput()
            func emitCSV(_ text: String) throws(Failure) {
                if let csvFile { try csvFile.write(text) } else { try csvOut.write(text) }
            }
            if format == .csv { try emitCSV(CSVReport.headerLine) }
            let progress = Terminal.isTerminal(STDERR_FILENO)
            // Cairo compresses each PDF object with zlib, whose ~270 KB of state per stream Glibc
            // would map and unmap every time (and zero each page again): keep such blocks on the
            // heap, and up to 16 MB free at its top between reports (memory stays flat).
            if format == .pdf { _ = abi_malloc_thresholds(4 << 20, 16 << 20) }
            // A batch at a time: read and rendered on every core, named in order. Memory stays
            // flat in the number of exams.
            let batch = 128
            for start in stride(from: 0, to: names.count, by: batch) {
                if progress { Terminal.write("\r\(Report.bar(start, names.count)) \(start)/\(names.count) exams", to: STDERR_FILENO) }
                let slice = Array(names[start..<min(start + batch, names.count)])
                let loaded: [Result<ExamReport, Failure>] = if let db {
                    slice.map { name in Result { () throws(Failure) in sited(try storedReport(db, Int64(name)!)) } }
                } else {
                    Parallel.map(slice) { name in Result { () throws(Failure) in sited(try load(name).report) } }
                }
                var reports: [ExamReport] = []
                for report in loaded {
                    switch report {
                    case .success(let report): reports.append(report)
                    case .failure(let error):
                        if progress { Terminal.write("\r\u{1B}[K", to: STDERR_FILENO) }
                        Terminal.error("abi: \(error.message) (skipped)")
                        rejected += 1
                    }
                }
                if format == .csv {
                    for report in reports { try emitCSV(CSVReport.rows(report)) }
                    continue
                }
                let files = reports.map { outDir! + "/" + Report.fileName($0, format, taken: &usedNames, in: outDir!, replace: force) }
                let written = Parallel.map(Array(zip(reports, files))) { report, file in
                    Result { () throws(Failure) in try Files.createPrivate(file, bytes: render(sitedReport: report), replace: force, sync: false, swept: true) }
                }
                for result in written { try result.get() }
            }
            if progress { Terminal.write("\r\u{1B}[K", to: STDERR_FILENO) }
            if let outDir { try Files.syncFileSystem(of: outDir) }
            try csvFile?.finish()
            try csvOut.flush()
            if let db, !names.isEmpty {
                do { try db.noteExport(nil, as: "\(names.count - rejected) exams as \(format.rawValue) (report --all)", actor: store.actor) }
                catch { throw Failure(error) }
            }
            Terminal.error("abi report: \(names.count - rejected) of \(names.count) exams reported" + (outDir.map { " into \($0)" } ?? ""))
            if rejected > 0 { throw ExitCode(ExitStatus.dataError.rawValue) }
        }

        /// An exam file, standard input, or (a number that names no file) an exam of the store,
        /// with the store and id when it came from the store.
        func load(_ path: String) throws(Failure) -> (report: ExamReport, stored: (Store, Int64)?) {
            if !path.isEmpty, path.allSatisfy(\.isNumber), !Files.exists(path), let id = Int64(path) {
                let db = try store.open(.existing)
                return (try storedReport(db, id), (db, id))
            }
            return (ExamReport(exam: try Files.readExam(path), options: rules.options), nil)
        }

        /// A stored exam, with the options it was stored with and its status and signature.
        func storedReport(_ db: Store, _ id: Int64) throws(Failure) -> ExamReport {
            let stored: Store.StoredExam
            do { stored = try db.exam(id) } catch { throw Failure(error) }
            if stored.discardReason != nil {
                throw Failure(.dataError, "exam \(id) was discarded (abi exams show \(id)); it is kept in the store but not reported")
            }
            return db.report(of: stored, site: SiteFile.loaded)
        }

        /// The report with the site's letterhead and identifiers, and the pseudonym when asked for.
        func sited(_ unsited: ExamReport) -> ExamReport {
            var report = unsited
            report.site = SiteFile.loaded
            if pseudonymise, let key = report.site.pseudonymKey { report.pseudonym = Pseudonym.of(report.exam.patient.id, key: key) }
            return report
        }

        func render(_ unsited: ExamReport) -> [UInt8] { render(sitedReport: sited(unsited)) }

        func render(sitedReport report: ExamReport) -> [UInt8] {
            switch format {
            case .text: Array(TextReport.render(report).utf8)
            case .html: Array(HTMLReport.render(report).utf8)
            case .pdf: Report.pdf(report)
            case .csv: Array((CSVReport.headerLine + CSVReport.rows(report)).utf8)
            case .fhir: Array(FHIRReport.render(report, bundle: FHIRReport.BundleType(rawValue: bundle) ?? .collection).utf8)
            case .hl7:
                Array(HL7Report.render(report, controlId: HL7Report.newControlId(), now: DeviceClock.now()).utf8)
            }
        }

        /// The PDF, with a warning when some characters have no font on this machine (drawn
        /// as boxes): the report is still written, and says what to install.
        static func pdf(_ report: ExamReport) -> [UInt8] {
            var missing = 0
            let bytes = PDFReport.render(report, missingCharacters: &missing)
            if missing > 0 {
                Terminal.error("abi: warning: the PDF report of exam \(report.exam.details.performedOnWords) has characters that no installed font can draw (in \(missing) place\(missing == 1 ? "" : "s"), shown as boxes); install fonts for that script (Debian: fonts-noto-core, fonts-noto-cjk) and write it again")
            }
            return bytes
        }

        /// `<sanitised patient id>-<YYYYMMDD-HHMMSS>.<ext>`, unique within the run (and the folder unless replacing).
        static func fileName(_ report: ExamReport, _ format: Format, taken: inout Set<String>, in folder: String, replace: Bool) -> String {
            let digits = report.exam.details.performedAt.map { $0.text.filter { $0.isNumber }.prefix(14) }
            let base = "\(FileName.sanitized(report.exam.patient.id))-" + (digits.map { "\($0.prefix(8))-\($0.dropFirst(8))" } ?? "undated")
            var name = "\(base).\(format.fileExtension)"
            var n = 2
            while taken.contains(name) || (!replace && Files.exists(folder + "/" + name)) {
                name = "\(base)-\(n).\(format.fileExtension)"
                n += 1
            }
            taken.insert(name)
            return name
        }

        static func bar(_ done: Int, _ total: Int) -> String {
            let width = 30
            let filled = total == 0 ? width : done * width / total
            return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
        }
    }
}
