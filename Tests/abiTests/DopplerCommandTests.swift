import Foundation
import Testing

/// `abi doppler` and `abi simulate --audio`, run as a user would: the sound written by the
/// simulator, read back through libsndfile and through ALSA's real capture path.
@Suite struct DopplerCommandTests {
    /// A simulated Doppler manometer's sound and pressures (one inflation, flow back at 128 mmHg).
    static func simulated(_ dir: URL, name: String = "site.wav", extra: [String] = []) throws -> (sound: String, cuff: String) {
        let sound = dir.appendingPathComponent(name).path, cuff = dir.appendingPathComponent("site.cuff.csv").path
        let run = try CommandTests.abi(["simulate", "--profile", "doppler-manometer", "--audio", sound, "--cuff", cuff, "--sites", "1", "--duration", "0.05"] + extra)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("flow returning at 128 mmHg"))
        return (sound, cuff)
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("abi simulate --audio writes a private sound whose signal return abi doppler analyze finds at the systolic pressure")
    func simulatedSweepIsAnalysed() throws {
        let dir = try CommandTests.temporaryDirectory()
        let (sound, cuff) = try Self.simulated(dir)
        #expect(try CommandTests.mode(sound) == 0o600)
        let run = try CommandTests.abi(["doppler", "analyze", sound, "--cuff", cuff, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let record = try Self.json(run.stdout)
        #expect(record["format"] as? String == "abi-doppler/1")
        let ret = try #require(record["signalReturn"] as? [String: Any])
        #expect(ret["proposal"] as? String == "systolic")
        let pressure = try #require(ret["pressure"] as? Int)
        #expect((125 ... 128).contains(pressure), "flow returns at 128 mmHg; the first beat through is at most one beat (3 mmHg) lower")
        let summary = try #require(record["summary"] as? [String: Any])
        let waveform = try #require(summary["waveform"] as? [String: Any])
        #expect(waveform["description"] as? String == "multiphasic (triphasic)")
        #expect(waveform["directionKnown"] as? Bool == true)
        let pulse = try #require(summary["pulseRate"] as? Int)
        #expect(abs(pulse - 72) <= 3)
        let beats = try #require(record["beats"] as? [[String: Any]])
        #expect(beats.count >= 10)
        // The text form says the same in words.
        let text = try CommandTests.abi(["doppler", "analyze", sound, "--cuff", cuff])
        #expect(text.stdout.contains("signal return: systolic \(pressure) mmHg"))
        #expect(text.stdout.contains("waveform: multiphasic (triphasic)"))
    }

    @Test("A mono recording of a multiphasic waveform says it cannot tell reverse flow, rather than guess")
    func monoCannotTellReverseFlow() throws {
        let dir = try CommandTests.temporaryDirectory()
        let (sound, cuff) = try Self.simulated(dir, extra: ["--mono"])
        let run = try CommandTests.abi(["doppler", "analyze", sound, "--cuff", cuff, "--json"])
        let waveform = try #require((try Self.json(run.stdout)["summary"] as? [String: Any])?["waveform"] as? [String: Any])
        #expect(waveform["phasicity"] as? String == "undetermined")
        #expect(waveform["directionKnown"] as? Bool == false)
        #expect((waveform["note"] as? String ?? "").contains("cannot tell reverse flow"))
    }

    @Test("FLAC recordings are lossless files an outside decoder accepts; the picture is SVG or PNG")
    func flacAndPictures() throws {
        let dir = try CommandTests.temporaryDirectory()
        let (sound, _) = try Self.simulated(dir, name: "site.flac", extra: ["--waveform", "monophasic-prolonged"])
        let check = try CommandTests.run(URL(fileURLWithPath: "/usr/bin/flac"), ["-t", "-s", sound])
        #expect(check.status == 0, "flac -t: \(check.stderr)")
        let svg = dir.appendingPathComponent("spectrum.svg").path, png = dir.appendingPathComponent("spectrum.png").path
        #expect(try CommandTests.abi(["doppler", "analyze", sound, "--picture", svg]).status == 0)
        #expect(try CommandTests.abi(["doppler", "analyze", sound, "--picture", png]).status == 0)
        let document = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(document.contains("<svg"))
        let parsed = try CommandTests.run(URL(fileURLWithPath: "/usr/bin/python3"),
                                          ["-c", "import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); print(r.tag)", svg])
        #expect(parsed.stdout.contains("{http://www.w3.org/2000/svg}svg"), "the SVG is well-formed XML: \(parsed.stderr)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: png))
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(try CommandTests.mode(png) == 0o600)
        // An existing picture is kept unless --force.
        let again = try CommandTests.abi(["doppler", "analyze", sound, "--picture", png])
        #expect(again.status == 73)
        #expect(again.stderr.contains("already exists"))
    }

    @Test("Bad input: a missing file is 66, a file that is not sound or at another rate is 65, a bad cuff line names its line")
    func badInput() throws {
        let dir = try CommandTests.temporaryDirectory()
        let missing = try CommandTests.abi(["doppler", "analyze", dir.appendingPathComponent("nope.wav").path])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("nope.wav"))
        let text = dir.appendingPathComponent("notes.wav")
        try "not a sound".write(to: text, atomically: true, encoding: .utf8)
        let notSound = try CommandTests.abi(["doppler", "analyze", text.path])
        #expect(notSound.status == 65)
        #expect(notSound.stderr.contains("notes.wav: not a sound file"))
        let slow = dir.appendingPathComponent("slow.wav").path
        #expect(try CommandTests.run(URL(fileURLWithPath: "/usr/bin/sox"), ["-n", "-r", "8000", "-c", "1", slow, "synth", "1", "sine", "440"]).status == 0)
        let rate = try CommandTests.abi(["doppler", "analyze", slow])
        #expect(rate.status == 65)
        #expect(rate.stderr.contains("8000 Hz"))
        let (sound, _) = try Self.simulated(dir)
        let cuff = dir.appendingPathComponent("bad.csv")
        try "seconds,mmHg\n0.00,150\n0.25,abc\n".write(to: cuff, atomically: true, encoding: .utf8)
        let bad = try CommandTests.abi(["doppler", "analyze", sound, "--cuff", cuff.path])
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("bad.csv: line 3"))
        let usage = try CommandTests.abi(["doppler", "listen", "--rate", "22050"])
        #expect(usage.status == 64)
    }

