/// The flags of docs/rules.md, each raised by its own trigger.
///
/// The ABI and ankle pressure enter a flag only when the leg's perfusion measures are usable
/// (status ok, category not noncompressible): a calcified vessel's pressure says nothing about perfusion.
struct FlagRules {
    let exam: Exam
    let sites: SiteReadings
    let brachial: BrachialResult
    let options: RuleOptions

    func raise(into flags: inout [Flag], right: LegResult, left: LegResult) {
        for leg in [right, left] {
            legFlags(leg, into: &flags)
        }
        suspectedDVT(into: &flags)
        armFlags(into: &flags)
        for leg in [right, left] {
            abiChange(leg, into: &flags)
            if let exercise = leg.exercise, exercise.positiveByAbi || exercise.positiveByPressure {
                var criteria: [String] = []
                if exercise.positiveByAbi, let percent = exercise.abiDropPercent {
                    criteria.append("ABI fell \(percent)% (more than 20%)")
                }
                if exercise.positiveByPressure {
                    criteria.append("ankle pressure fell \(exercise.anklePressureDrop) mmHg (more than 30)")
                }
                flags.append(Flag(.exercisePositive, .info, side: leg.side,
                                  "Exercise test positive, \(leg.side.word) leg: \(listed(criteria)); ABI \(Ratio.text(leg.abi ?? 0)) at rest, \(Ratio.text(exercise.abi)) after exercise."))
            }
        }
    }

