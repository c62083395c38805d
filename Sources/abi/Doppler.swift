import ABIAudio
import ABICapture
import ABICore
import ABIReports
import ABIStore
import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

/// `abi doppler`: the handheld Doppler's sound — its capture devices, listening live, and the
/// analysis of a recording (beats, pulse, waveform description, signal return).
struct Doppler: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Listen to a handheld Doppler's sound: devices, live listening, and the analysis of a recording.",
        discussion: """
            A handheld Doppler's audio output (its 3.5 mm jack) goes into a sound card's line or \
            microphone input; bidirectional Dopplers put forward flow on the left channel and \
            reverse flow on the right. abi finds the beats, the pulse rate and the waveform \
            (described with the 2020 SVM/SVU words), and with a manometer's cuff pressures the \
            moment the signal returns (docs/doppler.md).
            """,
        subcommands: [Devices.self, Listen.self, Analyze.self, Play.self]
    )

    struct Devices: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the sound devices that can capture (ALSA), with the name to give --audio.",
            discussion: "Exit codes: 0 listed (possibly none), 69 none can capture."
        )

        func run() throws {
            let devices = Alsa.captureDevices()
            guard !devices.isEmpty else { throw Failure(.unavailable, "no sound device can capture (is a sound card plugged in? arecord -l lists what the kernel sees)") }
            let width = devices.map(\.name.count).max() ?? 0
            for d in devices {
                Terminal.write(d.name + String(repeating: " ", count: width - d.name.count + 2) + d.description + "\n")
            }
        }
    }

    struct Listen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Listen to the Doppler on a sound device: each beat as it is heard, then the summary.",
            discussion: """
                Prints a line a beat (time, pulse rate, peak frequency, description), and at the \
                end (--seconds, or Ctrl-C) the summary; --json prints the abi-doppler/1 record \
                instead. --record keeps the sound (FLAC or WAV, by its name; mode 0600).

                Exit codes: 0 done, 64 bad options, 69 the device cannot be opened or is \
                unplugged, 73 the recording cannot be created.

                Examples:
                  abi doppler listen --audio default --seconds 20
                  abi doppler listen --audio hw:1,0 --channels 1 --record left-pt.flac
                """
        )

        @Option(help: ArgumentHelp("The ALSA capture device (abi doppler devices lists them).", valueName: "DEVICE"))
        var audio: String = "default"

        @Option(help: "44100 or 48000 samples a second.")
        var rate: Int = 48_000

        @Option(help: "1 (mono) or 2 (forward left, reverse right).")
        var channels: Int = 2

        @Option(help: "Stop after this many seconds (default: Ctrl-C).")
        var seconds: Double?

        @Option(help: ArgumentHelp("Keep the sound in this file (.flac or .wav).", valueName: "FILE"))
        var record: String?

        @ArgumentParser.Flag(help: "Print the abi-doppler/1 record at the end instead of text.")
        var json = false

        func validate() throws {
            if let problem = Sound.problem(sampleRate: rate, channels: channels) { throw ValidationError("--rate/--channels: \(problem)") }
            if let seconds, !(seconds > 0) { throw ValidationError("--seconds: give a number of seconds above 0") }
            if let record, SoundFile.Format(path: record) == nil { throw ValidationError("--record: \"\(record)\" must end in .flac or .wav") }
        }

        func run() throws {
            let capture: AudioCapture
            do { capture = try AudioCapture(device: audio, sampleRate: rate, channels: channels) } catch {
                throw Failure(.unavailable, error.description)
            }
            var writer: SoundFile.Writer?
            if let record {
                do { writer = try SoundFile.Writer(path: record, sampleRate: rate, channels: channels, format: SoundFile.Format(path: record)!) } catch {
                    throw Failure(.cannotCreate, error.description)
                }
            }
            let monitor = DopplerMonitor(sampleRate: rate, channels: channels)
            monitor.keepFrames = false
            let stop = StopSignal.install()
            let limit = seconds.map { Int($0 * Double(rate)) }
            var frames = 0
            if !json { Terminal.error("abi doppler: listening on \(audio) (\(rate) Hz, \(channels == 2 ? "stereo" : "mono")); Ctrl-C to stop") }
            while limit.map({ frames < $0 }) ?? true {
                var pending = pollfd(fd: stop, events: Int16(POLLIN), revents: 0)
                if poll(&pending, 1, 0) > 0 { break }
                let want = min(rate / 20, limit.map { $0 - frames } ?? Int.max)
                let samples: [Float]
                do { samples = try capture.read(frames: want) } catch {
                    try? writer?.close()
                    throw Failure(.unavailable, error.description)
                }
                frames += samples.count / channels
                do { try writer?.append(samples) } catch { throw Failure(.cannotCreate, error.description) }
                for event in monitor.audio(samples) {
                    switch event {
                    case .beat(let beat) where !json:
                        let pulse = beat.end.map { "\(Int((60 / ($0 - beat.onset)).rounded()))/min" } ?? "–"
                        Terminal.write(String(fixed: beat.onset, 2) + " s  pulse " + pulse + "  peak " + String(fixed: beat.peakHz / 1000, 1) + " kHz  "
                                       + WaveformDescription.of(beat).words + "\n")
                    default: break
                    }
                }
            }
            do { try writer?.close() } catch { throw Failure(.cannotCreate, error.description) }
            let analysis = monitor.analysis()
            if json {
                Terminal.write(DopplerRecord.json(analysis, file: record))
            } else {
                Terminal.write(Doppler.summary(analysis))
            }
        }
    }

    struct Analyze: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Analyse a recording of the Doppler's sound (WAV or FLAC): beats, pulse, waveform, signal return.",
            discussion: """
                Prints the summary and each beat, or with --json the abi-doppler/1 record \
                (docs/doppler.md). --picture writes the spectrum with its maximum-frequency \
                envelope (SVG or PNG, by the name). --cuff gives the manometer's pressures during \
                the recording (a CSV of seconds,mmHg, as abi simulate --audio writes), so that the \
                signal return is found: the cuff pressure at the first of two consecutive beats.

                Exit codes: 0 done, 64 bad options, 65 not a sound abi can analyse (or a bad \
                cuff file), 66 a file is missing, 73 the picture cannot be written.

                Examples:
                  abi doppler analyze right-pt.flac
                  abi doppler analyze sweep.wav --cuff sweep.cuff.csv --json --picture sweep.svg
                """
        )

        @Argument(help: ArgumentHelp("The recording (.wav or .flac; 44.1 or 48 kHz, mono or stereo).", valueName: "FILE"))
        var file: String

        @ArgumentParser.Flag(help: "Print the abi-doppler/1 record instead of text.")
        var json = false

        @Option(help: ArgumentHelp("Write the spectrum picture here (.svg or .png).", valueName: "FILE"))
        var picture: String?

        @Option(help: ArgumentHelp("The cuff pressures during the recording: lines of seconds,mmHg.", valueName: "FILE.csv"))
        var cuff: String?

        @ArgumentParser.Flag(help: "Replace the picture file if it exists.")
        var force = false

        func validate() throws {
            if let picture, !(picture.lowercased().hasSuffix(".svg") || picture.lowercased().hasSuffix(".png")) {
                throw ValidationError("--picture: \"\(picture)\" must end in .svg or .png")
            }
        }

        func run() throws {
            let sound: Sound
            do { sound = try SoundFile.read(file) } catch {
                throw Failure(error.kind == .missing ? .noInput : .dataError, error.description)
            }
            let pressures = try cuff.map { path throws(Failure) in try Doppler.readCuff(path) }
            var proposal: ReturnProposal?
            let analysis: DopplerAnalysis
            if let pressures {
                // The signal return as a capture finds it: the sound as it came, with the cuff.
                let monitor = DopplerMonitor(sampleRate: sound.sampleRate, channels: sound.channels)
                monitor.keepFrames = true
                let chunk = sound.sampleRate / 100 * sound.channels
                var next = 0
                var offset = 0
                while offset < sound.samples.count {
                    let end = min(sound.samples.count, offset + chunk)
                    let now = Double(end / sound.channels) / Double(sound.sampleRate)
                    while next < pressures.count && pressures[next].time <= now {
                        if let p = monitor.cuffPressure(pressures[next].pressure, at: pressures[next].time), proposal == nil { proposal = p }
                        next += 1
                    }
                    for case .proposal(let p) in sound.samples[offset ..< end].withUnsafeBufferPointer({ monitor.audio($0) }) where proposal == nil {
                        proposal = p
                    }
                    offset = end
                }
                // The waveform is the artery's once the cuff is let down.
                let letDown = { (beat: Beat) -> Bool in
                    let before = pressures.last { $0.time <= beat.onset }
                    return (before?.pressure ?? 0) < SignalReturnDetector.letDown
                }
                analysis = DopplerAnalysis(sound, keepPicture: picture != nil).describing(letDown)
            } else {
                analysis = DopplerAnalysis(sound, keepPicture: picture != nil)
            }
            if let picture {
                let caption = "\(Doppler.fileName(file)): \(analysis.waveform.words)"
                let image = SpectrumPicture(frames: analysis.frames, settings: AnalysisSettings(sampleRate: sound.sampleRate), caption: caption)
                let bytes = picture.lowercased().hasSuffix(".png") ? DopplerSpectrumImage.png(image) : DopplerSpectrumImage.svg(image)
                let out = try PrivateFile(picture, replace: force)
                try out.write(bytes)
                try out.finish()
            }
            if json {
                Terminal.write(DopplerRecord.json(analysis, file: file, proposal: proposal))
            } else {
                var text = "\(file): \(sound.sampleRate) Hz \(sound.channels == 2 ? "stereo (forward left, reverse right)" : "mono"), \(String(fixed: sound.seconds, 1)) s\n"
                text += Doppler.summary(analysis)
                if let proposal { text += "signal return: " + Doppler.words(proposal) + "\n" }
                if !analysis.beats.isEmpty {
                    text += "\n onset s  peak kHz  mean kHz  upstroke ms  reverse kHz  description\n"
                    for b in analysis.beats {
                        text += String(fixed: b.onset, 2).leftPadded(8) + String(fixed: b.peakHz / 1000, 2).leftPadded(10)
                            + String(fixed: b.meanHz / 1000, 2).leftPadded(10) + String(Int(b.accelerationMs.rounded())).leftPadded(13)
                            + (b.reverseHz.map { String(fixed: $0 / 1000, 2) } ?? "–").leftPadded(13) + "  " + WaveformDescription.of(b).words + "\n"
                    }
                }
                Terminal.write(text)
            }
        }
    }

    struct Play: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Play (or export) the Doppler sound kept with an exam for a site.",
            discussion: """
                abi capture --audio keeps each site's sound with the exam (FLAC, lossless, with \
                its SHA-256). This plays the latest one of SITE on a sound device, or with \
                --export writes it to a file (FLAC or WAV, by its name; mode 0600). The \
                checksum is checked first: a recording that changed is refused.

                Exit codes: 0 done, 64 bad options, 65 the recording's checksum does not match, \
                66 no such exam or no sound for that site, 69 the sound device cannot play, \
                73 the file cannot be written.

                Examples:
                  abi doppler play 12 RPT
                  abi doppler play 12 "left dorsalis pedis" --export 12-LDP.flac
                """
        )

        @Argument(help: ArgumentHelp("The exam.", valueName: "EXAM_ID")) var exam: Int64
        @Argument(help: ArgumentHelp("The site: RB LB RPT RDP LPT LDP RT LT (or its name).", valueName: "SITE")) var site: String
        @Option(help: ArgumentHelp("Write the sound to this file (.flac or .wav) instead of playing it.", valueName: "FILE")) var export: String?
        @Option(help: ArgumentHelp("The ALSA playback device.", valueName: "DEVICE")) var audio: String = "default"
        @ArgumentParser.Flag(help: "Replace the export file if it exists.") var force = false
        @ArgumentParser.Flag(help: "Print the abi-doppler/1 record of its analysis instead.") var json = false
        @OptionGroup var store: StoreArguments

        func validate() throws {
            if BedsideSession.site(named: site) == nil { throw ValidationError("SITE: \"\(site)\" is not a site: RB, LB, RPT, RDP, LPT, LDP, RT, LT (or right posterior tibial, …)") }
            if let export, SoundFile.Format(path: export) == nil { throw ValidationError("--export: \"\(export)\" must end in .flac or .wav") }
        }

        func run() throws {
            let db = try store.open(.readOnly)
            let where_ = BedsideSession.site(named: site)!
            let sounds: [Store.DopplerSound]
            do throws(StoreError) { sounds = try db.sounds(exam: exam) } catch { throw Failure(error) }
            guard let kept = sounds.last(where: { $0.site == where_ }) else {
                throw Failure(.noInput, "exam \(exam) has no Doppler sound for the \(where_.words)" + (sounds.isEmpty ? " (it was captured without --audio)" : " (sounds kept: \(Set(sounds.map(\.site.code)).sorted().joined(separator: ", ")))"))
            }
            guard kept.intact else {
                throw Failure(.dataError, "exam \(exam), \(where_.words): the recording does not match its SHA-256 checksum; it is not played")
            }
            if json { return Terminal.write(kept.record) }
            // Through a private scratch file: libsndfile reads files.
            let scratch = db.path + "-captures/play-\(getpid()).flac"
            defer { unlink(scratch) }
            let sound: Sound
            do {
                let file = try PrivateFile(scratch, replace: true)
                try file.write(kept.flac)
                try file.finish(sync: false)
                sound = try SoundFile.read(scratch)
            } catch let error as SoundFileError { throw Failure(.dataError, "exam \(exam), \(where_.words): \(error.description)") }
            if let export {
                let format = SoundFile.Format(path: export)!
                if format == .flac {
                    let out = try PrivateFile(export, replace: force)
                    try out.write(kept.flac)
                    try out.finish()
                } else {
                    var info = stat()
                    if !force && stat(export, &info) == 0 { throw Failure(.cannotCreate, "cannot create \(export): the file already exists (choose another name, or pass --force to replace it)") }
                    do { try SoundFile.write(sound, to: export, format: .wav) } catch { throw Failure(.cannotCreate, error.description) }
                }
                Terminal.error("abi doppler: wrote the \(where_.words)'s sound of exam \(exam) (\(String(fixed: kept.seconds, 1)) s, \(kept.description)) to \(export)")
                return
            }
            Terminal.error("abi doppler: playing the \(where_.words)'s sound of exam \(exam) (\(String(fixed: kept.seconds, 1)) s, \(kept.description)) on \(audio)")
            do { try AudioPlayback.play(sound, device: audio) } catch { throw Failure(.unavailable, error.description) }
        }
    }

    /// The summary lines of an analysis.
    static func summary(_ a: DopplerAnalysis) -> String {
        var text = "flow: "
        if a.beats.isEmpty {
            text += "absent (no beat heard above the noise)\n"
        } else {
            text += "present, \(a.beats.count) beat\(a.beats.count == 1 ? "" : "s")"
            if let pulse = a.pulseRate { text += ", pulse \(Int(pulse.rounded()))/min" }
            if let snr = a.snrDb { text += ", signal \(String(fixed: snr, 1)) dB over the noise" }
            text += "\n"
        }
        text += "waveform: \(a.waveform.words) (confidence \(String(fixed: a.waveform.confidence, 2)))\n"
        if let note = a.waveform.note { text += "note: \(note)\n" }
        return text
    }

    static func words(_ p: ReturnProposal) -> String {
        switch p {
        case .systolic(let pressure, let time): "systolic \(Int(pressure.rounded())) mmHg (flow returned at \(String(fixed: time, 2)) s)"
        case .noncompressible(let pressure, let time): "noncompressible at \(Int(pressure.rounded())) mmHg (flow went on at the highest cuff pressure; \(String(fixed: time, 2)) s)"
        case .absent(let time): "absent (no flow by the time the cuff was let down, \(String(fixed: time, 2)) s)"
        }
    }

    static func fileName(_ path: String) -> String { path.split(separator: "/").last.map(String.init) ?? path }

    /// Reads a cuff-pressure file (CuffTrack): exit 66 when it cannot be read, 65 for a bad line.
    static func readCuff(_ path: String) throws(Failure) -> [(time: Double, pressure: Double)] {
        let text = String(decoding: try Files.read(path), as: UTF8.self)
        do throws(CuffTrack.Problem) { return try CuffTrack.parse(text, path: path) } catch { throw Failure(.dataError, error.description) }
    }
}

extension String {
    /// A number with `places` decimals.
    init(fixed value: Double, _ places: Int) {
        var scale = 1.0
        for _ in 0 ..< places { scale *= 10 }
        let n = Int((abs(value) * scale).rounded())
        let whole = n / Int(scale), fraction = n % Int(scale)
        var text = (value < 0 && n != 0 ? "-" : "") + String(whole)
        if places > 0 {
            let digits = String(fraction)
            text += "." + String(repeating: "0", count: places - digits.count) + digits
        }
        self = text
    }

    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }

}
