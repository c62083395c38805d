import ABICore

/// The report as CSV (RFC 4180): one row per leg per exam, for research export.
///
/// Columns, in order: patient_id (or its keyed pseudonym), exam_id, version, exam_status,
/// performed_at (UTC), age_at_exam, sex, diabetes, side, status, ankle_pressure_mmhg, ankle_artery,
/// abi, category, severity, severity_scheme, toe_pressure_mmhg, tbi, tbi_abnormal,
/// wifi_ischemia_grade, brachial_used_mmhg, brachial_side, inter_arm_difference_mmhg,
/// exercise_abi, exercise_abi_drop_percent, exercise_ankle_pressure_drop_mmhg,
/// exercise_positive_by_abi, exercise_positive_by_pressure, flags (codes separated by `;`),
/// rule_set, ankle_method, doppler_waveforms (the leg's Doppler waveforms heard by abi, as
/// `SITE: description` separated by `;`, e.g. `RPT: multiphasic (triphasic)`). Empty cells are
/// values that do not apply; never 0.
public enum CSVReport {
    public static let header = [
        "patient_id", "exam_id", "version", "exam_status", "performed_at", "age_at_exam", "sex", "diabetes", "side", "status", "ankle_pressure_mmhg", "ankle_artery", "abi", "category",
        "severity", "severity_scheme", "toe_pressure_mmhg", "tbi", "tbi_abnormal", "wifi_ischemia_grade",
        "brachial_used_mmhg", "brachial_side", "inter_arm_difference_mmhg", "exercise_abi", "exercise_abi_drop_percent",
        "exercise_ankle_pressure_drop_mmhg", "exercise_positive_by_abi", "exercise_positive_by_pressure", "flags",
        "rule_set", "ankle_method", "doppler_waveforms",
    ]

    public static var headerLine: String { header.joined(separator: ",") + "\r\n" }

    /// The two rows (right leg, then left) of one exam, each ending in CRLF.
    public static func rows(_ report: ExamReport) -> String {
        let r = report.result
        var out = ""
        for leg in [r.right, r.left] {
            let e = leg.exercise
            let flags = r.flags.filter { $0.side == leg.side || $0.side == nil }.map(\.code.rawValue).joined(separator: ";")
            let cells: [String] = [
                text(report.pseudonym ?? report.exam.patient.id), number(report.record.map { Int($0.examId) }), number(report.record?.version),
                examStatus(report.status), report.exam.details.performedAt.map { Timestamp(millisecondsSinceEpoch: $0.millisecondsSinceEpoch).text } ?? "",
                number(report.ageAtExam), report.exam.patient.sex?.rawValue ?? "", bool(report.exam.patient.diabetes),
                leg.side.rawValue, leg.status.rawValue,
                number(leg.anklePressure), leg.ankleArtery?.rawValue ?? "", leg.abi.map(Ratio.text) ?? "", leg.category?.rawValue ?? "",
                leg.severity?.rawValue ?? "", r.options.severity.rawValue, number(leg.toePressure), leg.tbi.map(Ratio.text) ?? "",
                bool(leg.tbiAbnormal), number(leg.wifiIschemiaGrade), number(r.brachial.used), r.brachial.usedSide?.rawValue ?? "",
                number(r.brachial.interArmDifference), e.map { Ratio.text($0.abi) } ?? "", number(e?.abiDropPercent),
                number(e?.anklePressureDrop), bool(e?.positiveByAbi), bool(e?.positiveByPressure), flags,
                "\(RuleSet.name) v\(r.options.version)", r.options.ankle.rawValue,
                report.doppler.filter { $0.site.side == leg.side && $0.site.kind != .brachial }.map { "\($0.site.code): \($0.description)" }.joined(separator: "; "),
            ]
            out += cells.map(quote).joined(separator: ",") + "\r\n"
        }
        return out
    }

    static func number(_ v: Int?) -> String { v.map(String.init) ?? "" }
    static func examStatus(_ status: ExamReport.Status) -> String {
        switch status {
        case .preliminary: "preliminary"
        case .incomplete: "in-progress"
        case .final: "final"
        }
    }
    static func bool(_ v: Bool?) -> String { v.map { $0 ? "true" : "false" } ?? "" }

    /// Free text from a user: a leading = + - @ would run as a formula in a spreadsheet, so such a
    /// cell is prefixed with an apostrophe.
    static func text(_ value: String) -> String {
        guard let first = value.first, "=+-@\t\r".contains(first) else { return value }
        return "'" + value
    }

    static func quote(_ cell: String) -> String {
        guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return cell }
        return "\"" + cell.replacingQuotes + "\""
    }
}

extension String {
    var replacingQuotes: String { split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") }
}
