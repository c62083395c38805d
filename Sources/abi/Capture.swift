import ABIAudio
import ABICapture
import ABICore
import ABIDevices
import ABIReports
import ABIStore
import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension ABI {
    struct Capture: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The guided bedside capture: follow the measuring sequence, take readings from a device or typed in.",
            discussion: """
                The patient is shown first and stays on screen. A patient not in the store is added only \
                when you say so (asked on a terminal; --new-patient with --name, --birth-date, --sex and \
                --diabetes in a script). A capture already open for the patient is offered for resume (abi \
                exams discard EXAM_ID --reason TEXT ends one that will not be finished).

                Walks the AHA 2012 sequence (docs/capture.md): the first arm, its PT and DP, the other PT \
                and DP, the other arm; the first-arm repeat when R5 asks for it; the toes with --toes. \
                A leg named by --dvt gets no cuff (ankles and toe): its sites are recorded as not \
                measured, and its DVT signs (swelling, warmth) are recorded, which raises suspected-dvt. \
                Then the symptom questions, then a review of every site (redo any of them), then save. \
                Every reading, and every byte from the device, is committed to the store before it is \
                shown as accepted.

                At each site (typed, or piped in one per line to script a session):
                  132             a systolic pressure (at the arms 132/80 or 132/80 p72)
                  Space or mark   Doppler: the signal is back; take the device's cuff pressure now.
                                  Only a fresh pressure (under 500 ms old) from a connected device,
                                  falling, and one mark per inflation: inflate 20 mmHg above the
                                  last mark to mark again. A MARK from the manometer counts the same.
                  Enter (or y)    with --audio: record what the Doppler's sound proposes
                                  (flow returned at a pressure, absent, noncompressible);
                                  only at the site the cuff was pumped up for, once per
                                  inflation (--auto-mark records it without the key)
                  auto            start the automatic cuff (SunTech) at this site; its result is
                                  recorded only here
                  Esc, s or stop  stop the automatic cuff (it deflates); quit, redo, recording
                                  another value, Ctrl-C and the end of abi capture also stop it
                  a               absent: no signal
                  n or n 250      noncompressible (N optional)
                  x REASON        not measured, with the reason
                  e or e CODE     the device showed an error (the session stays at the site)
                  k or keep       at the first-arm repeat: keep the single reading
                  next            after a device error: move on, keeping the error
                  r or r SITE     measure the last site, or any site, again (RB LB RPT RDP LPT
                                  LDP RT LT); it supersedes the earlier reading (R4)
                  q or quit       stop; all is kept: abi capture --resume --patient ID goes on
                  ?               the keys
                A value typed while the session moved on (a device MARK came) is not recorded: the \
                operator is told and types it again.

                Unplugging the device pauses the session ("device disconnected — plug it back in"); it \
                goes on by itself when the same device returns.

                Exit codes: 0 saved, or stopped (quit, Ctrl-C); 65 piped commands ended before the \
                sites were done (what was recorded is kept: --resume goes on), or an unknown patient \
                without --new-patient, or a capture already open; 66 nothing to resume; 69 the port \
                or the --audio sound device cannot be opened (nothing is started); 74 the store \
                cannot be written.

                Examples:
                  abi capture --patient MRN-0042 --port /dev/ttyUSB0 --toes
                  printf '132/80\\n110\\n' | abi capture --patient MRN-0042
                  abi capture --resume --patient MRN-0042
                  abi capture --patient MRN-0042 --port /dev/ttyUSB0 --audio hw:1,0
                """
        )

        @Option(help: ArgumentHelp("The patient id.", valueName: "ID")) var patient: String?
        @ArgumentParser.Flag(help: "The patient is new: add them with --name, --birth-date, --sex and --diabetes (a terminal asks instead).") var newPatient = false
        @OptionGroup(title: "A new patient's details") var details: ABI.Patients.Details
        @Option(help: ArgumentHelp("The device's serial port.", valueName: "PATH")) var port: String?
        @Option(help: ArgumentHelp("The device profile (default: the udev rule's or your binding's).", valueName: "NAME|FILE.json")) var profile: String?
        @ArgumentParser.Flag(help: "Use the bound device that is plugged in, or wait for one.") var auto = false
        @Option(help: "Why the exam is done.") var indication: String?
        @Option(help: "Who measures (default: ABI_OPERATOR, else the login name).") var `operator`: String?
        @Option(help: "The patient's position.") var position: String = "supine"
        @Option(help: "Minutes of rest before measuring (a countdown on the screen).") var restMinutes: Int?
        @Option(help: ArgumentHelp("The arm measured first: right or left.", valueName: "SIDE")) var firstArm: String = "right"
        @ArgumentParser.Flag(help: "Also take the toe pressures (after the arms and ankles).") var toes = false
        @Option(help: ArgumentHelp("A leg with signs of DVT (right, left or both): no cuff on it; its signs are recorded.", valueName: "SIDE")) var dvt: [String] = []
        @OptionGroup(title: "How typed values were measured") var methods: MethodArguments
        @ArgumentParser.Flag(help: "Continue the capture in progress of --patient.") var resume = false
        @Option(help: ArgumentHelp("The Doppler's sound: an ALSA capture device (abi doppler devices lists them). abi hears the signal return and proposes the cuff pressure; each site's sound is kept with the exam.", valueName: "DEVICE")) var audio: String?
        @Option(help: ArgumentHelp("The sound's channels: 2 (forward left, reverse right) or 1.", valueName: "N")) var audioChannels: Int = 2
        @Option(help: ArgumentHelp("The sound's sample rate: 48000 or 44100.", valueName: "HZ")) var audioRate: Int = 48_000
        @ArgumentParser.Flag(help: "Record what the Doppler's sound proposes without a key (default: Enter records it).") var autoMark = false
        @OptionGroup var store: StoreArguments
        @OptionGroup(title: "Port settings") var serial: SerialOverrides

        var dvtSides: Set<Side> { Side.legs(dvt) }

        func validate() throws {
            if !resume && patient == nil { throw ValidationError("--patient ID is needed (or --resume).") }
            if auto && port != nil { throw ValidationError("--auto finds the device; leave out --port.") }
            guard Side(rawValue: firstArm) != nil else { throw ValidationError("--first-arm: right or left.") }
            for side in dvt where side != "both" && Side(rawValue: side) == nil { throw ValidationError("--dvt: right, left or both.") }
            if let restMinutes, !ManualEntry.restMinutesRange.contains(restMinutes) { throw ValidationError("--rest-minutes: 0 to 1440.") }
            if let patient, let problem = ManualEntry.patientIdProblem(patient) { throw ValidationError("--patient: \(problem)") }
            if resume && newPatient { throw ValidationError("--new-patient starts a new exam; leave out --resume.") }
            if audio != nil && port == nil && !auto && !resume { throw ValidationError("--audio needs the manometer too: --port PATH or --auto.") }
            if autoMark && audio == nil { throw ValidationError("--auto-mark needs --audio DEVICE.") }
            if audio != nil, let problem = Sound.problem(sampleRate: audioRate, channels: audioChannels) { throw ValidationError("--audio-rate/--audio-channels: \(problem)") }
        }

        func run() throws {
            let db = try store.open(.create)
            let actor = `operator` ?? store.actor
            let stop = StopSignal.install()
            let interactive = Terminal.isTerminal(STDIN_FILENO)

            // The patient, identified before anything is recorded; the exam: new, or the one to resume.
            let identified = try BedsidePatient.identify(db, id: patient, resume: resume, newPatient: newPatient, details: details,
                                                         interactive: interactive, examName: "capture")

            // The device, if any: chosen and opened now, so a wrong port fails before anything is recorded.
            var device: (path: String, profile: DeviceProfile)?
            if let port { device = (port, serial.apply(to: try ProfileArgument.load(try resolveProfile(port: port, option: profile, command: "abi capture")))) }
            if auto { device = try CaptureDevice.waitForBoundDevice(stopFD: stop) }
            // A resumed capture goes on with the device it had, when that port is there.
            if device == nil, let open = identified.openExam, let last = try? db.lastDevice(exam: open.id), let path = last.port {
                if let name = profile ?? last.profile, Files.exists(path), let loaded = try? ProfileArgument.load(name) {
                    device = (path, serial.apply(to: loaded))
                    Terminal.error("abi capture: going on with the device of the earlier session (--port to choose another)")
                } else {
                    Terminal.error("abi capture: the earlier session's device (\(path)) is not there; going on without a device (--port to choose one)")
                }
            }
            if let device {
                do { try SerialPort(path: device.path, settings: device.profile.settings).close() }
                catch { throw Failure(.unavailable, error.description) }
            }
            if let device {
                Terminal.error("abi capture: device \(device.profile.name) on \(device.path)" + (device.profile.measuresOnRequest ? " (automatic cuff: auto measures, Esc or s stops it)" : ""))
            }
            // The Doppler's sound, opened now too: a wrong device fails before anything is recorded.
            var sound: BedsideSound?
            if let audio {
                guard let device, !device.profile.measuresOnRequest else {
                    throw Failure(.usage, "--audio listens for the signal return during a manual deflation: it needs a Doppler manometer (not an automatic cuff, and not no device)")
                }
                do { sound = try BedsideSound(device: audio, sampleRate: audioRate, channels: audioChannels, clock: DeviceClock.milliseconds) }
                catch { throw Failure(.unavailable, error.description) }
                Terminal.error("abi capture: listening to the Doppler on \(audio)" + (autoMark ? "; what it hears is recorded without a key (--auto-mark)" : "; Enter records what it hears"))
            }

            let details = ExamDetails(performedAt: DeviceClock.now(), indication: indication, operator: actor, position: position, restMinutes: restMinutes)
            try StoredBedsideSession(db: db, command: "capture", actor: actor, identified: identified, details: details,
                                     plan: Store.CapturePlan(firstArm: Side(rawValue: firstArm)!, toes: toes), dvt: dvtSides,
                                     methods: methods.methods, device: device, readingTime: nil, sound: sound, autoMark: autoMark).run(stopFD: stop)
        }
    }
}

