import ABICore
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `abi capture` driven like an operator would: commands sent one at a time on standard input,
/// each waited for ("… saved") on standard error; devices played by `abi simulate` or umockdev.
final class CaptureProcess: @unchecked Sendable {
    let process = Process()
    private let input = Pipe(), out = Pipe(), err = Pipe()
    private let lock = NSLock()
    private var errText = ""
    private var outText = ""

    init(_ arguments: [String], db: String, executable: URL = CommandTests.binary, environment: [String: String] = [:]) throws {
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["ABI_DB": db, "ABI_OPERATOR": "nurse-1"].merging(environment) { $1 }) { $1 }
        process.standardInput = input
        process.standardOutput = out
        process.standardError = err
        err.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.errText += String(decoding: data, as: UTF8.self) }
        }
        out.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.outText += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
    }

    var stderr: String { lock.withLock { errText } }
    var stdout: String { lock.withLock { outText } }

    /// Waits until standard error holds `text` (`count` times).
    @discardableResult
    func waitFor(_ text: String, count: Int = 1, seconds: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if stderr.components(separatedBy: text).count > count { return true }
            usleep(20_000)
        }
        return false
    }

    /// Sends a line; a capture that has already ended gets nothing (and the test run is not
    /// killed by SIGPIPE: the failure shows in the expectations instead).
    func send(_ line: String) {
        signal(SIGPIPE, SIG_IGN)
        try? input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
    }

    /// Sends a command and waits for the reading it records.
    @discardableResult
    func record(_ line: String, reading n: Int) -> Bool {
        send(line)
        return waitFor("(reading \(n), saved)")
    }

    func closeInput() { try? input.fileHandleForWriting.close() }

    func finish(seconds: Double = 20) -> Int32 {
        closeInput()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.interrupt() }
        process.waitUntilExit()
        usleep(50_000)
        return process.terminationStatus
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

@Suite struct CaptureTests {
    /// A new patient is added only when said so, with all four details (rule 6).
    static let newPatient = ["--new-patient", "--name", "Test, Pat", "--birth-date", "1950-01-01", "--sex", "female", "--diabetes", "no"]

    static func store() throws -> String { try CommandTests.temporaryDirectory().appendingPathComponent("abi.sqlite").path }

    static func show(_ id: Int, db: String) throws -> [String: Any] {
        let run = try CommandTests.run(CommandTests.binary, ["exams", "show", "\(id)", "--format", "json", "--db", db])
        return try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
    }

    static func readings(_ shown: [String: Any]) -> [[String: Any]] {
        ((shown["exam"] as? [String: Any])?["readings"] as? [[String: Any]]) ?? []
    }

    @Test("Scripted session, typed values: the AHA order, toes, then the result; saved as preliminary with every reading")
    func normal() throws {
        let db = try CaptureTests.store()
        let capture = try CaptureProcess(["capture", "--patient", "MRN-42"] + CaptureTests.newPatient + ["--toes", "--indication", "claudication", "--first-arm", "left"], db: db)
        #expect(capture.waitFor("Next: left brachial"))
        for (n, value) in ["132/80 p70", "120", "118", "126", "124", "130", "90", "95"].enumerated() {
            #expect(capture.record("value \(value)", reading: n + 1), "\(capture.stderr)")
        }
        #expect(capture.finish() == 0)
        #expect(capture.stdout.contains("ABI result for patient MRN-42"))
        #expect(capture.stderr.contains("saved as preliminary"))
        let shown = try CaptureTests.show(1, db: db)
        #expect(shown["status"] as? String == "preliminary")
        let sites = CaptureTests.readings(shown).map { $0["site"] as? String ?? "" }
        #expect(sites == ["leftBrachial", "leftPosteriorTibial", "leftDorsalisPedis", "rightPosteriorTibial", "rightDorsalisPedis", "rightBrachial", "rightToe", "leftToe"])
        let legs = (shown["result"] as? [String: Any])?["legs"] as? [String: Any]
        #expect(((legs?["left"] as? [String: Any])?["abi"] as? NSNumber)?.doubleValue == 0.91)  // 120 / 132
    }

