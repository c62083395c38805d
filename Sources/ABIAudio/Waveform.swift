/// A waveform described with the 2020 SVM/SVU consensus nomenclature for peripheral arterial
/// Doppler waveforms (Kim ESH et al., Vasc Med 2020;25:484–506), with the older triphasic and
/// biphasic words that many reports still use. The rule is in docs/doppler.md.
public struct WaveformDescription: Sendable, Equatable, Codable {
    public enum Phasicity: String, Sendable, Codable {
        /// Flow changes direction within the cycle (forward, then reverse, perhaps forward again).
        case multiphasic
        /// Flow in one direction through the cycle.
        case monophasic
        /// No flow heard.
        case absent
        /// Mono sound with more than one component per cycle: a reversal cannot be told from a
        /// second forward component without the Doppler's direction (stereo) output.
        case undetermined
    }
    public enum Upstroke: String, Sendable, Codable { case sharp, prolonged }
    public enum DiastolicFlow: String, Sendable, Codable { case continuous, absent }

    public var phasicity: Phasicity
    /// triphasic or biphasic (multiphasic only).
    public var traditional: String?
    /// Monophasic only: the systolic upstroke (prolonged: an acceleration time of 100 ms or more
    /// from 10% of the rise, about 120 ms from the onset of a smooth upstroke).
    public var upstroke: Upstroke?
    /// Monophasic only: whether forward flow goes on through diastole.
    public var diastolicFlow: DiastolicFlow?
    /// The share of beats that agree with the description (0–1).
    public var confidence: Double
    /// Whether the sound told flow direction (stereo input).
    public var directionKnown: Bool
    /// What the description could not say, in words.
    public var note: String?
    /// Why the waveform is not determined, in a few words (for `undetermined`).
    public var reason: String?

    /// The description in the words a report uses: "multiphasic (triphasic)",
    /// "monophasic, prolonged upstroke, continuous diastolic flow", "absent".
    public var words: String {
        switch phasicity {
        case .absent: return "absent"
        case .multiphasic: return traditional.map { "multiphasic (\($0))" } ?? "multiphasic"
        case .undetermined: return "not determined (\(reason ?? "too few beats"))"
        case .monophasic:
            var parts = ["monophasic"]
            if let upstroke { parts.append("\(upstroke.rawValue) upstroke") }
            if let diastolicFlow { parts.append(diastolicFlow == .continuous ? "continuous diastolic flow" : "no diastolic flow") }
            return parts.joined(separator: ", ")
        }
    }

    /// The acceleration time from which an upstroke is prolonged (ms), measured from 10% of the
    /// rise (robust to noise at the foot) to the peak. A pedal acceleration time above 120 ms
    /// from the onset is abnormal (Sommerset J et al., Ann Vasc Surg 2019); for a smooth
    /// upstroke, 10% of the rise is reached at a fifth of it, so 120 ms from the onset is about
    /// 100 ms from there.
    public static let prolongedUpstrokeMs = 100.0

    /// One beat's description.
    public static func of(_ beat: Beat) -> WaveformDescription {
        let stereo = beat.reverseHz != nil
        if let reverse = beat.reverseHz, reverse >= 0.1 * beat.peakHz {
            return WaveformDescription(phasicity: .multiphasic, traditional: beat.lateForward == true ? "triphasic" : "biphasic",
                                       confidence: 1, directionKnown: true)
        }
        if !stereo && beat.components > 1 {
            return WaveformDescription(phasicity: .undetermined, confidence: 1, directionKnown: false,
                                       note: "\(beat.components) components per cycle; a mono Doppler output cannot tell reverse flow from forward",
                                       reason: "mono sound: reverse flow cannot be told")
        }
        return WaveformDescription(phasicity: .monophasic,
                                   upstroke: beat.accelerationMs >= prolongedUpstrokeMs ? .prolonged : .sharp,
                                   diastolicFlow: beat.diastolicFlow >= 0.8 ? .continuous : .absent,
                                   confidence: 1, directionKnown: stereo,
                                   note: stereo ? nil : "mono sound: no reverse flow component heard")
    }

    /// The description of a site from its beats: the most common beat description, with the share
    /// that agree as the confidence. No beats: absent.
    public static func summary(of beats: [Beat], stereo: Bool) -> WaveformDescription {
        guard !beats.isEmpty else {
            return WaveformDescription(phasicity: .absent, confidence: 1, directionKnown: stereo, note: "no flow heard above the noise")
        }
        var counts: [String: (Int, WaveformDescription)] = [:]
        var order: [String] = []
        for beat in beats {
            let d = of(beat)
            if counts[d.words] == nil { order.append(d.words) }
            counts[d.words, default: (0, d)].0 += 1
        }
        let best = order.max { counts[$0]!.0 < counts[$1]!.0 }!
        var d = counts[best]!.1
        d.confidence = (Double(counts[best]!.0) / Double(beats.count) * 100).rounded() / 100
        if beats.count < 3 {
            d.note = [d.note, "only \(beats.count) beat\(beats.count == 1 ? "" : "s") heard"].compactMap { $0 }.joined(separator: "; ")
        }
        return d
    }
}
