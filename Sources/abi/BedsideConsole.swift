import ABIAudio
import ABICapture
import ABICore
import ABIDevices
import ABIStore

#if canImport(Glibc)
import Glibc
#endif

/// The terminal front end of a bedside session (`abi capture`, `abi enter`): lines from
/// standard input (raw keys on a terminal), readings from the device thread, and what the
/// session says back, shown on a fixed screen on a terminal or as lines on standard error.
/// It holds no sequencing or clinical rule: those are the session's.
struct BedsideConsole {
    let engine: BedsideSession
    let device: BedsideDevice?
    /// The Doppler's sound (`--audio`), and where each site's recording is kept.
    var sound: BedsideSound?
    /// Keeps a site's sound; returns what to tell the operator.
    var keepSound: ((BedsideSound.SiteRecording) throws -> String)?
    let patient: Patient
    let title: String
    /// When the rest before the first site ends (monotonic ms), for the countdown.
    let restUntil: Int?
    /// Whether a reading is committed when recorded (the store), or held for a file at the end.
    var committed = true
    var input = LineReader(fd: STDIN_FILENO)
    var screen: BedsideScreen?
    private var outcome: Outcome?

    enum Outcome: Equatable { case saved, quit, interrupted, inputEnded }

    init(engine: BedsideSession, device: BedsideDevice?, patient: Patient, title: String, restUntil: Int?) {
        self.engine = engine
        self.device = device
        self.patient = patient
        self.title = title
        self.restUntil = restUntil
        screen = BedsideScreen()
    }

    /// Runs the session until it is saved, the operator quits, a signal stops it, or the input ends.
    mutating func run(stopFD: Int32) throws(Failure) -> Outcome {
        defer { screen = nil }  // the terminal back to normal before the summary
        let engine = self.engine
        try step { try engine.start() }
        while true {
            if let outcome { return outcome }
            // Piped input that has ended: after the sites the session saves; before, with no device
            // to go on listening to, it stops.
            if input.ended && screen == nil && (device == nil || engine.phase != .measuring) {
                try step { try engine.inputEnded() }
                return outcome == .saved ? .saved : .inputEnded
            }
            switch try nextInput(stopFD: stopFD) {
            case .stopped:
                present(engine.interrupt())
                return .interrupted
            case .line(let line, let typedAt):
                screen?.message("> " + line)  // what was typed stays readable above its answer
                try step { try engine.handle(line: line, typedAt: typedAt) }
            case .device(let reading):
                if let sound, case .measurement(.cuffPressure(let mmHg, false)) = reading.content {
                    sound.cuffPressure(mmHg, at: DeviceClock.milliseconds())
                }
                try step { try engine.handle(reading) }
            case .sound(let proposal):
                try step { try engine.handle(sound: proposal) }
            case .tick:
                draw()
            }
        }
    }

    private mutating func step(_ body: () throws -> [BedsideEvent]) throws(Failure) {
        do { present(try body()) } catch let error as StoreError { throw Failure(error) } catch {
            throw Failure(.ioError, "\(error)")
        }
    }

    private mutating func present(_ events: [BedsideEvent]) {
        for event in events {
            switch event {
            case .prompt(let text), .note(let text), .refused(let text): say(text)
            case .recorded(let reading):
                say("Recorded \(reading.site.words): \(BedsideSession.describe(reading.state)) (reading \(reading.seq)\(committed ? ", saved" : "")).")
                // The sound of this inflation is the site's the cuff was pumped up for.
                if let sound, reading.method == .doppler, reading.site == engine.inflatedAt { sound.siteRecorded(reading.site, seq: reading.seq) }
            case .cuff(let request): device?.send(request)
            case .saved: outcome = .saved
            case .stopped: outcome = outcome ?? .quit
            }
        }
        draw()
    }

    private func say(_ text: String) {
        if let screen { screen.message(text) } else { Terminal.error(text) }
    }

    private func draw() {
        screen?.draw(BedsideScreen.Model(engine: engine, device: device, patient: patient, title: title, restUntil: restUntil))
    }

