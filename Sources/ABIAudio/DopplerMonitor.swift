/// The Doppler's sound followed as it arrives (a capture, `abi doppler listen`): the streaming
/// spectra, the beats, and with the manometer's cuff pressures the signal return. Time is
/// seconds from the first sample; cuff pressures must be given on the same clock.
public final class DopplerMonitor {
    public enum Event: Sendable, Equatable {
        /// A beat's flow began (s).
        case onset(Double)
        /// A beat is complete.
        case beat(Beat)
        /// What the sound proposes for the site during this inflation.
        case proposal(ReturnProposal)
    }

    public let sampleRate: Int
    public let channels: Int
    let analyzer: DopplerAnalyzer
    var tracker: BeatTracker
    var detector = SignalReturnDetector()
    public private(set) var beats: [Beat] = []
    public private(set) var onsets: [Double] = []
    /// Frames kept for the site's record (the analysis summary), when asked.
    public private(set) var frames: [SpectralFrame] = []
    public var keepFrames = false
    /// Seconds of sound heard so far.
    public private(set) var seconds = 0.0

    public init(sampleRate: Int, channels: Int) {
        self.sampleRate = sampleRate
        self.channels = channels
        let settings = AnalysisSettings(sampleRate: sampleRate)
        analyzer = DopplerAnalyzer(settings: settings, channels: channels)
        tracker = BeatTracker(frameSeconds: settings.frameSeconds)
    }

    /// Interleaved samples as they come from the sound card.
    public func audio(_ samples: UnsafeBufferPointer<Float>) -> [Event] {
        seconds += Double(samples.count / channels) / Double(sampleRate)
        var events: [Event] = []
        for frame in analyzer.process(samples) {
            if keepFrames { frames.append(frame) }
            for event in tracker.add(frame) {
                switch event {
                case .onset(let t):
                    onsets.append(t)
                    events.append(.onset(t))
                    if let p = detector.beatOnset(at: t) { events.append(.proposal(p)) }
                case .beat(let b):
                    beats.append(b)
                    events.append(.beat(b))
                }
            }
        }
        return events
    }

    public func audio(_ samples: [Float]) -> [Event] { samples.withUnsafeBufferPointer { audio($0) } }

    /// A cuff pressure from the manometer (mmHg) at `time` (s, the sound's clock).
    public func cuffPressure(_ pressure: Double, at time: Double) -> ReturnProposal? {
        detector.cuffPressure(pressure, at: time)
    }

    /// When the first beat of the current proposal was heard (s).
    public var proposalBeat: Double? { detector.firstBeat }

    /// The proposal of the current inflation, if there is one yet.
    public var proposal: ReturnProposal? { detector.proposal }

    /// What the sound heard so far says (the beats, pulse, waveform).
    public func analysis() -> DopplerAnalysis {
        var t = tracker
        var all = beats
        for case .beat(let b) in t.finish() { all.append(b) }
        return DopplerAnalysis(sampleRate: sampleRate, channels: channels, seconds: seconds, frames: frames, beats: all, onsets: onsets)
    }
}