/// A bedside session recorded in the store (abi capture, and abi enter without -o): a new exam
/// in progress or the patient's open one resumed, each reading committed as it is taken; saved as
/// preliminary at the end, or left in progress to resume.
struct StoredBedsideSession {
    let db: Store
    let command: String
    let actor: String
    let identified: BedsidePatient.Identified
    let details: ExamDetails
    let plan: Store.CapturePlan
    let dvt: Set<Side>
    let methods: BedsideSession.Methods
    let device: (path: String, profile: DeviceProfile)?
    /// The time stamp of every reading (an earlier exam typed in), else each one's own time.
    let readingTime: String?
    var sound: BedsideSound? = nil
    var autoMark = false

    func run(stopFD: Int32) throws(Failure) {
        let identity = device.map { DeviceIdentity(profile: $0.profile.name, port: $0.path) }
        let restMinutes = details.restMinutes
        let capture: Store.Capture
        let storePlan: Store.CapturePlan
        do {
            if let open = identified.openExam {
                (capture, storePlan) = try db.resumeCapture(patient: identified.patient.id, device: identity, actor: actor)
                Terminal.error("abi \(command): resuming exam \(capture.examId) of patient \(capture.patientId) (\(open.readings) readings so far)")
            } else {
                storePlan = plan
                capture = try db.beginCapture(identified.patient, details: details, plan: storePlan, device: identity, actor: actor)
                Terminal.error("abi \(command): exam \(capture.examId) started for patient \(capture.patientId); every reading is saved as it is taken")
            }
        } catch { throw Failure(error) }

        let recorder: StoreRecorder
        do { recorder = try StoreRecorder(store: db, capture: capture, plan: storePlan, actor: actor) } catch { throw Failure(error) }
        let engine = BedsideSession(recorder: recorder, plan: BedsideSession.Plan(firstArm: storePlan.firstArm, toes: storePlan.toes, dvt: dvt, methods: methods), device: device.map { BedsideSession.Device(profile: $0.profile, port: $0.path) },
                                    clock: DeviceClock.milliseconds, timestamp: { readingTime ?? DeviceClock.now().text })

        engine.autoMark = autoMark
        let deviceThread = device.map { BedsideDevice(path: $0.path, profile: $0.profile, store: db, capture: capture) }
        deviceThread?.start()
        defer { deviceThread?.stop() }
        sound?.start()
        // Each site's sound is kept with the exam (FLAC with its SHA-256), beside its reading.
        let scratch = db.path + "-captures"
        let actor = self.actor
        let keep = { (recording: BedsideSound.SiteRecording) throws -> String in
            let kept = try BedsideSound.keepable(recording, recordedAt: DeviceClock.now().text, scratchFolder: scratch)
            do throws(StoreError) { try db.keepSound(capture, kept, actor: actor) } catch { throw Failure(error) }
            return "Kept the \(recording.site.words)'s Doppler sound (\(Int(kept.seconds.rounded())) s, \(kept.description))."
        }

        let restUntil = restMinutes.flatMap { $0 > 0 && recorder.readings.isEmpty ? DeviceClock.milliseconds() + $0 * 60_000 : nil }
        var console = BedsideConsole(engine: engine, device: deviceThread, patient: identified.patient,
                                     title: "\(command), exam \(capture.examId)", restUntil: restUntil)
        console.sound = sound
        console.keepSound = keep
        let outcome = try console.run(stopFD: stopFD)
        if let sound {
            // The last site's sound: the listening stops, and what it heard is kept.
            sound.stop()
            while let recording = sound.takeRecording() {
                do { Terminal.error("abi \(command): " + (try keep(recording))) } catch {
                    Terminal.error("abi \(command): the \(recording.site.words)'s Doppler sound could not be kept: \(error)")
                }
            }
        }
        let saved = outcome == .saved
        do { try db.endCapture(capture, finished: saved, actor: actor) } catch { throw Failure(error) }
        if saved {
            let stored: Store.StoredExam
            do { stored = try db.exam(capture.examId) } catch { throw Failure(error) }
            let result = stored.result
            Terminal.write(ResultSummary.text(result))
            // The comparison with the patient's prior exam (R18), at the bedside.
            if let prior = stored.exam.mostRecentPrior {
                let sides = [Side.right, .left].map { side in
                    "\(side.word) \(result.leg(side).abi.map(Ratio.text) ?? "—") (was \(prior.abi(side).map(Ratio.text) ?? "—"))"
                }
                Terminal.write("Prior exam   \(prior.performedAt.datePart): ABI now " + sides.joined(separator: ", ") + "\n")
            }
            Terminal.error("abi \(command): exam \(capture.examId) saved as preliminary (abi exams show \(capture.examId); sign with abi exams finalize \(capture.examId) --by NAME)")
        } else {
            Terminal.error("abi \(command): stopped; every reading so far is saved. Continue with: abi \(command) --resume --patient \(capture.patientId)")
            if outcome == .inputEnded { throw Failure(.dataError, "standard input ended before the sites were done") }
        }
    }
}

