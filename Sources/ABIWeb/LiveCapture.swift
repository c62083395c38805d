import ABICapture
import ABICore
import ABIDevices
import ABIReports
import ABIStore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One capture at the bedside, run by the web app: the bedside session engine over the store,
/// with its device read on a thread of its own, exactly as `abi capture` runs it. The engine is
/// only touched on this capture's thread; the browser sends it the operator's commands (the same
/// words as the terminal's) and follows its state, which is published as a snapshot after every
/// change. Everything accepted is committed to the store when it is accepted, so closing the
/// browser, stopping the server or pulling the cable loses nothing.
final class LiveCapture: @unchecked Sendable {
    let examId: Int64
    let patient: Patient
    let deviceName: String?
    let changes = Changes()
    private let store: Store
    private let capture: Store.Capture
    private let engine: BedsideSession
    private let recorder: StoreRecorder
    private let device: BedsideDevice?
    private let actor: String
    private let lock = NSLock()
    private var inbox: [(line: String, typedAt: Site?, done: CheckedContinuation<[BedsideEvent], Never>)] = []
    private let wake: [Int32]
    private var state: Snapshot
    private var diagramVersion = 0
    private var curve: [(t: Int, mmHg: Int)] = []
    private var log: [Snapshot.Message] = []
    private var ending: String?
    private weak var thread: Thread?

    /// The capture as the page shows it.
    struct Snapshot: Sendable, Codable {
        struct SiteState: Sendable, Codable {
            var code: String
            var words: String
            var value: String?
            var time: String?
        }
        struct Message: Sendable, Codable {
            var kind: String
            var text: String
            var at: String
        }
        var exam: Int64
        var phase: String
        var site: String?
        var siteWords: String?
        var prompt: String?
        var question: String?
        var keys: [String]
        var device: String?
        var port: String?
        var automaticCuff: Bool
        var connection: String?
        var banner: String?
        var cuff: Int?
        var deflation: Int?
        var tooFast: Bool
        var measuringAt: String?
        /// The last 10 s of cuff pressure, as (ms before now, mmHg).
        var curve: [[Int]]
        /// When the newest cuff pressure's bytes arrived (ms since the epoch), for the latency figure.
        var cuffReceivedAt: Int?
        var sites: [SiteState]
        var readings: [SiteState]
        var messages: [Message]
        var diagramVersion: Int
        var ended: String?
    }

