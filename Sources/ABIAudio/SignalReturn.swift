/// What the Doppler's sound proposes for a site during one inflation of the cuff.
public enum ReturnProposal: Sendable, Equatable {
    /// Flow returned: the cuff pressure at the first of two consecutive beats (mmHg), and when.
    case systolic(pressure: Double, time: Double)
    /// No flow by the time the cuff was let down.
    case absent(time: Double)
    /// Flow went on at the highest cuff pressure (mmHg): the artery did not close.
    case noncompressible(pressure: Double, time: Double)

    public var time: Double {
        switch self {
        case .systolic(_, let t), .absent(let t), .noncompressible(_, let t): t
        }
    }
}

/// Finds the signal return during a cuff deflation: the beats from the sound, the pressures from
/// the manometer, both on one clock (seconds). One proposal per inflation:
/// - two consecutive beats (the second within 1.6 s of the first, so a pulse of 38/min or more)
///   while the cuff is let down: the cuff pressure at the first beat's onset is the systolic;
/// - those two beats while the cuff is within 5 mmHg of its highest: noncompressible there;
/// - the cuff let down below 20 mmHg with no return: absent.
/// Beats while the cuff is being pumped up say nothing and are ignored; a lone beat (an artefact,
/// a bump of the probe) is dropped when no second beat follows.
public struct SignalReturnDetector: Sendable {
    var cuff: [(time: Double, pressure: Double)] = []
    var highest = 0.0
    var candidate: (time: Double, pressure: Double, atTop: Bool)?
    public private(set) var proposal: ReturnProposal?
    /// The first of the two beats of the proposal (s).
    public private(set) var firstBeat: Double?

    /// The longest gap between the two beats of a return (s).
    public static let longestInterval = 1.6
    /// Below this the cuff is let down (mmHg).
    public static let letDown = 20.0

    public init() {}

    /// A cuff pressure from the manometer. Returns a proposal when this reading makes one.
    public mutating func cuffPressure(_ pressure: Double, at time: Double) -> ReturnProposal? {
        if let last = cuff.last, pressure > last.pressure + 10, proposal != nil || last.pressure < Self.letDown {
            // Pumped up again: a new inflation, a new proposal.
            cuff.removeAll()
            highest = 0
            candidate = nil
            proposal = nil
            firstBeat = nil
        }
        cuff.append((time, pressure))
        if cuff.count > 400 { cuff.removeFirst(cuff.count - 400) }
        highest = max(highest, pressure)
        if let c = candidate, time - c.time > Self.longestInterval { candidate = nil }
        if proposal == nil && highest >= 60 && pressure < Self.letDown && candidate == nil {
            proposal = .absent(time: time)
            return proposal
        }
        return nil
    }

    /// A beat's flow began at `time`. Returns a proposal when this beat makes one.
    public mutating func beatOnset(at time: Double) -> ReturnProposal? {
        guard proposal == nil, let pressure = pressure(at: time), pressure >= Self.letDown, !rising(at: time) else { return nil }
        let atTop = pressure >= highest - 5
        if let c = candidate, time - c.time <= Self.longestInterval, time - c.time >= 0.3 {
            candidate = nil
            firstBeat = c.time
            proposal = c.atTop && atTop ? .noncompressible(pressure: highest, time: time) : .systolic(pressure: c.pressure, time: time)
            return proposal
        }
        candidate = (time, pressure, atTop)
        return nil
    }

    /// The cuff pressure at `time`, between the readings around it (nil before the first).
    func pressure(at time: Double) -> Double? {
        guard let first = cuff.first, time >= first.time else { return nil }
        guard let after = cuff.firstIndex(where: { $0.time >= time }) else { return cuff.last!.pressure }
        if after == 0 { return cuff[0].pressure }
        let a = cuff[after - 1], b = cuff[after]
        return b.time == a.time ? b.pressure : a.pressure + (b.pressure - a.pressure) * (time - a.time) / (b.time - a.time)
    }

    /// Whether the cuff was being pumped up at `time` (more than 2 mmHg higher in the 0.5 s after).
    func rising(at time: Double) -> Bool {
        guard let now = pressure(at: time) else { return false }
        let later = cuff.filter { $0.time > time && $0.time <= time + 0.5 }
        return later.contains { $0.pressure > now + 2 }
    }
}
