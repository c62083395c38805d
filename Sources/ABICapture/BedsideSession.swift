import ABICore
import ABIDevices

/// One bedside session of one exam: the measuring sequence, the symptom step and the review,
/// as an explicit state machine. Operator lines and device readings are the values it receives;
/// what it says back (prompts, readings recorded, refusals with their reason, commands for the
/// cuff) are `BedsideEvent` values. Front ends (`abi capture`, `abi enter`, the web app) show
/// them and hold no sequencing or clinical rule of their own.
///
/// What it guarantees (docs/capture.md):
/// 1. An automatic measurement is recorded only at the site where it was started; recording
///    anything else there, `redo`, moving on, quitting or stopping the cuff aborts it, and a late
///    result never becomes a reading.
/// 2. A mark takes a fresh cuff pressure (within the profile's freshness, 500 ms by default) from
///    a connected device while the pressure falls; otherwise it is refused, saying why.
/// 3. One mark per inflation: the next needs the cuff inflated 20 mmHg above the last mark.
/// 4. A typed value goes to the site shown when typing began, or is not recorded.
/// 5. After a device error the session stays at that site.
/// 6. A leg with suspected DVT gets no cuff (ankles and toe).
/// 7. `redo SITE` measures any site again; the review shows every site before saving.
/// 8. The Doppler's sound proposes what a mark would record (the signal return, absent flow,
///    an artery that does not close); it is recorded by one key (Enter), or at once with
///    auto-mark, under the rules of a mark: a fresh cuff pressure, one per inflation, and only
///    at the site where the cuff was pumped up.
public final class BedsideSession {
    /// How the session goes.
    public struct Plan: Sendable, Equatable {
        public var firstArm: Side
        public var toes: Bool
        /// Legs with suspected DVT: no cuff is inflated on them.
        public var dvt: Set<Side>
        /// Whether the symptom step is asked after the sites.
        public var asksSymptoms: Bool
        /// How typed values were measured, per kind of site.
        public var methods: Methods

        public init(firstArm: Side, toes: Bool, dvt: Set<Side> = [], asksSymptoms: Bool = true, methods: Methods = Methods()) {
            self.firstArm = firstArm
            self.toes = toes
            self.dvt = dvt
            self.asksSymptoms = asksSymptoms
            self.methods = methods
        }
    }

    /// The method of a typed value at each kind of site.
    public struct Methods: Sendable, Equatable {
        public var arms: MeasurementMethod
        public var ankles: MeasurementMethod
        public var toes: MeasurementMethod

        /// Oscillometric arms, Doppler ankles, photoplethysmography at the toes.
        public init(arms: MeasurementMethod = .oscillometric, ankles: MeasurementMethod = .doppler, toes: MeasurementMethod = .ppg) {
            self.arms = arms
            self.ankles = ankles
            self.toes = toes
        }

        public init(all method: MeasurementMethod) { self.init(arms: method, ankles: method, toes: method) }

        public func at(_ site: Site) -> MeasurementMethod {
            switch site.kind {
            case .brachial: arms
            case .ankle: ankles
            case .toe: toes
            }
        }
    }

    /// The device the session listens to.
    public struct Device: Sendable, Equatable {
        public var identity: DeviceIdentity
        /// An automatic cuff: `auto` starts a measurement, and abi can stop it.
        public var measuresOnRequest: Bool
        /// How old a cuff pressure may be when marked (ms).
        public var markFreshness: Int

        public init(identity: DeviceIdentity, measuresOnRequest: Bool, markFreshness: Int = 500) {
            self.identity = identity
            self.measuresOnRequest = measuresOnRequest
            self.markFreshness = markFreshness
        }

        public init(profile: DeviceProfile, port: String) {
            self.init(identity: DeviceIdentity(profile: profile.name, port: port), measuresOnRequest: profile.measuresOnRequest,
                      markFreshness: profile.markFreshnessMilliseconds)
        }
    }

    public enum Phase: Sendable, Equatable {
        case measuring
        case symptoms
        case review
        /// Saved: the exam is complete.
        case saved
        /// Stopped by the operator or a signal: what was recorded stays, in progress.
        case stopped
    }

    /// The cuff pressure as the screen shows it.
    public struct Cuff: Sendable, Equatable {
        public var mmHg: Int
        /// mmHg per second, positive while the cuff deflates; nil until it can be told.
        public var deflationRate: Int?
        /// Doppler deflation faster than about 3 mmHg/s misses the systolic pressure.
        public var tooFast: Bool
    }

    /// A mark needs the cuff inflated this far above the last mark before it counts again.
    public static let reinflation = 20
    /// Below this the cuff is let down (mmHg): the next inflation starts afresh.
    public static let letDown = 20
    /// The fastest Doppler deflation that still finds the systolic pressure (mmHg/s).
    public static let fastestDeflation = 3

