import ABICore

/// The `abi-doppler/1` record of a Doppler sound's analysis (docs/doppler.md describes each
/// field): the sound, the analysis settings, the summary with the waveform's description, each
/// beat, and the signal return when the cuff pressures were given.
public enum DopplerRecord {
    public static let format = "abi-doppler/1"

    public static func json(_ analysis: DopplerAnalysis, file: String?, proposal: ReturnProposal? = nil) -> String {
        var w = JSONWriter(pretty: true)
        let settings = AnalysisSettings(sampleRate: analysis.sampleRate)
        w.beginObject()
        w.string("format", format)
        w.beginObject("sound")
        w.string("file", file)
        w.int("sampleRate", analysis.sampleRate)
        w.int("channels", analysis.channels)
        w.string("channelUse", analysis.channels == 2 ? "forward-left-reverse-right" : "mono")
        number(&w, "seconds", analysis.seconds, places: 3)
        w.endObject()
        w.beginObject("analysis")
        w.int("fftLength", settings.window)
        number(&w, "frameSeconds", settings.frameSeconds, places: 4)
        w.beginArray("bandHz")
        w.int(nil, Int(settings.lowHz))
        w.int(nil, Int(settings.highHz))
        w.endArray()
        w.string("envelope", "90th percentile of the noise-subtracted power spectrum")
        w.endObject()
        w.beginObject("summary")
        w.string("flow", analysis.beats.isEmpty ? "absent" : "present")
        w.int("beats", analysis.beats.count)
        number(&w, "pulseRate", analysis.pulseRate, places: 0)
        number(&w, "snrDb", analysis.snrDb, places: 1)
        waveform(&w, "waveform", analysis.waveform)
        w.endObject()
        if let proposal {
            w.beginObject("signalReturn")
            switch proposal {
            case .systolic(let pressure, let time):
                w.string("proposal", "systolic")
                w.int("pressure", Int(pressure.rounded()))
                number(&w, "time", time, places: 3)
            case .noncompressible(let pressure, let time):
                w.string("proposal", "noncompressible")
                w.int("pressure", Int(pressure.rounded()))
                number(&w, "time", time, places: 3)
            case .absent(let time):
                w.string("proposal", "absent")
                number(&w, "time", time, places: 3)
            }
            w.endObject()
        }
        w.beginArray("beats")
        for beat in analysis.beats {
            w.beginObject()
            number(&w, "onset", beat.onset, places: 3)
            number(&w, "peak", beat.peak, places: 3)
            number(&w, "end", beat.end, places: 3)
            number(&w, "peakHz", beat.peakHz, places: 0)
            number(&w, "meanHz", beat.meanHz, places: 0)
            number(&w, "accelerationMs", beat.accelerationMs, places: 0)
            number(&w, "reverseHz", beat.reverseHz, places: 0)
            w.int("components", beat.components)
            w.bool("lateForward", beat.lateForward)
            number(&w, "diastolicFlow", beat.diastolicFlow, places: 2)
            number(&w, "snrDb", beat.snrDb, places: 1)
            w.string("description", WaveformDescription.of(beat).words)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.text + "\n"
    }

    static func waveform(_ w: inout JSONWriter, _ key: String, _ d: WaveformDescription) {
        w.beginObject(key)
        w.string("description", d.words)
        w.string("phasicity", d.phasicity.rawValue)
        w.string("traditional", d.traditional)
        w.string("upstroke", d.upstroke?.rawValue)
        w.string("diastolicFlow", d.diastolicFlow?.rawValue)
        number(&w, "confidence", d.confidence, places: 2)
        w.bool("directionKnown", d.directionKnown)
        w.string("note", d.note)
        w.endObject()
    }

    /// A number with a fixed count of decimals (null when nil).
    static func number(_ w: inout JSONWriter, _ key: String?, _ value: Double?, places: Int) {
        guard let value, value.isFinite else { w.null(key); return }
        var scale = 1.0
        for _ in 0 ..< places { scale *= 10 }
        w.decimal(key, ExactDecimal(significand: Int((value * scale).rounded()), scale: places))
    }
}
