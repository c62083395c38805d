import CFFTW

#if canImport(Glibc)
import Glibc
#endif

/// One short-time spectrum of one channel, reduced to what the waveform and the signal return
/// need. Frequencies in Hz; `maxHz` is 0 where no flow is heard.
public struct ChannelFrame: Sendable, Equatable {
    /// Flow heard in this frame: some band of the spectrum stands clear of the noise floor.
    public var present: Bool
    /// The maximum-frequency envelope: the frequency below which 90% of the flow's power lies
    /// (the percentile method, noise subtracted). Follows the peak velocity.
    public var maxHz: Double
    /// The power-weighted mean frequency of the flow (noise subtracted).
    public var meanHz: Double
    /// The flow's power over the noise's in the analysis band, dB.
    public var snrDb: Double
}

/// A frame of the analysis: its centre time and one `ChannelFrame` per channel (mono: one; stereo:
/// forward, then reverse).
public struct SpectralFrame: Sendable {
    public var time: Double
    public var channels: [ChannelFrame]
    public var forward: ChannelFrame { channels[0] }
    public var reverse: ChannelFrame? { channels.count > 1 ? channels[1] : nil }
    /// The spectrum's power per display bin (dB over the noise floor), kept only when asked for
    /// (the picture of `abi doppler analyze`).
    public var picture: [[Float]]?
}

/// The settings of the short-time analysis (docs/doppler.md explains each choice).
public struct AnalysisSettings: Sendable {
    public var sampleRate: Int
    /// FFT length: 1024 samples (21 ms at 48 kHz), Hann window.
    public var window: Int = 1024
    /// A frame every 5 ms.
    public var hop: Int
    /// The Doppler band analysed: above the wall filter, below what ankle flow reaches at 8–10 MHz.
    public var lowHz: Double = 150
    public var highHz: Double = 10_000
    /// Bins per noise band (16 bins: 750 Hz at 48 kHz).
    public var bandBins: Int = 16
    /// A frame has flow when a band's power is this many times its noise (3 frames smoothed).
    public var presenceRatio: Double = 2.2
    /// The noise floor follows the last 3 s.
    public var noiseSeconds: Double = 3

    public init(sampleRate: Int) {
        self.sampleRate = sampleRate
        hop = sampleRate / 200
    }

    public var binHz: Double { Double(sampleRate) / Double(window) }
    public var frameSeconds: Double { Double(hop) / Double(sampleRate) }
}

/// The streaming short-time spectral analysis of the Doppler's sound (FFTW), one channel at a
/// time: noise floor, flow presence, the maximum-frequency envelope and the mean frequency.
/// Feed it samples as they arrive; it returns the frames they complete.
public final class DopplerAnalyzer {
    public let settings: AnalysisSettings
    public let channels: Int
    /// Keep each frame's spectrum for a picture (display bins of ~94 Hz).
    public var keepPicture = false

    private let window: [Float]
    private let input: UnsafeMutablePointer<Float>
    private let output: UnsafeMutablePointer<fftwf_complex>
    private let plan: fftwf_plan
    private let lowBin: Int, highBin: Int
    private var pending: [[Float]]
    private var consumed = 0  // samples per channel already past (frame start of pending[0])
    private var frameIndex = 0
    private var trackers: [ChannelTracker]