    enum Input {
        case line(String, typedAt: Site?)
        case device(DeviceReading)
        /// What the Doppler's sound proposes.
        case sound(SoundProposal)
        /// SIGINT or SIGTERM.
        case stopped
        /// Time to redraw the screen (the cuff pressure, the rest countdown).
        case tick
    }

    /// Waits for a line, a device reading, a signal, or (on a terminal) the next redraw.
    private mutating func nextInput(stopFD: Int32) throws(Failure) -> Input {
        while true {
            if let screen, let line = screen.nextLine() { return .line(line.text, typedAt: line.site) }
            if screen == nil, let line = input.nextBufferedLine() { return .line(line, typedAt: nil) }
            if let problem = device?.takeProblem() { say("The device's port: \(problem)") }
            if let reading = device?.take() { return .device(reading) }
            if let sound {
                if let problem = sound.takeProblem() { say("The Doppler's sound: \(problem)") }
                while let recording = sound.takeRecording() {
                    do { if let said = try keepSound?(recording) { say(said) } } catch let error as Failure { throw error } catch {
                        say("The \(recording.site.words)'s Doppler sound could not be kept: \(error)")
                    }
                }
                if let proposal = sound.take() { return .sound(proposal) }
            }
            if screen == nil && input.ended && (device == nil || engine.phase != .measuring) { return .tick }
            if let failure = device?.journalFailure { throw Failure(.ioError, "cannot journal the device's bytes: \(failure)") }
            var fds = [pollfd(fd: input.ended ? -1 : input.fd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: device?.wakeFD ?? -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: sound?.wakeFD ?? -1, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, nfds_t(fds.count), screen == nil ? -1 : 250)
            if ready < 0 && errno == EINTR { continue }
            if fds[2].revents != 0 { return .stopped }
            if fds[1].revents != 0 { device?.drainWake() }
            if fds[3].revents != 0 { sound?.drainWake() }
            if fds[0].revents != 0 {
                if let screen {
                    if !screen.readKeys(site: engine.site) { return .stopped }
                } else {
                    input.fill()
                }
            }
            if ready == 0 { return .tick }
        }
    }
}

/// The bedside screen on a real terminal, readable on 80×24: the patient line; the sites with
/// their values and the current one highlighted; the live cuff pressure in large digits with its
/// deflation rate; the rest countdown; the prompt; the latest messages; the keys that apply now;
/// and the line being typed. Keys are read raw: Space marks, Esc stops the cuff, ? shows the keys.
final class BedsideScreen {
    private var saved = termios()
    private var edit = ""
    /// The site shown when the operator began typing the line being edited (rule 4).
    private var editSite: Site?
    private var pending: [(text: String, site: Site?)] = []
    private var messages: [String] = []
    private var model: Model?
    /// Whether the terminal was set up (a failed init still runs deinit).
    private var active = false

    init?(fd: Int32 = STDIN_FILENO) {
        guard isatty(fd) == 1, isatty(STDERR_FILENO) == 1, tcgetattr(fd, &saved) == 0 else { return nil }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(fd, TCSANOW, &raw) == 0 else { return nil }
        active = true
        Terminal.write("\u{1B}[?1049h\u{1B}[H\u{1B}[2J", to: STDERR_FILENO)  // the alternate screen
    }

    deinit {
        guard active else { return }
        Terminal.write("\u{1B}[?1049l", to: STDERR_FILENO)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved)
        // What was said stays readable after the screen closes.
        for message in messages.suffix(6) { Terminal.error(message) }
    }

    func nextLine() -> (text: String, site: Site?)? { pending.isEmpty ? nil : pending.removeFirst() }

