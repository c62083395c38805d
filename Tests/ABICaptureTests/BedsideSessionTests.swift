import ABICapture
import ABICore
import ABIDevices
import ABIStore
import Foundation
import Testing

/// The bedside engine driven directly: a test clock, scripted device events and operator lines.
/// Each test names the rule of docs/capture.md (and the review finding) it holds.
@Suite struct BedsideSessionTests {
    final class Clock: @unchecked Sendable { var now = 1_000_000 }

    struct Bench {
        let session: BedsideSession
        let recorder: ExamFileRecorder
        let clock: Clock

        var readings: [Reading] { recorder.readings }
        var latest: [Site: ReadingState] { Dictionary(readings.map { ($0.site, $0.state) }) { _, b in b } }

        @discardableResult
        func line(_ text: String, typedAt: Site? = nil) throws -> [BedsideEvent] { try session.handle(line: text, typedAt: typedAt) }

        @discardableResult
        func device(_ content: DeviceReading.Content) throws -> [BedsideEvent] {
            try session.handle(DeviceReading(time: Timestamp(millisecondsSinceEpoch: clock.now), profile: "test", port: "/dev/ttyUSB0", content: content))
        }

        @discardableResult
        func cuff(_ mmHg: Int, mark: Bool = false) throws -> [BedsideEvent] { try device(.measurement(.cuffPressure(mmHg: mmHg, mark: mark))) }

        /// A Doppler deflation at 3 mmHg per 250 ms from `from` down to `to`, a sample every 250 ms.
        func deflate(from: Int, to: Int) throws {
            var p = from
            while p >= to {
                try cuff(p)
                clock.now += 250
                p -= 3
            }
            clock.now -= 150  // the operator marks 100 ms after the last sample
        }

        func inflate(to: Int) throws {
            for p in stride(from: 40, through: to, by: 40) {
                try cuff(p)
                clock.now += 100
            }
        }

        func bloodPressure(_ sys: Int, _ dia: Int) throws -> [BedsideEvent] {
            try device(.measurement(.bloodPressure(BloodPressure(systolic: Pressure(mmHg: sys)!, diastolic: Pressure(mmHg: dia)!, pulseRate: 70))))
        }
    }

    static let manometer = BedsideSession.Device(identity: DeviceIdentity(profile: "doppler-manometer", port: "/dev/ttyUSB0"), measuresOnRequest: false)
    static let cuff = BedsideSession.Device(identity: DeviceIdentity(profile: "suntech-advantage", port: "/dev/ttyUSB0"), measuresOnRequest: true)

    static func bench(device: BedsideSession.Device? = nil, plan: BedsideSession.Plan = .init(firstArm: .right, toes: false)) throws -> Bench {
        let clock = Clock()
        let recorder = ExamFileRecorder(Exam(patient: Patient(id: "T-1"), details: ExamDetails(performedAt: nil), readings: []))
        let session = BedsideSession(recorder: recorder, plan: plan, device: device, clock: { clock.now }, timestamp: { "2026-11-29T10:00:00Z" })
        let bench = Bench(session: session, recorder: recorder, clock: clock)
        _ = try session.start()
        if device != nil { try bench.device(.event(.connected)) }
        return bench
    }

    static func aborts(_ events: [BedsideEvent]) -> Int { events.filter { $0 == .cuff(.abortMeasurement) }.count }
    static func refused(_ events: [BedsideEvent]) -> String? {
        events.compactMap { if case .refused(let text) = $0 { text } else { nil } }.first
    }

    // MARK: Rule 1 — a measurement belongs to the site where it started (C1, C8)

    @Test("Rule 1 / C1: a value typed while the automatic cuff runs aborts it; its late result is never recorded at the next site")
    func automaticResultStaysAtItsSite() throws {
        let b = try Self.bench(device: Self.cuff)
        try b.line("132/80")
        #expect(b.session.site == .rightPosteriorTibial)
        #expect(try b.line("auto").contains(.cuff(.startMeasurement)))
        let typed = try b.line("130")
        #expect(Self.aborts(typed) == 1)
        #expect(b.latest[.rightPosteriorTibial] == .numeric(try NumericPressure(systolic: Pressure(mmHg: 130)!)))
        #expect(b.session.site == .rightDorsalisPedis)
        // The SunTech result of the aborted cycle comes in late: journaled, never a reading.
        let late = try b.bloodPressure(124, 78)
        #expect(!late.contains { if case .recorded = $0 { true } else { false } })
        #expect(b.latest[.rightDorsalisPedis] == nil)
        #expect(b.readings.count == 2)
    }