    @Test("PAD with a Doppler manometer (abi simulate): the MARK takes the cuff pressure; the journal replays to the same")
    func padWithManometer() throws {
        let dir = try CommandTests.temporaryDirectory()
        let db = dir.appendingPathComponent("abi.sqlite").path
        let (simulator, port) = try DeviceCommandTests.simulate("doppler-manometer", "pad", seconds: 60)
        defer { simulator.stop() }
        let capture = try CaptureProcess(["capture", "--patient", "PAD-1"] + CaptureTests.newPatient + ["--port", port, "--profile", "doppler-manometer"], db: db)
        defer { if capture.process.isRunning { capture.kill9() } }
        #expect(capture.waitFor("(reading 1, saved)", seconds: 30), "\(capture.stderr)")  // the manometer's MARK
        for (n, value) in ["70", "absent", "90", "85", "138"].enumerated() {
            #expect(capture.record(value == "absent" ? value : "value \(value)", reading: n + 2), "\(capture.stderr)")
        }
        #expect(capture.finish() == 0)
        let shown = try CaptureTests.show(1, db: db)
        let first = CaptureTests.readings(shown).first
        #expect(first?["method"] as? String == "doppler")
        #expect((first?["device"] as? [String: Any])?["profile"] as? String == "doppler-manometer")
        let marked = first?["systolic"] as? Int ?? 0
        #expect((1...300).contains(marked))
        let right = ((shown["result"] as? [String: Any])?["legs"] as? [String: Any])?["right"] as? [String: Any]
        #expect(right?["category"] as? String == "abnormal")

        // Every byte was journaled before decoding: the journal replays to the MARK that was recorded.
        let journal = try CommandTests.run(CommandTests.binary, ["exams", "journal", "1", "--db", db])
        #expect(journal.stdout.split(separator: "\n").dropFirst().first?.hasPrefix("# capture session ") == true, "\(journal.stdout.prefix(200))")
        let raw = dir.appendingPathComponent("session.raw")
        try journal.stdout.write(to: raw, atomically: true, encoding: .utf8)
        let replay = try CommandTests.abi(["ingest", raw.path, "--profile", "doppler-manometer"])
        let marks = DeviceCommandTests.records(replay.stdout).filter { $0["mark"] as? Bool == true }.compactMap { $0["pressure"] as? Int }
        #expect(marks.first == marked)
    }

    @Test("C5 / rule 5: a device error becomes a deviceError reading (R2) and the session stays at that site: the retest goes there, not to the next site")
    func deviceError() throws {
        let db = try CaptureTests.store()
        let (simulator, port) = try DeviceCommandTests.simulate("suntech-advantage", "error", seconds: 60)
        defer { simulator.stop() }
        let capture = try CaptureProcess(["capture", "--patient", "ERR-1"] + CaptureTests.newPatient + ["--port", port, "--profile", "suntech-advantage"], db: db)
        defer { if capture.process.isRunning { capture.kill9() } }
        capture.send("auto")
        #expect(capture.waitFor("(reading 1, saved)", seconds: 30), "\(capture.stderr)")
        #expect(capture.stderr.contains("The device reported an error at the right brachial: measure it again here"))
        #expect(capture.record("value 130/80", reading: 2), "\(capture.stderr)")  // the arm pressure is taken: the session is at the arm
        #expect(capture.waitFor("Next: right posterior tibial."))
        capture.send("quit")
        #expect(capture.finish() == 0)
        let readings = CaptureTests.readings(try CaptureTests.show(1, db: db))
        #expect(readings.map { $0["state"] as? String ?? "numeric" } == ["deviceError", "numeric"])
        #expect(readings.allSatisfy { $0["site"] as? String == "rightBrachial" })
    }