/// How typed values were measured, per kind of site (defaults: oscillometric arms, Doppler
/// ankles, photoplethysmography at the toes).
struct MethodArguments: ParsableArguments {
    @Option(help: ArgumentHelp("One method for every typed value.", valueName: "METHOD")) var method: MeasurementMethod?
    @Option(help: ArgumentHelp("Arms (default oscillometric).", valueName: "METHOD")) var armMethod: MeasurementMethod?
    @Option(help: ArgumentHelp("Ankles (default doppler).", valueName: "METHOD")) var ankleMethod: MeasurementMethod?
    @Option(help: ArgumentHelp("Toes (default ppg).", valueName: "METHOD")) var toeMethod: MeasurementMethod?

    var methods: BedsideSession.Methods {
        var m = method.map(BedsideSession.Methods.init(all:)) ?? BedsideSession.Methods()
        if let armMethod { m.arms = armMethod }
        if let ankleMethod { m.ankles = ankleMethod }
        if let toeMethod { m.toes = toeMethod }
        return m
    }
}

extension Side {
    /// The legs named by `--dvt right|left|both` options.
    static func legs(_ options: [String]) -> Set<Side> {
        Set(options.flatMap { $0 == "both" ? Side.allCases : [Side(rawValue: $0)].compactMap { $0 } })
    }
}