    public let recorder: ExamRecorder
    public private(set) var plan: Plan
    public let device: Device?
    private let clock: () -> Int
    private let timestamp: () -> String

    public private(set) var phase: Phase = .measuring
    /// A site measured again ahead of the sequence: `redo SITE`, or the retest after a device error.
    public private(set) var revisit: (site: Site, afterError: Bool)?
    /// The site where an automatic measurement runs.
    public private(set) var automaticAt: Site?
    private var questions: SymptomQuestions?
    private var symptomsAsked = false
    /// The connection of the device ("connected", "disconnected", "silent"…).
    public private(set) var connection: String?
    /// Recent cuff pressures (monotonic ms, mmHg), the last 3 s.
    private var samples: [(t: Int, mmHg: Int)] = []
    /// The pressure of the last mark while the cuff has not been inflated again above it.
    private var markedAt: Int?
    /// The site the last prompt named.
    private var prompted: Site?
    /// The site being measured when the cuff was last pumped up from let down.
    public private(set) var inflatedAt: Site?
    private var cuffDown = true
    /// What the Doppler's sound proposes, waiting for the operator's key.
    public private(set) var proposal: SoundProposal?
    /// Record the sound's proposals without a key (`--auto-mark`).
    public var autoMark = false

    /// - Parameters:
    ///   - clock: monotonic milliseconds (a test clock in tests).
    ///   - timestamp: the ISO 8601 time stamp of a reading taken now.
    public init(recorder: ExamRecorder, plan: Plan, device: Device?, clock: @escaping () -> Int, timestamp: @escaping () -> String) {
        self.recorder = recorder
        self.plan = plan
        self.device = device
        self.clock = clock
        self.timestamp = timestamp
        connection = device == nil ? nil : "connecting"
        // A leg whose DVT signs are recorded (an earlier session's --dvt) gets no cuff either.
        for side in Side.allCases where recorder.symptoms.map({ SymptomQuestions.hasDVTSigns($0[side]) }) == true {
            self.plan.dvt.insert(side)
        }
    }

    // MARK: What the front end shows

    /// The site to measure now, or nil outside the measuring phase.
    public var site: Site? {
        guard phase == .measuring else { return nil }
        return step.site
    }

    /// The step of the sequence (the revisit ahead of it).
    public var step: MeasuringSequence.Step {
        if let revisit { return .measure(revisit.site) }
        return MeasuringSequence(firstArm: plan.firstArm).next(recorder.readings, repeatDeclined: recorder.repeatDeclined, toes: plan.toes)
    }

    /// The sites in the order they are measured, each with its latest reading (R4).
    public var sites: [(site: Site, reading: Reading?)] {
        let sequence = MeasuringSequence(firstArm: plan.firstArm).sites
        let toes: [Site] = [.rightToe, .leftToe]
        let latest = Dictionary(recorder.readings.map { ($0.site, $0) }) { a, b in a.seq > b.seq ? a : b }
        let shown = sequence + toes.filter { plan.toes || latest[$0] != nil }
        return shown.map { ($0, latest[$0]) }
    }

    /// The live cuff pressure: nil while the device is disconnected or silent, or has sent none lately.
    public var cuff: Cuff? {
        guard connection == "connected" || connection == "reconnected", let last = samples.last,
              clock() - last.t <= 2000 else { return nil }
        let rate = deflationRate
        return Cuff(mmHg: last.mmHg, deflationRate: rate,
                    tooFast: automaticAt == nil && (rate ?? 0) > BedsideSession.fastestDeflation)
    }

    /// How fast the cuff deflates (mmHg/s), from the samples of the last 2 s; nil with less than
    /// half a second of them, or while it is not deflating.
    var deflationRate: Int? {
        let now = clock()
        guard let last = samples.last, let first = samples.first(where: { now - $0.t <= 2000 }), last.t - first.t >= 500 else { return nil }
        let rate = (first.mmHg - last.mmHg) * 1000 / (last.t - first.t)
        return rate > 0 ? rate : nil
    }

    /// The pending symptom question.
    public var question: String? { questions?.prompt }

    /// The commands that apply now, for the help line.
    public var keys: [String] {
        switch phase {
        case .measuring:
            var keys = ["132 (Enter) a value"]
            if let proposal { keys.insert("Enter record (\(proposal.words))", at: 0) }
            if let device { keys += device.measuresOnRequest ? ["auto", "Esc stop cuff"] : ["Space mark"] }
            keys += ["a absent", "n noncompressible", "x REASON not measured"]
            if case .repeatFirstArm = step { keys.append("k keep") }
            if revisit?.afterError == true { keys.append("next move on") }
            keys += ["r SITE redo", "q quit", "? help"]
            return keys
        case .symptoms: return ["answer + Enter", "quit"]
        case .review: return ["Enter save", "r SITE redo", "q quit"]
        case .saved, .stopped: return []
        }
    }

