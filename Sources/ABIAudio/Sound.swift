import CSndfile

#if canImport(Glibc)
import Glibc
#endif

/// A stretch of the Doppler's sound: interleaved samples in -1…1, one channel (the Doppler's
/// mono output) or two (a bidirectional Doppler: forward flow on the left, reverse on the right).
public struct Sound: Sendable {
    public var sampleRate: Int
    public var channels: Int
    /// Interleaved: frame i is `samples[i * channels ..< (i + 1) * channels]`.
    public var samples: [Float]

    public init(sampleRate: Int, channels: Int, samples: [Float] = []) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.samples = samples
    }

    public var frameCount: Int { channels == 0 ? 0 : samples.count / channels }
    public var seconds: Double { sampleRate == 0 ? 0 : Double(frameCount) / Double(sampleRate) }

    /// The sample rates and channel counts the analysis accepts (a Doppler's line output into a
    /// sound card: 44.1 or 48 kHz; mono, or stereo for forward and reverse).
    public static func problem(sampleRate: Int, channels: Int) -> String? {
        if sampleRate != 44_100 && sampleRate != 48_000 { return "the sample rate is \(sampleRate) Hz; abi analyses 44100 or 48000 Hz" }
        if channels != 1 && channels != 2 { return "it has \(channels) channels; abi analyses 1 (mono) or 2 (forward and reverse)" }
        return nil
    }
}

/// A sound file could not be read or written: the message names the file and says why.
public struct SoundFileError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case missing, invalid, cannotCreate, io }
    public let kind: Kind
    public let description: String
    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}

/// WAV and FLAC through libsndfile (Debian's libsndfile1).
public enum SoundFile {
    public enum Format: String, Sendable, CaseIterable {
        case wav, flac
        /// The format a file name asks for (`.flac` or `.wav`), if either.
        public init?(path: String) {
            let lower = path.lowercased()
            if lower.hasSuffix(".flac") { self = .flac } else if lower.hasSuffix(".wav") { self = .wav } else { return nil }
        }
        var libsndfile: Int32 {
            switch self {
            case .wav: Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
            case .flac: Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
            }
        }
    }

    /// Reads a whole file (WAV, FLAC or any format libsndfile knows).
    public static func read(_ path: String) throws(SoundFileError) -> Sound {
        guard access(path, F_OK) == 0 else { throw SoundFileError(.missing, "\(path): no such file") }
        guard access(path, R_OK) == 0 else { throw SoundFileError(.missing, "\(path): cannot be read (permission denied)") }
        var info = SF_INFO()
        guard let file = sf_open(path, Int32(SFM_READ), &info) else {
            throw SoundFileError(.invalid, "\(path): not a sound file abi can read (\(String(cString: sf_strerror(nil))))")
        }
        defer { sf_close(file) }
        if let problem = Sound.problem(sampleRate: Int(info.samplerate), channels: Int(info.channels)) {
            throw SoundFileError(.invalid, "\(path): \(problem)")
        }
        var sound = Sound(sampleRate: Int(info.samplerate), channels: Int(info.channels))
        let chunk = 65_536
        var buffer = [Float](repeating: 0, count: chunk * sound.channels)
        while true {
            let got = buffer.withUnsafeMutableBufferPointer { sf_readf_float(file, $0.baseAddress, sf_count_t(chunk)) }
            if got <= 0 { break }
            // A floating-point file can hold values a sound card never gives (NaN, infinities,
            // beyond full scale): they are read as silence or full scale.
            for i in 0 ..< Int(got) * sound.channels {
                let v = buffer[i]
                sound.samples.append(v.isFinite ? max(-1, min(1, v)) : 0)
            }
        }
        if sf_error(file) != 0 {
            throw SoundFileError(.invalid, "\(path): \(String(cString: sf_strerror(file)))")
        }
        return sound
    }

    /// Writes 16-bit PCM as WAV or FLAC (lossless), mode 0600: a recording is patient data.
    public static func write(_ sound: Sound, to path: String, format: Format) throws(SoundFileError) {
        let writer = try Writer(path: path, sampleRate: sound.sampleRate, channels: sound.channels, format: format)
        try writer.append(sound.samples)
        try writer.close()
    }

    /// Writes a file as the sound arrives (a recording during a capture).
    public final class Writer {
        public let path: String
        let channels: Int
        private var file: OpaquePointer?

        public init(path: String, sampleRate: Int, channels: Int, format: Format) throws(SoundFileError) {
            self.path = path
            self.channels = channels
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw SoundFileError(.cannotCreate, "\(path): cannot be created (\(String(cString: strerror(errno))))") }
            var info = SF_INFO()
            info.samplerate = Int32(sampleRate)
            info.channels = Int32(channels)
            info.format = format.libsndfile
            guard let file = sf_open_fd(fd, Int32(SFM_WRITE), &info, 1) else {
                let why = String(cString: sf_strerror(nil))
                unlink(path)
                throw SoundFileError(.cannotCreate, "\(path): cannot be written as \(format.rawValue) (\(why))")
            }
            self.file = file
        }

        /// Appends interleaved samples (clipped to -1…1 by libsndfile's conversion).
        public func append(_ samples: [Float]) throws(SoundFileError) {
            try samples.withUnsafeBufferPointer { buffer throws(SoundFileError) in try append(buffer) }
        }

        public func append(_ samples: UnsafeBufferPointer<Float>) throws(SoundFileError) {
            guard let file, let base = samples.baseAddress else { return }
            let frames = samples.count / channels
            var done = 0
            // In blocks: libsndfile's FLAC encoder takes a bounded amount at a time.
            while done < frames {
                let count = min(4_096, frames - done)
                let written = sf_writef_float(file, base + done * channels, sf_count_t(count))
                guard written == count else { throw SoundFileError(.io, "\(path): write failed (\(String(cString: sf_strerror(file))))") }
                done += count
            }
        }

        public func close() throws(SoundFileError) {
            guard let file else { return }
            self.file = nil
            sf_write_sync(file)
            guard sf_close(file) == 0 else { throw SoundFileError(.io, "\(path): could not be completed") }
        }

        deinit { if let file { sf_close(file) } }
    }
}