/// The patient of a bedside session, identified before anything is recorded (audit C6, C7).
enum BedsidePatient {
    struct Identified {
        var patient: Patient
        /// The patient's capture in progress, to resume.
        var openExam: (id: Int64, readings: Int)?
    }

    /// - Parameters:
    ///   - interactive: standard input is a terminal: questions are asked there.
    static func identify(_ db: Store, id: String?, resume: Bool, newPatient: Bool, details: ABI.Patients.Details,
                         interactive: Bool, examName: String) throws(Failure) -> Identified {
        var chosen = id
        let confirm = id == nil
        if chosen == nil {
            // --resume without --patient: the one patient with a capture in progress, confirmed on a terminal.
            var open: [String] = []
            do { try db.exams { if $0.status == .inProgress && !$0.discarded && !open.contains($0.patientId) { open.append($0.patientId) } } }
            catch { throw Failure(error) }
            guard !open.isEmpty else { throw Failure(.noInput, "there is no capture in progress to resume") }
            guard interactive, open.count == 1 else {
                throw Failure(.usage, open.count == 1 ? "--resume: name the patient with --patient ID (the capture in progress is of patient \(open[0]))"
                                                      : "--resume: captures are in progress for \(open.count) patients; name one with --patient ID (abi exams list)")
            }
            chosen = open[0]
        }
        let id = chosen!
        let known: Patient?
        do { known = try db.patient(id) } catch { throw Failure(error) }
        var patient: Patient
        if let known {
            patient = known
            if newPatient { throw Failure(.dataError, "--new-patient: patient \(id) is already in the store (abi patients show \(id))") }
        } else {
            guard !resume else { throw Failure(.noInput, "patient \(id) is not in the store; there is nothing to resume") }
            patient = try details.patient(id)
            if !newPatient {
                guard interactive else {
                    throw Failure(.dataError, "patient \(id) is not in the store: check the id, or add the patient with --new-patient --name \"Family, Given\" --birth-date YYYY-MM-DD --sex SEX --diabetes yes|no (or abi patients add)")
                }
                guard ask("Patient \(id) is not in the store. Add this patient? y/n [n]: ", yes: ["y", "yes"]) else {
                    throw Failure(.dataError, "patient \(id) not added; nothing was recorded")
                }
            }
            patient = try askDetails(patient, interactive: interactive)
        }
        Terminal.error("Patient: " + describe(patient))

        // A capture already open for this patient is continued, not doubled.
        var open: (Int64, Int)?
        do {
            try db.exams(patient: patient.id) { summary in
                if summary.status == .inProgress && !summary.discarded && open == nil { open = (summary.id, 0) }
            }
            if let found = open { open = (found.0, try db.exam(found.0).exam.readings.count) }
        } catch { throw Failure(error) }
        if resume {
            guard let open else { throw Failure(.noInput, "there is no capture in progress for this patient to resume") }
            if confirm, !ask("Continue exam \(open.0) of this patient (\(open.1) readings)? y/n [n]: ", yes: ["y", "yes"]) {
                throw Failure(.dataError, "not resumed; nothing was recorded")
            }
            return Identified(patient: patient, openExam: open)
        }
        if let open {
            let hint = "exam \(open.0) of patient \(patient.id) is in progress (\(open.1) readings): continue it with abi \(examName) --resume --patient \(patient.id), or end it with abi exams discard \(open.0) --reason TEXT"
            guard interactive, ask("Exam \(open.0) of this patient is in progress (\(open.1) readings). Continue it? y/n [y]: ", yes: ["", "y", "yes"]) else {
                throw Failure(.dataError, hint)
            }
            return Identified(patient: patient, openExam: open)
        }
        return Identified(patient: patient, openExam: nil)
    }

