import ABICore
import ABIDevices
import ABIReports
import ABIStore
import ABIWeb
import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

/// `--db PATH`, else `ABI_DB`, else `$XDG_DATA_HOME/abi/abi.sqlite` (`~/.local/share/abi/`).
struct StoreArguments: ParsableArguments {
    @Option(help: ArgumentHelp("The patient store (default: $ABI_DB, else $XDG_DATA_HOME/abi/abi.sqlite, else ~/.local/share/abi/abi.sqlite).", valueName: "PATH"))
    var db: String?

    var environment: [String: String] { Environment.variables }
    var path: String { db ?? environment["ABI_DB"] ?? Store.defaultPath(environment: environment) }
    var actor: String { Store.actor(environment: environment) }

    /// Opens the store for a command: `.readOnly` and `.existing` never create one (exit 66
    /// when there is none). Says when a new store was made, and warns when others can read it.
    func open(_ access: Store.Access) throws(Failure) -> Store {
        let store: Store
        do { store = try Store(path: path, access: access) } catch { throw Failure(error) }
        if store.created { Terminal.error("abi: created a new store at \(path)") }
        for warning in store.warnings { Terminal.error("abi: warning: \(warning)") }
        return store
    }
}

enum Environment {
    static var variables: [String: String] {
        var result: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") { result[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
            p += 1
        }
        return result
    }
}

extension Failure {
    /// A store failure with its exit code: 66 no such record, 65 refused data, 74 the database.
    init(_ error: StoreError) {
        switch error.kind {
        case .notFound: self.init(.noInput, error.message)
        case .invalid: self.init(.dataError, error.message)
        case .unavailable: self.init(.ioError, error.message)
        }
    }
}

/// Output written in large blocks: a list of 50,000 exams is not 50,000 system calls.
struct BufferedOutput {
    private var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(1 << 16) }

    mutating func line(_ text: String) throws(Failure) { try write(text + "\n") }

    mutating func write(_ text: String) throws(Failure) {
        bytes += text.utf8
        if bytes.count >= 1 << 16 { try flush() }
    }

    /// Appends `text` and pads it with spaces to `width` bytes (at least one space).
    mutating func column(_ text: String, _ width: Int) {
        let start = bytes.count
        bytes += text.utf8
        let n = bytes.count - start
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: n >= width ? 1 : width - n))
    }

    mutating func flush() throws(Failure) {
        guard Terminal.writeAll(&bytes, to: STDOUT_FILENO) else { throw Failure(.ioError, "cannot write to standard output: \(String(cString: strerror(errno)))") }
        bytes.removeAll(keepingCapacity: true)
    }
}

