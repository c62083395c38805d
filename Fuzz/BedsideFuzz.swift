// libFuzzer target for the bedside engine (ABICapture): the bytes are a script of operator
// lines, device readings and clock steps. Built by scripts/fuzz with the ABICore, device and
// ABICapture sources as one module. Besides crashes, it checks the engine's promises: a reading
// is recorded only at the site being measured (an automatic result included: moving on aborts
// it), and never at a leg with suspected DVT except as "not measured".

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBedside(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))[...]
    func next() -> UInt8? { bytes.popFirst() }
    var now = 0
    let recorder = ExamFileRecorder(Exam(patient: Patient(id: "F"), details: ExamDetails(performedAt: nil), readings: []))
    let flags = bytes.first ?? 0
    let device = BedsideSession.Device(identity: DeviceIdentity(profile: "fuzz"), measuresOnRequest: flags & 1 != 0)
    let dvt: Set<Side> = flags & 2 != 0 ? [.left] : []
    let session = BedsideSession(recorder: recorder, plan: .init(firstArm: flags & 4 != 0 ? .left : .right, toes: flags & 8 != 0, dvt: dvt),
                                 device: flags & 16 != 0 ? nil : device, clock: { now }, timestamp: { "2026-11-29T10:00:00Z" })
    _ = try? session.start()
    let words = ["132/80 p70", "110", "a", "n 250", "x dressing", "e E3", "mark", "auto", "stop", "k", "next", "r", "r RPT", "r LT",
                 "q", "?", "save", "", "y", "1 2 3 20", "150", "b", "x 110", "120/80", "back", "redo left brachial", "n"]
    while let op = next() {
        let site = session.site
        let automatic = session.automaticAt
        let events: [BedsideEvent]
        switch op % 8 {
        case 0, 1:
            events = (try? session.handle(line: words[Int(next() ?? 0) % words.count], typedAt: op & 8 != 0 ? site : nil)) ?? []
        case 2:
            var text: [UInt8] = []
            while let b = next(), b != 0x0A, text.count < 40 { text.append(b) }
            events = (try? session.handle(line: String(decoding: text, as: UTF8.self))) ?? []
        case 3:
            events = (try? session.handle(reading(.measurement(.cuffPressure(mmHg: Int(next() ?? 0) + 20, mark: op & 16 != 0))))) ?? []
        case 4:
            let sys = Int(next() ?? 120) % 250 + 30
            events = (try? session.handle(reading(.measurement(.bloodPressure(BloodPressure(systolic: Pressure(mmHg: sys)!, diastolic: Pressure(mmHg: max(1, sys - 40)))))))) ?? []
        case 5:
            events = (try? session.handle(reading(.measurement(.deviceError(code: "3", message: "retry"))))) ?? []
        case 6:
            let event: DeviceEvent = [.connected, .disconnected, .reconnected, .silent][Int(next() ?? 0) % 4]
            events = (try? session.handle(reading(.event(event)))) ?? []
        default:
            now += Int(next() ?? 0) * 10
            events = op & 32 != 0 ? session.interrupt() : []
        }
        for case .recorded(let r) in events {
            if case .notMeasured(let reason) = r.state, reason.hasPrefix("suspected DVT") { continue }
            if r.site.kind != .brachial, dvt.contains(r.site.side) { fatalError("a cuff reading on a DVT leg: \(r)") }
            // Moving on aborts an automatic measurement, so its result too lands only at the site being measured.
            if r.site != site { fatalError("recorded at \(r.site), measuring \(String(describing: site)), automatic \(String(describing: automatic))") }
        }
    }
    _ = try? session.inputEnded()
    if (try? ExamFile.decode(Array(ExamFile.encode(recorder.exam).utf8))) == nil { fatalError("the entered exam does not read back") }
    return 0

    func reading(_ content: DeviceReading.Content) -> DeviceReading { DeviceReading(time: nil, profile: "fuzz", content: content) }
}
