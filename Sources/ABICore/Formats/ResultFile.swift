/// The `abi-result/1` document (docs/formats.md). Every key is always written, null when it does not apply.
public enum ResultFile {
    public static let format = "abi-result/1"

    /// Writes a result as JSON text, pretty (for `abi calc`) or on one line (for `--batch`).
    public static func encode(_ result: ExamResult, pretty: Bool) -> String {
        var w = JSONWriter(pretty: pretty)
        write(result, to: &w)
        return w.text
    }

    /// Appends a result to a writer (used by the batch loop to reuse one buffer). `line`, the
    /// input line of a batch, pairs each record with the exam it is for.
    public static func write(_ result: ExamResult, line: Int? = nil, to w: inout JSONWriter) {
        w.beginObject()
        w.string("format", format)
        if let line { w.int("line", line) }
        w.string("patientId", result.patientId)
        w.beginObject("rules")
        w.string("set", RuleSet.name)
        w.int("version", RuleSet.version)
        w.string("ankle", result.options.ankle.rawValue)
        w.string("severity", result.options.severity.rawValue)
        if !result.options.ankle.isStandard {
            // An added key: the contract allows new optional fields, and the label must travel with the numbers.
            w.string("nonStandard", "ankle=lower uses the lower ankle pressure (LABI), not the guideline method")
        }
        w.endObject()

        let b = result.brachial
        w.beginObject("brachial")
        w.int("right", b.right)
        w.int("left", b.left)
        w.int("used", b.used)
        w.string("usedSide", b.usedSide?.rawValue)
        w.int("interArmDifference", b.interArmDifference)
        w.endObject()

        w.beginObject("legs")
        for leg in [result.right, result.left] {
            w.beginObject(leg.side.rawValue)
            w.string("status", leg.status.rawValue)
            w.int("anklePressure", leg.anklePressure)
            w.string("ankleArtery", leg.ankleArtery?.rawValue)
            w.hundredths("abi", leg.abi)
            w.string("category", leg.category?.rawValue)
            w.string("severity", leg.severity?.rawValue)
            w.int("toePressure", leg.toePressure)
            w.hundredths("tbi", leg.tbi)
            w.bool("tbiAbnormal", leg.tbiAbnormal)
            w.int("wifiIschemiaGrade", leg.wifiIschemiaGrade)
            if let e = leg.exercise {
                w.beginObject("exercise")
                w.hundredths("abi", e.abi)
                w.int("abiDropPercent", e.abiDropPercent)
                w.int("anklePressureDrop", e.anklePressureDrop)
                w.bool("positiveByAbi", e.positiveByAbi)
                w.bool("positiveByPressure", e.positiveByPressure)
                w.endObject()
            } else {
                w.null("exercise")
            }
            w.endObject()
        }
        w.endObject()

        w.hundredths("patientAbi", result.patientAbi)
        if let v = result.vitals {
            w.beginObject("vitals")
            w.int("systolic", v.systolic)
            w.int("diastolic", v.diastolic)
            w.int("pulsePressure", v.pulsePressure)
            w.int("map", v.map)
            w.string("mapSource", v.mapSource.rawValue)
            w.int("pulseRate", v.pulseRate)
            w.endObject()
        } else {
            w.null("vitals")
        }

        w.beginArray("flags")
        for f in result.flags {
            w.beginObject()
            w.string("code", f.code.rawValue)
            w.string("level", f.level.rawValue)
            w.string("side", f.side?.rawValue)
            w.string("message", f.message)
            w.endObject()
        }
        w.endArray()

        w.beginArray("patterns")
        for p in result.patterns {
            w.beginObject()
            w.string("pattern", p.pattern.rawValue)
            w.string("side", p.side.rawValue)
            w.beginArray("matched")
            for m in p.matched { w.string(nil, m) }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }
}
