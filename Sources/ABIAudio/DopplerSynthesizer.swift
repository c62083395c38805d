import CFFTW

#if canImport(Glibc)
import Glibc
#endif

/// The shape of the blood velocity through a cardiac cycle, for the synthetic Doppler sound.
/// Each is a textbook shape of the 2020 SVM/SVU consensus's peripheral arterial waveforms
/// (docs/doppler.md gives the sources and the numbers).
public enum VelocityWaveform: String, Sendable, CaseIterable, Codable {
    /// Multiphasic, triphasic: a sharp forward systolic peak, early diastolic reversal, late forward flow.
    case triphasic
    /// Multiphasic, biphasic: the forward peak and the reversal, then no flow.
    case biphasic
    /// Monophasic, sharp upstroke, no diastolic flow (high resistance).
    case monophasicSharp = "monophasic-sharp"
    /// Monophasic, sharp upstroke, continuous diastolic flow (low resistance, e.g. after exercise).
    case monophasicContinuous = "monophasic-continuous"
    /// Monophasic, prolonged upstroke, continuous diastolic flow (dampened: beyond an obstruction).
    case monophasicProlonged = "monophasic-prolonged"
    /// No flow.
    case absent

    /// The shape's numbers (docs/doppler.md gives where each comes from).
    public var shape: WaveformShape {
        switch self {
        case .triphasic:
            WaveformShape(upstroke: 0.075, systolicFall: 0.095, peak: 1, reversal: Pulse(start: 0.17, rise: 0.055, fall: 0.075, amplitude: -0.32),
                          lateForward: Pulse(start: 0.30, rise: 0.06, fall: 0.10, amplitude: 0.16))
        case .biphasic:
            WaveformShape(upstroke: 0.075, systolicFall: 0.095, peak: 1, reversal: Pulse(start: 0.17, rise: 0.06, fall: 0.09, amplitude: -0.30))
        case .monophasicSharp:
            WaveformShape(upstroke: 0.08, systolicFall: 0.20, peak: 0.85)
        case .monophasicContinuous:
            WaveformShape(upstroke: 0.08, systolicFall: 0.22, peak: 0.6, diastolic: 0.26)
        case .monophasicProlonged:
            WaveformShape(upstroke: 0.22, systolicFall: 0.35, peak: 0.32, diastolic: 0.15)
        case .absent:
            WaveformShape(upstroke: 0.1, systolicFall: 0.1, peak: 0)
        }
    }

    public func velocity(at t: Double, period: Double) -> Double { shape.velocity(at: t, period: period) }

    /// The highest forward velocity of the waveform (fraction of the normal forward peak).
    public var forwardPeak: Double { shape.forwardPeak }
}

/// A raised-cosine pulse of velocity within the cycle (s from the beat's onset; amplitude as a
/// fraction of a normal forward peak, negative for reverse flow).
public struct Pulse: Sendable, Equatable {
    public var start: Double, rise: Double, fall: Double, amplitude: Double
    public init(start: Double, rise: Double, fall: Double, amplitude: Double) {
        self.start = start
        self.rise = rise
        self.fall = fall
        self.amplitude = amplitude
    }
}

/// A velocity waveform in numbers: the systolic pulse (its upstroke and fall), an early
/// diastolic reversal and a late forward pulse where there are, and a continuous diastolic flow.
public struct WaveformShape: Sendable, Equatable {
    /// Seconds from the onset to the systolic peak.
    public var upstroke: Double
    /// Seconds from the systolic peak back to the diastolic level.
    public var systolicFall: Double
    /// The systolic peak above the diastolic level (fraction of a normal forward peak).
    public var peak: Double
    public var reversal: Pulse?
    public var lateForward: Pulse?
    /// Forward flow through diastole (fraction of a normal forward peak), easing off slightly.
    public var diastolic: Double

    public init(upstroke: Double, systolicFall: Double, peak: Double, reversal: Pulse? = nil, lateForward: Pulse? = nil, diastolic: Double = 0) {
        self.upstroke = upstroke
        self.systolicFall = systolicFall
        self.peak = peak
        self.reversal = reversal
        self.lateForward = lateForward
        self.diastolic = diastolic
    }

