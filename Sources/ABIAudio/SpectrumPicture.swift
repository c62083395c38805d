/// What a picture of the Doppler spectrum needs, small enough to keep with the exam: the
/// spectrum in columns of 10 ms and rows of about 190 Hz (dB over the noise floor, 0–40, one byte
/// each), forward flow above the baseline and reverse flow below it (stereo), and the maximum
/// frequency envelope drawn over it.
public struct SpectrumPicture: Sendable, Equatable {
    public var secondsPerColumn: Double
    public var hzPerRow: Double
    /// Forward flow: `forward[column][row]`, row 0 the lowest frequency.
    public var forward: [[UInt8]]
    /// Reverse flow (stereo only), same layout.
    public var reverse: [[UInt8]]?
    /// The maximum-frequency envelope per column (Hz; 0 where no flow), forward and reverse.
    public var forwardEnvelope: [Double]
    public var reverseEnvelope: [Double]?
    /// Where the picture starts in the sound (s).
    public var start: Double
    /// The waveform's description, for the caption.
    public var caption: String

    public var seconds: Double { Double(forward.count) * secondsPerColumn }

    /// The picture of frames (made with `keepPicture`), the last `seconds` of them at most.
    public init(frames: [SpectralFrame], settings: AnalysisSettings, caption: String, seconds: Double = 6) {
        let perColumn = 2
        secondsPerColumn = settings.frameSeconds * Double(perColumn)
        hzPerRow = settings.binHz * 4
        self.caption = caption
        let wanted = Int(seconds / settings.frameSeconds)
        let used = frames.count > wanted ? Array(frames.suffix(wanted)) : frames
        start = used.first.map { $0.time - settings.frameSeconds / 2 } ?? 0
        let stereo = used.first?.channels.count == 2
        var forward: [[UInt8]] = [], reverse: [[UInt8]] = []
        var forwardEnvelope: [Double] = [], reverseEnvelope: [Double] = []
        var i = 0
        while i + perColumn <= used.count {
            let group = used[i ..< i + perColumn]
            func column(_ channel: Int) -> [UInt8] {
                guard let rows = group.first?.picture?[channel] else { return [] }
                return (0 ..< rows.count).map { r in
                    let db = group.map { $0.picture![channel][r] }.max() ?? 0
                    return UInt8(max(0, min(40, db.rounded())))
                }
            }
            forward.append(column(0))
            forwardEnvelope.append(group.map { $0.forward.present ? $0.forward.maxHz : 0 }.max() ?? 0)
            if stereo {
                reverse.append(column(1))
                reverseEnvelope.append(group.map { $0.reverse!.present ? $0.reverse!.maxHz : 0 }.max() ?? 0)
            }
            i += perColumn
        }
        self.forward = forward
        self.forwardEnvelope = forwardEnvelope
        self.reverse = stereo ? reverse : nil
        self.reverseEnvelope = stereo ? reverseEnvelope : nil
    }

    public init(secondsPerColumn: Double, hzPerRow: Double, forward: [[UInt8]], reverse: [[UInt8]]?,
                forwardEnvelope: [Double], reverseEnvelope: [Double]?, start: Double, caption: String) {
        self.secondsPerColumn = secondsPerColumn
        self.hzPerRow = hzPerRow
        self.forward = forward
        self.reverse = reverse
        self.forwardEnvelope = forwardEnvelope
        self.reverseEnvelope = reverseEnvelope
        self.start = start
        self.caption = caption
    }
}