    @Test("Unplug and replug in mid-session: paused with a message, goes on by itself, readings before kept")
    func unplug() throws {
        let dir = try CommandTests.temporaryDirectory()
        let db = dir.appendingPathComponent("abi.sqlite").path
        let link = dir.appendingPathComponent("manometer").path
        let (simulator, _) = try DeviceCommandTests.simulate("doppler-manometer", "unplug", link: link, seconds: 30)
        defer { simulator.stop() }
        let capture = try CaptureProcess(["capture", "--patient", "UNPLUG-1"] + CaptureTests.newPatient + ["--port", link, "--profile", "doppler-manometer"], db: db)
        defer { if capture.process.isRunning { capture.kill9() } }
        #expect(capture.record("value 130", reading: 1))
        #expect(capture.waitFor("Device disconnected — plug it back in", seconds: 10), "\(capture.stderr)")
        #expect(capture.waitFor("Device back", seconds: 10), "\(capture.stderr)")
        #expect(capture.record("value 120", reading: 2))
        capture.send("quit")
        #expect(capture.finish() == 0)
        // The first two are the typed ones, before and after the unplug (the simulated manometer
        // may MARK a third site on its own before quit arrives).
        let readings = CaptureTests.readings(try CaptureTests.show(1, db: db))
        #expect(Array(readings.compactMap { $0["systolic"] as? Int }.prefix(2)) == [130, 120])
    }