    // MARK: Receiving

    /// Starts (or resumes) the session: the first prompt.
    public func start() throws -> [BedsideEvent] {
        var events: [BedsideEvent] = []
        // Rule 6: a DVT leg's signs (swelling, warmth) are recorded first, so that the flag is raised
        // and a resumed session keeps the cuff off that leg too.
        var symptoms = recorder.symptoms ?? Symptoms()
        let unrecorded = plan.dvt.filter { !SymptomQuestions.hasDVTSigns(symptoms[$0]) }
        if !unrecorded.isEmpty {
            for side in unrecorded { symptoms[side].answers[.swelling] = true; symptoms[side].answers[.warmth] = true }
            try recorder.recordSymptoms(symptoms)
            events.append(.note("Suspected DVT of the \(unrecorded.count == 2 ? "right and left legs" : "\(unrecorded.first!.word) leg"): no cuff on it; swelling and warmth recorded."))
        }
        try advance(&events)
        return events
    }

    /// An operator line: a command, a value, or the answer to a symptom question.
    /// - Parameter typedAt: the site shown when the operator began typing it (nil when piped).
    public func handle(line raw: String, typedAt: Site? = nil) throws -> [BedsideEvent] {
        var events: [BedsideEvent] = []
        let line = raw.trimmed
        switch phase {
        case .measuring: try measuring(line, typedAt: typedAt, &events)
        case .symptoms: try symptoms(line, &events)
        case .review: try review(line, &events)
        case .saved, .stopped: break
        }
        return events
    }

    /// A reading or event from the device.
    public func handle(_ reading: DeviceReading) throws -> [BedsideEvent] {
        var events: [BedsideEvent] = []
        let now = clock()
        switch reading.content {
        case .event(let event):
            connection = event.rawValue
            switch event {
            case .disconnected:
                samples.removeAll()
                events.append(.note("Device disconnected — plug it back in. The readings so far are kept."))
                if let site = automaticAt {
                    automaticAt = nil
                    events.append(.note("The automatic measurement at the \(site.words) was cut off; start it again with auto when the device is back."))
                }
            case .silent:
                samples.removeAll()
                events.append(.note("The device has gone silent: no cuff pressure is shown, and a mark is not taken."))
            case .reconnected:
                events.append(.note("Device back; go on."))
            default:
                break
            }
        case .measurement(let m):
            if connection == "silent" { connection = "connected" }
            switch m {
            case .cuffPressure(let mmHg, let mark):
                if mark {
                    try deviceMark(mmHg, &events)
                } else {
                    samples.append((now, mmHg))
                    samples.removeAll { now - $0.t > 3000 }
                    if let marked = markedAt, mmHg >= marked + BedsideSession.reinflation { markedAt = nil }
                    if mmHg < BedsideSession.letDown {
                        cuffDown = true
                    } else if cuffDown {
                        cuffDown = false
                        inflatedAt = phase == .measuring ? step.site : nil
                    }
                    if let pending = proposal, let p = pending.mmHg, mmHg >= p + BedsideSession.reinflation {
                        proposal = nil
                        events.append(.note("The cuff was pumped up again: the Doppler's proposal (\(pending.words)) was not recorded."))
                    }
                }
            case .bloodPressure(let bp):
                try automaticResult(bp, &events)
            case .deviceError(let code, let message):
                try deviceError(code: code, message: message, &events)
            default:
                break
            }
        }
        return events
    }

    /// Ctrl-C or a signal: a running automatic cuff is stopped; what was recorded stays in progress.
    public func interrupt() -> [BedsideEvent] {
        var events: [BedsideEvent] = []
        abortAutomatic(&events, because: "the session stopped")
        if phase != .saved { phase = .stopped }
        events.append(.stopped)
        return events
    }

    /// The operator's input ended (piped commands, Ctrl-D). After the sites it saves: the symptom
    /// questions left are not asked. Before, the session stops (and the front end says so).
    public func inputEnded() throws -> [BedsideEvent] {
        var events: [BedsideEvent] = []
        switch phase {
        case .symptoms, .review:
            if phase == .symptoms, let questions, questions.recording { try recorder.recordSymptoms(questions.symptoms) }
            try save(&events)
        case .measuring:
            abortAutomatic(&events, because: "the input ended")
            phase = .stopped
            events.append(.stopped)
        case .saved, .stopped:
            break
        }
        return events
    }

    // MARK: Measuring

