import ABIAudio
import ABICore
import ABIStore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The Doppler's sound of a bedside session, read from an ALSA capture device on its own thread
/// and analysed as it arrives (`DopplerMonitor`), with the manometer's cuff pressures on the
/// session's clock. What it proposes waits in a queue for the session, which a pipe wakes; each
/// site's sound, from the cuff pumped up to the next inflation, is handed back to be kept.
public final class BedsideSound: @unchecked Sendable {
    public let device: String
    public let sampleRate: Int
    public let channels: Int
    private let capture: AudioCapture
    private let monitor: DopplerMonitor
    private let clock: @Sendable () -> Int
    private let lock = NSLock()
    private var proposals: [SoundProposal] = []
    private var problem: String?
    private var cuffQueue: [(mmHg: Int, at: Int)] = []
    private let wake: [Int32]
    private let stopPipe: [Int32]
    private weak var thread: Thread?
    /// When the first block of sound was read (monotonic ms): the sound's time 0.
    private var startMs: Int?
    private var stopping = false

    /// The sound since the cuff was last pumped up, and the site and reading it is for.
    private var segment: [Float] = []
    private var segmentStart = 0.0
    private var segmentCuff: [(time: Double, mmHg: Double)] = []
    private var segmentSite: (site: Site, seq: Int)?
    private var cuffDown = true
    private var finished: [SiteRecording] = []

    /// The longest sound kept for a site (s).
    public static let longestSiteSound = 120

    /// One site's sound, ready to be kept.
    public struct SiteRecording: Sendable {
        public var site: Site
        public var readingSeq: Int
        public var sound: Sound
        /// The cuff pressures during it (s from its start, mmHg).
        public var cuff: [(time: Double, mmHg: Double)]
    }

    /// Opens the capture device (a wrong name fails here, before anything is recorded).
    public init(device: String, sampleRate: Int = 48_000, channels: Int = 2, clock: @escaping @Sendable () -> Int) throws(AudioDeviceError) {
        self.device = device
        self.sampleRate = sampleRate
        self.channels = channels
        self.clock = clock
        capture = try AudioCapture(device: device, sampleRate: sampleRate, channels: channels)
        monitor = DopplerMonitor(sampleRate: sampleRate, channels: channels)
        wake = nonBlockingPipe()
        stopPipe = nonBlockingPipe()
    }

    deinit {
        for fd in wake + stopPipe where fd >= 0 { close(fd) }
    }

    /// Readable when a proposal, a finished site's sound or a problem waits.
    public var wakeFD: Int32 { wake[0] }

    public func drainWake() {
        var bytes = [UInt8](repeating: 0, count: 64)
        while read(wake[0], &bytes, bytes.count) > 0 {}
    }

    public func take() -> SoundProposal? { lock.withLock { proposals.isEmpty ? nil : proposals.removeFirst() } }
    public func takeProblem() -> String? { lock.withLock { defer { problem = nil }; return problem } }
    public func takeRecording() -> SiteRecording? { lock.withLock { finished.isEmpty ? nil : finished.removeFirst() } }

    /// A cuff pressure from the manometer, at `at` (monotonic ms, the session's clock).
    public func cuffPressure(_ mmHg: Int, at: Int) {
        lock.withLock { cuffQueue.append((mmHg, at)) }
    }

    /// A reading was recorded at `site` from this inflation: its sound is that site's. Only the
    /// first reading of an inflation takes it (values typed for other sites meanwhile do not).
    public func siteRecorded(_ site: Site, seq: Int) {
        lock.withLock { if segmentSite == nil { segmentSite = (site, seq) } }
    }

