import Testing
@testable import ABIAudio

/// A synthetic sweep played through the streaming monitor as a capture would: the sound in
/// 10 ms chunks, the manometer's pressure every 250 ms, on one clock.
struct Sweep {
    var synth: DopplerSynthesizer
    var seconds: Double

    /// Run `run` of a series: a random systolic pressure, heart rate 50–120, deflation 2–4 mmHg/s.
    init(run: Int, snr: Double, stereo: Bool, waveform: VelocityWaveform? = nil) {
        var rng = SplitMix64(seed: UInt64(run) &* 7919 &+ 17)
        synth = DopplerSynthesizer()
        synth.sampleRate = run % 3 == 0 ? 44_100 : 48_000
        synth.stereo = stereo
        let shapes: [VelocityWaveform] = [.triphasic, .biphasic, .monophasicSharp, .monophasicContinuous, .monophasicProlonged]
        synth.waveform = waveform ?? shapes[Int(rng.unit() * Double(shapes.count))]
        synth.systolic = 70 + rng.unit() * 150
        synth.diastolic = synth.systolic * (0.45 + rng.unit() * 0.2)
        synth.heartRate = 50 + rng.unit() * 70
        synth.peakHz = 2_500 + rng.unit() * 2_000
        synth.snr = snr
        synth.seed = UInt64(run) &+ 1
        let rate = 2 + rng.unit() * 2
        let start = synth.systolic + 10 + rng.unit() * 20
        synth.cuff = CuffDeflation(start: start, hold: 1.5, rate: rate, end: max(15, synth.systolic - 15))
        seconds = synth.cuff!.duration + 0.5
    }

    /// Plays the sweep; returns the first proposal and when it was made (the sound's clock).
    func play(until stop: (ReturnProposal) -> Bool = { _ in true }) -> (proposal: ReturnProposal?, monitor: DopplerMonitor) {
        let sound = synth.render(seconds: seconds)
        let monitor = DopplerMonitor(sampleRate: sound.sampleRate, channels: sound.channels)
        let chunk = sound.sampleRate / 100 * sound.channels
        var nextCuff = 0.0
        var proposal: ReturnProposal?
        var offset = 0
        while offset < sound.samples.count {
            let end = min(sound.samples.count, offset + chunk)
            let now = Double(end / sound.channels) / Double(sound.sampleRate)
            while let cuff = synth.cuff, nextCuff <= now {
                if let p = monitor.cuffPressure(cuff.pressure(at: nextCuff).rounded(), at: nextCuff), proposal == nil { proposal = p }
                nextCuff += 0.25
            }
            let events = sound.samples[offset ..< end].withUnsafeBufferPointer { monitor.audio($0) }
            for case .proposal(let p) in events where proposal == nil { proposal = p }
            if let proposal, stop(proposal) { break }
            offset = end
        }
        return (proposal, monitor)
    }
}

@Suite("Signal return and waveform on synthetic sweeps")
struct SweepTests {
    @Test("The return is found within 2 mmHg of the true return in at least 95% of 200 sweeps at 6 dB")
    func signalReturnAt6dB() {
        var within = 0, withinSet = 0, missed = 0
        var errors: [Double] = []
        for run in 0 ..< 200 {
            let sweep = Sweep(run: run, snr: 6, stereo: run % 2 == 0)
            let truth = sweep.synth.trueReturn(seconds: sweep.seconds)!
            guard case .systolic(let pressure, _) = sweep.play().proposal else { missed += 1; continue }
            // The manometer reads whole mmHg.
            let error = pressure - truth.pressure
            errors.append(error)
            if abs(error) <= 2 { within += 1 }
            if abs(pressure - sweep.synth.systolic) <= 2 { withinSet += 1 }
        }
        print("signal return at 6 dB: \(within)/200 within 2 mmHg of the true return, \(withinSet)/200 within 2 mmHg of the set systolic pressure, \(missed) missed; median error \(median(errors)) mmHg")
        #expect(within >= 190)
    }

    @Test("Each waveform is described right in at least 95% of 200 recordings at 10 dB, the pulse within 3/min")
    func descriptionsAt10dB() {
        var right = 0, pulseRight = 0
        var wrong: [String] = []
        for run in 0 ..< 200 {
            var sweep = Sweep(run: 1000 + run, snr: 10, stereo: true)
            sweep.synth.cuff = nil
            let shapes = VelocityWaveform.allCases
            sweep.synth.waveform = shapes[run % shapes.count]
            // Mono for half the monophasic and absent recordings (a non-directional Doppler).
            let monophasic = [.monophasicSharp, .monophasicContinuous, .monophasicProlonged, .absent].contains(sweep.synth.waveform)
            sweep.synth.stereo = !(monophasic && run % 2 == 1)
            sweep.seconds = 7
            let (_, monitor) = sweep.play { _ in false }
            let analysis = monitor.analysis()
            let expected = Self.expectedWords(sweep.synth.waveform)
            if analysis.waveform.words == expected { right += 1 } else { wrong.append("\(sweep.synth.waveform) → \(analysis.waveform.words)") }
            if sweep.synth.waveform == .absent {
                if analysis.pulseRate == nil { pulseRight += 1 }
            } else if let rate = analysis.pulseRate, abs(rate - sweep.synth.heartRate) <= 3 {
                pulseRight += 1
            }
        }
        print("waveform at 10 dB: \(right)/200 described right; pulse within 3/min in \(pulseRight)/200; wrong: \(wrong)")
        #expect(right >= 190)
        #expect(pulseRight >= 190)
    }

    static func expectedWords(_ waveform: VelocityWaveform) -> String {
        switch waveform {
        case .triphasic: "multiphasic (triphasic)"
        case .biphasic: "multiphasic (biphasic)"
        case .monophasicSharp: "monophasic, sharp upstroke, no diastolic flow"
        case .monophasicContinuous: "monophasic, sharp upstroke, continuous diastolic flow"
        case .monophasicProlonged: "monophasic, prolonged upstroke, continuous diastolic flow"
        case .absent: "absent"
        }
    }
}