    /// "MRN-0042 · Kowalski, Jan · born 1950-03-02 · female · diabetes"
    static func describe(_ p: Patient) -> String {
        var parts = [p.id, p.name ?? "name not recorded", p.birthDate.map { "born \($0)" } ?? "birth date not recorded"]
        if let sex = p.sex { parts.append(sex.rawValue) }
        if let diabetes = p.diabetes { parts.append(diabetes ? "diabetes" : "no diabetes") }
        return parts.joined(separator: " · ")
    }

    private static func ask(_ prompt: String, yes: Set<String>) -> Bool {
        Terminal.write(prompt, to: STDERR_FILENO)
        guard let answer = readLine() else { return false }
        return yes.contains(answer.trimmingCharacters(in: .whitespaces).lowercased())
    }

    /// The details of a new patient: all four are needed (name, birth date, sex, diabetes); a
    /// terminal asks for those the options did not give.
    private static func askDetails(_ given: Patient, interactive: Bool) throws(Failure) -> Patient {
        var p = given
        func question(_ prompt: String, _ check: (String) -> Bool, _ hint: String) throws(Failure) -> String {
            while true {
                Terminal.write(prompt, to: STDERR_FILENO)
                guard let line = readLine()?.trimmingCharacters(in: .whitespaces) else { throw Failure(.dataError, "input ended; the patient was not added") }
                if check(line) { return line }
                Terminal.error(hint)
            }
        }
        var missing: [String] = []
        if p.name == nil { missing.append("--name") }
        if p.birthDate == nil { missing.append("--birth-date") }
        if p.sex == nil { missing.append("--sex") }
        if p.diabetes == nil { missing.append("--diabetes") }
        guard !missing.isEmpty else { return p }
        guard interactive else { throw Failure(.usage, "--new-patient needs \(missing.joined(separator: ", ")): a new patient is added with name, birth date, sex and diabetes") }
        if p.name == nil {
            p.name = try question("Name (Family, Given): ", { !$0.isEmpty && ManualEntry.freeTextProblem($0, max: 200) == nil }, "Type the name, at most 200 characters.")
        }
        if p.birthDate == nil {
            p.birthDate = try question("Birth date (YYYY-MM-DD): ", { Timestamp.isValidDate($0) }, "Type the date as YYYY-MM-DD.")
        }
        if p.sex == nil {
            let words = ["f": "female", "m": "male", "o": "other", "u": "unknown"]
            let answer = try question("Sex (f female, m male, o other, u unknown): ", { words[$0.lowercased()] != nil || Patient.Sex(rawValue: $0.lowercased()) != nil },
                                      "Type f, m, o or u.")
            p.sex = Patient.Sex(rawValue: words[answer.lowercased()] ?? answer.lowercased())
        }
        if p.diabetes == nil {
            let answer = try question("Diabetes (y/n): ", { ["y", "yes", "n", "no"].contains($0.lowercased()) }, "Type y or n.")
            p.diabetes = answer.lowercased().hasPrefix("y")
        }
        return p
    }
}
/// Standard input read in whole lines, without blocking (poll tells when there is more).
struct LineReader {
    let fd: Int32
    private var buffer: [UInt8] = []
    private(set) var ended = false

