import CAlsa
import CAudioShims

#if canImport(Glibc)
import Glibc
#endif

/// A sound device could not be used: the message names the device and says why.
public struct AudioDeviceError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case unavailable, unplugged, io }
    public let kind: Kind
    public let description: String
    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}

/// An ALSA PCM device that can capture (record) sound.
public struct AudioDevice: Sendable, Equatable {
    /// The name to give `--audio`: `default`, `hw:1,0`, `plughw:CARD=Device,DEV=0`, …
    public var name: String
    /// ALSA's description (the card and device), one line.
    public var description: String
}

/// ALSA, through Debian's libasound2.
public enum Alsa {
    /// The capture devices ALSA knows (its name hints for PCM devices that are not playback-only).
    public static func captureDevices() -> [AudioDevice] {
        _ = Alsa.quiet
        var hints: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
        guard snd_device_name_hint(-1, "pcm", &hints) == 0, let hints else { return [] }
        defer { snd_device_name_free_hint(hints) }
        var devices: [AudioDevice] = []
        var i = 0
        while let hint = hints[i] {
            i += 1
            func field(_ id: String) -> String? {
                guard let value = snd_device_name_get_hint(hint, id) else { return nil }
                defer { free(value) }
                return String(cString: value)
            }
            guard let name = field("NAME") else { continue }
            if let io = field("IOID"), io == "Output" { continue }
            let description = (field("DESC") ?? "").split(whereSeparator: \.isNewline).joined(separator: ", ")
            devices.append(AudioDevice(name: name, description: description))
        }
        return devices
    }

    static func message(_ code: Int32) -> String { String(cString: snd_strerror(code)) }

    /// ALSA's own error lines silenced, once: abi names the device and the reason itself.
    static let quiet: Void = abi_alsa_quiet()
}

/// Sound from an ALSA capture device: 16-bit samples at the asked rate and channel count
/// (ALSA converts where the card cannot), read in blocks as they arrive.
public final class AudioCapture {
    public let device: String
    public let sampleRate: Int
    public let channels: Int
    private var pcm: OpaquePointer?
    private var buffer: [Int16]

    /// Opens `device` for capture. 100 ms of buffering: enough for a busy machine, short enough
    /// that the signal return is heard at once.
    public init(device: String, sampleRate: Int, channels: Int) throws(AudioDeviceError) {
        if let problem = Sound.problem(sampleRate: sampleRate, channels: channels) {
            throw AudioDeviceError(.unavailable, "\(device): \(problem)")
        }
        self.device = device
        self.sampleRate = sampleRate
        self.channels = channels
        buffer = []
        _ = Alsa.quiet
        var handle: OpaquePointer?
        let opened = snd_pcm_open(&handle, device, SND_PCM_STREAM_CAPTURE, 0)
        guard opened == 0, let handle else {
            throw AudioDeviceError(.unavailable, "\(device): cannot be opened for capture (\(Alsa.message(opened)))")
        }
        let set = snd_pcm_set_params(handle, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED,
                                     UInt32(channels), UInt32(sampleRate), 1, 100_000)
        guard set == 0 else {
            snd_pcm_close(handle)
            throw AudioDeviceError(.unavailable, "\(device): cannot capture \(channels) channel\(channels == 1 ? "" : "s") at \(sampleRate) Hz (\(Alsa.message(set)))")
        }
        pcm = handle
    }

    deinit { close() }

    public func close() {
        if let pcm { snd_pcm_close(pcm) }
        pcm = nil
    }

    /// Reads up to `frames` frames (blocking until some arrive); returns interleaved samples in
    /// -1…1. An overrun (the machine too busy to read in time) is recovered and reported by
    /// `overruns`; a device that goes away throws `unplugged`.
    public func read(frames: Int) throws(AudioDeviceError) -> [Float] {
        guard let pcm else { throw AudioDeviceError(.io, "\(device): closed") }
        if buffer.count < frames * channels { buffer = [Int16](repeating: 0, count: frames * channels) }
        while true {
            let got = buffer.withUnsafeMutableBytes { snd_pcm_readi(pcm, $0.baseAddress, snd_pcm_uframes_t(frames)) }
            if got >= 0 {
                let n = Int(got) * channels
                return buffer.withUnsafeBufferPointer { b in (0 ..< n).map { Float(b[$0]) / 32_768 } }
            }
            let code = Int32(got)
            if code == -ENODEV || code == -EBADFD || code == -ESHUTDOWN {
                throw AudioDeviceError(.unplugged, "\(device): the sound device went away (\(Alsa.message(code)))")
            }
            if code == -EPIPE { overruns += 1 }
            let recovered = snd_pcm_recover(pcm, code, 1)
            if recovered < 0 {
                throw AudioDeviceError(.io, "\(device): capture failed (\(Alsa.message(recovered)))")
            }
        }
    }

    /// How many times sound was lost because it was not read in time.
    public private(set) var overruns = 0
}

/// Sound to an ALSA playback device (`abi doppler play`).
public enum AudioPlayback {
    public static func play(_ sound: Sound, device: String) throws(AudioDeviceError) {
        _ = Alsa.quiet
        var handle: OpaquePointer?
        let opened = snd_pcm_open(&handle, device, SND_PCM_STREAM_PLAYBACK, 0)
        guard opened == 0, let handle else {
            throw AudioDeviceError(.unavailable, "\(device): cannot be opened for playback (\(Alsa.message(opened)))")
        }
        defer { snd_pcm_close(handle) }
        let set = snd_pcm_set_params(handle, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED,
                                     UInt32(sound.channels), UInt32(sound.sampleRate), 1, 200_000)
        guard set == 0 else { throw AudioDeviceError(.unavailable, "\(device): cannot play \(sound.sampleRate) Hz (\(Alsa.message(set)))") }
        let samples = sound.samples.map { Int16(max(-32_768, min(32_767, ($0 * 32_768).rounded()))) }
        var offset = 0
        let total = sound.frameCount
        while offset < total {
            let count = min(4_096, total - offset)
            let wrote = samples.withUnsafeBytes { raw in
                snd_pcm_writei(handle, raw.baseAddress! + offset * sound.channels * 2, snd_pcm_uframes_t(count))
            }
            if wrote < 0 {
                let recovered = snd_pcm_recover(handle, Int32(wrote), 1)
                if recovered < 0 { throw AudioDeviceError(.io, "\(device): playback failed (\(Alsa.message(recovered)))") }
                continue
            }
            offset += Int(wrote)
        }
        snd_pcm_drain(handle)
    }
}