    @Test("kill -9 in mid-session, then --resume: every accepted reading survived, none twice, the sequence goes on")
    func killAndResume() throws {
        let db = try CaptureTests.store()
        let first = try CaptureProcess(["capture", "--patient", "KILL-1"] + CaptureTests.newPatient, db: db)
        for (n, value) in ["140", "120", "118"].enumerated() { #expect(first.record("value \(value)", reading: n + 1)) }
        first.kill9()
        #expect(first.process.terminationReason == .uncaughtSignal)

        let list = try CommandTests.run(CommandTests.binary, ["exams", "list", "--db", db]).stdout
        #expect(list.contains("in-progress"))
        let second = try CaptureProcess(["capture", "--resume", "--patient", "KILL-1"], db: db)
        #expect(second.waitFor("resuming exam 1 of patient KILL-1"))
        #expect(second.waitFor("Next: left posterior tibial"))
        for (n, value) in ["122", "121", "136"].enumerated() { #expect(second.record("value \(value)", reading: n + 4)) }
        #expect(second.finish() == 0)
        let readings = CaptureTests.readings(try CaptureTests.show(1, db: db))
        #expect(readings.compactMap { $0["seq"] as? Int } == [1, 2, 3, 4, 5, 6])
        #expect(readings.compactMap { $0["systolic"] as? Int } == [140, 120, 118, 122, 121, 136])
        #expect(try CaptureTests.show(1, db: db)["status"] as? String == "preliminary")
        #expect(try CommandTests.run(CommandTests.binary, ["capture", "--resume", "--db", db]).status == 66)  // nothing left to resume
    }

    @Test("A live capture cannot be resumed by a second process (the kill -9 case above still can: the lock dies with its process)")
    func liveCaptureIsLocked() throws {
        let db = try CaptureTests.store()
        let live = try CaptureProcess(["capture", "--patient", "LIVE-BOB"] + CaptureTests.newPatient, db: db)
        defer { if live.process.isRunning { live.kill9() } }
        #expect(live.record("value 150/90", reading: 1))
        let second = try CommandTests.run(CommandTests.binary, ["capture", "--resume", "--patient", "LIVE-BOB", "--db", db], stdin: "value 99\n")
        #expect(second.status == 65 && second.stderr.contains("is being captured right now"), "\(second.stderr)")
        #expect(live.record("value 120", reading: 2))
        #expect(live.finish() == 65)  // input ended before the sequence was done: kept, resumable
        let readings = CaptureTests.readings(try CaptureTests.show(1, db: db))
        #expect(readings.compactMap { $0["systolic"] as? Int }.prefix(2) == [150, 120])
    }

    @Test("Under umockdev-run: the manometer's MARK at the first site, the rest typed; a suspected-DVT leg is not cuffed")
    func umockdev() throws {
        let db = try CaptureTests.store()
        let samples = UmockdevTests.samples
        let capture = try CaptureProcess(["-d", samples.appendingPathComponent("doppler-manometer.umockdev").path,
                                          "-s", "/dev/ttyUSB0=\(samples.appendingPathComponent("doppler-manometer.script").path)", "--",
                                          CommandTests.binary.path, "capture", "--patient", "UMOCK-1", "--port", "/dev/ttyUSB0", "--dvt", "left"] + CaptureTests.newPatient,
                                         db: db, executable: UmockdevTests.umockdevRun)
        defer { if capture.process.isRunning { capture.kill9() } }
        #expect(capture.waitFor("(reading 1, saved)", seconds: 20), "\(capture.stderr)")
        #expect(capture.record("value 110", reading: 2))
        #expect(capture.record("value 104", reading: 3))
        #expect(capture.waitFor("(reading 5, saved)"))  // the left ankle, recorded as not measured
        #expect(capture.record("value 118", reading: 6))
        #expect(capture.finish() == 0)
        let readings = CaptureTests.readings(try CaptureTests.show(1, db: db))
        #expect(readings.first?["systolic"] as? Int == 120)  // MARK came at 120 mmHg in the sample
        #expect(readings.filter { $0["state"] as? String == "notMeasured" }.map { $0["site"] as? String } == ["leftPosteriorTibial", "leftDorsalisPedis"])
    }

    @Test("Unplug and replug under umockdev (the GI hotplug harness): paused, back under another name, no reading lost or doubled")
    func hotplug() throws {
        let db = try CaptureTests.store()
        let harness = CommandTests.packageDirectory.appendingPathComponent("Tests/abiTests/Hotplug/capture_hotplug.py")
        let run = try CommandTests.run(URL(fileURLWithPath: "/usr/bin/umockdev-wrapper"),
                                       ["/usr/bin/python3", harness.path, CommandTests.binary.path,
                                        UmockdevTests.samples.appendingPathComponent("doppler-manometer.umockdev").path, db])
        #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
        #expect(run.stdout.contains("Device disconnected — plug it back in"))
        let readings = CaptureTests.readings(try CaptureTests.show(1, db: db))
        #expect(readings.compactMap { $0["systolic"] as? Int } == [131, 112, 104])
        #expect(readings.compactMap { $0["site"] as? String } == ["rightBrachial", "rightPosteriorTibial", "rightDorsalisPedis"])
        #expect(readings.compactMap { $0["seq"] as? Int } == [1, 2, 3])
    }

    @Test("--auto takes the plugged-in device its udev rule names; with none, it waits showing 'plug in a device…'")
    func auto() throws {
        let db = try CaptureTests.store()
        let samples = UmockdevTests.samples
        let capture = try CaptureProcess(["-d", samples.appendingPathComponent("doppler-manometer.umockdev").path,
                                          "-s", "/dev/ttyUSB0=\(samples.appendingPathComponent("doppler-manometer.script").path)", "--",
                                          CommandTests.binary.path, "capture", "--patient", "AUTO-1", "--auto"] + CaptureTests.newPatient,
                                         db: db, executable: UmockdevTests.umockdevRun)
        defer { if capture.process.isRunning { capture.kill9() } }
        #expect(capture.waitFor("device doppler-manometer"), "\(capture.stderr)")
        #expect(capture.waitFor("(reading 1, saved)"), "\(capture.stderr)")
        capture.send("quit")
        #expect(capture.finish() == 0)
        #expect(CaptureTests.readings(try CaptureTests.show(1, db: db)).first?["systolic"] as? Int == 120)

        // No device at all: it waits, and Ctrl-C stops it without starting an exam.
        let empty = try CommandTests.temporaryDirectory().appendingPathComponent("none.umockdev")
        try "".write(to: empty, atomically: true, encoding: .utf8)
        let waiting = try CaptureProcess(["-d", empty.path, "--", CommandTests.binary.path, "capture", "--patient", "AUTO-2", "--auto"] + CaptureTests.newPatient,
                                         db: db, executable: UmockdevTests.umockdevRun)
        defer { if waiting.process.isRunning { waiting.kill9() } }
        #expect(waiting.waitFor("plug in a device…"), "\(waiting.stderr)")
        // Ctrl-C reaches abi itself (umockdev-run does not pass it on).
        let wrapper = waiting.process.processIdentifier
        let children = (try? String(contentsOfFile: "/proc/\(wrapper)/task/\(wrapper)/children", encoding: .utf8)) ?? ""
        for child in children.split(separator: " ").compactMap({ pid_t($0) }) { kill(child, SIGINT) }
        #expect(waiting.finish(seconds: 10) != 0)  // 69: no device
        #expect(!(try CommandTests.run(CommandTests.binary, ["exams", "list", "--db", db]).stdout.contains("AUTO-2")))
    }

    @Test("A port that cannot be opened stops the capture before an exam is started (exit 69, the port named)")
    func missingPort() throws {
        let db = try CaptureTests.store()
        let run = try CommandTests.run(CommandTests.binary, ["capture", "--patient", "NOPORT-1", "--port", "/dev/ttyUSB97", "--profile", "doppler-manometer", "--db", db] + CaptureTests.newPatient)
        #expect(run.status == 69)
        #expect(run.stderr.contains("/dev/ttyUSB97"))
        #expect(!(try CommandTests.run(CommandTests.binary, ["exams", "list", "--db", db]).stdout.contains("NOPORT-1")))
    }

    @Test("Piped commands that end before the sequence is done: exit 65, what was recorded kept, resumable")
    func inputEndsEarly() throws {
        let db = try CaptureTests.store()
        let run = try CommandTests.run(CommandTests.binary, ["capture", "--patient", "EARLY-1", "--db", db] + CaptureTests.newPatient, stdin: "value 132\nvalue 110")
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr.contains("abi capture --resume --patient EARLY-1"))
        let shown = try CaptureTests.show(1, db: db)
        #expect(shown["status"] as? String == "in-progress")
        #expect(CaptureTests.readings(shown).compactMap { $0["systolic"] as? Int } == [132, 110])  // the last line had no newline
    }

    @Test("C1 / rule 1: a value typed while the SunTech measures aborts it (the module receives the abort); its result never lands at the next site")
    func automaticResultStaysAtItsSite() throws {
        let db = try CaptureTests.store()
        let (simulator, port) = try DeviceCommandTests.simulate("suntech-advantage", "normal", seconds: 60)
        let capture = try CaptureProcess(["capture", "--patient", "AUTO-C1"] + CaptureTests.newPatient + ["--port", port, "--profile", "suntech-advantage"], db: db)
        defer { if capture.process.isRunning { capture.kill9() } }
        #expect(capture.record("value 132/80", reading: 1))
        capture.send("auto")
        #expect(capture.waitFor("Measuring the right posterior tibial with the automatic cuff"), "\(capture.stderr)")
        usleep(1_500_000)  // the cuff is inflated
        #expect(capture.record("value 130", reading: 2), "\(capture.stderr)")
        #expect(capture.stderr.contains("The automatic measurement at the right posterior tibial was stopped"))
        usleep(7_000_000)  // past the end of the simulated cycle
        capture.send("quit")
        #expect(capture.finish() == 0)
        simulator.stop()
        let heard = simulator.standardError
        #expect(heard.contains("received abort (cuff deflated at"), "\(heard)")
        let readings = CaptureTests.readings(try CaptureTests.show(1, db: db))
        #expect(readings.map { $0["site"] as? String ?? "" } == ["rightBrachial", "rightPosteriorTibial"])
        #expect(readings.last?["systolic"] as? Int == 130)
    }

    @Test("C6, C7 / rule 6: an unknown patient is not created silently; a second capture is refused while one is open; --resume names the patient")
    func patientIsIdentified() throws {
        let db = try CaptureTests.store()
        let unknown = try CommandTests.run(CommandTests.binary, ["capture", "--patient", "MRN-7001", "--db", db], stdin: "value 130/80\n")
        #expect(unknown.status == 65 && unknown.stderr.contains("patient MRN-7001 is not in the store"), "\(unknown.stderr)")
        #expect(!(try CommandTests.run(CommandTests.binary, ["patients", "list", "--db", db]).stdout.contains("MRN-7001")))
        let partial = try CommandTests.run(CommandTests.binary, ["capture", "--patient", "MRN-7001", "--db", db, "--new-patient", "--name", "Test, Pat"], stdin: "")
        #expect(partial.status == 64 && partial.stderr.contains("--new-patient needs --birth-date, --sex, --diabetes"), "\(partial.stderr)")

        let first = try CommandTests.run(CommandTests.binary, ["capture", "--patient", "MRN-1002", "--db", db] + CaptureTests.newPatient, stdin: "value 130/80\nquit\n")
        #expect(first.status == 0 && first.stderr.contains("Patient: MRN-1002 · Test, Pat · born 1950-01-01"), "\(first.stderr)")
        let second = try CommandTests.run(CommandTests.binary, ["capture", "--patient", "MRN-1002", "--db", db], stdin: "value 99\n")
        #expect(second.status == 65 && second.stderr.contains("exam 1 of patient MRN-1002 is in progress (1 readings)"), "\(second.stderr)")
        #expect(second.stderr.contains("abi exams discard 1 --reason"))
        #expect(try CommandTests.run(CommandTests.binary, ["capture", "--patient", "MRN-1003", "--db", db] + CaptureTests.newPatient, stdin: "value 140/85\nquit\n").status == 0)
        let bare = try CommandTests.run(CommandTests.binary, ["capture", "--resume", "--db", db], stdin: "value 99\n")
        #expect(bare.status == 64 && bare.stderr.contains("captures are in progress for 2 patients"), "\(bare.stderr)")
        let resumed = try CommandTests.run(CommandTests.binary, ["capture", "--resume", "--patient", "MRN-1002", "--db", db], stdin: "value 99\nquit\n")
        #expect(resumed.status == 0 && resumed.stderr.contains("resuming exam 1 of patient MRN-1002"), "\(resumed.stderr)")
        #expect(CaptureTests.readings(try CaptureTests.show(1, db: db)).compactMap { $0["systolic"] as? Int } == [130, 99])
        #expect(CaptureTests.readings(try CaptureTests.show(2, db: db)).compactMap { $0["systolic"] as? Int } == [140])
    }

    @Test("C9 / rule 8: --dvt both raises suspected-dvt, cuffs no ankle or toe; the symptom step's answers reach the result")
    func dvtAndSymptoms() throws {
        let db = try CaptureTests.store()
        let run = try CommandTests.run(CommandTests.binary, ["capture", "--patient", "DVT-1", "--dvt", "both", "--toes", "--db", db] + CaptureTests.newPatient,
                                       stdin: "130/80\n128/80\ny\n\n\n\n\n\n\n\n3\n\n")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("Suspected deep vein thrombosis, left leg"), "\(run.stdout)")
        let shown = try CaptureTests.show(1, db: db)
        let notMeasured = CaptureTests.readings(shown).filter { $0["state"] as? String == "notMeasured" }.compactMap { $0["site"] as? String }
        #expect(Set(notMeasured) == ["rightPosteriorTibial", "rightDorsalisPedis", "leftPosteriorTibial", "leftDorsalisPedis", "rightToe", "leftToe"])
        let symptoms = (shown["exam"] as? [String: Any])?["symptoms"] as? [String: Any]
        #expect(symptoms?["wellsScore"] as? Int == 3)
        #expect((symptoms?["left"] as? [String: Any])?["swelling"] as? Bool == true)

        // A rest-pain answer in the symptom step gives the urgent CLTI flag with an ankle pressure below 50 (v2).
        let pain = try CommandTests.run(CommandTests.binary, ["capture", "--patient", "CLTI-1", "--db", db] + CaptureTests.newPatient,
                                        stdin: "130/80\n45\n40\n120\n118\n128/80\ny\n1 2 3\n\n\n\n\n\n\n\n\n")
        #expect(pain.status == 0 && pain.stdout.contains("Suspected chronic limb-threatening ischemia, right leg"), "\(pain.stdout) \(pain.stderr)")
    }