    public func velocity(at t: Double, period: Double) -> Double {
        var v = VelocityWaveform.bump(t, 0, upstroke, max(0.02, min(systolicFall, period - upstroke)), peak)
        if let r = reversal { v += VelocityWaveform.bump(t, r.start, r.rise, r.fall, r.amplitude) }
        if let l = lateForward { v += VelocityWaveform.bump(t, l.start, l.rise, l.fall, l.amplitude) }
        if diastolic > 0 { v += diastolic * (0.8 + 0.2 * exp(-t / 0.3)) }
        return v
    }

    public var forwardPeak: Double {
        (0 ..< 300).map { velocity(at: Double($0) * 0.002, period: 1) }.max() ?? 0
    }
}

extension VelocityWaveform {
    /// A raised-cosine pulse: 0 at `start`, `amplitude` at `start + rise`, 0 again `fall` later.
    static func bump(_ t: Double, _ start: Double, _ rise: Double, _ fall: Double, _ amplitude: Double) -> Double {
        let u = t - start
        if u <= 0 || u >= rise + fall { return 0 }
        if u < rise { return amplitude * 0.5 * (1 - cos(Double.pi * u / rise)) }
        return amplitude * 0.5 * (1 + cos(Double.pi * (u - rise) / fall))
    }
}

/// The cuff pressure over time: pumped up to `start` (over `inflation` seconds), held, let down
/// at a steady rate to `end`, then let down at once and left at 0 for `rest` seconds; `cycles`
/// times (one a site). What `abi simulate --profile doppler-manometer --audio` streams, and what
/// the sweeps use.
public struct CuffDeflation: Sendable {
    /// The highest pressure, mmHg.
    public var start: Double
    /// Seconds held at `start` before the deflation.
    public var hold: Double
    /// mmHg a second.
    public var rate: Double
    /// The pressure the deflation stops at (then the cuff is let down at once).
    public var end: Double
    /// Seconds to pump the cuff up from 0 (0: already up at the start).
    public var inflation: Double = 0
    /// Seconds at 0 after each deflation.
    public var rest: Double = 0
    public var cycles: Int = 1
    /// Seconds at 0 before the first cycle (the operator types the arms first).
    public var lead: Double = 0

    public init(start: Double, hold: Double, rate: Double, end: Double, inflation: Double = 0, rest: Double = 0, cycles: Int = 1, lead: Double = 0) {
        self.lead = lead
        self.start = start
        self.hold = hold
        self.rate = rate
        self.end = end
        self.inflation = inflation
        self.rest = rest
        self.cycles = cycles
    }

    /// Seconds of one cycle.
    public var cycle: Double { inflation + hold + (start - end) / rate + rest }

    public func pressure(at clock: Double) -> Double {
        let time = clock - lead
        guard time >= 0 else { return 0 }
        let index = (time / cycle).rounded(.down)
        guard Int(index) < cycles else { return 0 }
        var t = time - index * cycle
        if t < inflation { return start * t / inflation }
        t -= inflation
        if t <= hold { return start }
        let p = start - (t - hold) * rate
        return p >= end ? p : 0
    }

    /// Seconds until the last deflation reaches `end`.
    public var duration: Double { lead + Double(cycles - 1) * cycle + inflation + hold + (start - end) / rate }
}

