/// The side of the body a site, leg or flag concerns.
public enum Side: String, Sendable, CaseIterable, Hashable {
    case right, left

    public var other: Side { self == .right ? .left : .right }
    /// "right" / "left", for sentences.
    public var word: String { rawValue }
    public var capitalized: String { self == .right ? "Right" : "Left" }
}

/// The two ankle arteries whose pressures give the ankle pressure of a leg (R7).
public enum AnkleArtery: String, Sendable, CaseIterable, Hashable {
    case posteriorTibial, dorsalisPedis

    public var words: String { self == .posteriorTibial ? "posterior tibial" : "dorsalis pedis" }
}

/// A measuring site (RULES R3).
public enum Site: String, Sendable, CaseIterable, Hashable {
    case rightBrachial, leftBrachial
    case rightPosteriorTibial, rightDorsalisPedis
    case leftPosteriorTibial, leftDorsalisPedis
    case rightToe, leftToe

    public enum Kind: Sendable, Hashable {
        case brachial
        case ankle(AnkleArtery)
        case toe
    }

    public var side: Side {
        switch self {
        case .rightBrachial, .rightPosteriorTibial, .rightDorsalisPedis, .rightToe: .right
        case .leftBrachial, .leftPosteriorTibial, .leftDorsalisPedis, .leftToe: .left
        }
    }

    public var kind: Kind {
        switch self {
        case .rightBrachial, .leftBrachial: .brachial
        case .rightPosteriorTibial, .leftPosteriorTibial: .ankle(.posteriorTibial)
        case .rightDorsalisPedis, .leftDorsalisPedis: .ankle(.dorsalisPedis)
        case .rightToe, .leftToe: .toe
        }
    }

    public static func brachial(_ side: Side) -> Site { side == .right ? .rightBrachial : .leftBrachial }
    public static func toe(_ side: Side) -> Site { side == .right ? .rightToe : .leftToe }
    public static func ankle(_ side: Side, _ artery: AnkleArtery) -> Site {
        switch (side, artery) {
        case (.right, .posteriorTibial): .rightPosteriorTibial
        case (.right, .dorsalisPedis): .rightDorsalisPedis
        case (.left, .posteriorTibial): .leftPosteriorTibial
        case (.left, .dorsalisPedis): .leftDorsalisPedis
        }
    }

    /// The site's short code on screens and in `redo`: RB, LB, RPT, RDP, LPT, LDP, RT, LT.
    public var code: String {
        let side = self.side == .right ? "R" : "L"
        switch kind {
        case .brachial: return side + "B"
        case .ankle(.posteriorTibial): return side + "PT"
        case .ankle(.dorsalisPedis): return side + "DP"
        case .toe: return side + "T"
        }
    }

    /// How a clinician names the site: "right brachial", "left dorsalis pedis", "right toe".
    public var words: String {
        switch kind {
        case .brachial: "\(side.word) brachial"
        case .ankle(let artery): "\(side.word) \(artery.words)"
        case .toe: "\(side.word) toe"
        }
    }
}