    private func legFlags(_ leg: LegResult, into flags: inout [Flag]) {
        let side = leg.side
        let symptoms = exam.symptoms?[side] ?? LegSymptoms()
        let legWords = "\(side.word) leg"

        // Acute limb ischemia: sudden onset within 14 days with one of the Ps on that leg.
        if let days = exam.symptoms?.acuteOnsetDays, days <= ExactDecimal(14) {
            let signs: [LegSign] = [.paralysis, .paresthesia, .pallor, .pulselessness, .coolness]
            let present = signs.filter(symptoms.has)
            if !present.isEmpty {
                flags.append(Flag(.acuteLimbIschemia, .emergency, side: side,
                                  "Possible acute limb ischemia, \(legWords): sudden onset \(days) days ago with \(listed(present.map(\.words))). Emergency vascular referral."))
            }
        }

        // Limb at risk: cannot move the foot, or blue or black toes.
        var atRisk: [String] = []
        if symptoms.has(.paralysis) { atRisk.append("cannot move the foot") }
        if let colour = symptoms.toeDiscoloration { atRisk.append("\(colour.rawValue) toe discoloration") }
        if !atRisk.isEmpty {
            flags.append(Flag(.limbAtRisk, .urgent, side: side,
                              "Limb at risk, \(legWords): \(listed(atRisk)). Urgent vascular assessment."))
        }

        // CLTI suspected (v2, GVG): tissue loss with any PAD evidence, or rest pain with ischemia
        // in the range of rest pain. Rest pain outside that range points elsewhere (info).
        var evidence: [String] = []
        if leg.category == .abnormal, let abi = leg.abi { evidence.append("ABI \(Ratio.text(abi))") }
        if leg.tbiAbnormal == true, let tbi = leg.tbi { evidence.append("TBI \(Ratio.text(tbi))") }
        if leg.perfusionMeasuresUsable, let a = leg.anklePressure, a < 50 { evidence.append("ankle pressure \(a) mmHg") }
        if let toe = leg.toePressure, toe < 30 { evidence.append("toe pressure \(toe) mmHg") }
        if leg.toeAbsent { evidence.append("no toe signal") }
        if leg.status == .absent { evidence.append("no ankle signal") }
        var restPainRange: [String] = []
        if leg.status == .absent { restPainRange.append("no ankle signal") }
        if leg.perfusionMeasuresUsable, let a = leg.anklePressure, a < 50 { restPainRange.append("ankle pressure \(a) mmHg") }
        if leg.perfusionMeasuresUsable, let abi = leg.abi, abi < 40 { restPainRange.append("ABI \(Ratio.text(abi))") }
        if let toe = leg.toePressure, toe < 30 { restPainRange.append("toe pressure \(toe) mmHg") }
        if leg.toeAbsent { restPainRange.append("no toe signal") }
        var tissueLoss: [String] = []
        if symptoms.hasNonHealingWound, let weeks = symptoms.woundWeeks { tissueLoss.append("a wound open \(weeks) weeks") }
        if symptoms.has(.gangrene) { tissueLoss.append("gangrene") }
        let restPain = symptoms.has(.restPain)
        if !tissueLoss.isEmpty && !evidence.isEmpty {
            flags.append(Flag(.cltiSuspected, .urgent, side: side,
                              "Suspected chronic limb-threatening ischemia, \(legWords): \(listed(tissueLoss)) with \(listed(evidence))\(restPain ? ", and rest pain" : ""). Urgent vascular referral."))
        } else if restPain && !restPainRange.isEmpty {
            flags.append(Flag(.cltiSuspected, .urgent, side: side,
                              "Suspected chronic limb-threatening ischemia, \(legWords): rest pain with \(listed(restPainRange)), in the range of ischemic rest pain. Urgent vascular referral."))
        } else if restPain, (leg.status == .ok && leg.perfusionMeasuresUsable && leg.anklePressure != nil) || leg.toePressure != nil || leg.toeAbsent {
            flags.append(Flag(.restPainWithoutSevereIschemia, .info, side: side,
                              "Rest pain, \(legWords), without pressures in the range of ischemic rest pain: consider nerve-root compression, neuropathy, night cramps or restless legs\(leg.toePressure == nil ? "; measure the toe pressure" : "")."))
        }

        if leg.status == .absent {
            flags.append(Flag(.absentAnkleSignals, .urgent, side: side,
                              "No Doppler signal at the \(side.word) ankle arteries: the ABI cannot be calculated. Urgent vascular assessment."))
        }
        if leg.perfusionMeasuresUsable, let a = leg.anklePressure, a < 50 {
            flags.append(Flag(.anklePressureBelow50, .urgent, side: side,
                              "\(side.capitalized) ankle pressure \(a) mmHg, below 50 mmHg: severe ischemia."))
        }
        if let toe = leg.toePressure, toe < 30 {
            flags.append(Flag(.toePressureBelow30, .urgent, side: side,
                              "\(side.capitalized) toe pressure \(toe) mmHg, below 30 mmHg: poor wound-healing potential."))
        } else if leg.toeAbsent {
            flags.append(Flag(.toePressureBelow30, .urgent, side: side,
                              "No measurable \(side.word) toe pressure (signal absent): poor wound-healing potential."))
        }
        if leg.perfusionMeasuresUsable, let abi = leg.abi, abi < 40 {
            flags.append(Flag(.abiBelow040, .urgent, side: side,
                              "\(side.capitalized) ABI \(Ratio.text(abi)), below 0.40: severe ischemia."))
        }
        if let toe = leg.toePressure, let b = brachial.used, toe > b {
            flags.append(Flag(.toePressureImplausible, .warning, side: side,
                              "\(side.capitalized) toe pressure \(toe) mmHg is above the brachial pressure \(b) mmHg (TBI above 1.00): re-measure; calcified digital arteries or a measurement error."))
        }
        let missing = MeasuringSequence(firstArm: .right).sites.filter { $0.side == side && sites[$0] == nil }
        if !missing.isEmpty {
            flags.append(Flag(.incompleteExam, .warning, side: side,
                              "Incomplete exam, \(side.word) side: no reading at the \(listed(missing.map(\.words))), not even \"not measured\" with a reason. Measure it, or record why not."))
        }
        if leg.category == .noncompressible {
            switch sites[.toe(side)]?.state {
            case .numeric?, .absent?:
                break
            default:
                flags.append(Flag(.noncompressibleNeedsTBI, .warning, side: side,
                                  "\(side.capitalized) ankle arteries are noncompressible: the ABI does not reflect perfusion. Measure the toe pressure (TBI)."))
            }
        }
        let failed = AnkleArtery.allCases.compactMap { artery -> String? in
            guard case .deviceError(let code, _)? = sites[.ankle(side, artery)]?.state else { return nil }
            return artery.words + (code.map { " (code \($0))" } ?? "")
        }
        if !failed.isEmpty {
            flags.append(Flag(.deviceErrorPossiblePAD, .warning, side: side,
                              "The device failed at the \(side.word) \(failed.joined(separator: " and ")): oscillometric failures cluster in PAD legs. Retest with Doppler."))
        }
    }

    /// Suspected DVT: swelling with warmth or redness on a leg, or a Wells score of 2 or more
    /// (then on the one swollen leg, else with no side).
    private func suspectedDVT(into flags: inout [Flag]) {
        guard let symptoms = exam.symptoms else { return }
        var flagged: [Side] = []
        for side in [Side.right, .left] {
            let leg = symptoms[side]
            guard leg.has(.swelling) && (leg.has(.warmth) || leg.has(.redness)) else { continue }
            flagged.append(side)
            let with = [LegSign.warmth, .redness].filter(leg.has).map(\.words).joined(separator: " and ")
            flags.append(Flag(.suspectedDVT, .urgent, side: side,
                              "Suspected deep vein thrombosis, \(side.word) leg: swelling with \(with). Do not inflate an ankle cuff on that leg; arrange duplex ultrasound."))
        }
        if let wells = symptoms.wellsScore, wells >= 2, flagged.isEmpty {
            let swollen = [Side.right, .left].filter { symptoms[$0].has(.swelling) }
            let side = swollen.count == 1 ? swollen[0] : nil
            let cuff = side.map { " Do not inflate an ankle cuff on the \($0.word) leg." } ?? " Do not inflate an ankle cuff on a leg suspected of DVT."
            flags.append(Flag(.suspectedDVT, .urgent, side: side,
                              "Suspected deep vein thrombosis: Wells score \(wells) (2 or more, DVT likely).\(cuff)"))
        }
    }