/// A synthetic continuous-wave Doppler signal: the sound an 8 MHz handheld Doppler makes over an
/// ankle artery, from a velocity waveform, the heart rate and the cuff above it.
///
/// The model, kept simple on purpose and documented in docs/doppler.md:
/// - The Doppler spectrum at each moment is flat from 50 Hz up to the maximum frequency, which is
///   proportional to the velocity (`peakHz` at the normal forward peak); its level is constant,
///   so the power grows with the velocity. Stereo puts forward flow on the left channel and
///   reverse flow on the right (a bidirectional Doppler's outputs); mono mixes both, as a
///   non-directional Doppler does.
/// - The arterial pressure under the cuff rises from diastolic to systolic in 0.15 s and falls
///   back over the rest of the beat. The artery opens while its pressure is above the cuff's
///   (fully 0.5 mmHg above it), so near the systolic pressure only a short forward jet at each
///   beat's peak gets through, as at the bedside; below the diastolic pressure the waveform is
///   heard whole.
/// - White noise is added at the asked signal-to-noise ratio: the free flow's power averaged over
///   whole beats against the noise's, both within the analysis band (150 Hz–10 kHz).
public struct DopplerSynthesizer: Sendable {
    public var sampleRate: Int = 48_000
    public var stereo: Bool = true
    public var waveform: VelocityWaveform = .triphasic
    public var heartRate: Double = 70
    /// The maximum Doppler frequency at the normal forward peak velocity (Hz).
    public var peakHz: Double = 3_500
    public var systolic: Double = 130
    public var diastolic: Double = 75
    /// Signal-to-noise ratio in dB (nil: no noise).
    public var snr: Double? = 20
    /// The cuff over the artery (nil: no cuff, free flow).
    public var cuff: CuffDeflation?
    public var seed: UInt64 = 1

    public init() {}

    private var jet: Double { effectiveShape.forwardPeak }

    /// A waveform given in numbers instead of `waveform` (the published descriptions' tests).
    public var customShape: WaveformShape?
    var effectiveShape: WaveformShape { customShape ?? waveform.shape }

    /// The pressure opening the artery fully above the cuff's (mmHg).
    static let openingRange = 0.5
    /// The shortest flow the model counts as a signal return (s): a shorter jet is a click.
    public static let shortestAudibleFlow = 0.02

    var period: Double { 60 / heartRate }

    /// The arterial pressure at `t` (beats start at t = 0, every `period` seconds).
    public func arterialPressure(at t: Double) -> Double {
        let u = t - (t / period).rounded(.down) * period
        let rise = 0.15
        let shape = u < rise ? 0.5 * (1 - cos(Double.pi * u / rise)) : 0.5 * (1 + cos(Double.pi * (u - rise) / (period - rise)))
        return diastolic + (systolic - diastolic) * shape
    }

    /// How far the artery is open (0…1) at `t`.
    func opening(at t: Double) -> Double {
        guard let cuff else { return 1 }
        let margin = arterialPressure(at: t) - cuff.pressure(at: t)
        return min(1, max(0, margin / Self.openingRange))
    }

    /// The velocity heard at `t`, as a fraction of the normal forward peak. With the cuff above
    /// the diastolic pressure the artery opens only near each systolic peak: a forward jet as fast
    /// as the waveform's forward peak, for as long (and as far) as the artery is open. With the
    /// cuff below the diastolic pressure, or no cuff, the waveform itself.
    public func velocity(at t: Double) -> Double { velocity(at: t, jet: jet) }

    func velocity(at t: Double, jet: Double) -> Double {
        if let cuff, cuff.pressure(at: t) > diastolic {
            return jet * opening(at: t)
        }
        let u = t - (t / period).rounded(.down) * period
        return effectiveShape.velocity(at: u, period: period)
    }

    /// Where flow truly returns in this sweep: the cuff pressure at the onset of flow in the first
    /// beat in which the artery is open (its pressure above the cuff's) for `shortestAudibleFlow`,
    /// and that moment. Nil without a cuff, with absent flow, or when flow never returns before the
    /// deflation ends.
    public func trueReturn(seconds: Double) -> (pressure: Double, time: Double)? {
        guard let cuff, waveform != .absent || customShape != nil else { return nil }
        let first = onsets(seconds: seconds) { t in opening(at: t) > 0 && cuff.pressure(at: t) > 0 }.first
        return first.map { (cuff.pressure(at: $0), $0) }
    }

    /// When flow begins in each beat that lets flow through for `shortestAudibleFlow` (s).
    public func flowOnsets(seconds: Double) -> [Double] {
        onsets(seconds: seconds) { velocity(at: $0) != 0 }
    }

