// The Doppler sound's analysis: how much faster than real time it runs on one core for 48 kHz
// stereo, and how soon after its sound arrives a signal return is proposed.
import ABIAudio

#if canImport(Glibc)
import Glibc
#endif

func dopplerBenchmark(sweeps: Int) {
    // Speed: 60 s of 48 kHz stereo, fed as a sound card delivers it (10 ms blocks).
    var synth = DopplerSynthesizer()
    synth.snr = 15
    let sound = synth.render(seconds: 60)
    var best = Double.infinity
    for _ in 0 ..< 5 {
        let monitor = DopplerMonitor(sampleRate: 48_000, channels: 2)
        let chunk = 480 * 2
        let start = seconds()
        sound.samples.withUnsafeBufferPointer { all in
            var offset = 0
            while offset < all.count {
                let end = min(all.count, offset + chunk)
                _ = monitor.audio(UnsafeBufferPointer(rebasing: all[offset ..< end]))
                offset = end
            }
        }
        best = min(best, seconds() - start)
    }
    print("Doppler analysis, 48 kHz stereo, streaming in 10 ms blocks, one thread:")
    print("  60 s of sound in \(String(format3: best * 1000)) ms (best of 5): \(Int((60 / best).rounded()))× real time (target ≥ 50×)")

    // Latency: from the first sound of the beat that confirms the return (the second of the
    // two) to the proposal, over synthetic sweeps at 10 dB: the frames still to come (audio
    // time) plus the time to analyse the block that completes them (processing).
    var latencies: [Double] = []
    var processing: [Double] = []
    for run in 0 ..< sweeps {
        var rng = SplitMix64(seed: UInt64(run) &* 104_729 &+ 3)
        var s = DopplerSynthesizer()
        s.stereo = run % 2 == 0
        s.waveform = [.triphasic, .biphasic, .monophasicSharp, .monophasicContinuous, .monophasicProlonged][run % 5]
        s.systolic = 80 + rng.unit() * 120
        s.diastolic = s.systolic * 0.6
        s.heartRate = 50 + rng.unit() * 70
        s.snr = 10
        s.seed = UInt64(run + 1)
        s.cuff = CuffDeflation(start: s.systolic + 20, hold: 1.5, rate: 2 + rng.unit() * 2, end: s.systolic - 15)
        let length = s.cuff!.duration
        let audio = s.render(seconds: length)
        let onsets = s.flowOnsets(seconds: length)
        let monitor = DopplerMonitor(sampleRate: audio.sampleRate, channels: audio.channels)
        let chunk = audio.sampleRate / 100 * audio.channels
        var offset = 0
        var nextCuff = 0.0
        var done = false
        while offset < audio.samples.count && !done {
            let end = min(audio.samples.count, offset + chunk)
            let now = Double(end / audio.channels) / Double(audio.sampleRate)
            while nextCuff <= now { _ = monitor.cuffPressure(s.cuff!.pressure(at: nextCuff).rounded(), at: nextCuff); nextCuff += 0.25 }
            let start = seconds()
            let events = audio.samples[offset ..< end].withUnsafeBufferPointer { monitor.audio($0) }
            let took = seconds() - start
            for case .proposal(let p) in events {
                if case .systolic = p, let confirming = onsets.last(where: { $0 <= p.time + 0.05 }) {
                    latencies.append((now - confirming + took) * 1000)
                    processing.append(took * 1000)
                }
                done = true
            }
            offset = end
        }
    }
    latencies.sort()
    processing.sort()
    func pct(_ values: [Double], _ q: Double) -> String { values.isEmpty ? "–" : String(format3: values[min(values.count - 1, Int(Double(values.count) * q))]) }
    print("Signal return, \(latencies.count) of \(sweeps) sweeps at 10 dB: from the confirming beat's first sound to the proposal")
    print("  median \(pct(latencies, 0.5)) ms, p95 \(pct(latencies, 0.95)) ms, max \(pct(latencies, 0.999)) ms (target ≤ 150 ms); of which analysing the last block: median \(pct(processing, 0.5)) ms")
}

extension String {
    init(format3 value: Double) {
        let n = Int((value * 10).rounded())
        self = "\(n / 10).\(abs(n % 10))"
    }
}