extension ABI {
    struct Patients: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add, list and show the patients of the store.",
            subcommands: [Add.self, Edit.self, List.self, Show.self])

        /// A patient's details as options, checked the same way for `add` and `edit`.
        struct Details: ParsableArguments {
            @Option(help: "The name, \"Family, Given\".") var name: String?
            @Option(help: ArgumentHelp("The birth date.", valueName: "YYYY-MM-DD")) var birthDate: String?
            @Option(help: ArgumentHelp("female, male, other or unknown.", valueName: "SEX")) var sex: String?
            @Option(help: ArgumentHelp("yes or no: diabetes widens the minimal detectable change of the ABI (R18).", valueName: "yes|no")) var diabetes: String?

            /// The patient `id` with these details (nil where not given). Values are not echoed in errors.
            func patient(_ id: String) throws(Failure) -> Patient {
                switch PatientDetails(id: id, name: name, birthDate: birthDate, sex: sex, diabetes: diabetes).patient() {
                case .success(let patient): return patient
                case .failure(let problems):
                    let (field, problem) = problems.first
                    let option: String = switch field {
                    case .id: "the patient id"
                    case .name: "--name"
                    case .birthDate: "--birth-date"
                    case .sex: "--sex"
                    case .diabetes: "--diabetes"
                    }
                    throw Failure(.usage, "\(option): \(problem)")
                }
            }
        }

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add a patient (the id is the clinic's record number).")
            @Argument(help: "The patient id (1 to 64 characters).") var id: String
            @OptionGroup var details: Details
            @OptionGroup var store: StoreArguments

            func run() throws {
                let patient = try details.patient(id)
                let db = try store.open(.create)
                do { try db.addPatient(patient, actor: store.actor) } catch { throw Failure(error) }
                Terminal.error("abi: patient added")
            }
        }

        struct Edit: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Change a patient's details (audited); only the options given change.",
                discussion: """
                    The audit trail names the fields changed (abi audit --patient ID). The details of a \
                    patient with a signed exam are shown on that signed report, which never changes, \
                    so they cannot be changed or added (exit 65).
                    """)
            @Argument(help: "The patient id.") var id: String
            @OptionGroup var details: Details
            @OptionGroup var store: StoreArguments

            func run() throws {
                let changes = try details.patient(id)
                guard changes.name != nil || changes.birthDate != nil || changes.sex != nil || changes.diabetes != nil else {
                    throw Failure(.usage, "give what to change: --name, --birth-date, --sex or --diabetes")
                }
                let db = try store.open(.existing)
                let changed: [String]
                do { changed = try db.editPatient(changes, actor: store.actor) } catch { throw Failure(error) }
                Terminal.error(changed.isEmpty ? "abi: nothing changed" : "abi: patient changed: " + changed.joined(separator: ", "))
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the patients: id, name, birth date, sex.")
            @OptionGroup var store: StoreArguments

            func run() throws {
                let db = try store.open(.readOnly)
                var out = BufferedOutput()
                do {
                    for p in try db.patients() {
                        try out.line([p.id, p.name ?? "—", p.birthDate ?? "—", p.sex?.rawValue ?? "—"].joined(separator: "\t"))
                    }
                } catch let error as StoreError { throw Failure(error) }
                try out.flush()
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show a patient and their exams.")
            @Argument(help: "The patient id.") var id: String
            @OptionGroup var store: StoreArguments

            func run() throws {
                let db = try store.open(.readOnly)
                do {
                    guard let p = try db.patient(id) else { throw Failure(.noInput, "there is no patient with this id (abi patients list)") }
                    var out = BufferedOutput()
                    try out.line("Patient    \(p.id)" + (p.name.map { "  \($0)" } ?? ""))
                    try out.line("Born       \(p.birthDate ?? "—")   sex \(p.sex?.rawValue ?? "—")   diabetes \(p.diabetes.map { $0 ? "yes" : "no" } ?? "—")")
                    try out.line("")
                    try out.line(ExamLine.header)
                    try db.exams(patient: id) { e in try ExamLine.write(e, to: &out) }
                    try out.flush()
                } catch let error as StoreError { throw Failure(error) }
            }
        }
    }

    struct Exams: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List, show, import, export, sign off and amend the exams of the store.",
            discussion: """
                A final exam cannot change. To correct it, export it, edit the file and amend: the \
                amendment is a new version (preliminary until signed) and the old version is kept.

                Examples:
                  abi exams import samples/pad.exam.json
                  abi exams finalize 1 --by "Dr A. Smith"
                  abi exams export 1 -o corrected.exam.json
                  abi exams amend 1 --from corrected.exam.json --reason "left DP re-measured"
                """,
            subcommands: [List.self, Show.self, Import.self, Export.self, Finalize.self, Amend.self, Discard.self, Journal.self])

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List exams, oldest first: id, patient, time, status, version, ABI per leg.")
            @Option(help: "Only this patient's exams.") var patient: String?
            @OptionGroup var store: StoreArguments

            func run() throws {
                let db = try store.open(.readOnly)
                var out = BufferedOutput()
                try out.line(ExamLine.header)
                do { try db.exams(patient: patient) { e in try ExamLine.write(e, to: &out) } }
                catch { throw Failure(error) }
                try out.flush()
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Show one exam: text, or json (its abi-exam/1 and its abi-result/1).")
            @Argument(help: "The exam id (abi exams list).") var examId: Int64
            @Option(help: ArgumentHelp("text or json.", valueName: "FORMAT")) var format: String = "text"
            @OptionGroup var store: StoreArguments

            func run() throws {
                guard ["text", "json"].contains(format) else { throw Failure(.usage, "--format: \(format) is not text or json") }
                try SiteFile.load()
                let db = try store.open(.readOnly)
                let stored: Store.StoredExam
                do { stored = try db.exam(examId) } catch { throw Failure(error) }
                let result = stored.result
                if format == "text" {
                    Terminal.write("Exam \(stored.id), version \(stored.version), \(ExamLine.statusWords(stored))\n"
                                   + TextReport.render(db.report(of: stored, site: SiteFile.loaded)))
                } else {
                    var text = "{\n  \"id\": \(stored.id),\n  \"status\": \"\(stored.status.rawValue)\",\n  \"version\": \(stored.version),\n"
                    if let amends = stored.amends { text += "  \"amends\": \(amends),\n" }
                    if let newer = stored.amendedBy { text += "  \"amendedBy\": \(newer),\n" }
                    if let by = stored.signedBy, let at = stored.signedAt {
                        var w = JSONWriter()
                        w.beginObject()
                        w.string("by", by)
                        w.string("at", at)
                        w.endObject()
                        text += "  \"signed\": \(w.text),\n"
                    }
                    text += "  \"exam\": " + ExamFile.encode(stored.exam).dropLast() + ",\n  \"result\": " + ResultFile.encode(result, pretty: true).trimmingTrailingNewline + "\n}\n"
                    Terminal.write(text)
                }
            }
        }

        struct Import: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Store exam files (abi-exam/1) as preliminary exams; a new patient is added.",
                discussion: """
                    Give files, or folders of *.exam.json files. Every file is read and checked against \
                    the store first: a bad file, a patient whose details differ, or an exam already \
                    stored (same patient, time and readings) stores nothing and is named (exit 65). \
                    The exams are then stored 100 per transaction, so that a bedside capture running \
                    at the same time only waits a moment. The new exam ids are printed, one per line, \
                    in order.
                    """)
            @Argument(help: ArgumentHelp("Exam files, or folders of them.", valueName: "EXAM.json|FOLDER")) var files: [String]
            @ArgumentParser.Flag(help: "Store an exam even when the same one (patient, time and readings) is already stored.") var allowDuplicate = false
            @OptionGroup var rules: RuleArguments
            @OptionGroup var store: StoreArguments

            func run() throws {
                var paths: [String] = []
                for item in files {
                    var info = stat()
                    if stat(item, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
                        paths += try Files.examFiles(in: item)
                    } else {
                        paths.append(item)
                    }
                }
                var exams: [Exam] = []
                exams.reserveCapacity(paths.count)
                for path in paths {
                    exams.append(try Files.readExam(path, refused: " (nothing was stored)"))
                }
                let db = try store.open(.create)
                let ids: [Int64]
                do { ids = try db.importExams(exams, names: paths, options: rules.options, allowDuplicates: allowDuplicate, actor: store.actor) } catch {
                    throw Failure(error)
                }
                var out = BufferedOutput()
                for id in ids { try out.line(String(id)) }
                try out.flush()
                Terminal.error("abi: \(ids.count) exam\(ids.count == 1 ? "" : "s") stored")
            }
        }

        struct Export: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Write an exam as an exam file (abi-exam/1).")
            @Argument(help: "The exam id.") var examId: Int64
            @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write to this file (created 0600) instead of standard output.", valueName: "FILE")) var output: String?
            @ArgumentParser.Flag(help: "Replace the output file if it exists.") var force = false
            @OptionGroup var store: StoreArguments

            func run() throws {
                let db = try store.open(.existing)
                do {
                    let stored = try db.exam(examId)
                    if stored.discardReason != nil {
                        throw StoreError(.invalid, "exam \(examId) was discarded (abi exams show \(examId)); it is kept in the store but not exported")
                    }
                    // The prior entries include the previous exam of the store, so the file stands alone.
                    let text = ExamFile.encode(stored.exam)
                    if let output { try Files.createPrivate(output, text, replace: force) } else { Terminal.write(text) }
                    try db.noteExport(examId, as: "abi-exam/1", actor: store.actor)
                } catch let error as StoreError { throw Failure(error) }
            }
        }

        struct Finalize: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Sign an exam off with a conclusion: it becomes final, and its result as of now is the record.",
                discussion: """
                    The result is frozen at this moment (flags, the comparison with the prior signed exam, \
                    the rule set and its version) and every later report of the exam shows it. The \
                    conclusion is the signer's interpretation: --conclusion TEXT, or --conclusion-file FILE. \
                    Without either, abi drafts one from the result ("Right leg: moderate peripheral artery \
                    disease, ABI 0.53, …"); a terminal shows the draft to accept (Enter) or replace, and a \
                    script uses it and prints it. Reports show the conclusion and a signature block with \
                    --by, --role and the time.

                    Example:
                      abi exams finalize 12 --by "Dr K. Wiśniewska" --role "consultant angiologist" \\
                        --conclusion "Moderate PAD of the right leg; refer to vascular clinic."
                    """)
            @Argument(help: "The exam id.") var examId: Int64
            @Option(help: ArgumentHelp("Who signs.", valueName: "NAME")) var by: String
            @Option(help: ArgumentHelp("The signer's role, for the signature block.", valueName: "ROLE")) var role: String?
            @Option(help: ArgumentHelp("The interpretation and conclusion.", valueName: "TEXT")) var conclusion: String?
            @Option(help: ArgumentHelp("The conclusion from a text file (UTF-8).", valueName: "FILE")) var conclusionFile: String?
            @OptionGroup var store: StoreArguments

            func validate() throws {
                if by.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--by needs the name of who signs") }
                if conclusion != nil && conclusionFile != nil { throw ValidationError("give --conclusion or --conclusion-file, not both") }
                if let role, let problem = ManualEntry.freeTextProblem(role, max: 200) { throw ValidationError("--role: \(problem)") }
                if let conclusion, let problem = Finalize.conclusionProblem(conclusion) { throw ValidationError("--conclusion: \(problem)") }
            }

            /// Why a conclusion cannot be kept: too long, empty, or control characters other than line breaks and tabs.
            static func conclusionProblem(_ text: String) -> String? {
                if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return "it is empty" }
                if text.unicodeScalars.count > 20_000 { return "it is longer than 20000 characters" }
                if text.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || $0.value == 0x7F }) { return "it contains a control character" }
                return nil
            }

            func run() throws {
                let db = try store.open(.existing)
                var text = conclusion
                if let conclusionFile {
                    let bytes = try Files.read(conclusionFile)
                    let read = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    if let problem = Finalize.conclusionProblem(read) { throw Failure(.dataError, "\(conclusionFile): \(problem)") }
                    text = read
                }
                if text == nil {
                    let stored: Store.StoredExam
                    do { stored = try db.exam(examId) } catch { throw Failure(error) }
                    let draft = ExamReport.draftConclusion(stored.result)
                    if Terminal.isTerminal(STDIN_FILENO) {
                        Terminal.error("Draft conclusion:\n  \(draft)")
                        Terminal.write("Enter to accept it, or type your conclusion: ", to: STDERR_FILENO)
                        let answer = (readLine() ?? "").trimmingCharacters(in: .whitespaces)
                        if let problem = answer.isEmpty ? nil : Finalize.conclusionProblem(answer) { throw Failure(.dataError, "the conclusion: \(problem)") }
                        text = answer.isEmpty ? draft : answer
                    } else {
                        Terminal.error("abi: conclusion (drafted from the result; --conclusion to write your own): \(draft)")
                        text = draft
                    }
                }
                do { try db.finalize(examId, by: by, role: role, conclusion: text, actor: store.actor) } catch { throw Failure(error) }
                Terminal.error("abi: exam \(examId) is final")
            }
        }

        struct Amend: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Store a corrected version of an exam; the old version is kept.")
            @Argument(help: "The exam id to amend.") var examId: Int64
            @Option(help: ArgumentHelp("The corrected exam file (for example an edited abi exams export).", valueName: "EXAM.json")) var from: String
            @Option(help: "Why it is amended: printed on the amended report (\"AMENDED: replaces the report of … Reason: …\") and kept in the audit trail.") var reason: String
            @OptionGroup var store: StoreArguments

            func run() throws {
                let exam: Exam
                exam = try Files.readExam(from)
                let db = try store.open(.existing)
                do {
                    let id = try db.amend(examId, with: exam, reason: reason, actor: store.actor)
                    Terminal.write("\(id)\n")
                    Terminal.error("abi: exam \(examId) amended by exam \(id) (preliminary until signed)")
                } catch { throw Failure(error) }
            }
        }

        struct Discard: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Discard an exam entered in error, or a capture that will not be finished.",
                discussion: """
                    The exam stays in the store and in the audit trail, with the reason, and is shown \
                    as discarded in abi exams list; it leaves history, abi report --all, exports and \
                    the comparison with prior exams (R18). A signed exam is never discarded: amend it. \
                    A capture running right now in another abi capture is refused.

                    Example:
                      abi exams discard 12 --reason "wrong patient selected"
                    """)
            @Argument(help: "The exam id.") var examId: Int64
            @Option(help: ArgumentHelp("Why (kept in the audit trail).", valueName: "TEXT")) var reason: String
            @OptionGroup var store: StoreArguments

            func run() throws {
                if reason.allSatisfy(\.isWhitespace) { throw Failure(.usage, "--reason: say why the exam is discarded") }
                if let problem = ManualEntry.freeTextProblem(reason, max: 200) { throw Failure(.usage, "--reason: \(problem)") }
                let db = try store.open(.existing)
                do { try db.discard(examId, reason: reason, actor: store.actor) } catch { throw Failure(error) }
                Terminal.error("abi: exam \(examId) discarded; it stays in the store and the audit trail")
            }
        }

        struct Journal: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Print the raw device bytes journaled during an exam's capture, as an abi-raw/1 log.",
                discussion: "The log replays: abi exams journal 3 > session.raw; abi ingest session.raw --profile NAME")
            @Argument(help: "The exam id.") var examId: Int64
            @OptionGroup var store: StoreArguments

            func run() throws {
                let db = try store.open(.readOnly)
                let chunks: [(session: Int64, profile: String?, port: String, at: String, bytes: [UInt8])]
                do { chunks = try db.journal(exam: examId) } catch { throw Failure(error) }
                var out = BufferedOutput()
                try out.write(RawLog.header + (chunks.first.map { " profile=\($0.profile ?? "unknown") port=\($0.port)" } ?? "") + "\n")
                var session: Int64?
                for chunk in chunks {
                    guard let time = Timestamp(chunk.at) else { continue }
                    // A comment marks where a capture session (a resume after a crash, say) begins.
                    if chunk.session != session {
                        try out.write("# capture session \(chunk.session)\(session == nil ? "" : " (resumed)") port=\(chunk.port)\n")
                        session = chunk.session
                    }
                    try out.write(RawLog.line(time, chunk.bytes))
                }
                try out.flush()
            }
        }
    }

    struct Audit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the audit trail: who added, imported, captured, signed, amended or exported what, and when.",
            discussion: """
                One event a line, oldest first: time (UTC), actor, action, patient, exam, detail. \
                The trail is append-only: no program can change or delete an entry.

                Examples:
                  abi audit --patient MRN-0042
                  abi audit --exam 12
                  abi audit --since 2026-11-01
                """)
        @Option(help: ArgumentHelp("Only what concerns this patient (and their exams).", valueName: "ID")) var patient: String?
        @Option(help: ArgumentHelp("Only what concerns this exam.", valueName: "EXAM_ID")) var exam: Int64?
        @Option(help: ArgumentHelp("Only from this date or time on (YYYY-MM-DD or ISO 8601, UTC).", valueName: "DATE")) var since: String?
        @OptionGroup var store: StoreArguments

        func validate() throws {
            if let since, !Timestamp.isValidDate(since), Timestamp(since) == nil {
                throw ValidationError("--since: not a date YYYY-MM-DD or an ISO 8601 time")
            }
        }

        func run() throws {
            let db = try store.open(.readOnly)
            // Times are stored as UTC text, so a date or a UTC time compares as text.
            let from = since.map { Timestamp($0)?.text ?? $0 }
            let events: [Store.AuditEvent]
            do { events = try db.auditTrail(exam: exam, patient: patient, since: from) } catch { throw Failure(error) }
            var out = BufferedOutput()
            try out.line("TIME                       ACTOR             ACTION               PATIENT           EXAM  DETAIL")
            for e in events {
                try out.line([e.at.padded(26), e.actor.padded(17), e.action.padded(20), (e.patientId ?? "—").padded(17),
                              (e.examId.map(String.init) ?? "—").padded(5), e.detail ?? ""].joined(separator: " "))
            }
            try out.flush()
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A patient's ABI per leg over time, each exam compared with the one before (R18).",
            discussion: "A change beyond the minimal detectable change (0.08; 0.11 with diabetes) is marked; amended exams show their latest version.")
        @Argument(help: "The patient id.") var patient: String
        @OptionGroup var store: StoreArguments

        func run() throws {
            let db = try store.open(.readOnly)
            let (p, entries): (Patient, [Store.HistoryEntry])
            do { (p, entries) = try db.history(patient: patient) } catch { throw Failure(error) }
            var out = BufferedOutput()
            try out.line("ABI history of patient \(p.id)" + (p.diabetes == true ? " (diabetes: minimal detectable change 0.11)" : " (minimal detectable change 0.08)"))
            try out.line("EXAM    PERFORMED              STATUS        RIGHT                     LEFT")
            for e in entries {
                func leg(_ abi: Int?, _ category: String?) -> String {
                    (abi.map(Ratio.text) ?? "—") + (category.map { " \($0)" } ?? "")
                }
                try out.line(e.id.description.padded(8) + e.performedAt.padded(23) + e.status.rawValue.padded(14)
                             + leg(e.rightAbi, e.rightCategory).padded(26) + leg(e.leftAbi, e.leftCategory))
                for flag in e.changes { try out.line("        \(flag.level.rawValue.uppercased()) \(flag.code.rawValue): \(flag.message)") }
            }
            if entries.isEmpty { try out.line("(no exams)") }
            try out.flush()
        }
    }
}