    @Test("Rule 1: an automatic result is recorded at the site where auto was given (arms with diastolic, ankles systolic only)")
    func automaticResultRecordedWhereStarted() throws {
        let b = try Self.bench(device: Self.cuff)
        try b.line("auto")
        let events = try b.bloodPressure(128, 82)
        #expect(events.contains { if case .recorded(let r) = $0 { r.site == .rightBrachial } else { false } })
        guard case .numeric(let arm) = b.latest[.rightBrachial] else { Issue.record("no arm reading"); return }
        #expect(arm.diastolic?.mmHg == 82 && arm.pulse?.perMinute == 70)
        try b.line("auto")
        _ = try b.bloodPressure(110, 70)
        guard case .numeric(let ankle) = b.latest[.rightPosteriorTibial] else { Issue.record("no ankle reading"); return }
        #expect(ankle.systolic.mmHg == 110 && ankle.diastolic == nil && ankle.pulse == nil)
    }

    @Test("Rule 1, rule 7 / C8: redo, quit, Ctrl-C and the stop key all send the abort; a mark is refused while the cuff measures")
    func everyWayOutAbortsTheCuff() throws {
        for exit in ["r RB", "q", "stop", "interrupt", "next-site-value"] {
            let b = try Self.bench(device: Self.cuff)
            try b.line("130/80")
            try b.line("auto")
            let events: [BedsideEvent]
            switch exit {
            case "interrupt": events = b.session.interrupt()
            case "next-site-value": events = try b.line("a")
            default: events = try b.line(exit)
            }
            #expect(Self.aborts(events) == 1, "\(exit)")
            #expect(b.session.automaticAt == nil, "\(exit)")
        }
        let b = try Self.bench(device: Self.cuff)
        try b.line("auto")
        try b.cuff(150)
        #expect(Self.refused(try b.line("mark"))?.contains("automatic cuff is measuring") == true)
        #expect(b.readings.isEmpty)
    }

    @Test("Rule 1 (found by the bedside fuzz target): keep at the R5 repeat while the cuff measures aborts it; its result does not land during the symptom step")
    func keepAbortsTheAutomaticRepeat() throws {
        let b = try Self.bench(device: Self.cuff)
        for value in ["150/90", "120", "118", "120", "118", "130/80"] { try b.line(value) }
        #expect(b.session.step == .repeatFirstArm(.rightBrachial))
        try b.line("auto")
        #expect(Self.aborts(try b.line("k")) == 1)
        #expect(b.session.phase == .symptoms && b.session.automaticAt == nil)
        _ = try b.bloodPressure(148, 88)
        #expect(b.readings.count == 6)
    }

    @Test("Rule 1: an unplug cuts off the automatic measurement; its result after the replug is not recorded")
    func unplugEndsTheAutomaticMeasurement() throws {
        let b = try Self.bench(device: Self.cuff)
        try b.line("auto")
        try b.device(.event(.disconnected))
        #expect(b.session.automaticAt == nil)
        try b.device(.event(.reconnected))
        _ = try b.bloodPressure(120, 80)
        #expect(b.readings.isEmpty)
    }

    // MARK: Rule 2 — a mark takes a fresh pressure from a connected device (C2)