    /// Starts a new capture, or resumes the exam in progress `resume`, with `device` when given.
    init(store: Store, patient: Patient, details: ExamDetails?, plan: Store.CapturePlan?, resume: Int64?, device: (port: String, profile: DeviceProfile)?,
         methods: BedsideSession.Methods, actor: String) throws {
        self.store = store
        self.actor = actor
        let identity = device.map { DeviceIdentity(profile: $0.profile.name, port: $0.port) }
        let storePlan: Store.CapturePlan
        if resume != nil {
            (capture, storePlan) = try store.resumeCapture(patient: patient.id, exam: resume, device: identity, actor: actor)
        } else {
            storePlan = plan ?? Store.CapturePlan(firstArm: .right, toes: false)
            capture = try store.beginCapture(patient, details: details ?? ExamDetails(performedAt: DeviceClock.now()), plan: storePlan, device: identity, actor: actor)
        }
        examId = capture.examId
        self.patient = patient
        recorder = try StoreRecorder(store: store, capture: capture, plan: storePlan, actor: actor)
        engine = BedsideSession(recorder: recorder, plan: BedsideSession.Plan(firstArm: storePlan.firstArm, toes: storePlan.toes, methods: methods),
                                device: device.map { BedsideSession.Device(profile: $0.profile, port: $0.port) },
                                clock: DeviceClock.milliseconds, timestamp: { DeviceClock.now().text })
        let capture = self.capture
        self.device = device.map { BedsideDevice(path: $0.port, profile: $0.profile, store: store, capture: capture) }
        deviceName = device?.profile.name
        var fds: [Int32] = [-1, -1]
        _ = pipe(&fds)
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC); _ = fcntl(fd, F_SETFL, O_NONBLOCK) }
        wake = fds
        state = Snapshot(exam: capture.examId, phase: "measuring", keys: [], automaticCuff: false, tooFast: false, curve: [], sites: [], readings: [],
                         messages: [], diagramVersion: 0)
    }

    /// Its thread holds the capture until it ends; then the wake pipe goes with it.
    deinit {
        for fd in wake where fd >= 0 { close(fd) }
    }

    /// Runs the capture on its own thread until it is saved, stopped or ended.
    func start() throws {
        let first = try engine.start()
        lock.withLock { apply(first) }
        device?.start()
        publish()
        let thread = Thread { [self] in run() }
        thread.name = "abi capture \(examId)"
        self.thread = thread
        thread.start()
    }

    /// The operator's command (`132/80`, `a`, `mark`, `auto`, `s`, `r RPT`, an answer…), as typed
    /// at `typedAt` (the site shown when typing began). Returns what the engine said.
    func perform(_ line: String, typedAt: Site?) async -> [BedsideEvent] {
        await withCheckedContinuation { continuation in
            let refused: Bool = lock.withLock {
                if ending != nil { return true }
                inbox.append((line, typedAt, continuation))
                return false
            }
            if refused { continuation.resume(returning: [.refused("This capture has ended.")]) ; return }
            var byte: UInt8 = 1
            _ = Glibc.write(wake[1], &byte, 1)
        }
    }

    /// Ends the capture without finishing it (the server stops): it stays in progress, to resume.
    func end(_ why: String) {
        lock.withLock { if ending == nil { ending = why } }
        var byte: UInt8 = 1
        _ = Glibc.write(wake[1], &byte, 1)
        for _ in 0..<200 where thread?.isFinished == false { usleep(10_000) }
    }

    var snapshot: Snapshot { lock.withLock { state } }
    var isOver: Bool { lock.withLock { state.ended != nil } }

    /// The body diagram of the exam so far, the current site ringed.
    func diagram(site: Site?) -> String {
        guard let stored = try? store.exam(examId) else { return "" }
        let report = stored.report(site: SiteConfiguration())
        return BodyDiagram(report).svg(width: "100%", current: site)
    }

    // MARK: The capture's thread

    private func run() {
        var lastTick = DeviceClock.milliseconds()
        while true {
            var fds = [pollfd(fd: wake[0], events: Int16(POLLIN), revents: 0), pollfd(fd: device?.wakeFD ?? -1, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, nfds_t(fds.count), 250)
            var bytes = [UInt8](repeating: 0, count: 64)
            while read(wake[0], &bytes, bytes.count) > 0 {}
            var changed = false
            do {
                let commands = lock.withLock { defer { inbox = [] }; return inbox }
                for command in commands {
                    let events = try engine.handle(line: command.line, typedAt: command.typedAt)
                    lock.withLock { apply(events) }
                    command.done.resume(returning: events)
                    changed = true
                }
                if let device {
                    device.drainWake()
                    while let reading = device.take() {
                        if case .measurement(.cuffPressure(let mmHg, _)) = reading.content {
                            lock.withLock {
                                curve.append((DeviceClock.milliseconds(), mmHg))
                                state.cuffReceivedAt = reading.time?.millisecondsSinceEpoch
                            }
                        }
                        let events = try engine.handle(reading)
                        lock.withLock { apply(events) }
                        changed = true
                    }
                    if let failure = device.journalFailure {
                        lock.withLock { if ending == nil { ending = "the device's bytes cannot be journaled (\(failure)); the capture stopped" } }
                    }
                    if let problem = device.takeProblem() {
                        lock.withLock { note("problem", "The port cannot be opened: \(problem)") }
                        changed = true
                    }
                }
            } catch {
                // A reading the store could not take: stop, keeping everything committed so far.
                let why = (error as? StoreError)?.message ?? "\(error)"
                lock.withLock { if ending == nil { ending = "the store could not record it (\(why)); the capture stopped, everything recorded before is kept" } }
            }
            // The cuff display and the device's silence change with time alone.
            let now = DeviceClock.milliseconds()
            if now - lastTick >= 250 { lastTick = now; changed = true }
            let (phase, why) = lock.withLock { (engine.phase, ending) }
            if phase == .saved || phase == .stopped || why != nil {
                finish(saved: phase == .saved, why: why)
                return
            }
            if changed { publish() }
        }
    }

    private func finish(saved: Bool, why: String?) {
        device?.stop()
        var message: String
        do {
            try store.endCapture(capture, finished: saved, actor: actor)
            message = saved ? "Saved: exam \(examId) is PRELIMINARY until a physician signs it." : "Stopped: everything recorded is kept; the capture can be resumed from the worklist."
        } catch {
            message = "The capture could not be closed in the store (\(error.message)); what was recorded is kept."
        }
        if let why, !saved { message = "Stopped: \(why). The capture can be resumed from the worklist." }
        lock.withLock {
            let waiting = inbox
            inbox = []
            for command in waiting { command.done.resume(returning: [.refused("This capture has ended.")]) }
            state.ended = message
            if ending == nil { ending = message }
        }
        publish()
    }

    /// Folds the engine's events into the log (under the lock); commands for the cuff go to the device.
    private func apply(_ events: [BedsideEvent]) {
        for event in events {
            switch event {
            case .prompt(let text): note("prompt", text)
            case .note(let text): note("note", text)
            case .refused(let text): note("refused", text)
            case .recorded(let reading):
                note("recorded", "\(reading.site.words.capitalizedFirst): \(BedsideSession.describe(reading.state))")
                diagramVersion += 1
            case .cuff(let control): device?.send(control)
            case .saved, .stopped: break
            }
        }
    }

    private func note(_ kind: String, _ text: String) {
        log.append(Snapshot.Message(kind: kind, text: text, at: String(DeviceClock.now().text.dropFirst(11).prefix(8))))
        if log.count > 12 { log.removeFirst(log.count - 12) }
    }

    /// Makes the snapshot of now and wakes the pages that follow it.
    private func publish() {
        lock.withLock {
            let now = DeviceClock.milliseconds()
            curve.removeAll { now - $0.t > 10_000 }
            let cuff = engine.cuff
            let connection = engine.connection
            state.phase = "\(engine.phase)"
            state.site = engine.site.map(BedsideSession.code)
            state.siteWords = engine.site?.words
            state.question = engine.question
            state.prompt = engine.question ?? (engine.phase == .review ? "Every site is done: save the exam, or redo a site." : nil)
                ?? engine.site.map { site in
                    if case .repeatFirstArm = engine.step { return "R5: measure the \(site.words) again (the repeat replaces the first reading), or keep the single reading." }
                    return "Now: \(site.words)" + (engine.revisit?.afterError == true ? " (again, after the device error)" : "")
                }
            state.keys = engine.keys
            state.device = deviceName
            state.port = device?.path
            state.automaticCuff = device?.profile.measuresOnRequest ?? false
            state.connection = connection
            state.banner = LiveCapture.banner(connection, device: deviceName)
            state.cuff = cuff?.mmHg
            state.deflation = cuff?.deflationRate
            state.tooFast = cuff?.tooFast ?? false
            state.measuringAt = engine.automaticAt?.words
            state.curve = cuff == nil ? [] : curve.map { [$0.t - now, $0.mmHg] }
            state.sites = engine.sites.map { entry in
                Snapshot.SiteState(code: BedsideSession.code(entry.site), words: entry.site.words.capitalizedFirst,
                                   value: entry.reading.map { BedsideSession.describe($0.state) }, time: entry.reading?.time.map(LiveCapture.clockTime))
            }
            state.readings = recorder.readings.sorted { $0.seq > $1.seq }.map { reading in
                Snapshot.SiteState(code: BedsideSession.code(reading.site), words: reading.site.words.capitalizedFirst,
                                   value: BedsideSession.describe(reading.state), time: reading.time.map(LiveCapture.clockTime))
            }
            state.messages = log
            state.diagramVersion = diagramVersion
        }
        changes.bump()
    }

    static func clockTime(_ time: String) -> String { String(time.dropFirst(11).prefix(8)) }

    /// The device banner: what the device is doing, and what to do about it.
    static func banner(_ connection: String?, device: String?) -> String? {
        guard let device else { return nil }
        switch connection {
        case "connected", "reconnected": return "\(device): connected"
        case "disconnected": return "\(device): disconnected. Plug it back in; the capture goes on where it was."
        case "silent": return "\(device): silent. Is it switched on and measuring? Check the cable."
        case "unavailable": return "\(device): the port cannot be opened. Check the cable, or choose another device."
        default: return "\(device): connecting…"
        }
    }
}

/// The captures the server runs, one per exam. Ending the server ends them unfinished: their
/// exams stay in progress and resume when their page is opened again.
public final class LiveCaptures: @unchecked Sendable {
    private let lock = NSLock()
    private var running: [Int64: LiveCapture] = [:]
    let devices: DeviceWatch

    public init(devices: DeviceWatch = DeviceWatch()) { self.devices = devices }

    func capture(_ exam: Int64) -> LiveCapture? {
        lock.withLock {
            if let capture = running[exam], capture.isOver { running[exam] = nil; return capture }
            return running[exam]
        }
    }

    /// Adds a capture; those that have ended are let go (their pages have had their last state).
    func add(_ capture: LiveCapture) {
        lock.withLock {
            running = running.filter { !$0.value.isOver }
            running[capture.examId] = capture
        }
    }

    /// Ends every capture (unfinished, to resume) and stops the device watch.
    public func endAll() {
        let all = lock.withLock { Array(running.values) }
        for capture in all { capture.end("the server is stopping") }
        devices.stop()
    }
}
