/// The measuring sequence of a bedside capture (AHA 2012, R5): the first arm, its PT and DP,
/// the other PT and DP, the other arm; the first-arm repeat when R5 asks for it; then the toes,
/// which are optional. The next step is worked out from the readings recorded so far, so a
/// session stopped at any point (a crash, `kill -9`, a pulled cable) continues at the right site.
public struct MeasuringSequence: Sendable, Hashable {
    public var firstArm: Side

    public init(firstArm: Side) { self.firstArm = firstArm }

    public enum Step: Sendable, Hashable {
        /// Measure this site (one of the six of the sequence, or a toe).
        case measure(Site)
        /// R5: the first arm read more than 10 mmHg above the other; repeat it.
        case repeatFirstArm(Site)
        /// Nothing more to ask.
        case done

        public var site: Site? {
            switch self {
            case .measure(let site), .repeatFirstArm(let site): site
            case .done: nil
            }
        }
    }

    /// The six sites every exam asks for, in order.
    public var sites: [Site] {
        [.brachial(firstArm), .ankle(firstArm, .posteriorTibial), .ankle(firstArm, .dorsalisPedis),
         .ankle(firstArm.other, .posteriorTibial), .ankle(firstArm.other, .dorsalisPedis), .brachial(firstArm.other)]
    }

    /// Whether R5 asks for the first arm to be repeated, given the readings so far: the first arm
    /// has a single reading that exceeds the other arm's by more than 10 mmHg.
    public func repeatNeeded(_ readings: [Reading]) -> Bool {
        let first = readings.filter { $0.site == .brachial(firstArm) }
        let other = readings.filter { $0.site == .brachial(firstArm.other) }.max { $0.seq < $1.seq }
        guard first.count == 1, let a = first[0].state.systolic, let b = other?.state.systolic else { return false }
        return a - b > 10
    }

    /// The next step.
    /// - Parameters:
    ///   - readings: the rest readings recorded so far.
    ///   - repeatDeclined: the operator chose to keep the single first-arm reading.
    ///   - toes: whether toe pressures are taken in this session.
    public func next(_ readings: [Reading], repeatDeclined: Bool, toes: Bool) -> Step {
        let done = Set(readings.map(\.site))
        for site in sites where !done.contains(site) { return .measure(site) }
        if !repeatDeclined && repeatNeeded(readings) { return .repeatFirstArm(.brachial(firstArm)) }
        if toes {
            for side in [Side.right, .left] where !done.contains(.toe(side)) { return .measure(.toe(side)) }
        }
        return .done
    }
}