    /// An ALSA configuration in a private HOME: a capture device `abitest` made of ALSA's `file`
    /// plugin, reading the sound (raw 16-bit samples) as if a sound card heard it.
    static func alsaHome(_ dir: URL, sound: String) throws -> [String: String] {
        let wav = try Data(contentsOf: URL(fileURLWithPath: sound))
        // The samples follow the "data" chunk's header.
        let tag = Data("data".utf8)
        let at = try #require(wav.range(of: tag))
        let raw = dir.appendingPathComponent("sound.raw")
        try wav.subdata(in: at.upperBound + 4 ..< wav.count).write(to: raw)
        let home = dir.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try """
            pcm.abitest {
              type file
              slave.pcm "null"
              file "/dev/null"
              infile "\(raw.path)"
              format "raw"
              hint.description "abi test: a Doppler sound from a file"
            }
            """.write(to: home.appendingPathComponent(".asoundrc"), atomically: true, encoding: .utf8)
        return ["HOME": home.path]
    }

    @Test("abi doppler listen hears beats through ALSA's real capture path (the file plugin as the sound card)")
    func listenThroughAlsa() throws {
        let dir = try CommandTests.temporaryDirectory()
        let (sound, _) = try Self.simulated(dir)
        let env = try Self.alsaHome(dir, sound: sound)
        let devices = try CommandTests.run(CommandTests.binary, ["doppler", "devices"], environment: env)
        #expect(devices.status == 0)
        #expect(devices.stdout.contains("abitest"))
        #expect(devices.stdout.contains("a Doppler sound from a file"))
        let record = dir.appendingPathComponent("heard.flac").path
        let run = try CommandTests.run(CommandTests.binary, ["doppler", "listen", "--audio", "abitest", "--seconds", "32", "--json", "--record", record], environment: env)
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try #require(try Self.json(run.stdout)["summary"] as? [String: Any])
        #expect((summary["beats"] as? Int ?? 0) >= 10)
        #expect(abs((summary["pulseRate"] as? Int ?? 0) - 72) <= 3)
        #expect(try CommandTests.mode(record) == 0o600)
        #expect(try CommandTests.run(URL(fileURLWithPath: "/usr/bin/flac"), ["-t", "-s", record]).status == 0)
        // What was recorded is what ALSA delivered: analysed again, the same beats.
        let again = try Self.json(try CommandTests.abi(["doppler", "analyze", record, "--json"]).stdout)
        #expect((again["summary"] as? [String: Any])?["beats"] as? Int == summary["beats"] as? Int)
        // A device that does not exist: 69, named.
        let none = try CommandTests.run(CommandTests.binary, ["doppler", "listen", "--audio", "nosuchdevice", "--seconds", "1"], environment: env)
        #expect(none.status == 69)
        #expect(none.stderr.contains("nosuchdevice: cannot be opened for capture"))
    }