    private func measuring(_ line: String, typedAt: Site?, _ events: inout [BedsideEvent]) throws {
        guard let site = step.site else { return }
        let command = BedsideCommand(line)
        switch command {
        case .none:
            // Enter on its own records what the Doppler's sound proposes.
            if proposal != nil { try confirmProposal(at: site, typedAt: typedAt, &events) }
            return
        case .confirm:
            try confirmProposal(at: site, typedAt: typedAt, &events)
        case .value(let text):
            try typed(text, at: site, typedAt: typedAt, &events)
        case .mark:
            if let typedAt, typedAt != site {
                return events.append(.refused("Not marked: the session moved from the \(typedAt.words) to the \(site.words) as you pressed the key. Mark again for the \(site.words)."))
            }
            try operatorMark(at: site, &events)
        case .automatic:
            guard let device else { return events.append(.refused("auto needs an automatic cuff; no device is attached (type the value).")) }
            guard device.measuresOnRequest else {
                return events.append(.refused("auto needs an automatic cuff; \(device.identity.profile ?? "this device") does not measure on request (type the value, or mark)."))
            }
            // While the port is still opening the request waits for it; an unplugged cuff cannot measure.
            guard connection != "disconnected" else {
                return events.append(.refused("The automatic cuff is disconnected; plug it back in, then auto."))
            }
            if let running = automaticAt { return events.append(.refused("The automatic cuff is already measuring the \(running.words).")) }
            automaticAt = site
            events.append(.cuff(.startMeasurement))
            events.append(.note("Measuring the \(site.words) with the automatic cuff… (s stops it)"))
        case .stopCuff:
            if automaticAt != nil {
                abortAutomatic(&events, because: "stopped by the operator")
            } else if device?.measuresOnRequest == true {
                events.append(.cuff(.abortMeasurement))
                events.append(.note("Stop sent to the automatic cuff."))
            } else {
                events.append(.refused("No automatic cuff is attached: deflate the cuff by its valve."))
            }
        case .keep:
            guard case .repeatFirstArm = step else { return events.append(.refused("keep is the answer to the first-arm repeat; nothing to keep now.")) }
            try recorder.keepSingleFirstArmReading()
            events.append(.note("Kept the single first-arm reading; the result will carry a first-arm-repeat-required warning."))
            try advance(&events)
        case .next:
            guard let revisit else { return events.append(.refused("next moves on after a device error or a redo; there is nothing to skip.")) }
            abortAutomatic(&events, because: "moving on")
            self.revisit = nil
            events.append(.note("Moving on; the \(revisit.site.words) keeps its last reading."))
            try advance(&events)
        case .redo(let name):
            try redo(name, &events)
        case .quit:
            abortAutomatic(&events, because: "the session stopped")
            phase = .stopped
            events.append(.stopped)
        case .help:
            events.append(.note(BedsideSession.help))
        case .save:
            events.append(.refused("Not every site is done yet: the \(site.words) is next (q stops and keeps what is recorded)."))
        case .unknown(let word):
            events.append(.refused("\"\(word)\" is not understood. \(keys.joined(separator: ", "))."))
        }
    }

    private func typed(_ text: String, at site: Site, typedAt: Site?, _ events: inout [BedsideEvent]) throws {
        // Rule 4: a value goes to the site shown when typing began.
        if let typedAt, typedAt != site {
            return events.append(.refused("Not recorded: you began typing at the \(typedAt.words), and the session has moved to the \(site.words). Type it again if it is for the \(site.words)."))
        }
        switch ManualEntry.parseReading(text) {
        case .reading(var state):
            if case .numeric(let p) = state, p.diastolic != nil || p.pulse != nil, site.kind != .brachial {
                return events.append(.refused("Only the arms take a diastolic pressure or pulse; at the \(site.words) give the systolic pressure."))
            }
            if case .notMeasured(let reason) = state, BedsideSession.looksLikePressure(reason) {
                return events.append(.refused("\"\(reason)\" looks like a pressure, not a reason: type the number alone to record it, or x and the reason in words."))
            }
            var note: String?
            // R5 repeat: a pulse given with the first reading is kept when the repeat gives none.
            if case .repeatFirstArm = step, case .numeric(let p) = state, p.pulse == nil,
               let earlier = recorder.readings.last(where: { $0.site == site }), case .numeric(let first) = earlier.state, let pulse = first.pulse,
               let kept = try? NumericPressure(systolic: p.systolic, diastolic: p.diastolic, pulse: pulse, map: p.map) {
                state = .numeric(kept)
                note = "pulse from the first reading"
            }
            // A site not measured was measured by no method.
            let method: MeasurementMethod? = if case .notMeasured = state { nil } else { plan.methods.at(site) }
            try record(site, state, method: method, device: nil, note: note, &events)
        case .invalid(let why):
            events.append(.refused(why))
        case .needsReason:
            events.append(.refused("Say why the \(site.words) is not measured: x amputation, x wound dressing, …"))
        case .needsDeviceCode:
            try record(site, .deviceError(code: nil, message: "device error, no code shown"), method: plan.methods.at(site), device: nil, note: nil, &events)
        case .help:
            events.append(.note(BedsideSession.help))
        }
    }