    @Test("C2, C3 / rules 2, 3: with the manometer unplugged a mark is refused; two marks in one deflation make one reading")
    func marksNeedAFreshPressureOncePerInflation() throws {
        let dir = try CommandTests.temporaryDirectory()
        let db = dir.appendingPathComponent("abi.sqlite").path
        let link = dir.appendingPathComponent("manometer").path
        let (simulator, _) = try DeviceCommandTests.simulate("doppler-manometer", "unplug", link: link, seconds: 60)
        defer { simulator.stop() }
        let capture = try CaptureProcess(["capture", "--patient", "MARK-1"] + CaptureTests.newPatient + ["--port", link, "--profile", "doppler-manometer"], db: db)
        defer { if capture.process.isRunning { capture.kill9() } }
        #expect(capture.waitFor("Device disconnected — plug it back in", seconds: 10), "\(capture.stderr)")
        capture.send("mark")
        #expect(capture.waitFor("Not marked: the device is disconnected"), "\(capture.stderr)")
        #expect(capture.waitFor("Device back", seconds: 10), "\(capture.stderr)")
        // Marks until one is taken (not while the simulated cuff refills), then at once a second one.
        var marked = false
        for _ in 0..<40 where !marked {
            capture.send("mark")
            marked = capture.waitFor("(reading 1, saved)", seconds: 0.5)
        }
        #expect(marked, "\(capture.stderr)")
        capture.send("mark")
        #expect(capture.waitFor("this deflation was already marked at"), "\(capture.stderr)")
        capture.send("quit")
        #expect(capture.finish() == 0)
        #expect(CaptureTests.readings(try CaptureTests.show(1, db: db)).count == 1)
    }