    /// The first moment of `flowing` in each beat where it lasts `shortestAudibleFlow`.
    private func onsets(seconds: Double, _ flowing: (Double) -> Bool) -> [Double] {
        var out: [Double] = []
        let step = 0.0005
        var beat = 0
        while Double(beat) * period < seconds {
            let begin = Double(beat) * period
            var onset: Double?
            var open = 0.0
            var t = begin
            while t < min(begin + period, seconds) {
                if flowing(t) {
                    if onset == nil { onset = t }
                    open += step
                }
                t += step
            }
            if let onset, open >= Self.shortestAudibleFlow { out.append(onset) }
            beat += 1
        }
        return out
    }

    /// Makes `seconds` of sound.
    public func render(seconds: Double) -> Sound {
        let channels = stereo ? 2 : 1
        let frames = Int(seconds * Double(sampleRate))
        let jet = self.jet
        var out = [Float](repeating: 0, count: frames * channels)
        let n = 256, hop = 64
        let bins = n / 2 + 1
        let binHz = Double(sampleRate) / Double(n)
        var rng = SplitMix64(seed: seed)
        let window = (0 ..< n).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n)) }
        let spectrum = fftwf_alloc_complex(bins)!
        let block = fftwf_alloc_real(n)!
        defer { fftwf_free(spectrum); fftwf_free(block) }
        let plan = FFTWPlanner.complexToReal(n, spectrum, block)
        defer { FFTWPlanner.destroy(plan) }
        // The level that makes the free flow's band power over a beat equal 1 (SNR reference).
        let bandTop = 10_000.0, bandBottom = 150.0
        var meanLit = 0.0
        let samplesPerBeat = 400
        for i in 0 ..< samplesPerBeat {
            let v = abs(effectiveShape.velocity(at: period * Double(i) / Double(samplesPerBeat), period: period))
            let top = min(bandTop, v * peakHz)
            meanLit += max(0, top - max(bandBottom, 50)) / binHz
        }
        meanLit /= Double(samplesPerBeat)
        let level = meanLit > 0 ? 1 / sqrt(meanLit) : 0
        // A lit bin of magnitude a makes a cosine of power 2a² (c2r is unnormalised); the window's
        // squares sum to 1.5; so a = level / √3 gives the free flow a band power of 1 over a beat.
        let blockGain = level / sqrt(3.0)

        for channel in 0 ..< channels {
            var start = -n
            while start < frames {
                let centre = Double(start + n / 2) / Double(sampleRate)
                let v = velocity(at: max(0, centre), jet: jet)
                let directed: Double = stereo ? (channel == 0 ? max(0, v) : max(0, -v)) : abs(v)
                let top = directed * peakHz
                for k in 0 ..< bins {
                    let f = Double(k) * binHz
                    if f >= 50 && f <= top {
                        let phase = 2 * Double.pi * rng.unit()
                        spectrum[k].0 = Float(cos(phase) * blockGain)
                        spectrum[k].1 = Float(sin(phase) * blockGain)
                    } else {
                        spectrum[k] = (0, 0)
                    }
                }
                if top >= 50 {
                    fftwf_execute(plan)
                    for i in 0 ..< n {
                        let frame = start + i
                        if frame >= 0 && frame < frames {
                            out[frame * channels + channel] += Float(Double(block[i]) * window[i])
                        }
                    }
                }
                start += hop
            }
        }
        if let snr {
            // Noise power in the band is 10^(-snr/10) of the signal's; white over 0…fs/2.
            let bandShare = (bandTop - bandBottom) / (Double(sampleRate) / 2)
            let sigma = sqrt(pow(10, -snr / 10) / bandShare)
            for i in 0 ..< out.count { out[i] += Float(sigma * rng.gaussian()) }
        }
        // Scale so that loud flow stays inside -1…1 in a 16-bit file.
        let gain: Float = 0.05
        for i in 0 ..< out.count { out[i] *= gain }
        return Sound(sampleRate: sampleRate, channels: channels, samples: out)
    }
}

/// A small, seedable random generator, so that a sweep can be made again exactly.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
    /// Standard normal (Box–Muller).
    public mutating func gaussian() -> Double {
        let u = max(unit(), 1e-300), v = unit()
        return sqrt(-2 * log(u)) * cos(2 * Double.pi * v)
    }
}
