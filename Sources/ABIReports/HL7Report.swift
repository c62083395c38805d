import ABICore

/// The report as an HL7 v2.5 `ORU^R01` message: MSH, PID, OBR, then one OBX per value.
/// Blood pressures use the MDC codes for NIBP (150021 systolic, 150022 diastolic, 150023 mean;
/// unit 266016 mmHg), each with a site-specific local code beside it and the method in OBX-17;
/// the ABI, TBI and other derived values use local codes (`L`), since no
/// verified LOINC code exists for them. Every field is escaped (\F\ \S\ \R\ \E\ \T\).
public enum HL7Report {
    public struct Sender: Sendable, Equatable {
        public var application = "ABI"
        public var facility = "ABI"
        public var receivingApplication = ""
        public var receivingFacility = ""
        public init() {}
    }

    /// - Parameters:
    ///   - controlId: the message control id (MSH-10), unique per message (`newControlId()`).
    ///     The exam's own id (OBR-3, the filler order number) stays the same for every message
    ///     about it, corrections included (`fillerId(for:)`).
    ///   - now: the message time (MSH-7).
    public static func render(_ report: ExamReport, controlId: String, now: Timestamp) -> String {
        let exam = report.exam, result = report.result, sender = report.site.hl7
        var segments: [[String]] = []
        // MSH-18: every text is UTF-8 (a Polish or Greek name stays as it is).
        segments.append(["MSH", "^~\\&", e(sender.application), e(sender.facility), e(sender.receivingApplication), e(sender.receivingFacility),
                         ts(now), "", "ORU^R01^ORU_R01", e(controlId), "P", "2.5", "", "", "", "", "", "UNICODE UTF-8"])
        let p = exam.patient
        let name = p.name.map { n -> String in
            let parts = n.split(separator: ",", maxSplits: 1).map { $0.trimmingSpaces }
            return parts.count == 2 ? "\(e(parts[0]))^\(e(parts[1]))" : e(n)
        } ?? "\"\""  // PID-5 is required; "" is HL7's explicit null for an unknown name
        let sex: String = switch p.sex {
        case .female?: "F"
        case .male?: "M"
        case .other?: "O"
        case .unknown?: "U"
        case nil: ""
        }
        segments.append(["PID", "1", "", "\(e(p.id))^^^\(e(report.site.assigningAuthority ?? ""))^MR", "", name, "", p.birthDate.map { $0.filter(\.isNumber) } ?? "", sex])
        // A signed version that amends an earlier report is a correction: C.
        let status = !report.status.isSigned ? "P" : report.revision.replaces != nil ? "C" : "F"
        // The order the exam answers: ORC, and the placer, filler and ordering provider in OBR.
        let order = exam.order
        let filler = e(order?.fillerNumber ?? fillerId(for: exam)), placer = e(order?.placerNumber ?? "")
        let provider = e(order?.orderingProvider ?? "")
        segments.append(["ORC", "RE", placer, filler, "", "", "", "", "", "", "", "", provider])
        var obr = ["OBR", "1", placer, filler, "ABI^Ankle-brachial index exam^L", "", "", exam.details.performedAt.map(ts) ?? ""]
        obr += Array(repeating: "", count: 5) + [e(exam.details.indication ?? ""), "", "", provider]  // OBR-13, OBR-16
        obr += Array(repeating: "", count: 25 - obr.count) + [status]  // OBR-25
        segments.append(obr)

        var obx: [[String]] = []
        func add(_ type: String, _ code: String, _ sub: String, _ value: String, _ unit: String, method: String = "") {
            var segment = ["OBX", String(obx.count + 1), type, code, e(sub), value, unit, "", "", "", "", status, "", "", exam.details.performedAt.map(ts) ?? ""]
            if !method.isEmpty { segment += ["", "", method] }  // OBX-17, the observation method
            obx.append(segment)
        }
        let mmHg = "266016^MDC_DIM_MMHG^MDC"
        for line in report.readings where !line.superseded {
            let r = line.reading
            let sub = (line.postExercise ? "postExercise." : "") + r.site.rawValue
            // v2.5 has no OBX-20 (body site): the site is in OBX-4 and in a site-specific local
            // code beside the MDC code (OBX-3's alternate identifier), e.g.
            // rightPosteriorTibial.SYS^Right posterior tibial systolic pressure^L.
            let words = e(r.site.words.capitalizedFirst)
            func code(_ mdc: String, _ kind: String, _ name: String) -> String { "\(mdc)^MDC^\(e(r.site.rawValue)).\(kind)^\(words) \(name)^L" }
            let method = r.method.map { "\($0.rawValue)^\($0.rawValue.capitalizedFirst)^L" } ?? ""
            switch r.state {
            case .numeric(let pressure):
                add("NM", code("150021^MDC_PRESS_BLD_NONINV_SYS", "SYS", "systolic pressure"), sub, "\(pressure.systolic.mmHg)", mmHg, method: method)
                if let d = pressure.diastolic { add("NM", code("150022^MDC_PRESS_BLD_NONINV_DIA", "DIA", "diastolic pressure"), sub, "\(d.mmHg)", mmHg, method: method) }
                if let m = pressure.map { add("NM", code("150023^MDC_PRESS_BLD_NONINV_MEAN", "MEAN", "mean pressure"), sub, "\(m.mmHg)", mmHg, method: method) }
            default:
                add("ST", "READING-STATE^Reading state^L^\(e(r.site.rawValue)).STATE^\(words) reading state^L", sub, e(ExamReport.describe(r.state)), "", method: method)
            }
        }
        for leg in [result.right, result.left] {
            let side = leg.side.rawValue
            if let abi = leg.abi { add("NM", "ABI^Ankle-brachial index^L", side, Ratio.text(abi), "{ratio}^^UCUM") }
            if let category = leg.category { add("ST", "ABI-CAT^ABI category^L", side, category.rawValue, "") }
            if let severity = leg.severity { add("ST", "ABI-SEV^ABI severity (\(result.options.severity.rawValue))^L", side, severity.rawValue, "") }
            if let tbi = leg.tbi { add("NM", "TBI^Toe-brachial index^L", side, Ratio.text(tbi), "{ratio}^^UCUM") }
            if let grade = leg.wifiIschemiaGrade { add("NM", "WIFI-I^WIfI ischemia grade^L", side, "\(grade)", "") }
            if let ex = leg.exercise { add("NM", "ABI-EX^Post-exercise ABI^L", side, Ratio.text(ex.abi), "{ratio}^^UCUM") }
        }
        for waveform in report.doppler {
            add("ST", "DOPPLER-WF^Doppler waveform (2020 SVM/SVU)^L", waveform.site.rawValue, e(waveform.description), "")
        }
        for flag in result.flags {
            add("TX", "FLAG^\(e(flag.code.rawValue))^L", flag.side?.rawValue ?? "patient", e("\(flag.level.rawValue.uppercased()): \(flag.message)"), "")
        }
        add("ST", "RULES^Rule set^L", "", e(result.options.description), "")
        // The amendment notices, in words, right after the order (NTE follows OBR).
        let notes = report.revision.notices + [report.signature.conclusion.map { "Conclusion: \($0)" }, report.signatureLine].compactMap { $0 }
        for (i, note) in notes.enumerated() { segments.append(["NTE", String(i + 1), "L", e(note)]) }
        segments += obx
        return segments.map { $0.joined(separator: "|") }.joined(separator: "\r") + "\r"
    }

