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
                Walks the AHA 2012 sequence (docs/rules.md): the first arm, its PT and DP, the other PT and \
                DP, the other arm; the first-arm repeat when R5 asks for it; then the toes with --toes. \
                Ankle cuffs of a leg named by --dvt are not inflated: those sites are recorded as not \
                measured with the reason. Every reading, and every byte from the device, is committed \
                to the store before it is shown as accepted; the exam stays in progress until the \
                sequence is done, then it is saved as preliminary and its result is shown.

                Commands, one per line (typed, or piped in to script a session):
                  value 132       a systolic pressure (at the arms 132/80 or 132/80 p72)
                  mark            Doppler: the signal is back; take the cuff pressure now
                                  (Space on a terminal; a MARK from the manometer too)
                  auto            start the automatic cuff (SunTech) and take its result
                  absent          no signal
                  noncompressible 250   signal at maximum cuff pressure (N optional)
                  skip REASON     not measured, with the reason
                  keep            at the first-arm repeat: keep the single reading
                  redo            measure the last site again (supersedes it, R4)
                  quit            stop; all is kept: abi capture --resume goes on
                Short forms: 132, a, n 250, x REASON, r, k, q.

                Unplugging the device pauses the session ("device disconnected — plug it back in"); it \
                goes on by itself when the same device returns. A device error is recorded as a \
                deviceError reading (R2), with a prompt to retest with Doppler.

                Exit codes: 0 done, or stopped (quit, Ctrl-C); 65 piped commands ended before the \
                sequence was done (what was recorded is kept: --resume goes on); 69 the port cannot be \
                opened (nothing is started); 74 the store cannot be written.

                Examples:
                  abi capture --patient MRN-0042 --port /dev/ttyUSB0 --toes
                  printf 'value 132/80\\nvalue 110\\n' | abi capture --patient MRN-0042
                  abi capture --resume
                """
        )

        @Option(help: ArgumentHelp("The patient id (added to the store when new).", valueName: "ID")) var patient: String?
        @Option(help: ArgumentHelp("The device's serial port.", valueName: "PATH")) var port: String?
        @Option(help: ArgumentHelp("The device profile (default: the udev rule's or your binding's).", valueName: "NAME|FILE.json")) var profile: String?
        @ArgumentParser.Flag(help: "Use the bound device that is plugged in, or wait for one.") var auto = false
        @Option(help: "Why the exam is done.") var indication: String?
        @Option(help: "Who measures (default: ABI_OPERATOR, else the login name).") var `operator`: String?
        @Option(help: "The patient's position.") var position: String = "supine"
        @Option(help: "Minutes of rest before measuring.") var restMinutes: Int?
        @Option(help: ArgumentHelp("The arm measured first: right or left.", valueName: "SIDE")) var firstArm: String = "right"
        @ArgumentParser.Flag(help: "Also take the toe pressures (after the arms and ankles).") var toes = false
        @Option(help: ArgumentHelp("A leg with suspected DVT signs (right or left): its ankle cuffs are not inflated.", valueName: "SIDE")) var dvt: [String] = []
        @Option(help: ArgumentHelp("How typed values were measured: doppler, oscillometric, auscultatory, ppg or manual-entry.", valueName: "METHOD")) var method: String = "doppler"
        @ArgumentParser.Flag(help: "Continue the capture in progress of --patient (without it: of the one patient who has one).") var resume = false
        @OptionGroup var store: StoreArguments
        @OptionGroup(title: "Port settings") var serial: SerialOverrides

        func validate() throws {
            if !resume && patient == nil { throw ValidationError("--patient ID is needed (or --resume).") }
            if auto && port != nil { throw ValidationError("--auto finds the device; leave out --port.") }
            guard Side(rawValue: firstArm) != nil else { throw ValidationError("--first-arm: right or left.") }
            for side in dvt where Side(rawValue: side) == nil { throw ValidationError("--dvt: right or left.") }
            guard MeasurementMethod(rawValue: method) != nil else { throw ValidationError("--method: doppler, oscillometric, auscultatory, ppg or manual-entry.") }
            if let restMinutes, !(0...1440).contains(restMinutes) { throw ValidationError("--rest-minutes: 0 to 1440.") }
            if let patient, let problem = ManualEntry.patientIdProblem(patient) { throw ValidationError("--patient: \(problem)") }
        }

        func run() throws {
            let db = try store.open(.create)
            let actor = `operator` ?? store.actor
            let stop = StopSignal.install()

            // The device, if any: chosen and opened now, so a wrong port fails before anything is recorded.
            var device: (path: String, profile: DeviceProfile)?
            if let port { device = (port, serial.apply(to: try ProfileArgument.load(try resolveProfile(port: port, option: profile, command: "abi capture")))) }
            if auto { device = try CaptureDevice.waitForBoundDevice(stopFD: stop) }
            if let device {
                // Open it once now: a missing, busy or forbidden port stops here, before an exam is started.
                do { try SerialPort(path: device.path, settings: device.profile.settings).close() }
                catch { throw Failure(.unavailable, error.description) }
            }
            let identity = device.map { DeviceIdentity(profile: $0.profile.name, port: $0.path) }

            // The exam: a new one in progress, or the one to resume.
            let capture: Store.Capture
            let plan: Store.CapturePlan
            do {
                if resume {
                    (capture, plan) = try db.resumeCapture(patient: patient, device: identity, actor: actor)
                    Terminal.error("abi capture: resuming exam \(capture.examId) of patient \(capture.patientId)")
                } else {
                    plan = Store.CapturePlan(firstArm: Side(rawValue: firstArm)!, toes: toes)
                    let details = ExamDetails(performedAt: DeviceClock.now(), indication: indication, operator: actor, position: position, restMinutes: restMinutes)
                    capture = try db.beginCapture(Patient(id: patient!), details: details, plan: plan, device: identity, actor: actor)
                    Terminal.error("abi capture: exam \(capture.examId) started for the patient; every reading is saved as it is taken")
                }
            } catch { throw Failure(error) }

            let deviceThread = device.map { CaptureDevice(path: $0.path, profile: $0.profile, store: db, capture: capture) }
            deviceThread?.start()
            defer { deviceThread?.stop() }

            var session = CaptureSession(db: db, capture: capture, plan: plan, actor: actor, method: MeasurementMethod(rawValue: method)!,
                                         dvt: Set(dvt.compactMap(Side.init(rawValue:))), device: deviceThread)
            session.screen = CaptureScreen()
            if session.screen != nil { Terminal.write("\n", to: STDERR_FILENO) }  // a row for the status line
            let outcome = try session.run(stopFD: stop)
            session.screen = nil  // the terminal back to normal before the summary
            let finished = outcome == .done
            do { try db.endCapture(capture, finished: finished, actor: actor) } catch { throw Failure(error) }
            if finished {
                let stored: Store.StoredExam
                do { stored = try db.exam(capture.examId) } catch { throw Failure(error) }
                Terminal.write(ResultSummary.text(stored.exam.result(options: stored.options)))
                Terminal.error("abi capture: exam \(capture.examId) saved as preliminary (abi exams show \(capture.examId); sign with abi exams finalize \(capture.examId) --by NAME)")
            } else {
                Terminal.error("abi capture: stopped; every reading so far is saved. Continue with: abi capture --resume --patient \(capture.patientId)")
                // Piped commands that end before the sequence is done are bad input, as in abi enter.
                if outcome == .inputEnded { throw ExitCode(ExitStatus.dataError.rawValue) }
            }
        }
    }
}

/// The conversation of a capture: works out the next site from what is recorded, takes one
/// command or device reading at a time, records it, and says what happened.
struct CaptureSession {
    let db: Store
    let capture: Store.Capture
    var plan: Store.CapturePlan
    let actor: String
    let method: MeasurementMethod
    let dvt: Set<Side>
    let device: CaptureDevice?
    /// A site to measure again ("redo"), ahead of the sequence.
    var redo: Site?
    var input = LineReader(fd: STDIN_FILENO)
    /// On a terminal: raw keys, and a status line redrawn in place under the messages.
    var screen: CaptureScreen?
    var current: Site?
    var sofar: [Reading] = []

    init(db: Store, capture: Store.Capture, plan: Store.CapturePlan, actor: String, method: MeasurementMethod, dvt: Set<Side>, device: CaptureDevice?) {
        self.db = db
        self.capture = capture
        self.plan = plan
        self.actor = actor
        self.method = method
        self.dvt = dvt
        self.device = device
    }

    func say(_ text: String) {
        if let screen { screen.message(text, status: status) } else { Terminal.error(text) }
    }

    /// The live status line: device and connection, current site, cuff pressure, readings so far.
    var status: String {
        var parts: [String] = []
        if let device {
            parts.append("\(device.profile.name) \(device.state)" + (device.latestCuffPressure.map { ", cuff \($0) mmHg" } ?? ""))
        } else {
            parts.append("no device")
        }
        parts.append("site: " + (current?.words ?? "done"))
        let latest = Dictionary(sofar.map { ($0.site, $0) }) { a, b in a.seq > b.seq ? a : b }
        let shown = Site.allCases.compactMap { site in latest[site].map { "\(CaptureScreen.short(site)) \(CaptureScreen.short($0.state))" } }
        parts.append(shown.isEmpty ? "no readings yet" : shown.joined(separator: " · "))
        return parts.joined(separator: " | ")
    }

    enum Outcome { case done, quit, stopped, inputEnded }

    /// Runs the conversation until the sequence is done, the operator quits, a signal stops it,
    /// or the piped commands end.
    mutating func run(stopFD: Int32) throws(Failure) -> Outcome {
        var lastPrompt: Site?
        while true {
            let readings: [Reading]
            do { readings = try db.exam(capture.examId).exam.readings } catch { throw Failure(error) }
            let sequence = MeasuringSequence(firstArm: plan.firstArm)
            let step: MeasuringSequence.Step = redo.map { .measure($0) } ?? sequence.next(readings, repeatDeclined: plan.repeatDeclined, toes: plan.toes)
            sofar = readings
            current = step.site
            screen?.draw(status)
            guard let site = step.site else { return .done }

            // Suspected DVT: the ankle cuffs of that leg are not inflated (docs/rules.md, suspected-dvt).
            if case .ankle = site.kind, dvt.contains(site.side), redo == nil {
                try record(site, .notMeasured(reason: "suspected DVT: ankle cuff not inflated"), method: nil, device: nil)
                continue
            }
            if lastPrompt != site || redo != nil {
                if case .repeatFirstArm = step {
                    say("R5: the first arm read more than 10 mmHg above the other. Repeat the \(site.words) now (the repeat replaces the first reading), or: keep")
                }
                say("Next: \(site.words)" + (device.map { " — device \($0.profile.name) \($0.state)" } ?? "") + ". "
                    + (screen == nil ? "Commands: value N, mark, auto, absent, noncompressible [N], skip REASON, redo, quit"
                                     : "Pressure + Enter, Space = mark, a absent, n NC, x reason, r redo, q quit, ? help"))
                lastPrompt = site
            }

            switch try nextInput(stopFD: stopFD) {
            case .stopped:
                return .stopped
            case .inputEnded:
                return .inputEnded
            case .line(let line):
                if try handle(line, site: site, step: step, readings: readings) == false { return .quit }
            case .device(let reading):
                try handle(reading, site: site)
                screen?.draw(status)
            }
        }
    }

    enum Input {
        case line(String)
        case device(DeviceReading)
        /// SIGINT or SIGTERM (or Ctrl-D on a terminal).
        case stopped
        /// Piped commands ended, and no device is attached to go on listening to.
        case inputEnded
    }

    /// Waits for a command line or a device reading, whichever comes first.
    mutating func nextInput(stopFD: Int32) throws(Failure) -> Input {
        while true {
            if let line = screen?.nextLine() ?? input.nextBufferedLine() { return .line(line) }
            if let reading = device?.take() { return .device(reading) }
            // Standard input ended: with a device attached, keep listening to it until stopped.
            if input.ended && device == nil { return .inputEnded }
            if let failure = device?.journalFailure { throw Failure(.ioError, "cannot journal the device's bytes: \(failure)") }
            var fds = [pollfd(fd: input.fd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: device?.wakeFD ?? -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0)]
            if input.ended { fds[0].fd = -1 }
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 && errno == EINTR { continue }
            if fds[2].revents != 0 { return .stopped }
            if fds[1].revents != 0 { device?.drainWake() }
            if fds[0].revents != 0, screen != nil {
                switch screen!.key(status: status) {
                case .line(let line): return .line(line)
                case .end: return .stopped
                case .none: continue
                }
            }
            if fds[0].revents != 0 { input.fill() }
        }
    }

    /// - Returns: false to stop the session (quit).
    mutating func handle(_ line: String, site: Site, step: MeasuringSequence.Step, readings: [Reading]) throws(Failure) -> Bool {
        var words = line.split(separator: " ", maxSplits: 1).map(String.init)
        guard var command = words.first?.lowercased() else { return true }
        // Short forms, as `abi enter` takes them: 132 (or 132/80 p72), a, n [250], x REASON, r, k, q.
        if command.first?.isNumber == true {
            words = ["value", line]
            command = "value"
        }
        command = ["a": "absent", "n": "noncompressible", "x": "skip", "r": "redo", "k": "keep", "q": "quit", "m": "mark"][command] ?? command
        let argument = words.count > 1 ? words[1].trimmingCharacters(in: " \t\r") : ""
        func typed(_ answer: String) throws(Failure) {
            switch ManualEntry.parseReading(answer) {
            case .reading(let state):
                if case .numeric(let p) = state, p.diastolic != nil || p.pulse != nil, site.kind != .brachial {
                    say("Only the arms take a diastolic pressure or pulse; at the \(site.words) give the systolic pressure.")
                    return
                }
                try record(site, state, method: method, device: nil)
            case .invalid(let why):
                say(why)
            case .needsReason:
                say("Say why the site is not measured: skip amputation, skip wound dressing, …")
            default:
                say("Give a value, e.g. value 132.")
            }
        }
        switch command {
        case "value": try typed(argument)
        case "absent": try typed("a")
        case "noncompressible": try typed("n " + argument)
        case "skip":
            guard !argument.isEmpty else {
                say("Say why the site is not measured: skip amputation, skip wound dressing, …")
                return true
            }
            try typed("x " + argument)
        case "mark":
            guard let device else { say("mark takes the cuff pressure from a device; none is connected (type value N)."); return true }
            guard let pressure = device.latestCuffPressure, let value = Pressure(mmHg: pressure) else {
                say("No cuff pressure from the device yet: inflate the cuff, then deflate and mark when the signal returns.")
                return true
            }
            try record(site, .numeric(try! NumericPressure(systolic: value)), method: .doppler, device: device.identity)
        case "auto":
            guard let device, device.profile.name == "suntech-advantage" else {
                say("auto needs an automatic cuff (suntech-advantage); type the value or use mark.")
                return true
            }
            device.requestMeasurement()
            say("Measuring (automatic cuff)…")
        case "keep":
            guard case .repeatFirstArm = step else { say("keep is the answer to the first-arm repeat; nothing to keep now."); return true }
            do { try db.declineRepeat(capture) } catch { throw Failure(error) }
            plan.repeatDeclined = true
            say("Kept the single first-arm reading; the result will carry a first-arm-repeat-required warning.")
        case "redo":
            guard let last = readings.max(by: { $0.seq < $1.seq }) else { say("Nothing measured yet to redo."); return true }
            redo = last.site
            say("Measure the \(last.site.words) again; the new reading supersedes the last (R4).")
        case "quit", "exit":
            return false
        case "help", "?":
            say(ABI.Capture.configuration.discussion)
        default:
            say("Unknown command \"\(command)\". Commands: value N, mark, auto, absent, noncompressible [N], skip REASON, keep, redo, quit")
        }
        return true
    }

    mutating func handle(_ reading: DeviceReading, site: Site) throws(Failure) {
        let identity = device?.identity
        switch reading.content {
        case .event(.disconnected): say("Device disconnected — plug it back in. Readings so far are kept.")
        case .event(.reconnected): say("Device back; go on.")
        case .event(.silent): say("The device has gone silent.")
        case .event: break
        case .measurement(let m):
            switch m {
            case .cuffPressure(let mmHg, let mark):
                if mark, let value = Pressure(mmHg: mmHg) {
                    try record(site, .numeric(try! NumericPressure(systolic: value)), method: .doppler, device: identity)
                }
            case .bloodPressure(let bp):
                let systolic = bp.systolic
                let numeric: NumericPressure
                do {
                    numeric = try NumericPressure(systolic: systolic, diastolic: bp.diastolic,
                                                  pulse: bp.pulseRate.flatMap { PulseRate(perMinute: $0) }, map: bp.map)
                } catch {
                    say("The device's reading is inconsistent (diastolic not below systolic); not recorded. Measure again.")
                    return
                }
                // At an ankle or toe only the systolic pressure is an ABI input.
                let state: ReadingState = site.kind == .brachial ? .numeric(numeric) : .numeric(try! NumericPressure(systolic: systolic))
                try record(site, state, method: .oscillometric, device: identity)
            case .deviceError(let code, let message):
                try record(site, .deviceError(code: code, message: message), method: .oscillometric, device: identity)
                say("The device reported an error: retest the \(site.words) with Doppler (type value N, or mark).")
            default:
                break
            }
        }
    }

    mutating func record(_ site: Site, _ state: ReadingState, method: MeasurementMethod?, device identity: DeviceIdentity?) throws(Failure) {
        let reading: Reading
        do {
            reading = try db.record(capture, site: site, state: state, time: DeviceClock.now().text, method: method, device: identity, actor: actor)
        } catch { throw Failure(error) }
        redo = nil
        say("Recorded \(site.words): \(ExamReport.describe(reading.state)) (reading \(reading.seq), saved).")
    }
}

/// The capture on a real terminal: keys read raw (no Enter needed for Space = mark), and the
/// status line and the line being typed redrawn in place under the messages.
final class CaptureScreen {
    private var saved = termios()
    private var edit = ""

    /// Puts the terminal into raw mode (keys one by one, no echo; Ctrl-C still stops).
    init?(fd: Int32 = STDIN_FILENO) {
        guard isatty(fd) == 1, tcgetattr(fd, &saved) == 0 else { return nil }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(fd, TCSANOW, &raw) == 0 else { return nil }
    }

    deinit {
        Terminal.write("\n", to: STDERR_FILENO)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved)
    }

    enum Key { case line(String), end, none }

    /// Lines completed but not yet handed out (several keys can arrive in one read).
    private var pending: [String] = []

    /// The next completed line, if keys already gave one.
    func nextLine() -> String? { pending.isEmpty ? nil : pending.removeFirst() }

    /// Reads the keys waiting: Enter completes the line typed, Space on an empty line is "mark".
    func key(status: String) -> Key {
        var bytes = [UInt8](repeating: 0, count: 256)
        let n = read(STDIN_FILENO, &bytes, bytes.count)
        guard n > 0 else { return .end }
        var i = 0
        while i < n {
            let b = bytes[i]
            i += 1
            switch b {
            case 0x0D, 0x0A:
                pending.append(edit)
                edit = ""
            case 0x20 where edit.isEmpty:
                pending.append("mark")
            case 0x7F, 0x08:
                if !edit.isEmpty { edit.removeLast() }
            case 0x04 where edit.isEmpty:
                return .end
            case 0x1B:
                // An escape sequence (an arrow key): skip to its final letter.
                while i < n, !(0x40...0x7E).contains(bytes[i]) || bytes[i] == 0x5B { i += 1 }
                i += 1
            case 0x20..<0x7F:
                edit.append(Character(UnicodeScalar(b)))
            default:
                break
            }
        }
        render(status)
        return nextLine().map(Key.line) ?? .none
    }

    /// Redraws, in place, the status line and the line being typed, with `messages` printed above them.
    /// The cursor always rests at the end of the typed line, the status line just above it.
    func render(_ status: String, messages: [String] = []) {
        let width = Terminal.columns(STDERR_FILENO)
        let line = status.count > width - 1 ? String(status.prefix(width - 2)) + "…" : status
        var out = "\r\u{1B}[K\u{1B}[1A\r\u{1B}[K"
        for message in messages { out += message + "\n\u{1B}[K" }
        out += "\u{1B}[7m\(line)\u{1B}[0m\n\r\u{1B}[K> \(edit)"
        Terminal.write(out, to: STDERR_FILENO)
    }

    func draw(_ status: String) { render(status) }

    /// Prints a message above the status line, then redraws it.
    func message(_ text: String, status: String) { render(status, messages: [text]) }

    static func short(_ site: Site) -> String {
        switch site {
        case .rightBrachial: "RB"
        case .leftBrachial: "LB"
        case .rightPosteriorTibial: "RPT"
        case .rightDorsalisPedis: "RDP"
        case .leftPosteriorTibial: "LPT"
        case .leftDorsalisPedis: "LDP"
        case .rightToe: "RT"
        case .leftToe: "LT"
        }
    }

    static func short(_ state: ReadingState) -> String {
        switch state {
        case .numeric(let p): p.diastolic.map { "\(p.systolic.mmHg)/\($0.mmHg)" } ?? "\(p.systolic.mmHg)"
        case .absent: "absent"
        case .noncompressible: "NC"
        case .notMeasured: "n/m"
        case .deviceError: "error"
        }
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

/// The device of a capture, read on its own thread: its bytes go to the store's journal before
/// they are decoded; its readings wait in a queue for the conversation, which a pipe wakes.
final class CaptureDevice: @unchecked Sendable {
    let path: String
    let profile: DeviceProfile
    let identity: DeviceIdentity
    private let store: Store
    private let capture: Store.Capture
    private let lock = NSLock()
    private var queue: [DeviceReading] = []
    private var cuff: Int?
    private var connection = "connecting"
    private var failure: String?
    private let wake: [Int32]
    private let measure: [Int32]
    private let stopPipe: [Int32]
    private var thread: Thread?

    init(path: String, profile: DeviceProfile, store: Store, capture: Store.Capture) {
        self.path = path
        self.profile = profile
        self.store = store
        self.capture = capture
        identity = DeviceIdentity(profile: profile.name, port: path)
        func makePipe() -> [Int32] {
            var fds: [Int32] = [-1, -1]
            _ = pipe(&fds)
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC); _ = fcntl(fd, F_SETFL, O_NONBLOCK) }
            return fds
        }
        wake = makePipe()
        measure = makePipe()
        stopPipe = makePipe()
    }

    var wakeFD: Int32 { wake[0] }
    var latestCuffPressure: Int? { lock.withLock { cuff } }
    var state: String { lock.withLock { connection } }
    var journalFailure: String? { lock.withLock { failure } }

    func take() -> DeviceReading? {
        lock.withLock { queue.isEmpty ? nil : queue.removeFirst() }
    }

    func drainWake() {
        var bytes = [UInt8](repeating: 0, count: 64)
        while read(wake[0], &bytes, bytes.count) > 0 {}
    }

    func requestMeasurement() {
        var byte: UInt8 = 1
        _ = write(measure[1], &byte, 1)
    }

    func start() {
        let journal = StoreJournal(store: store, capture: capture, port: path) { [weak self] message in
            self?.lock.withLock { self?.failure = message }
        }
        let thread = Thread { [self] in
            let session = PortSession(path: path, profile: profile, rawLog: journal, monitor: try? DeviceMonitor())
            session.startsMeasuring = false
            do {
                _ = try session.run(stopFD: stopPipe[0], measureFD: measure[0]) { reading in
                    self.lock.withLock {
                        switch reading.content {
                        case .event(let e): self.connection = e.rawValue
                        case .measurement(.cuffPressure(let mmHg, _)): self.cuff = mmHg
                        default: break
                        }
                        self.queue.append(reading)
                    }
                    var byte: UInt8 = 1
                    _ = Glibc.write(self.wake[1], &byte, 1)
                    return true
                }
            } catch {
                self.lock.withLock {
                    self.connection = "unavailable"
                    self.failure = nil
                    self.queue.append(DeviceReading(time: DeviceClock.now(), profile: self.profile.name, port: self.path, content: .event(.disconnected)))
                }
                Terminal.error("abi capture: \(error)")
                var byte: UInt8 = 1
                _ = Glibc.write(self.wake[1], &byte, 1)
            }
        }
        self.thread = thread
        thread.start()
    }

    func stop() {
        var byte: UInt8 = 1
        _ = write(stopPipe[1], &byte, 1)
        // Give the reader a moment to close the port (restoring its settings).
        for _ in 0..<50 where thread?.isFinished == false { usleep(10_000) }
    }

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

/// Journals device bytes into the store (one committed row per chunk).
final class StoreJournal: ByteJournal, @unchecked Sendable {
    let store: Store
    let capture: Store.Capture
    let port: String
    let failed: (String) -> Void

    init(store: Store, capture: Store.Capture, port: String, failed: @escaping (String) -> Void) {
        self.store = store
        self.capture = capture
        self.port = port
        self.failed = failed
    }

    func record(_ bytes: UnsafeBufferPointer<UInt8>, at time: Timestamp) throws {
        do { try store.journal(capture, port: port, at: time.text, bytes: Array(bytes)) } catch {
            failed(error.message)
            throw error
        }
    }

    func note(_ text: String) throws {}
}