extension Store.StoredExam {
    /// The report of this stored exam with this site's letterhead (the mapping is ABIWeb's,
    /// shared with the web app).
    var report: ExamReport { report(site: SiteFile.loaded) }
}

extension Failure: CustomStringConvertible {
    var description: String { message }
}

/// One exam per line, for `abi exams list` and `abi patients show`.
enum ExamLine {
    static let header = "EXAM    PATIENT           PERFORMED                STATUS        V  RIGHT ABI             LEFT ABI"

    /// One line, written straight into the output; columns are padded by byte count, which is
    /// cheap for a list of 50,000 exams (a name outside ASCII only shifts its own line).
    static func write(_ e: Store.ExamSummary, to out: inout BufferedOutput) throws(Failure) {
        func leg(_ abi: Int?, _ category: String?) -> String { (abi.map(Ratio.text) ?? "—") + (category.map { " \($0)" } ?? "") }
        out.column(String(e.id), 8)
        out.column(e.patientId, 18)
        out.column(e.performedAt, 25)
        out.column(e.discarded ? "discarded" : e.status.rawValue, 14)
        out.column(String(e.version), 3)
        out.column(leg(e.rightAbi, e.rightCategory), 22)
        try out.line(leg(e.leftAbi, e.leftCategory) + (e.amendedBy.map { "  (amended by \($0))" } ?? ""))
    }

    static func statusWords(_ e: Store.StoredExam) -> String {
        var words = e.status.rawValue
        if let reason = e.discardReason { words = "DISCARDED (\(reason)); was " + words }
        if let by = e.signedBy, let at = e.signedAt { words += ", signed by \(by) at \(at)" }
        if let newer = e.amendedBy { words += ", amended by exam \(newer)" }
        if let older = e.amends { words += ", amends exam \(older)" }
        return words
    }
}

extension String {
    func padded(_ n: Int) -> String { count >= n ? self + " " : self + String(repeating: " ", count: n - count) }
    var trimmingTrailingNewline: String { hasSuffix("\n") ? String(dropLast()) : self }
    func trimmingCharacters(in set: String) -> String { String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed()) }
}