    public init(settings: AnalysisSettings, channels: Int, fixedNoise: [Double]? = nil) {
        self.settings = settings
        self.channels = channels
        let n = settings.window
        window = (0 ..< n).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n))) }
        input = fftwf_alloc_real(n)
        output = fftwf_alloc_complex(n / 2 + 1)
        plan = FFTWPlanner.realToComplex(n, input, output)
        lowBin = Int((settings.lowHz / settings.binHz).rounded(.up))
        highBin = min(n / 2, Int(settings.highHz / settings.binHz))
        pending = Array(repeating: [], count: channels)
        trackers = (0 ..< channels).map { c in
            ChannelTracker(settings: settings, lowBin: 0, bins: 0, fixedNoise: fixedNoise?[c])
        }
        for c in 0 ..< channels {
            trackers[c] = ChannelTracker(settings: settings, lowBin: lowBin, bins: highBin - lowBin + 1, fixedNoise: fixedNoise?[c])
        }
    }

    deinit {
        FFTWPlanner.destroy(plan)
        fftwf_free(input)
        fftwf_free(output)
    }

    /// The noise floor of each channel (power per bin), once known.
    public var noiseFloor: [Double] { trackers.map(\.noisePerBin) }

    /// Adds interleaved samples; returns the frames completed.
    public func process(_ samples: UnsafeBufferPointer<Float>) -> [SpectralFrame] {
        let frames = samples.count / channels
        for c in 0 ..< channels {
            pending[c].reserveCapacity(pending[c].count + frames)
            var i = c
            for _ in 0 ..< frames {
                pending[c].append(samples[i])
                i += channels
            }
        }
        var out: [SpectralFrame] = []
        let n = settings.window, hop = settings.hop
        var offset = 0
        while pending[0].count - offset >= n {
            var perChannel: [ChannelFrame] = []
            var picture: [[Float]]? = keepPicture ? [] : nil
            for c in 0 ..< channels {
                pending[c].withUnsafeBufferPointer { buffer in
                    for i in 0 ..< n { input[i] = buffer[offset + i] * window[i] }
                }
                fftwf_execute(plan)
                let frame = trackers[c].add(output, lowBin: lowBin, highBin: highBin)
                perChannel.append(frame)
                if keepPicture { picture!.append(trackers[c].pictureRow()) }
            }
            let centre = Double(consumed + offset + n / 2) / Double(settings.sampleRate)
            out.append(SpectralFrame(time: centre, channels: perChannel, picture: picture))
            offset += hop
            frameIndex += 1
        }
        if offset > 0 {
            for c in 0 ..< channels { pending[c].removeFirst(offset) }
            consumed += offset
        }
        return out
    }

    public func process(_ samples: [Float]) -> [SpectralFrame] {
        samples.withUnsafeBufferPointer { process($0) }
    }

    /// The whole of a recording, in two passes: the first finds each channel's noise floor over
    /// the whole file (so that the first seconds are judged like the rest), the second analyses.
    public static func analyze(_ sound: Sound, keepPicture: Bool = false) -> [SpectralFrame] {
        let settings = AnalysisSettings(sampleRate: sound.sampleRate)
        let first = DopplerAnalyzer(settings: settings, channels: sound.channels)
        first.trackers.indices.forEach { first.trackers[$0].collectAll = true }
        _ = first.process(sound.samples)
        let floors = first.trackers.map { $0.wholeRecordingNoise() }
        let second = DopplerAnalyzer(settings: settings, channels: sound.channels, fixedNoise: floors)
        second.keepPicture = keepPicture
        return second.process(sound.samples)
    }
}

/// One channel's running state: the smoothed spectrum, the noise floor, the per-frame measures.
struct ChannelTracker {
    let settings: AnalysisSettings
    let lowBin: Int
    let bins: Int
    let bands: [(start: Int, count: Int)]
    /// The last three power spectra (band bins only), for a 3-frame average.
    var history: [[Float]]
    var smoothed: [Float]
    var historyIndex = 0
    var filled = 0
    /// Each band's smoothed power, over the last `noiseSeconds`.
    var bandPowers: [[Float]]
    var ringIndex = 0
    var ringCount = 0
    var framesSinceUpdate = 0
    var noisePerBin: Double = 0
    var fixed: Bool
    var collectAll = false
    var allBandPowers: [[Float]] = []

    /// The 10th percentile of a band's power over time, on white noise, is this fraction of its
    /// mean (measured for these settings: 16 Hann bins, 3 frames of 5 ms; a test checks it).
    static let percentileBias = 0.69

    /// Flow is heard only when one of this many of the lowest bands is clear of the noise.
    static let lowestBands = 3

    init(settings: AnalysisSettings, lowBin: Int, bins: Int, fixedNoise: Double?) {
        self.settings = settings
        self.lowBin = lowBin
        self.bins = bins
        var bands: [(Int, Int)] = []
        var start = 0
        while start < bins {
            var count = min(settings.bandBins, bins - start)
            if bins - (start + count) < settings.bandBins / 2 { count = bins - start }
            bands.append((start, count))
            start += count
        }
        self.bands = bands
        history = Array(repeating: Array(repeating: 0, count: bins), count: 3)
        smoothed = Array(repeating: 0, count: bins)
        let ring = max(1, Int(settings.noiseSeconds / settings.frameSeconds))
        bandPowers = Array(repeating: Array(repeating: 0, count: ring), count: bands.count)
        fixed = fixedNoise != nil
        noisePerBin = fixedNoise ?? 0
    }