    private func operatorMark(at site: Site, _ events: inout [BedsideEvent]) throws {
        guard let device else { return events.append(.refused("mark takes the cuff pressure from a device; none is attached (type the value).")) }
        if let running = automaticAt {
            return events.append(.refused("The automatic cuff is measuring the \(running.words); its pressure is not a Doppler reading. Wait for its result, or s to stop it."))
        }
        guard connection == "connected" || connection == "reconnected" else {
            return events.append(.refused("Not marked: the device is \(connection ?? "not connected"), so there is no cuff pressure to take."))
        }
        let now = clock()
        guard let last = samples.last, now - last.t <= device.markFreshness else {
            return events.append(.refused("Not marked: no cuff pressure from the device in the last \(device.markFreshness) ms. Inflate the cuff, deflate it, and mark when the signal returns."))
        }
        guard samples.contains(where: { now - $0.t <= 1500 && $0.mmHg > last.mmHg }) else {
            return events.append(.refused("Not marked: the cuff pressure (\(last.mmHg) mmHg) is not falling. Inflate above the systolic pressure, deflate slowly, and mark when the signal returns."))
        }
        try mark(last.mmHg, at: site, &events)
    }

    private func deviceMark(_ mmHg: Int, _ events: inout [BedsideEvent]) throws {
        guard phase == .measuring, let site = step.site else {
            return events.append(.note("A mark from the device at \(mmHg) mmHg: no site is being measured, not recorded."))
        }
        if let running = automaticAt {
            return events.append(.note("A mark from the device while the automatic cuff measures the \(running.words): not recorded."))
        }
        try mark(mmHg, at: site, &events)
    }

    /// What the Doppler's sound heard during this inflation (Rule 8). `beatAt` is when the first
    /// beat of the return was heard (monotonic ms), `mmHg` the cuff pressure then.
    public func handle(sound: SoundProposal) throws -> [BedsideEvent] {
        var events: [BedsideEvent] = []
        guard phase == .measuring, let site = step.site, let device, !device.measuresOnRequest, automaticAt == nil else {
            return [.note("The Doppler's sound proposed \(sound.words): no Doppler site is being measured, not recorded.")]
        }
        guard let inflated = inflatedAt else {
            return [.note("The Doppler's sound proposed \(sound.words) with no inflation of the cuff seen: not recorded.")]
        }
        guard inflated == site else {
            return [.refused("The Doppler's sound proposed \(sound.words), but the cuff was pumped up for the \(inflated.words) and the session is at the \(site.words) now: not recorded. Pump the cuff up again for the \(site.words).")]
        }
        if let marked = markedAt {
            return [.note("The Doppler's sound proposed \(sound.words), but this deflation was already marked at \(marked) mmHg: not recorded.")]
        }
        if sound.mmHg != nil {
            // Rule 2: the pressure was the device's own, within the freshness of the beat.
            guard samples.contains(where: { abs($0.t - sound.beatAt) <= device.markFreshness }) else {
                return [.refused("The Doppler's sound proposed \(sound.words), but no cuff pressure came from the device within \(device.markFreshness) ms of that beat: not recorded.")]
            }
        }
        var pending = sound
        pending.site = site
        if autoMark {
            proposal = pending
            try confirmProposal(at: site, typedAt: nil, &events)
        } else {
            proposal = pending
            events.append(.prompt("Doppler at the \(site.words): \(sound.words). Enter records it; or mark, or type the value."))
            prompted = site
        }
        return events
    }

    private func confirmProposal(at site: Site, typedAt: Site?, _ events: inout [BedsideEvent]) throws {
        guard let pending = proposal else { return events.append(.refused("The Doppler's sound has proposed nothing to record here.")) }
        guard pending.site == site else {
            proposal = nil
            return events.append(.refused("Not recorded: the Doppler's proposal was for the \((pending.site ?? site).words); the session is at the \(site.words)."))
        }
        if let typedAt, typedAt != site {
            return events.append(.refused("Not recorded: the key was pressed at the \(typedAt.words); the session is at the \(site.words) now. Press Enter again to record the proposal here."))
        }
        proposal = nil
        switch pending.kind {
        case .systolic(let mmHg):
            try mark(mmHg, at: site, note: "signal return heard by abi", &events)
        case .noncompressible(let mmHg):
            markedAt = mmHg
            try record(site, .noncompressible(atPressure: Pressure(mmHg: mmHg)), method: .doppler, device: device?.identity,
                       note: "flow heard at the highest cuff pressure", &events)
        case .absent:
            try record(site, .absent, method: .doppler, device: device?.identity, note: "no flow heard by abi down to \(BedsideSession.letDown) mmHg", &events)
        }
    }

