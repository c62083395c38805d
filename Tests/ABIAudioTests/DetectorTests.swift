import Testing
@testable import ABIAudio

#if canImport(Glibc)
import Glibc
#endif

@Suite("The signal return's rules")
struct DetectorTests {
    @Test("Two consecutive beats while the cuff is let down propose the pressure at the first")
    func twoBeats() {
        var d = SignalReturnDetector()
        for (i, p) in [0.0, 100, 160, 160, 158, 155, 152, 149].enumerated() { _ = d.cuffPressure(p, at: Double(i) * 0.5) }
        #expect(d.beatOnset(at: 3.0) == nil)
        #expect(d.beatOnset(at: 3.8) == .systolic(pressure: 152, time: 3.8), "152 mmHg at 3.0 s")
        // One proposal per inflation.
        #expect(d.beatOnset(at: 4.6) == nil)
    }

    @Test("A lone beat (a bump of the probe) is dropped when no second beat follows within 1.6 s")
    func loneBeat() {
        var d = SignalReturnDetector()
        for i in 0 ..< 20 { _ = d.cuffPressure(180 - Double(i) * 1.5, at: Double(i) * 0.5) }
        #expect(d.beatOnset(at: 1.0) == nil)
        #expect(d.beatOnset(at: 3.0) == nil, "2 s later: a new first beat, not a pair")
        if case .systolic(let p, _) = d.beatOnset(at: 3.8) { #expect(p == 171) } else { Issue.record("no return") }
    }

    @Test("Beats while the cuff is pumped up say nothing")
    func pumpingUp() {
        var d = SignalReturnDetector()
        for i in 0 ..< 8 { _ = d.cuffPressure(Double(i) * 25, at: Double(i) * 0.25) }
        #expect(d.beatOnset(at: 0.5) == nil)
        #expect(d.beatOnset(at: 1.3) == nil)
        #expect(d.proposal == nil)
    }

    @Test("Flow at the highest cuff pressure proposes noncompressible there")
    func noncompressible() {
        var d = SignalReturnDetector()
        for i in 0 ..< 12 { _ = d.cuffPressure(min(250, Double(i) * 50), at: Double(i) * 0.25) }
        _ = d.beatOnset(at: 1.6)
        #expect(d.beatOnset(at: 2.4) == .noncompressible(pressure: 250, time: 2.4))
    }

    @Test("No flow by the time the cuff is let down proposes absent; pumping up again starts a new inflation")
    func absentThenAgain() {
        var d = SignalReturnDetector()
        var t = 0.0
        var proposal: ReturnProposal?
        for p in stride(from: 160.0, through: 0, by: -4) {
            if let made = d.cuffPressure(p, at: t) { proposal = made }
            t += 0.5
        }
        #expect(proposal == .absent(time: 18.0), "16 mmHg, under 20, at 18 s")
        for p in stride(from: 0.0, through: 160, by: 40) { _ = d.cuffPressure(p, at: t); t += 0.25 }
        #expect(d.proposal == nil)
    }

    @Test("On synthetic sweeps: absent flow proposes absent, an artery that never closes noncompressible")
    func sweeps() {
        var absent = Sweep(run: 1, snr: 10, stereo: true, waveform: .absent)
        absent.synth.cuff = CuffDeflation(start: 160, hold: 1, rate: 4, end: 10)
        absent.seconds = absent.synth.cuff!.duration
        guard case .absent = absent.play().proposal else { Issue.record("absent flow: \(String(describing: absent.play().proposal))"); return }
        var calcified = Sweep(run: 2, snr: 10, stereo: true, waveform: .triphasic)
        calcified.synth.systolic = 290
        calcified.synth.diastolic = 150
        calcified.synth.cuff = CuffDeflation(start: 250, hold: 4, rate: 3, end: 200, inflation: 1)
        calcified.seconds = 6
        #expect(calcified.play().proposal.map { if case .noncompressible(250, _) = $0 { true } else { false } } == true)
    }

    @Test("The noise floor tracked on white noise is within 1 dB of the noise's power")
    func noiseFloor() {
        var synth = DopplerSynthesizer()
        synth.waveform = .absent
        synth.stereo = false
        synth.snr = 0
        let sound = synth.render(seconds: 8)
        let analyzer = DopplerAnalyzer(settings: AnalysisSettings(sampleRate: 48_000), channels: 1)
        var frames = 0, present = 0
        for f in analyzer.process(sound.samples) { frames += 1; if f.forward.present { present += 1 } }
        // White noise of variance σ² through a Hann window of n samples: σ² · Σw² per bin
        // (two-sided, so the one-sided power per bin of the real FFT is that).
        let variance = sound.samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(sound.samples.count)
        let sumW2 = (0 ..< 1024).reduce(0.0) { s, i in let w = 0.5 - 0.5 * cos(2 * Double.pi * Double(i) / 1024); return s + w * w }
        let expected = variance * sumW2
        let ratio = 10 * log10(analyzer.noiseFloor[0] / expected)
        #expect(abs(ratio) < 1, "noise floor off by \(ratio) dB")
        #expect(Double(present) / Double(frames) < 0.01, "noise is not flow")
    }

    @Test("FLAC keeps every sample (lossless at 16 bits)")
    func flacRoundTrip() throws {
        var synth = DopplerSynthesizer()
        synth.sampleRate = 44_100
        let sound = synth.render(seconds: 2)
        let path = "/tmp/abi-flac-\(getpid()).flac"
        defer { unlink(path) }
        try SoundFile.write(sound, to: path, format: .flac)
        let back = try SoundFile.read(path)
        #expect(back.sampleRate == 44_100 && back.channels == 2 && back.frameCount == sound.frameCount)
        let worst = zip(sound.samples, back.samples).map { abs(($0 * 32_768).rounded() - ($1 * 32_768).rounded()) }.max() ?? 99
        #expect(worst <= 1)
    }
}

@Suite("Sound files that are not what they claim")
struct BadSoundTests {
    @Test("Random bytes named .wav or .flac are refused with the file's name, never a crash (500 tries)")
    func randomBytes() throws {
        var rng = SplitMix64(seed: 99)
        for i in 0 ..< 500 {
            let path = "/tmp/abi-fuzz-\(getpid())-\(i)" + (i % 2 == 0 ? ".wav" : ".flac")
            defer { unlink(path) }
            var bytes = (0 ..< Int(rng.unit() * 400)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            // Half of them start like a real header, so that the parser goes further in.
            if i % 4 < 2 { bytes = Array((i % 2 == 0 ? "RIFF\u{0}\u{0}\u{0}\u{0}WAVEfmt " : "fLaC").utf8) + bytes }
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
            do {
                let sound = try SoundFile.read(path)
                _ = DopplerAnalysis(sound, keepPicture: true)
            } catch {
                #expect(error.description.hasPrefix(path))
            }
        }
    }

    @Test("A float file with NaN, infinities and values past full scale is analysed as silence and full scale")
    func nonFiniteSamples() throws {
        var synth = DopplerSynthesizer()
        synth.stereo = false
        var sound = synth.render(seconds: 3)
        for i in stride(from: 0, to: sound.samples.count, by: 97) { sound.samples[i] = [Float.nan, .infinity, -.infinity, 7][i % 4] }
        let path = "/tmp/abi-nan-\(getpid()).wav"
        defer { unlink(path) }
        // A 32-bit float WAV (format 3) keeps the bad values; a 16-bit file could not hold them.
        func le32(_ v: UInt32) -> [UInt8] { (0 ..< 4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
        let data = sound.samples.flatMap { le32($0.bitPattern) }
        var bytes = Array("RIFF".utf8) + le32(UInt32(36 + data.count)) + Array("WAVEfmt ".utf8) + le32(16) + le16(3) + le16(1)
        bytes += le32(48_000) + le32(48_000 * 4) + le16(4) + le16(32) + Array("data".utf8) + le32(UInt32(data.count)) + data
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        let back = try SoundFile.read(path)
        #expect(back.samples.allSatisfy { $0.isFinite && abs($0) <= 1 })
        let analysis = DopplerAnalysis(back, keepPicture: true)
        #expect(analysis.beats.count >= 2)
    }
}

@Suite("Describing a measurement's sound")
struct DescribingTests {
    @Test("Beats heard only through the cuff describe nothing: not determined, never absent")
    func onlyJets() {
        var synth = DopplerSynthesizer()
        synth.cuff = CuffDeflation(start: 150, hold: 1, rate: 3, end: 100)
        let seconds = synth.cuff!.duration
        let cuff = synth.cuff!
        let analysis = DopplerAnalysis(synth.render(seconds: seconds)).describing { beat in cuff.pressure(at: beat.onset) < 20 }
        #expect(!analysis.beats.isEmpty)
        #expect(analysis.waveform.phasicity == .undetermined)
        #expect(analysis.waveform.words == "not determined (no beat heard with the cuff let down)")
    }
}
