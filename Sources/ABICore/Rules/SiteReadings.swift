/// The readings of an exam grouped by site, with the one that counts at each site (R4).
struct SiteReadings {
    /// The latest reading (highest seq) at each site, indexed by `Site.ordinal`.
    private var latest: [Reading?] = Array(repeating: nil, count: Site.allCases.count)
    /// How many readings each site has.
    private var counts: [Int] = Array(repeating: 0, count: Site.allCases.count)
    /// The brachial reading measured first (lowest seq over both arms), for R5.
    private(set) var firstBrachial: Reading?

    init(_ readings: [Reading]) {
        for reading in readings {
            let i = reading.site.ordinal
            counts[i] += 1
            if let current = latest[i], current.seq >= reading.seq {
                // keep the later one
            } else {
                latest[i] = reading
            }
            if case .brachial = reading.site.kind, firstBrachial.map({ reading.seq < $0.seq }) ?? true {
                firstBrachial = reading
            }
        }
    }

    /// The reading used at a site (R4), or nil when the site has none.
    subscript(site: Site) -> Reading? { latest[site.ordinal] }

    func count(at site: Site) -> Int { counts[site.ordinal] }

    func systolic(_ site: Site) -> Int? { self[site]?.state.systolic }

    /// The ankle pressure of a leg and its artery (R7); nil when neither artery has a numeric pressure.
    /// Ties go to the posterior tibial (R9).
    func anklePressure(_ side: Side, _ method: AnkleMethod) -> (pressure: Int, artery: AnkleArtery)? {
        let pt = systolic(.ankle(side, .posteriorTibial))
        let dp = systolic(.ankle(side, .dorsalisPedis))
        switch (pt, dp) {
        case let (pt?, dp?):
            switch method {
            case .higher: return dp > pt ? (dp, .dorsalisPedis) : (pt, .posteriorTibial)
            case .lower: return dp < pt ? (dp, .dorsalisPedis) : (pt, .posteriorTibial)
            }
        case let (pt?, nil): return (pt, .posteriorTibial)
        case let (nil, dp?): return (dp, .dorsalisPedis)
        case (nil, nil): return nil
        }
    }

    /// B of R6: the higher numeric brachial systolic, with its side (right on a tie).
    var brachialPressure: (pressure: Int, side: Side)? {
        switch (systolic(.rightBrachial), systolic(.leftBrachial)) {
        case let (r?, l?): return l > r ? (l, .left) : (r, .right)
        case let (r?, nil): return (r, .right)
        case let (nil, l?): return (l, .left)
        case (nil, nil): return nil
        }
    }
}

extension Site {
    /// Position in `Site.allCases`, for array-indexed lookups.
    var ordinal: Int {
        switch self {
        case .rightBrachial: 0
        case .leftBrachial: 1
        case .rightPosteriorTibial: 2
        case .rightDorsalisPedis: 3
        case .leftPosteriorTibial: 4
        case .leftDorsalisPedis: 5
        case .rightToe: 6
        case .leftToe: 7
        }
    }
}
