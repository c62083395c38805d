import ABICapture
import ABICore
import ABIDevices
import ABIStore
import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

extension MeasurementMethod: ExpressibleByArgument {}

extension ABI {
    struct Enter: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Type in the pressures of an exam: into the store (as abi capture does), or to an exam file with -o.",
            discussion: """
                The same bedside session as abi capture, without a device (docs/capture.md): the AHA 2012 \
                sequence (the first arm, its posterior tibial (PT) and dorsalis pedis (DP), the other \
                leg's PT and DP, the other arm), the first-arm repeat when R5 asks for it, the toes with \
                --toes, then the symptom questions, then a review of every site, then the result.

                By default the exam goes into the patient store: the patient is looked up (a new one is \
                added only when confirmed, with name, birth date, sex and diabetes), each value is \
                committed as it is typed, and the result compares with the patient's prior exams (R18). \
                Ctrl-C or quit keeps what was typed as an exam in progress: abi enter --resume --patient \
                ID goes on. With -o FILE the exam is written to an abi-exam/1 file instead (mode 0600), \
                and an interrupted entry to FILE.partial.

                At each site:
                  132            a systolic pressure (at the arms 132/80, or 132/80 p72 with the pulse)
                  a              absent: no Doppler or PPG signal
                  n or n 250     noncompressible (optionally the cuff pressure reached)
                  x REASON       not measured, with the reason in words
                  e or e CODE    the device showed an error (asked again at the site; next moves on)
                  k              at the first-arm repeat: keep the single reading
                  r or r SITE    back: measure the last site, or any site, again (RB LB RPT RDP LPT LDP RT LT)
                  q              stop (everything typed is kept)
                  ?              the keys
                A diastolic or a pulse is taken only at the arms. Each kind of site has its method: \
                oscillometric arms, Doppler ankles, PPG toes (--arm-method, --ankle-method, --toe-method, \
                or --method for all). Input that ends after the sites saves the exam.

                Answers can be piped in, one per line (MRN-0042 in the store; a new patient needs \
                --new-patient --name … --birth-date … --sex … --diabetes …):
                  printf '%s\\n' 132/80 110 a 126 124 128 n '' | abi enter --patient MRN-0042
                  printf '%s\\n' 132/80 110 a 126 124 128 n '' | abi enter --patient MRN-0042 -o exam.json
                """
        )

        @Option(help: "The patient id (medical record number); asked for on a terminal when omitted.")
        var patient: String?

        @ArgumentParser.Flag(help: "The patient is new to the store: add them with --name, --birth-date, --sex and --diabetes (a terminal asks instead).")
        var newPatient = false

        @OptionGroup(title: "The patient's details (a new patient; with -o, written into the file)") var details: ABI.Patients.Details

        @Option(name: [.short, .customLong("output")],
                help: ArgumentHelp("Write an exam file instead of storing the exam; - for standard output. The store is not used.",
                                   valueName: "EXAM.json"))
        var output: String?

        @ArgumentParser.Flag(help: "Replace the output file if it exists.")
        var force = false

        @Option(help: ArgumentHelp("When the exam was performed, ISO 8601 with a time zone, for entering an earlier exam (its readings then carry that time). Not in the future. Default: now, with each reading timed as it is entered.",
                                   valueName: "DATE-TIME"))
        var performedAt: String?

        @Option(help: ArgumentHelp("The arm measured first: right or left.", valueName: "SIDE")) var firstArm: String = "right"
        @ArgumentParser.Flag(help: "Also take the toe pressures.") var toes = false
        @Option(help: ArgumentHelp("A leg with signs of DVT (right, left or both): not cuffed; its signs are recorded.", valueName: "SIDE")) var dvt: [String] = []
        @OptionGroup(title: "How the pressures were taken") var methods: MethodArguments

        @Option(help: "Why the exam was done.") var indication: String?
        @Option(help: "Who performed the exam.") var `operator`: String?
        @Option(help: "Patient position (supine, sitting…).") var position: String = "supine"
        @Option(help: "Minutes of rest before measuring.") var restMinutes: Int?
        @ArgumentParser.Flag(help: "Continue the entry in progress of --patient (in the store).") var resume = false

        @OptionGroup var rules: RuleArguments
        @OptionGroup var store: StoreArguments

        var dvtSides: Set<Side> { Side.legs(dvt) }

        func validate() throws {
            if let patient, let problem = ManualEntry.patientIdProblem(patient) { throw ValidationError("--patient: \(problem)") }
            if let performedAt {
                guard let t = Timestamp(performedAt) else {
                    throw ValidationError("--performed-at: \"\(performedAt)\" is not an ISO 8601 date-time with a time zone (e.g. 2026-11-26T09:30:00Z).")
                }
                if t.millisecondsSinceEpoch > DeviceClock.now().millisecondsSinceEpoch + 60_000 {
                    throw ValidationError("--performed-at: \(performedAt) is in the future.")
                }
            }
            for (name, value, limit) in [("--indication", indication, ManualEntry.indicationLimit), ("--operator", `operator`, ManualEntry.operatorLimit),
                                        ("--position", position, ManualEntry.positionLimit)] {
                if let value, let problem = ManualEntry.freeTextProblem(value, max: limit) { throw ValidationError("\(name): \(problem)") }
            }
            if let restMinutes, !ManualEntry.restMinutesRange.contains(restMinutes) { throw ValidationError("--rest-minutes: \(restMinutes) is out of range (0–1440).") }
            guard Side(rawValue: firstArm) != nil else { throw ValidationError("--first-arm: right or left.") }
            for side in dvt where side != "both" && Side(rawValue: side) == nil { throw ValidationError("--dvt: right, left or both.") }
            if output != nil && (resume || newPatient) { throw ValidationError("-o writes a file and does not use the store: leave out --resume and --new-patient.") }
        }

        func run() throws {
            let interactive = Terminal.isTerminal(STDIN_FILENO)
            let stop = StopSignal.install()
            let start = performedAt.flatMap(Timestamp.init) ?? DeviceClock.now()
            let readingTime = performedAt.map { _ in start.text }
            let exam = ExamDetails(performedAt: start, indication: indication, operator: `operator` ?? store.actor, position: position, restMinutes: restMinutes)
            guard let output else {
                // Into the store, exactly as a capture without a device.
                let db = try store.open(.create)
                let id = try patient ?? Enter.askPatientId(interactive: interactive, resume: resume)
                let identified = try BedsidePatient.identify(db, id: id, resume: resume, newPatient: newPatient, details: details,
                                                             interactive: interactive, examName: "enter")
                try StoredBedsideSession(db: db, command: "enter", actor: exam.operator ?? store.actor, identified: identified, details: exam,
                                         plan: Store.CapturePlan(firstArm: Side(rawValue: firstArm)!, toes: toes), dvt: dvtSides,
                                         methods: methods.methods, device: nil, readingTime: readingTime).run(stopFD: stop)
                return
            }
            try toFile(output, details: exam, readingTime: readingTime, interactive: interactive, stop: stop)
        }

        /// `-o FILE`: the exam is held in memory and written at the end; an interrupted entry goes to FILE.partial.
        private func toFile(_ output: String, details exam: ExamDetails, readingTime: String?, interactive: Bool, stop: Int32) throws {
            let toStdout = output == "-"
            if !toStdout, !force, Files.exists(output) {
                throw Failure(.cannotCreate, "cannot create \(output): the file already exists (choose another name, or pass --force to replace it)")
            }
            let id = try patient ?? Enter.askPatientId(interactive: interactive, resume: false)!
            let person = try details.patient(id)
            Terminal.error("Patient: " + BedsidePatient.describe(person))
            let recorder = ExamFileRecorder(Exam(patient: person, details: exam, readings: []))
            let engine = BedsideSession(recorder: recorder,
                                        plan: BedsideSession.Plan(firstArm: Side(rawValue: firstArm)!, toes: toes, dvt: dvtSides, methods: methods.methods),
                                        device: nil, clock: DeviceClock.milliseconds, timestamp: { readingTime ?? DeviceClock.now().text })
            var console = BedsideConsole(engine: engine, device: nil, patient: person, title: "entry to \(toStdout ? "standard output" : output)", restUntil: nil)
            console.committed = false
            let outcome = try console.run(stopFD: stop)
            var entered = recorder.exam
            if recorder.repeatDeclined { Terminal.error("The single first-arm reading was kept; the result carries a first-arm-repeat-required warning.") }

            guard outcome == .saved else {
                // Nothing typed is lost: the readings so far go to a file marked partial.
                let why = outcome == .inputEnded ? "standard input: input ended before the exam was complete" : "stopped before the exam was complete"
                let status: ExitStatus = outcome == .inputEnded ? .dataError : .success
                guard !entered.readings.isEmpty else {
                    if status == .success { Terminal.error("abi: \(why); nothing was entered, no exam was written"); return }
                    throw Failure(status, "\(why); nothing was entered, no exam was written")
                }
                let path = toStdout ? nil : Enter.partialFileName(output, entered)
                if let path, (try? Files.createPrivate(path, ExamFile.encode(entered), replace: false)) != nil {
                    if status == .success { Terminal.error("abi: \(why); the \(entered.readings.count) readings entered were saved to \(path)"); return }
                    throw Failure(status, "\(why); the \(entered.readings.count) readings entered were saved to \(path)")
                }
                Terminal.error("abi: the \(entered.readings.count) readings entered so far follow, so that they are not lost:")
                Terminal.error(ExamFile.encode(entered))
                throw Failure(.dataError, why)
            }

            // Check the file the program itself would read back: what is written must be a valid exam.
            if readingTime != nil { entered.readings = entered.readings.map { var r = $0; r.time = nil; return r } }
            let text = ExamFile.encode(entered)
            let saved: Exam
            do { saved = try ExamFile.decode(Array(text.utf8)) } catch {
                throw Failure(.dataError, "the entered exam does not validate (\(error)); please report this")
            }
            let summary = ResultSummary.text(saved.result(options: rules.options))
            if toStdout {
                Terminal.error(summary)
                Terminal.write(text)
                return
            }
            Terminal.write(summary)
            do {
                try Files.createPrivate(output, text, replace: force)
            } catch {
                // Nothing typed is lost: the exam goes to standard output instead (the error is said once).
                Terminal.write(text)
                throw Failure(error.status, "\(error.message); the exam was written to standard output instead, so that it is not lost")
            }
            Terminal.error("abi enter: saved the exam to \(output)")
        }

        /// The patient id, asked on a terminal.
        static func askPatientId(interactive: Bool, resume: Bool) throws(Failure) -> String? {
            if resume { return nil }
            guard interactive else { throw Failure(.usage, "--patient ID is needed when the answers are piped in") }
            while true {
                Terminal.write("Patient id: ", to: STDERR_FILENO)
                guard let line = readLine()?.trimmingCharacters(in: .whitespaces) else { throw Failure(.dataError, "input ended; nothing was entered") }
                if let problem = ManualEntry.patientIdProblem(line) { Terminal.error(problem); continue }
                return line
            }
        }

        /// Where an interrupted entry is saved: beside the requested output, marked partial.
        static func partialFileName(_ output: String?, _ exam: Exam) -> String {
            guard let output else { return "\(FileName.sanitized(exam.patient.id)).partial.exam.json" }
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
