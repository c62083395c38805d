#if canImport(Glibc)
import Glibc
#endif

/// One cardiac cycle heard in the Doppler's sound, with what its waveform description needs.
public struct Beat: Sendable, Equatable {
    /// When flow of this beat began (s from the start of the sound).
    public var onset: Double
    /// When the forward envelope peaked.
    public var peak: Double
    /// The next beat's onset (the beat's end), once known.
    public var end: Double?
    /// The forward maximum frequency at the peak (Hz).
    public var peakHz: Double
    /// The mean frequency over the beat's flow (Hz).
    public var meanHz: Double
    /// From the foot of the upstroke (10% of the rise) to the peak (ms).
    public var accelerationMs: Double
    /// The highest reverse-flow maximum frequency after the peak (stereo only; nil on mono).
    public var reverseHz: Double?
    /// Separate components (humps) of the envelope in the cycle: on mono, reverse flow is one too.
    public var components: Int
    /// Forward flow after the reversal (stereo), or nil on mono.
    public var lateForward: Bool?
    /// The share of the cycle's last 40% with forward flow heard.
    public var diastolicFlow: Double
    /// The flow's signal-to-noise ratio at the peak (dB).
    public var snrDb: Double
}

/// Finds beats in the stream of spectral frames: an upstroke of the forward envelope of at least
/// 40% of the highest beat of the last 1.6 s, and at least 250 Hz, with 25 ms of flow heard; at
/// most one beat each 0.3 s. Reports each onset at once (the signal return needs it) and each beat
/// whole when the next one starts.
public struct BeatTracker: Sendable {
    let frameSeconds: Double
    var frames: [SpectralFrame] = []
    var firstIndex = 0  // frames[0]'s index in the stream
    var armed = true
    var trough = 0.0
    var troughIndex = 0
    var rising = false
    var peakValue = 0.0
    var peakIndex = 0
    var lastOnsetIndex: Int?
    var recentPeaks: [(index: Int, value: Double)] = []
    var openBeatOnset: Int?
    var openBeatPeak: Int?

    public init(frameSeconds: Double) { self.frameSeconds = frameSeconds }

    /// Flow must be heard in this many frames in a row (25 ms) to start a beat: a click of noise
    /// spreads over three frames of the 3-frame average, a flow jet over more.
    static let shortestFlowFrames = 5

    public enum Event: Sendable, Equatable {
        /// A beat's flow began at this time (s).
        case onset(Double)
        /// A beat is complete.
        case beat(Beat)
    }

    func frame(_ index: Int) -> SpectralFrame { frames[index - firstIndex] }
    func envelope(_ index: Int) -> Double { frame(index).forward.present ? frame(index).forward.maxHz : 0 }

    public mutating func add(_ newFrame: SpectralFrame) -> [Event] {
        frames.append(newFrame)
        let index = firstIndex + frames.count - 1
        var events: [Event] = []
        let e = envelope(index)
        if rising {
            if e > peakValue { peakValue = e; peakIndex = index }
            let sinceOnset = Double(index - (lastOnsetIndex ?? index)) * frameSeconds
            if (e < 0.6 * peakValue && sinceOnset >= 0.08) || Double(index - peakIndex) * frameSeconds > 0.2 {
                rising = false
                armed = true
                trough = e
                troughIndex = index
                recentPeaks.append((index, peakValue))
                openBeatPeak = peakIndex
            }
        } else if armed {
            if e < trough { trough = e; troughIndex = index }
            // A beat rises by 40% of the highest peak of the last 1.6 s (so that the smaller
            // components of a cycle are not beats), and at least 250 Hz.
            recentPeaks.removeAll { Double(index - $0.index) * frameSeconds > SignalReturnDetector.longestInterval }
            let threshold = max(250, 0.4 * (recentPeaks.map(\.value).max() ?? 0))
            let refractory = lastOnsetIndex.map { Double(index - $0) * frameSeconds >= 0.3 } ?? true
            if e - trough >= threshold && refractory && presentRun(endingAt: index) >= Self.shortestFlowFrames {
                // The onset: the first frame of this rise above the trough.
                var onset = index
                let foot = trough + 0.1 * (e - trough)
                while onset - 1 > max(troughIndex, firstIndex) && envelope(onset - 1) > foot { onset -= 1 }
                if let open = openBeatOnset {
                    events.append(.beat(makeBeat(onset: open, peak: openBeatPeak ?? open, end: onset)))
                }
                openBeatOnset = onset
                openBeatPeak = nil
                lastOnsetIndex = index
                rising = true
                armed = false
                peakValue = e
                peakIndex = index
                events.insert(.onset(frame(onset).time - frameSeconds / 2), at: 0)
            }
        }
        // Keep 3 s of frames (a beat is at most 1.5 s at 40/min), but never the open beat's.
        let keepFrom = min(index - Int(3 / frameSeconds), openBeatOnset ?? index, troughIndex)
        if keepFrom > firstIndex + 200 {
            frames.removeFirst(keepFrom - firstIndex)
            firstIndex = keepFrom
        }
        return events
    }

