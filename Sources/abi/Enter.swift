import ABICore
import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

extension MeasurementMethod: ExpressibleByArgument {}

extension ABI {
    struct Enter: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Type in the pressures of an exam, see the result, and save an abi-exam/1 file.",
            discussion: """
                Asks for each site in the AHA 2012 sequence: the first arm, its posterior tibial (PT) \
                and dorsalis pedis (DP), the other leg's PT and DP, the other arm, then the toes \
                (optional). When the first arm reads more than 10 mmHg above the other, it asks for \
                the repeat (R5). It then offers the symptom questions (rest pain, DVT and acute \
                ischemia signs), shows the result and writes the exam file (mode 0600).

                \(ManualEntry.help)

                A bad answer is explained and asked again. Answers can be piped in, one per line:
                  printf '%s\\n' MRN-0042 r 132/80 110 a 126 124 128 '' '' n | abi enter -o exam.json
                """
        )

        @Option(help: "The patient id (medical record number); asked for when omitted.")
        var patient: String?

        @Option(name: [.short, .customLong("output")],
                help: ArgumentHelp("Where to write the exam file; - for standard output. Default: <patient>-<date-time>.exam.json here.",
                                   valueName: "EXAM.json"))
        var output: String?

        @ArgumentParser.Flag(help: "Replace the output file if it exists.")
        var force = false

        @Option(help: ArgumentHelp("How the pressures were taken.", valueName: MeasurementMethod.allCases.map(\.rawValue).joined(separator: "|")))
        var method: MeasurementMethod = .manualEntry

        @Option(help: ArgumentHelp("When the exam was performed, ISO 8601 with a time zone, for entering an earlier exam (its readings then carry no time of their own). Default: now, with each reading timed as it is entered.",
                                   valueName: "DATE-TIME"))
        var performedAt: String?

        @Option(help: "Why the exam was done.")
        var indication: String?

        @Option(help: "Who performed the exam.")
        var `operator`: String?

        @Option(help: "Patient position (supine, sitting…).")
        var position: String = "supine"

        @Option(help: "Minutes of rest before measuring.")
        var restMinutes: Int?

        @OptionGroup var rules: RuleArguments

        func validate() throws {
            if let patient, let problem = ManualEntry.patientIdProblem(patient) {
                throw ValidationError("--patient: \(problem)")
            }
            if let performedAt, Timestamp(performedAt) == nil {
                throw ValidationError("--performed-at: \"\(performedAt)\" is not an ISO 8601 date-time with a time zone (e.g. 2026-11-26T09:30:00Z).")
            }
            for (name, value, limit) in [("--indication", indication, 1000), ("--operator", `operator`, 200), ("--position", position, 100)] {
                if let value, let problem = ManualEntry.freeTextProblem(value, max: limit) {
                    throw ValidationError("\(name): \(problem)")
                }
            }
            if let restMinutes, !(0...1440).contains(restMinutes) {
                throw ValidationError("--rest-minutes: \(restMinutes) is out of range (0–1440).")
            }
        }

        func run() throws {
            let toStdout = output == "-"
            if let output, !toStdout, !force, Files.exists(output) {
                throw Failure(.cannotCreate, "cannot create \(output): the file already exists (choose another name, or pass --force to replace it)")
            }
            let conversationFD = toStdout ? STDERR_FILENO : STDOUT_FILENO
            var console = StandardConsole(outputFD: conversationFD, echo: !Terminal.isTerminal(STDIN_FILENO))

            let start = Timestamp(secondsSinceEpoch: time(nil))
            let details = ExamDetails(performedAt: performedAt.flatMap(Timestamp.init) ?? start, indication: indication,
                                      operator: `operator`, position: position, restMinutes: restMinutes)
            let live = performedAt == nil
            let entry = ManualEntry(patientId: patient, method: method, details: details) {
                live ? Timestamp(secondsSinceEpoch: time(nil)) : details.performedAt ?? start
            }
            var exam: Exam
            do {
                exam = try entry.run(&console)
            } catch {
                guard var partial = error.partial else { throw Failure(.dataError, "standard input: \(error); nothing was entered, no exam was written") }
                // Nothing typed is lost: the readings so far go to a file marked partial.
                if !live { partial.readings = partial.readings.map { var r = $0; r.time = nil; return r } }
                let path = toStdout ? nil : Enter.partialFileName(output, partial)
                if let path, (try? Files.createPrivate(path, ExamFile.encode(partial), replace: false)) != nil {
                    throw Failure(.dataError, "standard input: \(error); the \(partial.readings.count) readings entered were saved to \(path)")
                }
                Terminal.error("abi: the \(partial.readings.count) readings entered so far follow, so that they are not lost:")
                Terminal.error(ExamFile.encode(partial))
                throw Failure(.dataError, "standard input: \(error)")
            }
            if !live { exam.readings = exam.readings.map { var r = $0; r.time = nil; return r } }

            // Check the file the program itself would read back: what is written must be a valid exam.
            let text = ExamFile.encode(exam)
            let saved: Exam
            do {
                saved = try ExamFile.decode(Array(text.utf8))
            } catch {
                throw Failure(.dataError, "the entered exam does not validate (\(error)); please report this")
            }
            console.say("")
            console.say(ResultSummary.text(saved.result(options: rules.options)))

            if toStdout {
                Terminal.write(text)
                return
            }
            let path = output ?? Enter.defaultFileName(exam)
            do {
                try Files.createPrivate(path, text, replace: force)
            } catch {
                // Nothing typed is lost: the exam goes to standard output instead (the error is said once).
                Terminal.write(text)
                throw Failure(error.status, "\(error.message); the exam was written to standard output instead, so that it is not lost")
            }
            console.say("Saved the exam to \(path)")
        }

        /// `<sanitised patient id>-<YYYYMMDD-HHMMSS>.exam.json`, never an existing file.
        static func defaultFileName(_ exam: Exam, suffix: String = ".exam.json") -> String {
            let t = (exam.details.performedAt?.text ?? "").filter { $0.isNumber }.prefix(14)
            let stamp = t.prefix(8) + "-" + t.dropFirst(8)
            let base = "\(FileName.sanitized(exam.patient.id))-\(stamp)"
            var name = base + suffix
            var n = 2
            while Files.exists(name) {
                name = "\(base)-\(n)\(suffix)"
                n += 1
            }
            return name
        }

        /// Where an interrupted entry is saved: beside the requested output, marked partial.
        static func partialFileName(_ output: String?, _ exam: Exam) -> String {
            guard let output else { return defaultFileName(exam, suffix: ".partial.exam.json") }
            var name = output + ".partial"
            var n = 2
            while Files.exists(name) {
                name = "\(output).partial-\(n)"
                n += 1
            }
            return name
        }
    }
}

/// The console of `abi enter`: prompts on a terminal or pipe, answers from standard input.
/// When input is piped, each answer is echoed after its prompt so the transcript reads naturally.
struct StandardConsole: EntryConsole {
    let outputFD: Int32
    let echo: Bool

    mutating func ask(_ prompt: String) -> String? {
        Terminal.write(prompt, to: outputFD)
        guard let line = readLine(strippingNewline: true) else {
            Terminal.write("\n", to: outputFD)
            return nil
        }
        if echo { Terminal.write(line + "\n", to: outputFD) }
        return line
    }

    mutating func say(_ text: String) {
        Terminal.write(text.hasSuffix("\n") ? text : text + "\n", to: outputFD)
    }
}