    /// Rule 3: one mark per inflation.
    private func mark(_ mmHg: Int, at site: Site, note: String? = nil, _ events: inout [BedsideEvent]) throws {
        if let marked = markedAt {
            return events.append(.refused("Not marked: this deflation was already marked at \(marked) mmHg. Inflate the cuff above \(marked + BedsideSession.reinflation) mmHg to measure the \(site.words)."))
        }
        guard let pressure = Pressure(mmHg: mmHg) else {
            return events.append(.refused("Not marked: \(mmHg) mmHg is out of range (1–300)."))
        }
        markedAt = mmHg
        proposal = nil
        try record(site, .numeric(try! NumericPressure(systolic: pressure)), method: .doppler, device: device?.identity, note: note, &events)
    }

    private func automaticResult(_ bp: BloodPressure, _ events: inout [BedsideEvent]) throws {
        guard let site = automaticAt else {
            return events.append(.note("A result from the automatic cuff arrived with no measurement running here (stopped, or started on the device): not recorded. It is in the device journal."))
        }
        automaticAt = nil
        let numeric: NumericPressure
        do {
            numeric = try NumericPressure(systolic: bp.systolic, diastolic: site.kind == .brachial ? bp.diastolic : nil,
                                          pulse: site.kind == .brachial ? bp.pulseRate.flatMap { PulseRate(perMinute: $0) } : nil,
                                          map: site.kind == .brachial ? bp.map : nil)
        } catch {
            return events.append(.refused("The automatic cuff's reading at the \(site.words) is inconsistent (diastolic not below systolic): not recorded. Measure again."))
        }
        try record(site, .numeric(numeric), method: .oscillometric, device: device?.identity, note: nil, &events)
    }

    private func deviceError(code: String?, message: String?, _ events: inout [BedsideEvent]) throws {
        let site: Site
        if let running = automaticAt {
            site = running
            automaticAt = nil
        } else if device?.measuresOnRequest == true {
            // An automatic cuff reports errors of measurements; none runs here.
            return events.append(.note("The automatic cuff reported an error with no measurement running here: not recorded. It is in the device journal."))
        } else if phase == .measuring, let current = step.site {
            site = current
        } else {
            return
        }
        try record(site, .deviceError(code: code, message: message), method: device?.measuresOnRequest == true ? .oscillometric : nil,
                   device: device?.identity, note: nil, &events)
    }

    private func redo(_ name: String?, _ events: inout [BedsideEvent]) throws {
        let target: Site
        if let name {
            guard let site = BedsideSession.site(named: name) else {
                return events.append(.refused("\"\(name)\" is not a site: RB, LB, RPT, RDP, LPT, LDP, RT, LT (or right brachial, left dorsalis pedis, …)."))
            }
            target = site
        } else {
            guard let last = recorder.readings.max(by: { $0.seq < $1.seq }) else { return events.append(.refused("Nothing is measured yet to redo.")) }
            target = last.site
        }
        if target.kind != .brachial, plan.dvt.contains(target.side) {
            return events.append(.refused("No cuff on the \(target.side.word) leg: suspected DVT."))
        }
        abortAutomatic(&events, because: "redo")
        revisit = (target, false)
        phase = .measuring
        events.append(.note("Measure the \(target.words) again; the new reading replaces the last one there (R4)."))
        try advance(&events)
    }

    // MARK: Recording and moving on

    private func record(_ site: Site, _ state: ReadingState, method: MeasurementMethod?, device identity: DeviceIdentity?, note: String?,
                        _ events: inout [BedsideEvent]) throws {
        // Rule 1: anything recorded at a site stops an automatic measurement running there (its
        // own result and error clear `automaticAt` before they are recorded).
        abortAutomatic(&events, because: "another value was recorded")
        let reading = try recorder.record(site, state, time: timestamp(), method: method, device: identity, note: note)
        if proposal?.site == site { proposal = nil }
        events.append(.recorded(reading))
        if case .deviceError = state {
            // Rule 5: the session stays at the site.
            revisit = (site, true)
            events.append(.prompt("The device reported an error at the \(site.words): measure it again here (type the value, mark, or auto), or next to move on."))
            prompted = site
            return
        }
        if revisit?.site == site { revisit = nil }
        try advance(&events)
    }

    private func abortAutomatic(_ events: inout [BedsideEvent], because reason: String) {
        guard let site = automaticAt else { return }
        automaticAt = nil
        events.append(.cuff(.abortMeasurement))
        events.append(.note("The automatic measurement at the \(site.words) was stopped (\(reason)); the cuff deflates, and a late result is not recorded."))
    }