    /// Reads the keys waiting. Enter completes the line; Space on an empty line is "mark"; Esc is
    /// "stop" (the cuff); ? on an empty line shows the keys.
    /// - Returns: false at Ctrl-D on an empty line or the end of input.
    func readKeys(site: Site?) -> Bool {
        var bytes = [UInt8](repeating: 0, count: 256)
        let n = read(STDIN_FILENO, &bytes, bytes.count)
        guard n > 0 else { return false }
        // Keys typed ahead, after an Enter not yet handled, belong to whatever site that line
        // leads to: they are not checked against the site shown now (rule 4 is about the device
        // moving the session, not the operator's own lines).
        func shown() -> Site? { pending.isEmpty ? site : nil }
        var i = 0
        while i < n {
            let b = bytes[i]
            i += 1
            switch b {
            case 0x0D, 0x0A:
                // Enter alone (recording the Doppler's proposal) belongs to the site shown now.
                pending.append((edit, edit.isEmpty ? shown() : editSite))
                edit = ""
                editSite = nil
            case 0x20 where edit.isEmpty:
                pending.append(("mark", shown()))
            case UInt8(ascii: "?") where edit.isEmpty:
                pending.append(("?", nil))
            case 0x7F, 0x08:
                if !edit.isEmpty { edit.removeLast() }
            case 0x04 where edit.isEmpty:
                return false
            case 0x1B:
                if i == n {
                    pending.append(("stop", nil))  // Esc alone: stop the cuff
                } else {
                    // An escape sequence (an arrow key): skip to its final letter.
                    while i < n, !(0x40...0x7E).contains(bytes[i]) || bytes[i] == 0x5B { i += 1 }
                    i += 1
                }
            case 0x20..<0x7F:
                if edit.isEmpty { editSite = shown() }
                edit.append(Character(UnicodeScalar(b)))
            default:
                break
            }
        }
        if let model { draw(model) }
        return true
    }

    func message(_ text: String) {
        messages += text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if messages.count > 200 { messages.removeFirst(messages.count - 200) }
    }

    /// What the screen shows, taken from the session.
    struct Model {
        var title: String
        var patient: String
        var device: String?
        var sites: [(site: Site, reading: Reading?)]
        var current: Site?
        var automaticAt: Site?
        var cuff: BedsideSession.Cuff?
        var connection: String?
        var prompt: String?
        var keys: [String]
        var rest: String?

        init(engine: BedsideSession, device: BedsideDevice?, patient: Patient, title: String, restUntil: Int?) {
            self.title = title
            self.patient = BedsidePatient.describe(patient)
            self.device = device.map { $0.profile.name }
            sites = engine.sites
            current = engine.site
            automaticAt = engine.automaticAt
            cuff = engine.cuff
            connection = engine.connection
            prompt = engine.question ?? (engine.phase == .review ? "Review: every site is shown above. Enter saves; r SITE measures one again" : nil) ?? engine.site.map { "Now: \($0.words)" + (engine.revisit?.afterError == true ? " (retest after the device error)" : "") }
            keys = engine.keys
            if let restUntil, engine.recorder.readings.isEmpty {
                let left = max(0, restUntil - DeviceClock.milliseconds()) / 1000
                rest = left > 0 ? "Rest: \(left / 60):\(left % 60 < 10 ? "0" : "")\(left % 60) before the first site" : "Rest done"
            }
        }
    }

