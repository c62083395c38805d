/// The compact human summary printed by `abi calc --format text`: per leg the ABI, category
/// and severity, TBI and WIfI; the flags, most urgent first; the rule set used.
public enum ResultSummary {
    public static func text(_ result: ExamResult) -> String {
        var lines: [String] = []
        lines.append("ABI result for patient \(result.patientId)")
        lines.append("Rules: \(result.options)")
        lines.append("")

        let b = result.brachial
        func mmHg(_ v: Int?) -> String { v.map { "\($0) mmHg" } ?? "—" }
        var arms = "Arms         right \(mmHg(b.right)), left \(mmHg(b.left))"
        if let used = b.used, let side = b.usedSide {
            arms += "; brachial pressure used \(used) mmHg (\(side.word))"
        } else {
            arms += "; no brachial pressure"
        }
        if let d = b.interArmDifference { arms += "; inter-arm difference \(d) mmHg" }
        lines.append(arms)
        if let v = result.vitals {
            var vitals = "Vitals       BP \(v.systolic)/\(v.diastolic) mmHg, pulse pressure \(v.pulsePressure), MAP \(v.map) (\(v.mapSource.rawValue))"
            if let rate = v.pulseRate { vitals += ", pulse \(rate)/min" }
            lines.append(vitals)
        }

        for leg in [result.right, result.left] {
            lines.append("")
            lines.append("\(leg.side.capitalized) leg")
            lines.append("  ABI        " + abiLine(leg, result.options))
            if let a = leg.anklePressure, let artery = leg.ankleArtery {
                lines.append("  Ankle      \(a) mmHg, \(artery.words)")
            }
            if let toe = leg.toePressure {
                var line = "  Toe        \(toe) mmHg"
                if let tbi = leg.tbi {
                    line += ", TBI \(Ratio.text(tbi)) (\(leg.tbiAbnormal == true ? "abnormal, ≤ 0.70" : "normal"))"
                } else {
                    line += ", TBI not calculable (no brachial pressure)"
                }
                lines.append(line)
            } else if leg.toeAbsent {
                lines.append("  Toe        no signal (absent), TBI not calculable")
            }
            lines.append("  WIfI       " + (leg.wifiIschemiaGrade.map { "ischemia grade \($0)" } ?? "no grade (no usable measure)"))
            if let e = leg.exercise {
                var line = "  Exercise   ABI \(Ratio.text(e.abi)) after exercise"
                if let p = e.abiDropPercent { line += ", \(p >= 0 ? "fell \(p)" : "rose \(-p)")%" }
                line += e.positiveByAbi ? " (positive, > 20%)" : " (negative by ABI)"
                line += "; ankle pressure \(e.anklePressureDrop >= 0 ? "fell \(e.anklePressureDrop)" : "rose \(-e.anklePressureDrop)") mmHg"
                line += e.positiveByPressure ? " (positive, > 30 mmHg)" : " (negative by pressure)"
                lines.append(line)
            }
        }
        lines.append("")
        var patientAbi = "Patient ABI  " + (result.patientAbi.map(Ratio.text) ?? "—")
        if let abi = result.patientAbi, ABICategory(abi: abi) == .noncompressible {
            patientAbi += " (above 1.40: does not reflect perfusion)"
        }
        lines.append(patientAbi)

        lines.append("")
        if result.flags.isEmpty {
            lines.append("Flags        none")
        } else {
            lines.append("Flags")
            for f in result.flags {
                lines.append("  \(f.level.rawValue.uppercased().padding(9)) \(f.message)")
            }
        }
        if !result.patterns.isEmpty {
            lines.append("")
            lines.append("Symptom patterns (informational, never a diagnosis)")
            for p in result.patterns {
                lines.append("  \(p.side.capitalized) leg fits the pattern of \(p.pattern.words): \(p.matchedWords.joined(separator: ", "))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func abiLine(_ leg: LegResult, _ options: RuleOptions) -> String {
        if let abi = leg.abi, let category = leg.category {
            var line = "\(Ratio.text(abi))  \(category.rawValue)"
            if let severity = leg.severity { line += ", \(severity.rawValue) (severity scheme \(options.severity.rawValue))" }
            if category == .noncompressible { line += ": above 1.40, does not reflect perfusion" }
            if !options.ankle.isStandard { line += " [NON-STANDARD: lower ankle pressure]" }
            return line
        }
        switch leg.status {
        case .noncompressible: return "not reported: ankle artery noncompressible"
        case .absent: return "not calculable: no ankle signal"
        case .notMeasured: return "not measured"
        case .notCalculable: return leg.anklePressure == nil ? "not calculable: device error at the ankle" : "not calculable: no brachial pressure"
        case .ok: return "—"
        }
    }
}

extension String {
    /// Padded with spaces to `width` characters (unchanged when already that long).
    public func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