    /// Moves to what comes next: the next site (a DVT leg's sites recorded as not measured), the
    /// symptom step, or the review.
    private func advance(_ events: inout [BedsideEvent]) throws {
        // Rule 1: whatever moves the session off a site (keep, next, a DVT leg's sites, the end of
        // the sequence) stops an automatic measurement running there.
        defer {
            if let running = automaticAt, phase != .measuring || step.site != running { abortAutomatic(&events, because: "moving on") }
        }
        while phase == .measuring {
            let step = self.step
            guard let site = step.site else {
                // Noncompressible ankles say nothing about perfusion: the toe pressure does (TBI).
                if !symptomsAsked {
                    let result = Exam(patient: Patient(id: "-"), details: ExamDetails(performedAt: nil), readings: recorder.readings).result()
                    for leg in [result.right, result.left] where leg.category == .noncompressible && !recorder.readings.contains(where: { $0.site == .toe(leg.side) }) {
                        events.append(.note("The \(leg.side.word) ankle arteries are noncompressible: the ABI says nothing about perfusion. Measure the \(leg.side.word) toe pressure now with r \(BedsideSession.code(.toe(leg.side))) (TBI)."))
                    }
                }
                if plan.asksSymptoms && !symptomsAsked {
                    symptomsAsked = true
                    questions = SymptomQuestions(starting: recorder.symptoms)
                    phase = .symptoms
                    events.append(.note("All sites are done. Symptoms and signs next (they tell ischaemic rest pain from nerve, cramp and restless-legs pain, and raise the urgent flags)."))
                    askQuestion(&events)
                } else {
                    phase = .review
                    events.append(.prompt(reviewText))
                }
                return
            }
            if site.kind != .brachial, plan.dvt.contains(site.side), revisit == nil {
                let reading = try recorder.record(site, .notMeasured(reason: "suspected DVT: no cuff inflated on this leg"), time: timestamp(),
                                                  method: nil, device: nil, note: nil)
                events.append(.recorded(reading))
                continue
            }
            if prompted != site || revisit != nil {
                if case .repeatFirstArm = step {
                    events.append(.note("R5: the first arm read more than 10 mmHg above the other. Measure the \(site.words) again now (the repeat replaces the first reading), or k to keep the single reading."))
                }
                events.append(.prompt("Next: \(site.words)."))
                prompted = site
            }
            return
        }
    }

    // MARK: Symptoms and review

    private func askQuestion(_ events: inout [BedsideEvent]) {
        guard let questions else { return }
        if let preamble = questions.preamble { events.append(.note(preamble)) }
        if let prompt = questions.prompt { events.append(.prompt(prompt)) }
    }

    private func symptoms(_ line: String, _ events: inout [BedsideEvent]) throws {
        guard var questions else { return }
        if line.lowercased() == "quit" || line.lowercased() == "q" {
            phase = .stopped
            return events.append(.stopped)
        }
        switch questions.answer(line) {
        case .again(let why):
            events.append(.refused(why))
            self.questions = questions
            askQuestion(&events)
        case .next:
            self.questions = questions
            if questions.prompt != nil { return askQuestion(&events) }
            if questions.recording { try recorder.recordSymptoms(questions.symptoms) }
            self.questions = nil
            phase = .review
            events.append(.prompt(reviewText))
        }
    }

    private func review(_ line: String, _ events: inout [BedsideEvent]) throws {
        switch BedsideCommand(line) {
        case .none, .save:
            try save(&events)
        case .redo(let name):
            try redo(name, &events)
        case .quit:
            phase = .stopped
            events.append(.stopped)
        case .help:
            events.append(.note("Review: Enter (or save) saves the exam; r SITE measures a site again; q stops and keeps it in progress."))
        default:
            events.append(.refused("Every site is done: Enter saves the exam, r SITE measures a site again, q stops."))
        }
    }

    private func save(_ events: inout [BedsideEvent]) throws {
        phase = .saved
        events.append(.saved)
    }

    /// Every site with its value or state, for the review before saving.
    public var reviewText: String {
        var lines = ["Review before saving:"]
        for (site, reading) in sites {
            let value = reading.map { BedsideSession.describe($0.state) } ?? "—"
            lines.append("  \(BedsideSession.code(site).padding(3)) \(site.words.padding(22)) \(value)")
        }
        lines.append("Enter saves the exam; r SITE measures a site again (r RPT); q stops and keeps it in progress.")
        return lines.joined(separator: "\n")
    }

    // MARK: Words

    public static let help = """
        Keys: 132 Enter a value (arms 132/80 p72) · Space/mark take the cuff pressure now
          auto the automatic cuff, here · Esc/s stop the cuff · a absent · n [250] noncompressible
          x REASON not measured · e [CODE] device error · k keep the single first-arm reading
          next move on after a device error · r [SITE] redo (RB LB RPT RDP LPT LDP RT LT)
          q quit: everything recorded is kept, and --resume goes on
        """

    /// The short code of a site on the screen and in `redo`: RB, LB, RPT, RDP, LPT, LDP, RT, LT.
    public static func code(_ site: Site) -> String { site.code }

