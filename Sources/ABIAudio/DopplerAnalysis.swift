/// What the Doppler's sound of one site says: its beats, the pulse rate, the signal's strength
/// and the waveform's description. The `abi-doppler/1` record is made from this.
public struct DopplerAnalysis: Sendable {
    public var sampleRate: Int
    public var channels: Int
    public var seconds: Double
    public var frames: [SpectralFrame]
    public var beats: [Beat]
    /// Beats a minute, from the median interval between onsets (nil under two beats).
    public var pulseRate: Double?
    /// The median signal-to-noise ratio at the beats' peaks (dB), nil without beats.
    public var snrDb: Double?
    public var waveform: WaveformDescription

    /// Analyses a whole recording (two passes: the noise floor first).
    public init(_ sound: Sound, keepPicture: Bool = false) {
        let frames = DopplerAnalyzer.analyze(sound, keepPicture: keepPicture)
        var tracker = BeatTracker(frameSeconds: AnalysisSettings(sampleRate: sound.sampleRate).frameSeconds)
        var beats: [Beat] = []
        var onsets: [Double] = []
        for frame in frames {
            for event in tracker.add(frame) {
                switch event {
                case .onset(let t): onsets.append(t)
                case .beat(let b): beats.append(b)
                }
            }
        }
        for case .beat(let b) in tracker.finish() { beats.append(b) }
        self.init(sampleRate: sound.sampleRate, channels: sound.channels, seconds: sound.seconds, frames: frames, beats: beats, onsets: onsets)
    }

    public init(sampleRate: Int, channels: Int, seconds: Double, frames: [SpectralFrame], beats: [Beat], onsets: [Double]) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.seconds = seconds
        self.frames = frames
        self.beats = beats
        let intervals = zip(onsets, onsets.dropFirst()).map { $1 - $0 }.filter { $0 < 2 }
        pulseRate = intervals.isEmpty ? nil : 60 / median(intervals)
        snrDb = beats.isEmpty ? nil : median(beats.map(\.snrDb))
        waveform = WaveformDescription.summary(of: beats, stereo: channels == 2)
    }

    /// The same analysis with the waveform described from some beats only (those heard with the
    /// cuff let down, during a measurement: the jets through a closing cuff are not the
    /// artery's waveform).
    public func describing(_ keep: (Beat) -> Bool) -> DopplerAnalysis {
        var copy = self
        let kept = beats.filter(keep)
        if kept.isEmpty && !beats.isEmpty {
            // Flow was heard, but only through the cuff: that says nothing of the waveform.
            copy.waveform = WaveformDescription(phasicity: .undetermined, confidence: 0, directionKnown: channels == 2,
                                                note: "beats were heard only while the cuff pressed on the artery; none with it let down (under 20 mmHg)",
                                                reason: "no beat heard with the cuff let down")
        } else {
            copy.waveform = WaveformDescription.summary(of: kept, stereo: channels == 2)
        }
        return copy
    }
}