    /// A message control id (MSH-10, at most 20 characters) that is the same for the same exam
    /// and differs between patients examined at the same moment: "ABI" and 16 hex digits of a
    /// 64-bit FNV-1a hash of the patient id and the exam time.
    /// A message control id no other message has: "ABI" and 16 random hexadecimal digits.
    public static func newControlId() -> String {
        var generator = SystemRandomNumberGenerator()
        let hex = String(generator.next() as UInt64, radix: 16)
        return "ABI" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The exam's id in HL7 (OBR-3): the same for every message about the exam and its versions.
    public static func fillerId(for exam: Exam) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in "\(exam.patient.id)|\(exam.details.performedAt?.text ?? "undated")".utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return "ABI" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// HL7 escaping of one field's text.
    public static func e(_ text: String) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "|": out += "\\F\\"
            case "^": out += "\\S\\"
            case "~": out += "\\R\\"
            case "\\": out += "\\E\\"
            case "&": out += "\\T\\"
            case "\r", "\n": out += "\\X0D\\"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// HL7 TS: YYYYMMDDHHMMSS+ZZZZ (in UTC).
    static func ts(_ t: Timestamp) -> String {
        let utc = Timestamp(secondsSinceEpoch: t.millisecondsSinceEpoch / 1000).text.filter(\.isNumber)
        return utc + "+0000"
    }
}

extension Substring {
    var trimmingSpaces: String { String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
}