    /// A site from what an operator types: its code (RPT), its words (right posterior tibial),
    /// or its exam-file name (rightPosteriorTibial).
    public static func site(named text: String) -> Site? {
        let key = text.lowercased().filter { $0.isLetter }
        return Site.allCases.first { site in
            [code(site), site.rawValue, site.words, site.words.split(separator: " ").map { $0 == "brachial" ? "arm" : String($0) }.joined()]
                .map { $0.lowercased().filter(\.isLetter) }.contains(key)
        }
    }

    /// A reading's state in a few characters.
    public static func describe(_ state: ReadingState) -> String {
        switch state {
        case .numeric(let p):
            var text = p.diastolic.map { "\(p.systolic.mmHg)/\($0.mmHg)" } ?? "\(p.systolic.mmHg)"
            if let pulse = p.pulse { text += " p\(pulse.perMinute)" }
            return text + " mmHg"
        case .absent: return "absent"
        case .noncompressible(let at): return "noncompressible" + (at.map { " at \($0.mmHg) mmHg" } ?? "")
        case .notMeasured(let reason): return "not measured: \(reason)"
        case .deviceError(let code, let message): return "device error" + ([code, message].compactMap { $0 }.first.map { " \($0)" } ?? "")
        }
    }

    /// A reason that is only digits (and / or spaces): a pressure typed at the reason.
    static func looksLikePressure(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isNumber || $0 == "/" || $0 == " " } && text.contains(where: \.isNumber)
    }
}

extension SymptomQuestions {
    /// Swelling with warmth or redness: the DVT signs of a leg (docs/rules.md, suspected-dvt).
    public static func hasDVTSigns(_ leg: LegSymptoms) -> Bool {
        leg.has(.swelling) && (leg.has(.warmth) || leg.has(.redness))
    }
}

/// What a bedside session says back.
public enum BedsideEvent: Sendable, Equatable {
    /// What to do now (the next site, a question, the review).
    case prompt(String)
    /// Information.
    case note(String)
    /// A command that was not carried out, with why.
    case refused(String)
    /// A reading was recorded (committed) at its site.
    case recorded(Reading)
    /// A command for the device (an automatic cuff): the front end sends it.
    case cuff(DeviceControl)
    /// The exam is complete and saved.
    case saved
    /// The session stopped; what was recorded stays in progress.
    case stopped
}

/// An operator's command at a site, from the line typed.
enum BedsideCommand: Equatable {
    case none
    case confirm
    case value(String)
    case mark
    case automatic
    case stopCuff
    case keep
    case next
    case redo(String?)
    case save
    case quit
    case help
    case unknown(String)

    init(_ line: String) {
        let words = line.split(separator: " ", maxSplits: 1).map(String.init)
        guard let first = words.first else { self = .none; return }
        let rest = words.count > 1 ? words[1].trimmed : ""
        switch first.lowercased() {
        case "value", "v": self = .value(rest)
        case "mark", "m": self = .mark
        case "y", "yes", "ok": self = .confirm
        case "auto": self = .automatic
        case "s", "stop": self = .stopCuff
        case "k", "keep": self = .keep
        case "next": self = .next
        case "r", "redo", "back": self = .redo(rest.isEmpty ? nil : rest)
        case "save", "done": self = .save
        case "q", "quit", "exit": self = .quit
        case "?", "h", "help": self = .help
        case "a", "absent", "n", "noncompressible", "x", "skip", "notmeasured", "e", "error":
            let head = ["absent": "a", "noncompressible": "n", "skip": "x", "notmeasured": "x", "error": "e"][first.lowercased()] ?? first.lowercased()
            self = .value(rest.isEmpty ? head : head + " " + rest)
        default:
            self = first.first?.isNumber == true ? .value(line) : .unknown(first)
        }
    }
}

/// What the Doppler's sound proposes for the site being measured (`abi capture --audio`).
public struct SoundProposal: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Flow returned: the cuff pressure at the first of two consecutive beats.
        case systolic(Int)
        /// Flow went on at the highest cuff pressure.
        case noncompressible(Int)
        /// No flow by the time the cuff was let down.
        case absent
    }
    public var kind: Kind
    /// When the first beat of the return was heard (monotonic ms, the session's clock).
    public var beatAt: Int
    /// The site it was proposed for (set by the session).
    public internal(set) var site: Site?

    public init(_ kind: Kind, beatAt: Int) {
        self.kind = kind
        self.beatAt = beatAt
    }

    public var mmHg: Int? {
        switch kind {
        case .systolic(let p), .noncompressible(let p): p
        case .absent: nil
        }
    }

    public var words: String {
        switch kind {
        case .systolic(let p): "flow returned at \(p) mmHg"
        case .noncompressible(let p): "flow went on at \(p) mmHg (noncompressible)"
        case .absent: "no flow (absent)"
        }
    }
}