    init(fd: Int32) { self.fd = fd }

    mutating func fill() {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let n = read(fd, &chunk, chunk.count)
        if n > 0 { buffer += chunk[0..<n] } else if n == 0 || (errno != EINTR && errno != EAGAIN) { ended = true }
    }

    mutating func nextBufferedLine() -> String? {
        if let newline = buffer.firstIndex(of: 0x0A) {
            let line = String(decoding: buffer[..<newline], as: UTF8.self)
            buffer.removeSubrange(...newline)
            return line.trimmingCharacters(in: " \t\r")
        }
        if ended && !buffer.isEmpty {
            let line = String(decoding: buffer, as: UTF8.self)
            buffer.removeAll()
            return line.trimmingCharacters(in: " \t\r")
        }
        return nil
    }
}

/// Finding the device of a capture (`--auto`).
enum CaptureDevice {
    /// The bound device that is plugged in, or the first one plugged in while waiting.
    static func waitForBoundDevice(stopFD: Int32) throws(Failure) -> (path: String, profile: DeviceProfile) {
        let monitor: DeviceMonitor
        do { monitor = try DeviceMonitor() } catch { throw Failure(.unavailable, "cannot watch for devices (udev): \(error)") }
        let bindings = try loadBindings()
        func usable(_ d: TTYDevice) -> String? { ProfileBinding.resolve(d, bindings: bindings, option: nil)?.profile }
        if let found = ((try? monitor.present()) ?? []).first(where: { usable($0) != nil }) {
            return (found.port, try ProfileArgument.load(usable(found)!))
        }
        Terminal.error("plug in a device…")
        while true {
            var fds = [pollfd(fd: monitor.fd, events: Int16(POLLIN), revents: 0), pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 2, -1)
            if fds[1].revents != 0 { throw Failure(.unavailable, "stopped while waiting for a device") }
            while let change = monitor.next(timeoutMilliseconds: 0) {
                if case .added(let d) = change, let profile = usable(d) { return (d.port, try ProfileArgument.load(profile)) }
            }
        }
    }
}