    @Test("Rule 2 / C2: a mark after the device disconnected or went silent, or with a pressure over 500 ms old, is refused; the status shows no pressure")
    func staleMarksAreRefused() throws {
        for trouble in ["disconnected", "silent", "stale"] {
            let b = try Self.bench(device: Self.manometer)
            try b.inflate(to: 200)
            try b.deflate(from: 180, to: 110)
            #expect(b.session.cuff?.mmHg == 111)
            switch trouble {
            case "disconnected": try b.device(.event(.disconnected))
            case "silent": try b.device(.event(.silent))
            default: b.clock.now += 500
            }
            if trouble != "stale" { #expect(b.session.cuff == nil, "\(trouble)") }
            let events = try b.line("mark")
            #expect(Self.refused(events)?.hasPrefix("Not marked") == true, "\(trouble)")
            #expect(b.readings.isEmpty, "\(trouble)")
        }
    }

    @Test("Rule 2: a fresh, falling pressure is marked at the current site as a Doppler reading from the device")
    func freshFallingPressureIsMarked() throws {
        let b = try Self.bench(device: Self.manometer)
        try b.inflate(to: 200)
        try b.deflate(from: 180, to: 131)
        try b.line("mark")
        #expect(b.readings.count == 1)
        #expect(b.readings[0].site == .rightBrachial && b.readings[0].state.systolic == 132 && b.readings[0].method == .doppler)
        #expect(b.readings[0].device?.profile == "doppler-manometer")
    }

    @Test("Rule 2: a mark while the pressure rises or holds is refused")
    func markNeedsFallingPressure() throws {
        let b = try Self.bench(device: Self.manometer)
        try b.inflate(to: 160)
        #expect(Self.refused(try b.line("mark"))?.contains("not falling") == true)
        #expect(b.readings.isEmpty)
    }

    // MARK: Rule 3 — one mark per inflation (C3)

    @Test("Rule 3 / C3: a second Space or a device MARK in the same deflation is refused; after inflating 20 mmHg above the mark, the next counts")
    func oneMarkPerInflation() throws {
        let b = try Self.bench(device: Self.manometer)
        try b.line("130/80")
        try b.inflate(to: 200)
        try b.deflate(from: 180, to: 158)
        try b.line("mark")  // RPT at 159
        #expect(b.readings.count == 2)
        try b.deflate(from: 155, to: 140)
        #expect(Self.refused(try b.line("mark"))?.contains("already marked at") == true)
        #expect(Self.refused(try b.cuff(128, mark: true))?.contains("already marked at") == true)
        #expect(b.readings.count == 2)
        #expect(b.latest[.rightDorsalisPedis] == nil)
        // Inflated again, but not 20 mmHg above the mark: still refused.
        try b.cuff(170)
        b.clock.now += 250
        try b.deflate(from: 168, to: 150)
        #expect(Self.refused(try b.line("mark")) != nil)
        // Inflated above 159 + 20: the next mark counts, at the next site.
        try b.inflate(to: 200)
        try b.deflate(from: 190, to: 150)
        try b.cuff(149, mark: true)
        #expect(b.latest[.rightDorsalisPedis]?.systolic == 149)
    }

    // MARK: Rule 4 — a typed value goes to the site shown when typing began (C4)

    @Test("Rule 4 / C4: a device MARK moves the session while the operator types; the typed value is not recorded anywhere")
    func typedValueBelongsToItsSite() throws {
        let b = try Self.bench(device: Self.manometer)
        try b.line("130/80")
        let typingAt = b.session.site  // the operator starts typing 118 here
        try b.inflate(to: 200)
        try b.deflate(from: 190, to: 128)
        try b.cuff(128, mark: true)  // the manometer's MARK: RPT recorded, the session moves on
        #expect(b.session.site == .rightDorsalisPedis)
        let events = try b.line("118", typedAt: typingAt)
        #expect(Self.refused(events)?.contains("began typing at the right posterior tibial") == true)
        #expect(b.readings.count == 2)
        #expect(b.latest[.rightPosteriorTibial]?.systolic == 128)
        try b.line("118", typedAt: b.session.site)
        #expect(b.latest[.rightDorsalisPedis]?.systolic == 118)
    }

    // MARK: Rule 5 — after a device error the session stays at that site (C5)

    @Test("Rule 5 / C5: an error of the automatic cuff is recorded at its site and the session stays there; the retest goes there too")
    func deviceErrorStaysAtTheSite() throws {
        let b = try Self.bench(device: Self.cuff)
        try b.line("auto")
        let events = try b.device(.measurement(.deviceError(code: "3", message: "cuff leak")))
        #expect(events.contains { if case .recorded(let r) = $0 { r.site == .rightBrachial } else { false } })
        #expect(b.session.site == .rightBrachial)
        try b.line("130/80")
        #expect(b.readings.map(\.site) == [.rightBrachial, .rightBrachial])
        #expect(b.latest[.rightBrachial]?.systolic == 130)
        #expect(b.session.site == .rightPosteriorTibial)
    }

    @Test("Rule 5: next moves on from a device error, keeping it; a typed e stays at the site too")
    func moveOnAfterError() throws {
        let b = try Self.bench()
        try b.line("e E3")
        #expect(b.session.site == .rightBrachial)
        try b.line("next")
        #expect(b.session.site == .rightPosteriorTibial)
        #expect(b.latest[.rightBrachial] == .deviceError(code: "E3", message: nil))
    }

    // MARK: Rule 8 — DVT legs get no cuff; symptoms (C9)

    @Test("Rule 8 / C9: with --dvt both and toes, no ankle or toe cuff is asked for; redo there is refused")
    func dvtLegsGetNoCuff() throws {
        let b = try Self.bench(plan: .init(firstArm: .right, toes: true, dvt: [.left, .right]))
        try b.line("130/80")
        #expect(b.session.site == .leftBrachial)
        try b.line("128/80")
        #expect(b.session.phase == .symptoms)
        let notMeasured = b.readings.filter { if case .notMeasured = $0.state { true } else { false } }.map(\.site)
        #expect(Set(notMeasured) == [.rightPosteriorTibial, .rightDorsalisPedis, .leftPosteriorTibial, .leftDorsalisPedis, .rightToe, .leftToe])
        try b.line("n")
        #expect(Self.refused(try b.line("r LT"))?.contains("suspected DVT") == true)
        // The signs are recorded, so the result raises the flag.
        #expect(b.recorder.symptoms?.left.has(.swelling) == true && b.recorder.symptoms?.right.has(.warmth) == true)
        #expect(b.recorder.exam.result().flags.contains { $0.code == .suspectedDVT })
    }

    @Test("Rule 8: the symptom step records signs per leg, claudication with its walking distance, wounds, toe colour, onset, back pain and Wells")
    func symptomStep() throws {
        let b = try Self.bench()
        for value in ["130/80", "80", "78", "120", "118", "128/80"] { try b.line(value) }
        #expect(b.session.phase == .symptoms)
        let answers = ["y", "1 2 3 20", "150", "3", "b", "15 16", "", "", "", "y", "4"]
        for answer in answers { try b.line(answer) }
        #expect(b.session.phase == .review, "\(b.session.question ?? "")")
        let symptoms = try #require(b.recorder.symptoms)
        #expect(symptoms.right.has(.restPain) && symptoms.right.has(.reliefOnDependency) && symptoms.right.has(.nightOnset) && symptoms.right.has(.claudication))
        #expect(symptoms.right.walkingDistanceMeters == ExactDecimal(150))
        #expect(symptoms.right.woundWeeks == ExactDecimal(3) && symptoms.right.toeDiscoloration == .blue)
        #expect(symptoms.left.has(.shootingPain) && symptoms.left.has(.numbness) && !symptoms.left.has(.restPain))
        #expect(symptoms.radiatesFromBack == true && symptoms.wellsScore == 4 && symptoms.acuteOnsetDays == nil)
        // The flags come from the recorded exam: rest pain with an abnormal ABI.
        let result = b.recorder.exam.result(options: .standard)
        #expect(result.flags.contains { $0.code.rawValue == "clti-suspected" })
        #expect(Self.refused(try b.line("nonsense")) != nil)
    }

    @Test("Rule 8: a bad symptom answer is explained and asked again")
    func badSymptomAnswer() throws {
        let b = try Self.bench()
        for value in ["130/80", "120", "118", "120", "118", "128/80", "y"] { try b.line(value) }
        let events = try b.line("1 99")
        #expect(Self.refused(events)?.contains("numbers from 1 to 20") == true)
        #expect(b.session.question?.hasPrefix("Right leg signs") == true)
    }

    // MARK: Rule 9 — redo any site; the review before saving

    @Test("Rule 9: redo SITE reaches any site; from the review it measures the site again and comes back to the review; Enter saves")
    func redoAnySiteAndReview() throws {
        let b = try Self.bench()
        for value in ["130/80", "96", "118", "120"] { try b.line(value) }
        try b.line("r RPT")
        #expect(b.session.site == .rightPosteriorTibial)
        try b.line("69")
        #expect(b.session.site == .leftDorsalisPedis)  // back to the sequence
        for value in ["118", "128/80", "n"] { try b.line(value) }
        #expect(b.session.phase == .review)
        #expect(b.session.reviewText.contains("RPT right posterior tibial 69 mmHg"))
        try b.line("redo left brachial")
        try b.line("126/78")
        #expect(b.session.phase == .review)
        #expect(try b.line("").contains(.saved))
        #expect(b.latest[.rightPosteriorTibial]?.systolic == 69 && b.latest[.leftBrachial]?.systolic == 126)
    }

    @Test("C10: noncompressible ankles without --toes: the session says to take that toe now, and r RT takes it")
    func noncompressibleOffersTheToe() throws {
        let b = try Self.bench()
        var said: [BedsideEvent] = []
        for value in ["120/80", "n 250", "n 250", "118", "116", "122/80"] { said += try b.line(value) }
        #expect(said.contains(.note("The right ankle arteries are noncompressible: the ABI says nothing about perfusion. Measure the right toe pressure now with r RT (TBI).")))
        #expect(!said.contains { if case .note(let t) = $0 { t.contains("left ankle arteries") } else { false } })
        try b.line("n")
        try b.line("r RT")
        try b.line("64")
        #expect(b.latest[.rightToe]?.systolic == 64 && b.session.phase == .review)
    }

    // MARK: Rule 10 — manual entry checks (E4)

    @Test("Rule 10 / E4: no diastolic outside the arms; a number as a reason is questioned; the pulse survives the R5 repeat")
    func entryChecks() throws {
        let b = try Self.bench(plan: .init(firstArm: .right, toes: true))
        try b.line("148/86 p72")
        #expect(Self.refused(try b.line("120/80"))?.contains("Only the arms") == true)
        #expect(Self.refused(try b.line("x 110"))?.contains("looks like a pressure") == true)
        for value in ["120", "118", "122", "121", "130/80"] { try b.line(value) }
        #expect(b.session.step == .repeatFirstArm(.rightBrachial))
        try b.line("146/84")
        guard case .numeric(let repeated) = b.latest[.rightBrachial] else { Issue.record("no repeat"); return }
        #expect(repeated.systolic.mmHg == 146 && repeated.pulse?.perMinute == 72)
        #expect(b.session.site == .rightToe)
        #expect(Self.refused(try b.line("90/60")) != nil)
    }

    @Test("Piped input that ends after the sites saves; before them, the session stops with everything kept")
    func inputEnds() throws {
        let b = try Self.bench()
        for value in ["130/80", "120"] { try b.line(value) }
        #expect(try b.session.inputEnded().contains(.stopped))
        let c = try Self.bench()
        for value in ["130/80", "120", "118", "120", "118", "128/80", "y", "1"] { try c.line(value) }
        #expect(try c.session.inputEnded().contains(.saved))
        #expect(c.recorder.symptoms?.right.has(.restPain) == true)
    }

    // MARK: Through the store

    @Test("Through the store: each reading is committed when it is acknowledged, and a resumed session goes on at the next site")
    func storeRecorder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("abi-capture-\(UUID().uuidString)")
        let path = dir.appendingPathComponent("abi.sqlite").path
        var examId: Int64 = 0
        do {
            let store = try Store(path: path)
            let plan = Store.CapturePlan(firstArm: .left, toes: false)
            let capture = try store.beginCapture(Patient(id: "S-1"), details: ExamDetails(performedAt: Timestamp("2026-11-29T10:00:00Z")),
                                                 plan: plan, device: nil, actor: "test")
            examId = capture.examId
            let recorder = try StoreRecorder(store: store, capture: capture, plan: plan, actor: "test")
            let session = BedsideSession(recorder: recorder, plan: .init(firstArm: .left, toes: false), device: nil,
                                         clock: { 0 }, timestamp: { "2026-11-29T10:01:00Z" })
            _ = try session.start()
            let events = try session.handle(line: "130/80")
            guard case .recorded(let reading) = events.first(where: { if case .recorded = $0 { true } else { false } }) else {
                Issue.record("nothing recorded"); return
            }
            // Committed: another connection sees it at once.
            #expect(try Store(path: path, access: .existing).exam(examId).exam.readings.contains(reading))
        }
        let store = try Store(path: path, access: .existing)
        let (capture, plan) = try store.resumeCapture(patient: "S-1", device: nil, actor: "test")
        let recorder = try StoreRecorder(store: store, capture: capture, plan: plan, actor: "test")
        let session = BedsideSession(recorder: recorder, plan: .init(firstArm: plan.firstArm, toes: false), device: nil, clock: { 0 }, timestamp: { "2026-11-29T10:02:00Z" })
        _ = try session.start()
        #expect(session.site == .leftPosteriorTibial)
    }
}
