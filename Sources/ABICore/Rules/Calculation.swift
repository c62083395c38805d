extension Exam {
    /// Applies the rule set (RULES R4–R18, flags and symptom patterns) to this exam.
    ///
    /// Every ratio is computed in integers (R8); no floating point enters any value.
    /// - Parameter options: ankle method and severity scheme; the guideline defaults when omitted.
    /// - Returns: the `abi-result/1` content.
    public func result(options: RuleOptions = .standard) -> ExamResult {
        let sites = SiteReadings(readings)
        let brachial = Exam.brachialResult(sites)
        let b = brachial.used

        var right = Exam.legResult(.right, sites, b, options)
        var left = Exam.legResult(.left, sites, b, options)

        if let post = postExercise, let b {
            let postSites = SiteReadings(post.readings)
            let bPost = postSites.brachialPressure?.pressure ?? b
            right.exercise = Exam.exerciseResult(right, postSites.anklePressure(.right, options.ankle), bPost)
            left.exercise = Exam.exerciseResult(left, postSites.anklePressure(.left, options.ankle), bPost)
        }

        // R15: the lower of the two legs' ABIs.
        let abis = [right.abi, left.abi].compactMap { $0 }
        let patientAbi = abis.min()

        var flags: [Flag] = []
        let rules = FlagRules(exam: self, sites: sites, brachial: brachial, options: options)
        rules.raise(into: &flags, right: right, left: left)
        flags.sort { a, b in
            if a.level != b.level { return a.level < b.level }
            if a.code != b.code { return a.code.ordinal < b.code.ordinal }
            return Exam.sideRank(a.side) < Exam.sideRank(b.side)
        }

        return ExamResult(
            patientId: patient.id,
            options: options,
            brachial: brachial,
            right: right,
            left: left,
            patientAbi: patientAbi,
            vitals: Exam.vitals(sites, brachial),
            flags: flags,
            patterns: symptoms.map(Exam.patterns) ?? []
        )
    }

    static func sideRank(_ side: Side?) -> Int {
        switch side {
        case .right: 0
        case .left: 1
        case nil: 2
        }
    }

    // MARK: R6, R13

    static func brachialResult(_ sites: SiteReadings) -> BrachialResult {
        let r = sites.systolic(.rightBrachial)
        let l = sites.systolic(.leftBrachial)
        let used = sites.brachialPressure
        var difference: Int?
        if let r, let l { difference = abs(r - l) }
        return BrachialResult(right: r, left: l, used: used?.pressure, usedSide: used?.side, interArmDifference: difference)
    }

    // MARK: R7, R9–R12, R14

    static func legStatus(_ side: Side, _ sites: SiteReadings, brachialAvailable: Bool) -> LegStatus {
        let states = AnkleArtery.allCases.map { sites[.ankle(side, $0)]?.state }
        func any(_ test: (ReadingState) -> Bool) -> Bool { states.contains { $0.map(test) ?? false } }
        if any({ if case .noncompressible = $0 { true } else { false } }) { return .noncompressible }
        if any({ if case .numeric = $0 { true } else { false } }) { return brachialAvailable ? .ok : .notCalculable }
        let absentOrUnmeasured = states.allSatisfy { state in
            switch state {
            case nil, .absent?, .notMeasured?: true
            default: false
            }
        }
        if any({ $0 == .absent }) && absentOrUnmeasured { return .absent }
        if any({ if case .deviceError = $0 { true } else { false } }) { return .notCalculable }
        return .notMeasured
    }

    static func legResult(_ side: Side, _ sites: SiteReadings, _ b: Int?, _ options: RuleOptions) -> LegResult {
        let status = legStatus(side, sites, brachialAvailable: b != nil)
        var leg = LegResult(side: side, status: status, toeAbsent: false)

        if status != .noncompressible, let ankle = sites.anklePressure(side, options.ankle) {
            leg.anklePressure = ankle.pressure
            leg.ankleArtery = ankle.artery
        }
        if status == .ok, let a = leg.anklePressure, let b {
            let abi = Ratio.hundredths(a, over: b)
            leg.abi = abi
            leg.category = ABICategory(abi: abi)
            leg.severity = Severity(abi: abi, scheme: options.severity)
        } else if status == .noncompressible {
            leg.category = .noncompressible
        }

        // R12: toe pressure and TBI.
        switch sites[.toe(side)]?.state {
        case .numeric(let toe)?:
            leg.toePressure = toe.systolic.mmHg
            if let b {
                let tbi = Ratio.hundredths(toe.systolic.mmHg, over: b)
                leg.tbi = tbi
                leg.tbiAbnormal = tbi <= 70
            }
        case .absent?:
            leg.toeAbsent = true
        default:
            break
        }

        leg.wifiIschemiaGrade = wifiIschemiaGrade(leg)
        return leg
    }

    /// R14: the most severe WIfI ischemia grade among the measures available.
    static func wifiIschemiaGrade(_ leg: LegResult) -> Int? {
        var grades: [Int] = []
        if leg.perfusionMeasuresUsable, let abi = leg.abi, let a = leg.anklePressure {
            grades.append(abi >= 80 ? 0 : abi >= 60 ? 1 : abi >= 40 ? 2 : 3)
            // 70 mmHg is grade 1: the published table lists it in both 1 and 2.
            grades.append(a > 100 ? 0 : a >= 70 ? 1 : a >= 50 ? 2 : 3)
        }
        if let toe = leg.toePressure {
            grades.append(toe >= 60 ? 0 : toe >= 40 ? 1 : toe >= 30 ? 2 : 3)
        } else if leg.toeAbsent {
            grades.append(3)
        }
        return grades.max()
    }

    // MARK: R16

    static func exerciseResult(_ leg: LegResult, _ postAnkle: (pressure: Int, artery: AnkleArtery)?, _ bPost: Int) -> ExerciseResult? {
        guard leg.perfusionMeasuresUsable, let abi = leg.abi, let a = leg.anklePressure, let aPost = postAnkle?.pressure else {
            return nil
        }
        let abiPost = Ratio.hundredths(aPost, over: bPost)
        let fall = abi - abiPost
        var percent: Int?
        if abi > 0 {
            // |fall|·100 / abi rounded half-up on the magnitude, then signed.
            let magnitude = (2 * abs(fall) * 100 + abi) / (2 * abi)
            percent = fall < 0 ? -magnitude : magnitude
        }
        let pressureDrop = a - aPost
        return ExerciseResult(
            abi: abiPost,
            abiDropPercent: percent,
            anklePressureDrop: pressureDrop,
            positiveByAbi: fall * 100 > 20 * abi,
            positiveByPressure: pressureDrop > 30
        )
    }

    // MARK: R17

    static func vitals(_ sites: SiteReadings, _ brachial: BrachialResult) -> Vitals? {
        guard let side = brachial.usedSide, case .numeric(let p)? = sites[.brachial(side)]?.state,
              let diastolic = p.diastolic?.mmHg else { return nil }
        let systolic = p.systolic.mmHg
        let pulsePressure = systolic - diastolic
        let map: Int
        let source: Vitals.MeanSource
        if let measured = p.map {
            map = measured.mmHg
            source = .measured
        } else {
            // DBP + PP/3, rounded half-up: (3·DBP + PP)/3 → (2·(3·DBP + PP) + 3) / 6.
            map = (2 * (3 * diastolic + pulsePressure) + 3) / 6
            source = .estimated
        }
        return Vitals(systolic: systolic, diastolic: diastolic, pulsePressure: pulsePressure,
                      map: map, mapSource: source, pulseRate: p.pulse?.perMinute)
    }

    // MARK: Symptom patterns

    static func patterns(_ symptoms: Symptoms) -> [PatternMatch] {
        var matches: [PatternMatch] = []
        for pattern in SymptomPattern.allCases {
            for side in [Side.right, .left] {
                let leg = symptoms[side]
                var matched: [String] = []
                func sign(_ s: LegSign) { if leg.has(s) { matched.append(s.rawValue) } }
                switch pattern {
                case .ischemicRestPain:
                    [.restPain, .reliefOnDependency, .burning, .nightOnset, .shinySkin, .coolness].forEach(sign)
                    if leg.hasNonHealingWound { matched.append("nonHealingWound") }
                case .nerveRootCompression:
                    [.shootingPain, .numbness].forEach(sign)
                    if symptoms.radiatesFromBack == true { matched.append("radiatesFromBack") }
                case .nocturnalCramp:
                    [.briefSpasm, .nightOnset].forEach(sign)
                case .restlessLegs:
                    [.urgeToMove, .reliefByMoving].forEach(sign)
                case .deepVeinThrombosis:
                    [.swelling, .warmth, .redness].forEach(sign)
                }
                if matched.count >= 2 {
                    matches.append(PatternMatch(pattern: pattern, side: side, matched: matched.sorted()))
                }
            }
        }
        return matches
    }
}

extension FlagCode {
    var ordinal: Int { FlagCode.allCases.firstIndex(of: self)! }
}
