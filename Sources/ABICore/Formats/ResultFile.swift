/// The `abi-result/1` document (docs/formats.md). Every key is always written, null when it does not apply.
public enum ResultFile {
    public static let format = "abi-result/1"

    /// Writes a result as JSON text, pretty (for `abi calc`) or on one line (for `--batch`).
    public static func encode(_ result: ExamResult, pretty: Bool) -> String {
        var w = JSONWriter(pretty: pretty)
        write(result, to: &w)
        return w.text
    }

    /// The result as it is kept with a signature: `abi-result/1` plus what the document leaves out
    /// (whether a toe had no signal), so that `decode` gives back exactly this result.
    public static func snapshot(_ result: ExamResult) -> String {
        var w = JSONWriter(pretty: false)
        write(result, snapshot: true, to: &w)
        return w.text
    }

    /// Appends a result to a writer (used by the batch loop to reuse one buffer). `line`, the
    /// input line of a batch, pairs each record with the exam it is for.
    public static func write(_ result: ExamResult, line: Int? = nil, snapshot: Bool = false, to w: inout JSONWriter) {
        w.beginObject()
        w.string("format", format)
        if let line { w.int("line", line) }
        w.string("patientId", result.patientId)
        w.beginObject("rules")
        w.string("set", RuleSet.name)
        w.int("version", result.options.version)
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
            if snapshot { w.bool("toeAbsent", leg.toeAbsent) }
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

    /// Reads a result written by `encode` or `snapshot` (a signed exam's frozen result).
    /// - Throws: `InputError` naming the key.
    public static func decode(_ bytes: some Collection<UInt8>) throws(InputError) -> ExamResult {
        let r = try ObjectReader(try InputError.parsingJSON(bytes), at: "", what: "a result object")
        guard try r.string("format") == format else { throw InputError(path: "format", "must be \"\(format)\"") }
        func hundredths(_ o: ObjectReader, _ key: String) throws(InputError) -> Int? {
            guard let d = try o.decimal(key, atLeast: 0, atMost: 100_000) else { return nil }
            guard let h = d.hundredths else { throw InputError(path: o.childPath(key), "is not in hundredths") }
            return h
        }
        func int(_ o: ObjectReader, _ key: String) throws(InputError) -> Int? { try o.int(key, in: -100_000...100_000) }
        guard let rules = try r.object("rules") else { throw r.missing("rules") }
        var options = RuleOptions(ankle: try rules.choice("ankle", AnkleMethod.self, what: "ankle method") ?? .higher,
                                  severity: try rules.choice("severity", SeverityScheme.self, what: "severity scheme") ?? .common)
        options.version = try rules.int("version", in: 1...1000) ?? RuleSet.version
        guard let b = try r.object("brachial") else { throw r.missing("brachial") }
        let brachial = BrachialResult(right: try int(b, "right"), left: try int(b, "left"), used: try int(b, "used"),
                                      usedSide: try b.choice("usedSide", Side.self, what: "side"), interArmDifference: try int(b, "interArmDifference"))
        guard let legs = try r.object("legs") else { throw r.missing("legs") }
        func leg(_ side: Side) throws(InputError) -> LegResult {
            guard let l = try legs.object(side.rawValue) else { throw legs.missing(side.rawValue) }
            var exercise: ExerciseResult?
            if let e = try l.object("exercise") {
                exercise = ExerciseResult(abi: try hundredths(e, "abi") ?? 0, abiDropPercent: try int(e, "abiDropPercent"),
                                          anklePressureDrop: try int(e, "anklePressureDrop") ?? 0,
                                          positiveByAbi: try e.bool("positiveByAbi") ?? false, positiveByPressure: try e.bool("positiveByPressure") ?? false)
            }
            return LegResult(side: side, status: try l.choice("status", LegStatus.self, what: "leg status") ?? .notCalculable,
                             anklePressure: try int(l, "anklePressure"), ankleArtery: try l.choice("ankleArtery", AnkleArtery.self, what: "ankle artery"),
                             abi: try hundredths(l, "abi"), category: try l.choice("category", ABICategory.self, what: "category"),
                             severity: try l.choice("severity", Severity.self, what: "severity"), toePressure: try int(l, "toePressure"),
                             toeAbsent: try l.bool("toeAbsent") ?? false, tbi: try hundredths(l, "tbi"), tbiAbnormal: try l.bool("tbiAbnormal"),
                             wifiIschemiaGrade: try int(l, "wifiIschemiaGrade"), exercise: exercise)
        }
        var vitals: Vitals?
        if let v = try r.object("vitals") {
            vitals = Vitals(systolic: try int(v, "systolic") ?? 0, diastolic: try int(v, "diastolic") ?? 0, pulsePressure: try int(v, "pulsePressure") ?? 0,
                            map: try int(v, "map") ?? 0, mapSource: try v.choice("mapSource", Vitals.MeanSource.self, what: "MAP source") ?? .estimated,
                            pulseRate: try int(v, "pulseRate"))
        }
        var flags: [Flag] = []
        for (i, value) in (try r.array("flags") ?? []).enumerated() {
            let f = try ObjectReader(value, at: "flags[\(i)]")
            guard let code = try f.choice("code", FlagCode.self, what: "flag code") else { throw f.missing("code") }
            guard let level = try f.choice("level", FlagLevel.self, what: "flag level") else { throw f.missing("level") }
            flags.append(Flag(code, level, side: try f.choice("side", Side.self, what: "side"), try f.string("message") ?? ""))
        }
        var patterns: [PatternMatch] = []
        for (i, value) in (try r.array("patterns") ?? []).enumerated() {
            let p = try ObjectReader(value, at: "patterns[\(i)]")
            guard let pattern = try p.choice("pattern", SymptomPattern.self, what: "pattern"), let side = try p.choice("side", Side.self, what: "side") else {
                throw p.missing("pattern")
            }
            let matched = (try p.array("matched") ?? []).compactMap { if case .string(let s) = $0 { s } else { nil } }
            patterns.append(PatternMatch(pattern: pattern, side: side, matched: matched))
        }
        return ExamResult(patientId: try r.string("patientId") ?? "", options: options, brachial: brachial, right: try leg(.right), left: try leg(.left),
                          patientAbi: try hundredths(r, "patientAbi"), vitals: vitals, flags: flags, patterns: patterns)
    }
}
