import ABICore
import Foundation
import Testing

/// A running `abi` process whose standard output is read as it comes.
final class RunningCommand: @unchecked Sendable {
    let process = Process()
    private let out = Pipe()
    private let err = Pipe()
    private var buffer = Data()

    init(_ arguments: [String]) throws {
        process.executableURL = CommandTests.binary
        process.arguments = arguments
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// The next line of standard output, waiting up to `seconds`.
    func line(within seconds: Double) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                return line
            }
            let fd = out.fileHandleForReading.fileDescriptor
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 100) > 0 {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { return nil }
                buffer.append(chunk)
            }
        }
        return nil
    }

    func stop() {
        if process.isRunning { process.interrupt() }
        process.waitUntilExit()
    }

    var standardError: String { String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
}

/// Device commands end to end, over real pseudo-terminals: `abi simulate` plays the device,
/// `abi listen` reads it, `abi ingest` replays the raw log.
@Suite struct DeviceCommandTests {
    static func records(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    static func simulate(_ profile: String, _ scenario: String = "normal", link: String? = nil, seconds: Int = 20) throws -> (RunningCommand, String) {
        var arguments = ["simulate", "--profile", profile, "--scenario", scenario, "--duration", "\(seconds)"]
        if let link { arguments += ["--link", link] }
        let simulator = try RunningCommand(arguments)
        guard let port = simulator.line(within: 5) else {
            simulator.stop()
            throw CocoaError(.fileReadUnknown)
        }
        return (simulator, port)
    }

    @Test("C8: when abi listen ends in the middle of a SunTech measurement it sends the abort; the cuff deflates")
    func listenEndAbortsTheCuff() throws {
        let (simulator, port) = try DeviceCommandTests.simulate("suntech-advantage")
        let run = try CommandTests.abi(["listen", "--port", port, "--profile", "suntech-advantage", "--timeout", "3"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!DeviceCommandTests.records(run.stdout).contains { $0["kind"] as? String == "bloodPressure" })  // stopped mid-cycle
        simulator.stop()
        let heard = simulator.standardError
        #expect(heard.contains("received start") && heard.contains("received abort (cuff deflated at"), "\(heard)")
    }

    @Test("SunTech: a measurement is driven to its result; the raw log replays to the same readings")
    func sunTech() throws {
        let dir = try CommandTests.temporaryDirectory()
        let (simulator, port) = try DeviceCommandTests.simulate("suntech-advantage")
        defer { simulator.stop() }
        let raw = dir.appendingPathComponent("session.raw").path
        let run = try CommandTests.abi(["listen", "--port", port, "--profile", "suntech-advantage", "--raw-log", raw, "--timeout", "12"])
        #expect(run.status == 0, "\(run.stderr)")
        let records = DeviceCommandTests.records(run.stdout)
        #expect(records.first?["event"] as? String == "connected")
        let pressures = records.filter { $0["kind"] as? String == "cuffPressure" }.compactMap { $0["pressure"] as? Int }
        #expect(pressures.count >= 8)
        #expect((150...170).contains(pressures.max() ?? 0))  // the simulated cuff peaks at 170 mmHg at 1 s
        let bp = records.first { $0["kind"] as? String == "bloodPressure" }
        #expect(bp?["systolic"] as? Int == 124)
        #expect(bp?["diastolic"] as? Int == 78)
        #expect(bp?["map"] as? Int == 93)
        #expect(bp?["pulseRate"] as? Int == 68)
        #expect(try CommandTests.mode(raw) == 0o600)

        let replay = try CommandTests.abi(["ingest", "--profile", "suntech-advantage", raw])
        #expect(replay.status == 0)
        func values(_ list: [[String: Any]]) -> [String] {
            list.filter { $0["kind"] as? String != "deviceEvent" }.map { "\($0["time"] ?? "") \($0["raw"] ?? "")" }
        }
        #expect(values(DeviceCommandTests.records(replay.stdout)) == values(records))
    }

    @Test("--raw-log never follows a symbolic link, and an existing log others can read becomes private")
    func rawLogIsPrivate() throws {
        let dir = try CommandTests.temporaryDirectory()
        let (simulator, port) = try DeviceCommandTests.simulate("doppler-manometer")
        defer { simulator.stop() }
        let victim = dir.appendingPathComponent("victim.txt").path
        try "keep me\n".write(toFile: victim, atomically: true, encoding: .utf8)
        let link = dir.appendingPathComponent("link.raw").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: victim)
        let refused = try CommandTests.abi(["listen", "--port", port, "--profile", "doppler-manometer", "--raw-log", link, "--timeout", "2"])
        #expect(refused.status != 0 && refused.stderr.contains("link.raw"), "\(refused.stderr)")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep me\n")

        let shared = dir.appendingPathComponent("shared.raw").path
        _ = FileManager.default.createFile(atPath: shared, contents: nil, attributes: [.posixPermissions: 0o644])
        let run = try CommandTests.abi(["listen", "--port", port, "--profile", "doppler-manometer", "--raw-log", shared, "--count", "1", "--timeout", "10"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try CommandTests.mode(shared) == 0o600)
        #expect(try String(contentsOfFile: shared, encoding: .utf8).hasPrefix("# abi-raw/1"))
    }

    @Test("--count counts measurements, not the live cuff pressure: the help's example gives a blood pressure")
    func countMeasurements() throws {
        let (simulator, port) = try DeviceCommandTests.simulate("suntech-advantage")
        defer { simulator.stop() }
        let run = try CommandTests.abi(["listen", "--port", port, "--profile", "suntech-advantage", "--count", "1", "--timeout", "15"])
        #expect(run.status == 0, "\(run.stderr)")
        let records = DeviceCommandTests.records(run.stdout)
        #expect(records.last?["kind"] as? String == "bloodPressure")
        #expect(records.filter { $0["kind"] as? String == "cuffPressure" }.count >= 3)
    }

    @Test("A port that is not a serial device is refused with exit 69 before anything starts", arguments: ["/dev/null", "FILE", "FOLDER"])
    func notASerialPort(_ which: String) throws {
        let dir = try CommandTests.temporaryDirectory()
        var port = which
        if which == "FILE" { port = dir.appendingPathComponent("hostname").path; try "x\n".write(toFile: port, atomically: true, encoding: .utf8) }
        if which == "FOLDER" { port = dir.path }
        let listen = try CommandTests.abi(["listen", "--port", port, "--profile", "doppler-manometer", "--timeout", "3"])
        #expect(listen.status == 69 && listen.stderr.contains("not a serial port"), "\(listen.stderr)")
        #expect(!listen.stdout.contains("disconnected"))
        let db = dir.appendingPathComponent("store.sqlite").path
        let capture = try CommandTests.run(CommandTests.binary, ["capture", "--patient", "P-1", "--port", port, "--profile", "doppler-manometer", "--db", db] + CaptureTests.newPatient, stdin: "")
        #expect(capture.status == 69 && capture.stderr.contains("not a serial port"), "\(capture.stderr)")
        #expect(!(try CommandTests.abi(["exams", "list", "--db", db]).stdout.contains("P-1")))
    }

    @Test("abi ingest takes the profile from a raw log's header, asks for one for a binary capture, and suggests the closest name")
    func ingestProfiles() throws {
        let dir = try CommandTests.temporaryDirectory()
        let raw = dir.appendingPathComponent("session.raw").path
        try "# abi-raw/1 profile=doppler-manometer port=/dev/ttyUSB0\n2026-11-26T09:30:00.000Z 503d3132310d0a503d3132300d0a\n2026-11-26T09:30:00.100Z 4d41524b0d0a\n".write(toFile: raw, atomically: true, encoding: .utf8)
        let run = try CommandTests.abi(["ingest", raw])
        #expect(run.status == 0, "\(run.stderr)")
        let records = DeviceCommandTests.records(run.stdout)
        #expect(records.map { $0["pressure"] as? Int } == [121, 120, 120])
        #expect(records.last?["mark"] as? Bool == true)

        let binary = dir.appendingPathComponent("capture.bin").path
        try Data([0x3E, 0x05, 0x02, 0x01, 0xBA]).write(to: URL(fileURLWithPath: binary))
        let noProfile = try CommandTests.abi(["ingest", binary])
        #expect(noProfile.status == 64 && noProfile.stderr.contains("pass --profile"), "\(noProfile.stderr)")
        let typo = try CommandTests.abi(["ingest", "--profile", "doppler", raw])
        #expect(typo.status == 64 && typo.stderr.contains("did you mean doppler-manometer?"), "\(typo.stderr)")
        let typo2 = try CommandTests.abi(["ingest", "--profile", "suntech-advantge", binary])
        #expect(typo2.stderr.contains("did you mean suntech-advantage?"), "\(typo2.stderr)")
        let bad = dir.appendingPathComponent("bad.raw").path
        try "# abi-raw/1 profile=doppler-manometer\n2026-11-26T09:30:00.000Z 503d\nyesterday 00\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try CommandTests.abi(["ingest", bad])
        #expect(refused.status == 65 && refused.stderr.contains("bad.raw: line 3"), "\(refused.stderr)")
    }

    @Test("Contec V7 (CMS50D+ 4.6, CMS50E): abi asks the oximeter for its stream, then reads it")
    func contecV7() throws {
        let (simulator, port) = try DeviceCommandTests.simulate("contec-cms50-v7")
        defer { simulator.stop() }
        let run = try CommandTests.abi(["listen", "--port", port, "--profile", "contec-cms50-v7", "--count", "2", "--timeout", "10"])
        #expect(run.status == 0, "\(run.stderr)")
        let readings = DeviceCommandTests.records(run.stdout).filter { $0["kind"] as? String == "oximetry" }
        #expect(readings.count == 2)
        #expect(readings.first?["spo2"] as? Int == 98)
    }

    @Test("SunTech error scenario: the module's error is a deviceError, never a pressure")
    func sunTechError() throws {
        let (simulator, port) = try DeviceCommandTests.simulate("suntech-advantage", "error")
        defer { simulator.stop() }
        let run = try CommandTests.abi(["listen", "--port", port, "--profile", "suntech-advantage", "--timeout", "12"])
        let records = DeviceCommandTests.records(run.stdout)
        let errors = records.filter { $0["kind"] as? String == "deviceError" }
        #expect(errors.count == 1)
        #expect(errors.first?["code"] as? String == "3")
        #expect(!records.contains { $0["kind"] as? String == "bloodPressure" })
    }

    @Test("Oximeters: values per scenario, at most one record a second", arguments: ["nonin-2", "contec-cms50-legacy", "masimo-ascii1", "nonin-ascii"])
    func oximeters(_ profile: String) throws {
        let (simulator, port) = try DeviceCommandTests.simulate(profile, "pad")
        defer { simulator.stop() }
        let run = try CommandTests.abi(["listen", "--port", port, "--profile", profile, "--count", "3", "--timeout", "10"])
        #expect(run.status == 0, "\(run.stderr)")
        let readings = DeviceCommandTests.records(run.stdout).filter { $0["kind"] as? String == "oximetry" }
        #expect(readings.count == 3)
        #expect(readings.allSatisfy { $0["spo2"] as? Int == 94 })
        // One record in each second of the clock, at most.
        let seconds = readings.compactMap { ($0["time"] as? String).flatMap(Timestamp.init)?.millisecondsSinceEpoch }.map { $0 / 1000 }
        #expect(seconds.count == 3)
        #expect(zip(seconds, seconds.dropFirst()).allSatisfy { $1 > $0 })
    }

    @Test("Missing values are omitted: a disconnected sensor gives no numbers")
    func sensorOff() throws {
        let (simulator, port) = try DeviceCommandTests.simulate("nonin-2", "error")
        defer { simulator.stop() }
        let run = try CommandTests.abi(["listen", "--port", port, "--profile", "nonin-2", "--count", "1", "--timeout", "5"])
        let reading = DeviceCommandTests.records(run.stdout).first { $0["kind"] as? String == "oximetry" }
        #expect(reading?["spo2"] == nil)
        #expect(reading?["pulseRate"] == nil)
        #expect((reading?["status"] as? [String])?.contains("sensorDisconnect") == true)
    }

    @Test("Doppler manometer: the cuff pressure streams and the mark records the systolic pressure")
    func doppler() throws {
        let (simulator, port) = try DeviceCommandTests.simulate("doppler-manometer", "pad")
        defer { simulator.stop() }
        let run = try CommandTests.abi(["listen", "--port", port, "--profile", "doppler-manometer", "--timeout", "12"])
        let records = DeviceCommandTests.records(run.stdout)
        let mark = records.first { $0["mark"] as? Bool == true }
        #expect(mark?["pressure"] as? Int == 71)  // 200 − 3k: the first value at or below 72
        #expect(records.filter { $0["kind"] as? String == "cuffPressure" }.count > 20)
    }

    @Test("Unplug and replug: disconnected, reconnected, readings on both sides, no hang")
    func unplug() throws {
        let dir = try CommandTests.temporaryDirectory()
        let link = dir.appendingPathComponent("oximeter").path
        let (simulator, port) = try DeviceCommandTests.simulate("nonin-ascii", "unplug", link: link)
        defer { simulator.stop() }
        #expect(port == link)
        let run = try CommandTests.abi(["listen", "--port", port, "--profile", "nonin-ascii", "--timeout", "6"])
        let records = DeviceCommandTests.records(run.stdout)
        let events = records.compactMap { $0["event"] as? String }
        #expect(events == ["connected", "disconnected", "reconnected"])
        let disconnectAt = records.firstIndex { $0["event"] as? String == "disconnected" } ?? 0
        let reconnectAt = records.firstIndex { $0["event"] as? String == "reconnected" } ?? 0
        #expect(records[..<disconnectAt].contains { $0["kind"] as? String == "oximetry" })
        #expect(records[reconnectAt...].contains { $0["kind"] as? String == "oximetry" })
        let raws = records.filter { $0["kind"] as? String == "oximetry" }.compactMap { "\($0["time"] ?? "")" }
        #expect(Set(raws).count == raws.count)
    }

    @Test("A silent device is reported, per the profile's silence limit")
    func silent() throws {
        let dir = try CommandTests.temporaryDirectory()
        let profile = dir.appendingPathComponent("quiet.json")
        try #"{"format":"abi-profile/1","name":"quiet-manometer","silenceSeconds":1,"records":[{"kind":"cuffPressure","pattern":"^P=(?<pressure>\\d+)$"}]}"#
            .write(to: profile, atomically: true, encoding: .utf8)
        let (simulator, port) = try DeviceCommandTests.simulate("doppler-manometer", "error")
        defer { simulator.stop() }
        let run = try CommandTests.abi(["listen", "--port", port, "--profile", profile.path, "--timeout", "2.5"])
        #expect(DeviceCommandTests.records(run.stdout).compactMap { $0["event"] as? String } == ["connected", "silent"])
    }

    @Test("abi devices doctor names each problem with its fix")
    func doctor() throws {
        let missing = try CommandTests.abi(["devices", "doctor", "--port", "/dev/ttyUSB-none"])
        #expect(missing.status == 69)
        #expect(missing.stdout.contains("PROBLEM  /dev/ttyUSB-none: no such device"))
        #expect(missing.stdout.contains("ModemManager"))
        #expect(missing.stdout.contains("brltty"))

        let (simulator, port) = try DeviceCommandTests.simulate("nonin-2")
        defer { simulator.stop() }
        let free = try CommandTests.abi(["devices", "doctor", "--port", port])
        #expect(free.stdout.contains("ok       \(port) in use: no other program has it open"))
        let holder = try RunningCommand(["listen", "--port", port, "--profile", "nonin-2", "--timeout", "10"])
        defer { holder.stop() }
        #expect(holder.line(within: 5)?.contains("connected") == true)
        let held = try CommandTests.abi(["devices", "doctor", "--port", port])
        #expect(held.status == 69)
        #expect(held.stdout.contains("PROBLEM  \(port) in use: held open by abi (pid"))
        #expect(held.stdout.contains("fix: close that program first"))
    }

    @Test("Port problems exit 69 with the fix; a bad profile file exits 65 naming the key")
    func portProblems() throws {
        let missing = try CommandTests.abi(["listen", "--port", "/dev/ttyUSB-none", "--profile", "nonin-2", "--timeout", "1"])
        #expect(missing.status == 69)
        #expect(missing.stderr.contains("no such device"))

        let (simulator, port) = try DeviceCommandTests.simulate("nonin-2")
        defer { simulator.stop() }
        let holder = try RunningCommand(["listen", "--port", port, "--profile", "nonin-2", "--timeout", "10"])
        defer { holder.stop() }
        #expect(holder.line(within: 5)?.contains("connected") == true)
        let busy = try CommandTests.abi(["listen", "--port", port, "--profile", "nonin-2", "--timeout", "1"])
        #expect(busy.status == 69)
        #expect(busy.stderr.contains("busy, in use by abi"))

        let dir = try CommandTests.temporaryDirectory()
        let bad = dir.appendingPathComponent("bad.json")
        try #"{"format":"abi-profile/1","name":"x","records":[{"kind":"cuffPressure","pattern":"P=(\\d+)"}]}"#.write(to: bad, atomically: true, encoding: .utf8)
        let invalid = try CommandTests.abi(["listen", "--port", port, "--profile", bad.path])
        #expect(invalid.status == 65)
        #expect(invalid.stderr.contains("records[0].pattern"))
        let unknown = try CommandTests.abi(["listen", "--port", port, "--profile", "acme-cuff"])
        #expect(unknown.status == 64)
    }
}