    @Test("abi capture --audio hears the return at the manometer's pressure, records it (auto-mark), keeps the site's sound; abi doppler play exports it")
    func captureHearsTheReturn() throws {
        let dir = try CommandTests.temporaryDirectory()
        let wav = dir.appendingPathComponent("sound.wav").path, link = dir.appendingPathComponent("manometer").path
        let simulator = try RunningCommand(["simulate", "--profile", "doppler-manometer", "--audio", wav, "--sites", "2", "--link", link])
        defer { simulator.process.terminate(); simulator.process.waitUntilExit() }
        #expect(simulator.line(within: 30) != nil, "the simulator's port")
        let env = try Self.alsaHome(dir, sound: wav)
        let db = dir.appendingPathComponent("abi.sqlite").path
        let capture = try CaptureProcess(["capture", "--patient", "P-1", "--new-patient", "--name", "Doe, Jo", "--birth-date", "1950-01-01",
                                          "--sex", "female", "--diabetes", "no", "--port", link, "--profile", "doppler-manometer",
                                          "--audio", "abitest", "--auto-mark"], db: db, environment: env)
        #expect(capture.record("132/80", reading: 1))
        // The simulated cuff: pumped up to 158 mmHg, let down at 3 mmHg/s; flow returns at 128.
        #expect(capture.waitFor("(reading 2, saved)", seconds: 45), "\(capture.stderr)")
        #expect(capture.waitFor("Kept the right posterior tibial's Doppler sound", seconds: 30), "\(capture.stderr)")
        capture.process.interrupt()
        capture.process.waitUntilExit()
        let recorded = capture.stderr.components(separatedBy: "Recorded right posterior tibial: ").dropFirst().first?.prefix(while: \.isNumber)
        let pressure = try #require(recorded.flatMap { Int($0) })
        #expect((123 ... 128).contains(pressure), "flow returns at 128 mmHg; the first beat through is at most one beat lower: \(pressure)")
        #expect(capture.stderr.contains("Kept the right posterior tibial's Doppler sound") && capture.stderr.contains("multiphasic (triphasic)"))

        // The kept sound: its analysis record, and the FLAC itself.
        let record = try CommandTests.run(CommandTests.binary, ["doppler", "play", "1", "RPT", "--json", "--db", db])
        #expect(record.status == 0, "\(record.stderr)")
        let summary = try #require(try Self.json(record.stdout)["summary"] as? [String: Any])
        #expect((summary["waveform"] as? [String: Any])?["description"] as? String == "multiphasic (triphasic)")
        let flac = dir.appendingPathComponent("rpt.flac").path
        let exported = try CommandTests.run(CommandTests.binary, ["doppler", "play", "1", "right posterior tibial", "--export", flac, "--db", db])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(try CommandTests.run(URL(fileURLWithPath: "/usr/bin/flac"), ["-t", "-s", flac]).status == 0)
        #expect(try CommandTests.mode(flac) == 0o600)
        let none = try CommandTests.run(CommandTests.binary, ["doppler", "play", "1", "LDP", "--db", db])
        #expect(none.status == 66)
        #expect(none.stderr.contains("no Doppler sound for the left dorsalis pedis"))
        // The recording is audited with its reading.
        let audit = try CommandTests.run(CommandTests.binary, ["audit", "--db", db])
        #expect(audit.stdout.contains("doppler-sound-kept"))
    }
}