    /// The open beat, ended by the end of the sound (a beat cut short is not described).
    public mutating func finish() -> [Event] {
        guard let open = openBeatOnset, let peak = openBeatPeak else { return [] }
        openBeatOnset = nil
        let last = firstIndex + frames.count - 1
        // Complete only if as long as the beats before it would be; otherwise drop it.
        if let previous = recentInterval, Double(last - open) * frameSeconds < previous * 0.9 { return [] }
        return [.beat(makeBeat(onset: open, peak: peak, end: last))]
    }

    var recentInterval: Double?

    func presentRun(endingAt index: Int) -> Int {
        var n = 0
        var i = index
        while i >= firstIndex && frame(i).forward.present { n += 1; i -= 1 }
        return n
    }

    mutating func makeBeat(onset: Int, peak: Int, end: Int) -> Beat {
        recentInterval = Double(end - onset) * frameSeconds
        var peakIndex = peak
        for i in onset ... max(onset, min(end - 1, peak + 20)) where envelope(i) > envelope(peakIndex) { peakIndex = i }
        let peakHz = envelope(peakIndex)
        var trough = peakHz
        for i in onset ... peakIndex { trough = min(trough, envelope(i)) }
        var foot = peakIndex
        while foot > onset && envelope(foot - 1) > trough + 0.1 * (peakHz - trough) { foot -= 1 }
        var meanSum = 0.0, meanCount = 0.0
        for i in onset ..< end where frame(i).forward.present {
            meanSum += frame(i).forward.meanHz
            meanCount += 1
        }
        // Reverse flow after the peak (stereo).
        var reverseHz: Double?
        var reverseLast: Int?  // the reversal's peak
        if frame(onset).reverse != nil {
            var best = 0.0
            var run = 0, bestRun = 0
            for i in peakIndex ..< end {
                let r = frame(i).reverse!
                if r.present {
                    run += 1
                    bestRun = max(bestRun, run)
                    if r.maxHz > best { best = r.maxHz; reverseLast = i }
                } else { run = 0 }
            }
            reverseHz = bestRun >= 4 ? best : 0
        }
        // Components: humps of the forward envelope (mono: of all flow) above 10% of the peak,
        // each rising at least 10% of the peak from the dip before it, the dip at most half the hump.
        var components = 0
        var dip = 0.0
        var hump = 0.0
        var inHump = false
        var humpFrames = 0
        var humpEnds: [Int] = []
        for i in onset ..< end {
            let e = envelope(i)
            if !inHump {
                dip = min(dip, e)
                if e - dip >= 0.1 * peakHz && e >= 0.1 * peakHz {
                    inHump = true
                    hump = e
                    humpFrames = 1
                }
            } else {
                hump = max(hump, e)
                humpFrames += 1
                if e <= 0.5 * hump || e <= dip + 0.3 * (hump - dip) {
                    if humpFrames >= 4 { components += 1; humpEnds.append(i) }
                    inHump = false
                    dip = e
                }
            }
        }
        if inHump && humpFrames >= 4 { components += 1; humpEnds.append(end) }
        var lateForward: Bool?
        if let reverseHz {
            if reverseHz > 0, let reverseLast {
                var late = false
                var run = 0
                for i in reverseLast ..< end {
                    if frame(i).forward.present && envelope(i) >= 0.06 * peakHz { run += 1; if run >= 4 { late = true } } else { run = 0 }
                }
                lateForward = late
            } else { lateForward = false }
        }
        let diastoleStart = end - max(1, Int(Double(end - onset) * 0.4))
        var heard = 0
        for i in diastoleStart ..< end where frame(i).forward.present { heard += 1 }
        return Beat(onset: frame(onset).time - frameSeconds / 2, peak: frame(peakIndex).time,
                    end: frame(end).time - frameSeconds / 2, peakHz: peakHz,
                    meanHz: meanCount > 0 ? meanSum / meanCount : 0,
                    accelerationMs: (frame(peakIndex).time - frame(foot).time) * 1000,
                    reverseHz: reverseHz, components: max(1, components), lateForward: lateForward,
                    diastolicFlow: Double(heard) / Double(end - diastoleStart),
                    snrDb: frame(peakIndex).forward.snrDb)
    }
}

func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}