    /// R5, R6, R13.
    private func armFlags(into flags: inout [Flag]) {
        if let difference = brachial.interArmDifference, difference > 15, let r = brachial.right, let l = brachial.left {
            let lower: Side = r < l ? .right : .left
            flags.append(Flag(.interArmDifference, .warning, side: lower,
                              "Inter-arm difference \(difference) mmHg (more than 15): possible subclavian stenosis, \(lower.word)."))
        }
        if let first = sites.firstBrachial, let firstValue = first.state.systolic,
           let other = sites.systolic(.brachial(first.site.side.other)),
           firstValue - other > 10, sites.count(at: first.site) == 1 {
            let side = first.site.side
            flags.append(Flag(.firstArmRepeatRequired, .warning, side: side,
                              "The first arm measured (\(side.word), \(firstValue) mmHg) read more than 10 mmHg above the \(side.other.word) arm (\(other) mmHg) and was not repeated: repeat the \(side.word) arm. The single reading was used."))
        }
        if (brachial.right == nil) != (brachial.left == nil), let used = brachial.used, let side = brachial.usedSide {
            let other = sites[.brachial(side.other)].map { ExamSiteWords.reason($0.state) } ?? "not recorded"
            flags.append(Flag(.singleArmBrachial, .info, side: side,
                              "The brachial pressure (\(used) mmHg) is from the \(side.word) arm only (\(side.other.word): \(other)): a narrowing of that arm's artery would make every ABI read high."))
        }
        if brachial.used == nil {
            flags.append(Flag(.noBrachialPressure, .warning, side: nil,
                              "No brachial pressure: no ABI or TBI can be calculated. Measure at least one arm."))
        }
    }

    /// R18: change since the most recent earlier exam beyond the minimal detectable change.
    private func abiChange(_ leg: LegResult, into flags: inout [Flag]) {
        guard leg.perfusionMeasuresUsable, let abi = leg.abi else { return }
        guard let prior = exam.mostRecentPrior else { return }
        if let flag = AbiChange.flag(leg.side, from: prior, to: abi, at: exam.details.performedAt, diabetes: exam.patient.diabetes == true) { flags.append(flag) }
    }
}

/// R18, on its own so that the patient store's history applies exactly the rule the result does.
public enum AbiChange {
    /// The minimal detectable change of the ABI, in hundredths.
    public static func minimalDetectableChange(diabetes: Bool) -> Int { diabetes ? 11 : 8 }

    /// The `abi-change` flag for one leg whose usable ABI is `abi` at `now`, against `prior` (the
    /// most recent earlier exam), or nil when the change is within the measurement error or the
    /// prior exam has no ABI for that leg.
    public static func flag(_ side: Side, from prior: PriorExam, to abi: Int, at now: Timestamp?, diabetes: Bool) -> Flag? {
        guard let before = prior.abi(side) else { return nil }
        let change = abi - before
        let mdc = minimalDetectableChange(diabetes: diabetes)
        guard abs(change) > mdc else { return nil }
        // v2: a rise is good news (after revascularisation, say): info whatever its size.
        let level: FlagLevel = change < -15 ? .warning : .info
        let direction = change < 0 ? "fell" : "rose"
        return Flag(.abiChange, level, side: side,
                    "\(side.capitalized) ABI \(direction) from \(Ratio.text(before)) on \(prior.performedAt.datePart) to \(Ratio.text(abi)) \(now.map { "on \($0.datePart)" } ?? "in this exam (date not recorded)") (change \(Ratio.text(abs(change))), beyond the minimal detectable change of \(Ratio.text(mdc))\(diabetes ? " with diabetes" : "")).")
    }
}

/// How a site's reading reads in a flag message.
public enum ExamSiteWords {
    /// Why a site gives no pressure, in words ("not measured, mastectomy", "no signal"), or its pressure.
    public static func reason(_ state: ReadingState) -> String {
        switch state {
        case .notMeasured(let reason): "not measured, \(reason)"
        case .absent: "no signal"
        case .noncompressible: "noncompressible"
        case .deviceError: "device error"
        case .numeric(let p): "\(p.systolic.mmHg) mmHg"
        }
    }
}

/// "a", "a and b", "a, b and c".
public func listed(_ items: [String]) -> String {
    switch items.count {
    case 0: ""
    case 1: items[0]
    default: items.dropLast().joined(separator: ", ") + " and " + items.last!
    }
}
