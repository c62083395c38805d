// libFuzzer target for what abi reads about the Doppler's sound, built by scripts/fuzz doppler
// (ABICore and ABIAudio compiled as one module, without the ALSA code). The first byte chooses:
// 0, the cuff pressures of `abi doppler analyze --cuff`; anything else, a sound file
// (libsndfile reads it; the analysis must hold whatever it gives).

#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDoppler(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let body = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if data[0] == 0 {
        do {
            let track = try CuffTrack.parse(String(decoding: body, as: UTF8.self), path: "cuff.csv")
            if track.isEmpty { fatalError("an empty track was accepted") }
            for (a, b) in zip(track, track.dropFirst()) where b.time < a.time { fatalError("the time went back") }
            if track.contains(where: { !$0.time.isFinite || !$0.pressure.isFinite || $0.pressure < 0 || $0.pressure > 400 }) { fatalError("an impossible pressure") }
        } catch {
            if !error.description.hasPrefix("cuff.csv: ") { fatalError("a problem that does not name the file: \(error.description)") }
        }
        return 0
    }
    let path = "/tmp/abi-fuzz-doppler-\(getpid())" + (data[0] & 1 == 0 ? ".wav" : ".flac")
    defer { unlink(path) }
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    _ = body.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    guard let sound = try? SoundFile.read(path) else { return 0 }
    if sound.samples.contains(where: { !$0.isFinite || abs($0) > 1 }) { fatalError("a sample outside -1…1 was read") }
    let analysis = DopplerAnalysis(sound, keepPicture: true)
    for beat in analysis.beats where !(beat.onset.isFinite && beat.onset >= 0 && beat.onset <= sound.seconds + 0.1 && beat.peakHz.isFinite) {
        fatalError("a beat outside the sound: \(beat)")
    }
    if let rate = analysis.pulseRate, !rate.isFinite { fatalError("a pulse rate that is not a number") }
    _ = DopplerRecord.json(analysis, file: path)
    return 0
}