    /// Reads and analyses the sound until `stop`. The sound is paced to the clock: a device that
    /// delivers faster than real time (a file) is read as a sound card would deliver it.
    public func start() {
        let thread = Thread { [self] in
            let block = sampleRate / 100
            var heard = 0  // frames
            while true {
                var fd = pollfd(fd: stopPipe[0], events: Int16(POLLIN), revents: 0)
                if poll(&fd, 1, 0) > 0 { break }
                let samples: [Float]
                do throws(AudioDeviceError) { samples = try capture.read(frames: block) } catch {
                    let message = error.description
                    lock.withLock { problem = message }
                    signal()
                    break
                }
                let now = clock()
                let start = lock.withLock { () -> Int in
                    if startMs == nil { startMs = now - samples.count / channels * 1000 / sampleRate }
                    return startMs!
                }
                heard += samples.count / channels
                let audioSeconds = Double(heard) / Double(sampleRate)
                feedCuff(start: start)
                var signalled = false
                for event in monitor.audio(samples) {
                    if case .proposal(let p) = event {
                        let beat = monitor.proposalBeat ?? p.time
                        let beatAt = start + Int(beat * 1000)
                        let proposal: SoundProposal
                        switch p {
                        case .systolic(let pressure, _): proposal = SoundProposal(.systolic(Int(pressure.rounded())), beatAt: beatAt)
                        case .noncompressible(let pressure, _): proposal = SoundProposal(.noncompressible(Int(pressure.rounded())), beatAt: beatAt)
                        case .absent(let t): proposal = SoundProposal(.absent, beatAt: start + Int(t * 1000))
                        }
                        lock.withLock { proposals.append(proposal) }
                        signalled = true
                    }
                }
                lock.withLock {
                    segment.append(contentsOf: samples)
                    // A site's sound is its last 2 minutes at most (a session left idle with the
                    // probe on does not fill the memory).
                    let cap = Self.longestSiteSound * sampleRate * channels
                    if segment.count > cap + sampleRate * channels * 10 {
                        let drop = segment.count - cap
                        segment.removeFirst(drop)
                        segmentStart += Double(drop / channels) / Double(sampleRate)
                    }
                }
                if signalled { signal() }
                // Pacing: never ahead of the clock.
                let ahead = audioSeconds - Double(clock() - start) / 1000
                if ahead > 0.02 { usleep(UInt32(ahead * 1_000_000)) }
            }
            closeSegment()
        }
        self.thread = thread
        thread.start()
    }

    /// Gives the waiting cuff pressures to the analysis, on the sound's clock; a new inflation
    /// closes the site's sound.
    private func feedCuff(start: Int) {
        let waiting = lock.withLock { () -> [(mmHg: Int, at: Int)] in defer { cuffQueue.removeAll() }; return cuffQueue }
        for (mmHg, at) in waiting {
            let t = Double(at - start) / 1000
            if let p = monitor.cuffPressure(Double(mmHg), at: t) {
                let proposal = SoundProposal(.absent, beatAt: at)
                if case .absent = p { lock.withLock { proposals.append(proposal) }; signal() }
            }
            if Double(mmHg) < SignalReturnDetector.letDown {
                cuffDown = true
            } else if cuffDown {
                cuffDown = false
                closeSegment()
                lock.withLock { segmentStart = t }
            }
            lock.withLock { segmentCuff.append((t, Double(mmHg))) }
        }
    }

    /// Hands over the sound since the last inflation when a reading was recorded from it.
    private func closeSegment() {
        lock.withLock {
            if let owner = segmentSite, !segment.isEmpty {
                let cuff = segmentCuff.map { (time: $0.time - segmentStart, mmHg: $0.mmHg) }
                finished.append(SiteRecording(site: owner.site, readingSeq: owner.seq,
                                              sound: Sound(sampleRate: sampleRate, channels: channels, samples: segment), cuff: cuff))
            }
            segment.removeAll(keepingCapacity: true)
            segmentCuff.removeAll()
            segmentSite = nil
        }
        signal()
    }

    private func signal() {
        var byte: UInt8 = 1
        _ = Glibc.write(wake[1], &byte, 1)
    }

    /// Stops listening; the sound of the last site is handed over.
    public func stop() {
        var byte: UInt8 = 1
        _ = write(stopPipe[1], &byte, 1)
        for _ in 0 ..< 100 where thread?.isFinished == false { usleep(10_000) }
        capture.close()
    }

    /// A site's recording made ready to keep: FLAC, and the waveform described from the beats
    /// heard with the cuff let down.
    public static func keepable(_ recording: SiteRecording, recordedAt: String, scratchFolder: String) throws -> Store.DopplerSound {
        let cuff = recording.cuff
        let analysis = DopplerAnalysis(recording.sound).describing { beat in
            let before = cuff.last { $0.time <= beat.onset }
            return (before?.mmHg ?? 0) < SignalReturnDetector.letDown
        }
        let path = scratchFolder + "/sound-\(getpid())-\(recording.site.rawValue).flac"
        defer { unlink(path) }
        try SoundFile.write(recording.sound, to: path, format: .flac)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        return Store.DopplerSound(site: recording.site, readingSeq: recording.readingSeq, recordedAt: recordedAt,
                                  sampleRate: recording.sound.sampleRate, channels: recording.sound.channels, seconds: recording.sound.seconds,
                                  flac: bytes, description: analysis.waveform.words,
                                  record: DopplerRecord.json(analysis, file: nil))
    }
}