    @Test("C10: --resume without --port goes on with the earlier session's device when its port is there")
    func resumeKeepsTheDevice() throws {
        let dir = try CommandTests.temporaryDirectory()
        let db = dir.appendingPathComponent("abi.sqlite").path
        let link = dir.appendingPathComponent("manometer").path
        let (simulator, _) = try DeviceCommandTests.simulate("doppler-manometer", "normal", link: link, seconds: 60)
        defer { simulator.stop() }
        let first = try CommandTests.run(CommandTests.binary, ["capture", "--patient", "DEV-1", "--port", link, "--profile", "doppler-manometer", "--db", db]
                                         + CaptureTests.newPatient, stdin: "130/80\nquit\n")
        #expect(first.status == 0, "\(first.stderr)")
        let second = try CaptureProcess(["capture", "--resume", "--patient", "DEV-1"], db: db)
        defer { if second.process.isRunning { second.kill9() } }
        #expect(second.waitFor("going on with the device of the earlier session"), "\(second.stderr)")
        #expect(second.waitFor("(reading 2, saved)", seconds: 30), "\(second.stderr)")  // the manometer's MARK
        second.send("quit")
        #expect(second.finish() == 0)
        let readings = CaptureTests.readings(try CaptureTests.show(1, db: db))
        #expect((readings.last?["device"] as? [String: Any])?["profile"] as? String == "doppler-manometer")
    }
}
