/// The named, versioned rule set the calculations implement (`docs/rules.md`).
public enum RuleSet {
    public static let name = "acc-aha-2016"
    public static let version = 2
}

/// Which ankle artery pressure is the numerator of a leg's ABI (R7).
public enum AnkleMethod: String, Sendable, CaseIterable, Hashable {
    /// The higher of DP and PT: the guideline method.
    case higher
    /// The lower of DP and PT (the "LABI" variant): more sensitive, not the guideline method.
    case lower

    public var isStandard: Bool { self == .higher }
}

/// The named band set used to grade an abnormal ABI (R11).
public enum SeverityScheme: String, Sendable, CaseIterable, Hashable {
    /// 0.70–0.90 mild, 0.40–0.69 moderate, below 0.40 severe.
    case common
    /// 0.50–0.90 mild-moderate, below 0.50 severe.
    case nice
}

/// The options of a calculation. Every result and report names them.
public struct RuleOptions: Sendable, Hashable, CustomStringConvertible {
    public var ankle: AnkleMethod
    public var severity: SeverityScheme

    /// The version of the rule set a result was calculated with: the one in force, or for a
    /// signed exam the one it was signed under.
    public var version: Int = RuleSet.version

    public init(ankle: AnkleMethod = .higher, severity: SeverityScheme = .common) {
        self.ankle = ankle
        self.severity = severity
    }

    public static let standard = RuleOptions()

    /// "acc-aha-2016 v2, ankle=higher, severity=common", with a non-standard label when it applies.
    public var description: String {
        let label = "\(RuleSet.name) v\(version), ankle=\(ankle.rawValue), severity=\(severity.rawValue)"
        return ankle.isStandard ? label : label + " (NON-STANDARD: lower ankle pressure, not the guideline method)"
    }
}

/// Exact ratio arithmetic in hundredths (R8).
public enum Ratio {
    /// `numerator / denominator` rounded half-up to two decimals, as an integer count of hundredths:
    /// `(200·A + B) / (2·B)` in integer division. 199/200 → 100, 181/200 → 91, 141/200 → 71.
    /// - Precondition: `denominator > 0`, `numerator >= 0`.
    public static func hundredths(_ numerator: Int, over denominator: Int) -> Int {
        precondition(denominator > 0 && numerator >= 0, "ratio needs a positive denominator")
        return (200 * numerator + denominator) / (2 * denominator)
    }

    /// A whole number of hundredths written with two decimals: 95 → "0.95", 110 → "1.10".
    public static func text(_ hundredths: Int) -> String {
        let m = hundredths.magnitude
        let frac = m % 100
        return (hundredths < 0 ? "-" : "") + "\(m / 100)." + (frac < 10 ? "0" : "") + "\(frac)"
    }
}