    func draw(_ model: Model) {
        self.model = model
        let width = max(40, Terminal.columns(STDERR_FILENO))
        let height = max(20, Terminal.rows(STDERR_FILENO))
        func fit(_ s: String) -> String { s.count > width - 1 ? String(s.prefix(width - 2)) + "…" : s }
        var lines: [String] = []
        // The patient first: it must never be cut off; the exam's name goes where there is room.
        let head = " \(model.patient)"
        let title = head.count + model.title.count + 4 <= width - 1 ? head.fitted(width - 2 - model.title.count) + model.title + " " : head
        lines.append("\u{1B}[7m" + fit(title).fitted(width - 1) + "\u{1B}[0m")
        var deviceLine = model.device.map { "Device \($0): \(model.connection ?? "connecting")" } ?? "No device: type the values"
        if let rest = model.rest { deviceLine += "   " + rest }
        lines.append(fit(deviceLine))
        lines.append("")
        // The sites, right leg left, left leg right, as the patient lies facing the operator's notes.
        let bySite = Dictionary(model.sites.map { ($0.site, $0.reading) }) { a, _ in a }
        let rows: [(Site, Site)] = [(.rightBrachial, .leftBrachial), (.rightPosteriorTibial, .leftPosteriorTibial),
                                    (.rightDorsalisPedis, .leftDorsalisPedis), (.rightToe, .leftToe)]
        let half = (width - 1) / 2
        for (a, b) in rows where bySite.keys.contains(a) || bySite.keys.contains(b) {
            func cell(_ site: Site) -> String {
                guard bySite.keys.contains(site) else { return "".fitted(half) }
                let value = bySite[site]!.map { BedsideScreen.short($0.state) } ?? "—"
                let marker = site == model.current ? ">" : " "
                let text = String("\(marker) \(BedsideSession.code(site).fitted(3)) \(site.words.fitted(22)) \(value)".prefix(half - 1)).fitted(half)
                return site == model.current ? "\u{1B}[7m" + text + "\u{1B}[0m" : text
            }
            lines.append(cell(a) + cell(b))
        }
        lines.append("")
        // The cuff pressure in large digits.
        if let cuff = model.cuff {
            let big = BedsideScreen.digits(cuff.mmHg)
            var side = ["mmHg", "", ""]
            if model.automaticAt != nil { side[1] = "automatic cuff measuring" }
            else if let rate = cuff.deflationRate { side[1] = "↓ \(rate) mmHg/s" }
            if cuff.tooFast { side[2] = "\u{1B}[1mDeflating too fast for Doppler: about 2–3 mmHg/s\u{1B}[0m" }
            for k in 0..<3 { lines.append((k == 1 ? "  Cuff  " : "        ") + big[k] + "  " + side[k]) }
        } else if model.device != nil {
            let why = model.connection == "disconnected" ? "device disconnected" : model.connection == "silent" ? "device silent" : "no pressure from the device"
            lines += ["", "  Cuff  —  (\(why))", ""]
        }
        if model.device != nil { lines.append("") }
        lines.append("\u{1B}[1m" + fit(model.prompt ?? "") + "\u{1B}[0m")
        // Keys and the typed line at the bottom; the messages fill what is left.
        let keyLines = BedsideScreen.wrap("Keys: " + model.keys.joined(separator: " · "), width - 1)
        let room = max(1, height - lines.count - keyLines.count - 1)
        let wrapped = messages.flatMap { BedsideScreen.wrap($0, width - 1) }
        let shown = Array(wrapped.suffix(room))
        lines += shown + Array(repeating: "", count: room - shown.count)
        lines += keyLines
        lines.append("> " + edit)
        var out = "\u{1B}[H"
        for (k, line) in lines.prefix(height).enumerated() {
            out += line + "\u{1B}[K" + (k == min(lines.count, height) - 1 ? "" : "\r\n")
        }
        Terminal.write(out, to: STDERR_FILENO)
    }

    /// A reading's value in the few columns of the site table (the messages say it in full).
    static func short(_ state: ReadingState) -> String {
        switch state {
        case .numeric(let p): p.diastolic.map { "\(p.systolic.mmHg)/\($0.mmHg)" } ?? "\(p.systolic.mmHg)"
        case .absent: "absent"
        case .noncompressible(let at): "NC" + (at.map { " \($0.mmHg)" } ?? "")
        case .notMeasured: "not measured"
        case .deviceError: "error"
        }
    }

    /// Seven-segment digits, three rows high.
    static func digits(_ value: Int) -> [String] {
        let glyphs: [Character: [String]] = [
            "0": [" _ ", "| |", "|_|"], "1": ["   ", "  |", "  |"], "2": [" _ ", " _|", "|_ "], "3": [" _ ", " _|", " _|"],
            "4": ["   ", "|_|", "  |"], "5": [" _ ", "|_ ", " _|"], "6": [" _ ", "|_ ", "|_|"], "7": [" _ ", "  |", "  |"],
            "8": [" _ ", "|_|", "|_|"], "9": [" _ ", "|_|", " _|"],
        ]
        let text = String(value).fitted(3, left: true)
        return (0..<3).map { row in text.map { glyphs[$0]?[row] ?? "   " }.joined(separator: " ") }
    }

    static func wrap(_ text: String, _ width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            if !line.isEmpty && line.count + 1 + word.count > width {
                lines.append(line)
                line = "  "
            }
            line += (line.isEmpty || line == "  " ? "" : " ") + word
        }
        lines.append(line)
        return lines
    }
}

extension String {
    func fitted(_ width: Int, left: Bool = false) -> String {
        count >= width ? self : left ? String(repeating: " ", count: width - count) + self : self + String(repeating: " ", count: width - count)
    }
}