    mutating func add(_ spectrum: UnsafeMutablePointer<fftwf_complex>, lowBin: Int, highBin: Int) -> ChannelFrame {
        // Power per bin, averaged over the last three frames.
        history[historyIndex].withUnsafeMutableBufferPointer { row in
            for k in 0 ..< bins {
                let c = spectrum[lowBin + k]
                row[k] = c.0 * c.0 + c.1 * c.1
            }
        }
        historyIndex = (historyIndex + 1) % 3
        filled = min(3, filled + 1)
        let h0 = history[0], h1 = history[1], h2 = history[2]
        let scale = 1 / Float(filled)
        smoothed.withUnsafeMutableBufferPointer { s in
            for k in 0 ..< bins { s[k] = (h0[k] + h1[k] + h2[k]) * scale }
        }
        // Band powers into the noise tracker.
        var bandPower = [Double](repeating: 0, count: bands.count)
        smoothed.withUnsafeBufferPointer { s in
            for (b, band) in bands.enumerated() {
                var sum: Float = 0
                for k in band.start ..< band.start + band.count { sum += s[k] }
                bandPower[b] = Double(sum)
            }
        }
        if collectAll { allBandPowers.append(bandPower.map { Float($0) }) }
        if !fixed {
            let ring = bandPowers[0].count
            for b in bands.indices { bandPowers[b][ringIndex] = Float(bandPower[b]) }
            ringIndex = (ringIndex + 1) % ring
            ringCount = min(ring, ringCount + 1)
            framesSinceUpdate += 1
            if noisePerBin == 0 || framesSinceUpdate >= 25 || ringCount < 40 {
                framesSinceUpdate = 0
                noisePerBin = Self.floor(bands: bands, powers: bandPowers.map { Array($0[0 ..< ringCount]) })
            }
        }
        guard noisePerBin > 0 else { return ChannelFrame(present: false, maxHz: 0, meanHz: 0, snrDb: -99) }

        // Presence: one of the lowest bands (up to about 2.4 kHz) clear of the noise. Flow fills
        // the spectrum from low frequencies up to its maximum frequency, so the envelope's range
        // runs from that band up through the bands above the noise next to it; a lone band of
        // noise higher up is not flow.
        var topBand = -1
        var clear = false
        for (b, band) in bands.enumerated() {
            let ratio = bandPower[b] / (noisePerBin * Double(band.count))
            if !clear {
                // Flow's spectrum starts low: a band clear of the noise only higher up is noise.
                if b >= Self.lowestBands { break }
                if ratio > settings.presenceRatio { clear = true; topBand = b }
            } else if ratio > 1.5 {
                topBand = b
            } else {
                break
            }
        }
        var excessTotal = 0.0
        for b in bands.indices { excessTotal += bandPower[b] - noisePerBin * Double(bands[b].count) }
        let snr = 10 * log10(max(excessTotal, 1e-12) / (noisePerBin * Double(bins)))
        guard clear, topBand >= 0 else { return ChannelFrame(present: false, maxHz: 0, meanHz: 0, snrDb: snr) }
        let end = bands[topBand].start + bands[topBand].count
        var total = 0.0, weighted = 0.0
        let noise = noisePerBin
        smoothed.withUnsafeBufferPointer { s in
            for k in 0 ..< end {
                let excess = Double(s[k]) - noise
                total += excess
                if excess > 0 { weighted += excess * Double(lowBin + k) }
            }
        }
        var positive = 0.0
        smoothed.withUnsafeBufferPointer { s in
            for k in 0 ..< end { positive += max(0, Double(s[k]) - noise) }
        }
        guard total > 0 else { return ChannelFrame(present: false, maxHz: 0, meanHz: 0, snrDb: snr) }
        var cumulative = 0.0
        var maxBin = end - 1
        smoothed.withUnsafeBufferPointer { s in
            for k in 0 ..< end {
                cumulative += Double(s[k]) - noise
                if cumulative >= 0.9 * total { maxBin = k; break }
            }
        }
        let binHz = settings.binHz
        return ChannelFrame(present: true, maxHz: Double(lowBin + maxBin) * binHz,
                            meanHz: positive > 0 ? weighted / positive * binHz : 0, snrDb: snr)
    }

    /// The noise floor per bin: each band's 10th percentile over time (bias corrected), and the
    /// median over the bands, so that flow in a few bands all the time does not count as noise.
    static func floor(bands: [(start: Int, count: Int)], powers: [[Float]]) -> Double {
        var perBin: [Double] = []
        for (b, band) in bands.enumerated() {
            var values = powers[b]
            guard !values.isEmpty else { continue }
            let index = values.count / 10
            let p10 = quickSelect(&values, index)
            perBin.append(Double(p10) / percentileBias / Double(band.count))
        }
        guard !perBin.isEmpty else { return 0 }
        perBin.sort()
        return perBin[perBin.count / 2]
    }

    func wholeRecordingNoise() -> Double {
        var columns = Array(repeating: [Float](), count: bands.count)
        for row in allBandPowers { for b in bands.indices { columns[b].append(row[b]) } }
        return Self.floor(bands: bands, powers: columns)
    }

    /// The current smoothed spectrum in display bins (4 FFT bins each), dB over the noise floor.
    func pictureRow() -> [Float] {
        var row: [Float] = []
        let noise = max(noisePerBin, 1e-20)
        var k = 0
        while k + 4 <= bins {
            let mean = Double(smoothed[k] + smoothed[k + 1] + smoothed[k + 2] + smoothed[k + 3]) / 4
            row.append(Float(10 * log10(max(mean, 1e-20) / noise)))
            k += 4
        }
        return row
    }
}

/// The k-th smallest value (Hoare's selection), reordering `values`.
func quickSelect(_ values: inout [Float], _ k: Int) -> Float {
    var low = 0, high = values.count - 1
    while low < high {
        let pivot = values[(low + high) / 2]
        var i = low, j = high
        while i <= j {
            while values[i] < pivot { i += 1 }
            while values[j] > pivot { j -= 1 }
            if i <= j { values.swapAt(i, j); i += 1; j -= 1 }
        }
        if k <= j { high = j } else if k >= i { low = i } else { return values[k] }
    }
    return values[k]
}

