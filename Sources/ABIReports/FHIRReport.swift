import ABICore

/// The report as a FHIR R4 (4.0.1) `Bundle` of type `collection`, for an EHR to import:
/// - a `Patient`;
/// - a `DiagnosticReport` (SNOMED CT 401221002, ankle brachial pressure index procedure) whose
///   `presentedForm` is the text report, so the bundle carries every fact of the other formats;
/// - per leg an ABI `Observation` (SNOMED CT 446841001, the observable entity), the laterality in
///   `bodySite` (right 62175007 / left 32153003 lower limb), the value in UCUM `{ratio}`, the
///   category as interpretation (v3 N normal, L low for abnormal, H high for noncompressible;
///   borderline in words, as v3 has no code for it), and `dataAbsentReason` when there is none;
/// - per reading a pressure `Observation`: brachial ones per the vital-signs blood-pressure
///   profile (LOINC 85354-9 with 8480-6, 8462-4 and 8478-0 components), ankle and toe ones as
///   systolic pressure (SNOMED CT 271649006); `bodySite` is the lateral artery or great toe,
///   `method` Doppler 765172009 or oscillometry 31813000, values in `mm[Hg]`, and
///   `dataAbsentReason` for absent, not measured or failed readings. Superseded readings are
///   included with a note and left out of the report's results. A pulse rate is an Observation
///   per the heart-rate profile (LOINC 8867-4).
/// TBI, the WIfI grade and the exercise results have no verified code: they are coded in words.
/// Every SNOMED CT code above was checked against published value sets before use.
public enum FHIRReport {
    static let sct = "http://snomed.info/sct"
    static let loinc = "http://loinc.org"
    static let ucum = "http://unitsofmeasure.org"
    static let interpretationSystem = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
    static let absentSystem = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
    static let categorySystem = "http://terminology.hl7.org/CodeSystem/observation-category"

    /// How the resources travel: a `collection` to file, or a `transaction` to POST to a FHIR
    /// server, where every resource is a conditional update on its business identifier, so that a
    /// resend updates instead of duplicating.
    public enum BundleType: String, Sendable, CaseIterable {
        case collection, transaction
    }

    /// The business identifiers' system of the exam's resources (the patient's comes from the site).
    public static let resourceIdentifierSystem = "urn:ietf:rfc:3986"
    /// The patient's identifier system when the site configures none.
    public static let defaultPatientSystem = "urn:abi:patient-id"

    public static func render(_ report: ExamReport, bundle type: BundleType = .collection) -> String {
        var bundle = Builder(report, type: type)
        return bundle.render()
    }

    /// SNOMED CT body structures: the lateral arteries and great toes of each site.
    static func bodySite(_ site: Site) -> (code: String, display: String) {
        switch site {
        case .rightBrachial: ("723962009", "Structure of right brachial artery")
        case .leftBrachial: ("723961002", "Structure of left brachial artery")
        case .rightPosteriorTibial: ("214811007", "Structure of right posterior tibial artery")
        case .leftPosteriorTibial: ("214912001", "Structure of left posterior tibial artery")
        case .rightDorsalisPedis: ("792816004", "Structure of right dorsalis pedis artery")
        case .leftDorsalisPedis: ("792817008", "Structure of left dorsalis pedis artery")
        case .rightToe: ("723730004", "Structure of right great toe")
        case .leftToe: ("723724004", "Structure of left great toe")
        }
    }

    static func limb(_ side: Side) -> (code: String, display: String) {
        side == .right ? ("62175007", "Structure of right lower limb") : ("32153003", "Structure of left lower limb")
    }

    /// SNOMED CT procedures for the methods that have a verified code; the others are words.
    static func method(_ m: MeasurementMethod) -> (code: String, display: String)? {
        switch m {
        case .doppler: ("765172009", "Doppler ultrasound")
        case .oscillometric: ("31813000", "Vascular oscillometry")
        case .auscultatory: ("37931006", "Auscultation")
        case .ppg, .manualEntry: nil
        }
    }

    struct Builder {
        let report: ExamReport
        var json = JSONWriter(pretty: true, reservingCapacity: 16_384)
        let seed: String
        let status: String

        let type: BundleType

        init(_ report: ExamReport, type: BundleType = .collection) {
            self.report = report
            self.type = type
            // One set of ids per exam version: a resend of the same version updates those resources.
            seed = "\(report.exam.patient.id)|\(report.exam.details.performedAt?.text ?? "undated")" + (report.record.map { $0.version > 1 ? "|v\($0.version)" : "" } ?? "")
            // A signed version that amends an earlier report is `amended` (FHIR's word for it).
            status = !report.status.isSigned ? "preliminary" : report.revision.replaces != nil ? "amended" : "final"
        }

        /// A stable `urn:uuid:` for a resource of this exam (the same exam gives the same ids).
        func url(_ key: String) -> String { "urn:uuid:" + FHIRReport.uuid(seed + "|" + key) }

        mutating func render() -> String {
            let report = report, exam = report.exam, result = report.result
            json.beginObject()
            json.string("resourceType", "Bundle")
            json.beginObject("identifier")
            json.string("system", "urn:ietf:rfc:3986")
            json.string("value", url("bundle"))
            json.endObject()
            json.string("type", type.rawValue)
            json.beginArray("entry")

            // Patient
            entry("patient", "Patient") { j in
                let p = exam.patient
                j.beginArray("identifier")
                j.beginObject()
                j.string("use", "usual")
                j.beginObject("type")
                FHIRReport.codings(&j, [("http://terminology.hl7.org/CodeSystem/v2-0203", "MR", "Medical record number")])
                j.endObject()
                j.string("system", report.site.patientIdentifierSystem ?? FHIRReport.defaultPatientSystem)
                j.string("value", p.id)
                j.endObject()
                j.endArray()
                if let name = p.name {
                    j.beginArray("name")
                    j.beginObject()
                    j.string("text", name)
                    let parts = name.split(separator: ",", maxSplits: 1).map { $0.trimmingSpaces }
                    if parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty {
                        j.string("family", parts[0])
                        j.beginArray("given")
                        for given in parts[1].split(separator: " ") { j.string(nil, String(given)) }
                        j.endArray()
                    }
                    j.endObject()
                    j.endArray()
                }
                if let sex = p.sex { j.string("gender", sex.rawValue) }
                if let birthDate = p.birthDate { j.string("birthDate", birthDate) }
            }

            // Readings
            var used: [String: String] = [:]  // site (and post-exercise) → the used reading's url
            var results: [String] = []
            for (i, line) in report.readings.enumerated() {
                let key = "reading-\(i)"
                // A superseded reading is not a result (R4): it stays in the text report, not in the resources.
                if line.superseded { continue }
                used[(line.postExercise ? "post:" : "") + line.reading.site.rawValue] = url(key)
                results.append(url(key))
                reading(line, key: key)
                if case .numeric(let p) = line.reading.state, let pulse = p.pulse {
                    pulseRate(pulse.perMinute, line: line, key: key + "-pulse")
                    results.append(url(key + "-pulse"))
                }
            }
            // The Doppler waveforms heard at the bedside, in words.
            for waveform in report.doppler {
                let key = "doppler-\(waveform.site.code.lowercased())"
                results.append(url(key))
                observation(key: key, category: "exam", code: nil, text: "\(waveform.site.words.capitalizedFirst) Doppler waveform (2020 SVM/SVU)",
                            bodySite: FHIRReport.bodySite(waveform.site), method: .doppler) { j in
                    j.string("valueString", waveform.description)
                }
            }

            // Per leg: ABI, TBI, WIfI grade, exercise.
            for leg in [result.right, result.left] {
                let side = leg.side
                var derived: [String] = []
                if let usedSide = result.brachial.usedSide, let brachial = used[(usedSide == .right ? Site.rightBrachial : .leftBrachial).rawValue] { derived.append(brachial) }
                if let artery = leg.ankleArtery {
                    let site: Site = side == .right ? (artery == .dorsalisPedis ? .rightDorsalisPedis : .rightPosteriorTibial)
                        : (artery == .dorsalisPedis ? .leftDorsalisPedis : .leftPosteriorTibial)
                    if let ankle = used[site.rawValue] { derived.append(ankle) }
                }
                let key = "abi-\(side.rawValue)"
                results.append(url(key))
                legObservation(key: key, side: side, code: (FHIRReport.sct, "446841001", "Ankle brachial pressure index"),
                               text: "\(side.capitalized) ankle-brachial index", hundredths: leg.abi, derivedFrom: derived) { j in
                    FHIRReport.abiInterpretation(&j, leg, scheme: report.result.options.severity.rawValue)
                    var notes: [String] = []
                    if let pressure = leg.anklePressure, let artery = leg.ankleArtery {
                        notes.append("Ankle pressure \(pressure) mmHg (\(artery == .dorsalisPedis ? "dorsalis pedis" : "posterior tibial")); brachial \(report.result.brachial.used.map { "\($0) mmHg" } ?? "none").")
                    }
                    if leg.abi == nil { notes.append("No ABI: \(leg.status.words).") }
                    return notes
                }
                if leg.tbi != nil || leg.toePressure != nil || leg.toeAbsent {
                    let key = "tbi-\(side.rawValue)"
                    results.append(url(key))
                    let toe = used[(side == .right ? Site.rightToe : .leftToe).rawValue]
                    legObservation(key: key, side: side, code: nil, text: "\(side.capitalized) toe-brachial index", hundredths: leg.tbi,
                                   derivedFrom: derived.prefix(1) + (toe.map { [$0] } ?? [])) { j in
                        if let abnormal = leg.tbiAbnormal {
                            FHIRReport.interpretation(&j, abnormal ? ("L", "Low") : ("N", "Normal"), text: abnormal ? "abnormal (TBI 0.70 or less)" : "normal")
                        }
                        return []
                    }
                }
                if let grade = leg.wifiIschemiaGrade {
                    let key = "wifi-\(side.rawValue)"
                    results.append(url(key))
                    observation(key: key, category: "exam", code: nil, text: "\(side.capitalized) leg WIfI ischemia grade (SVS WIfI)",
                                bodySite: FHIRReport.limb(side)) { j in j.int("valueInteger", grade) }
                }
                if let exercise = leg.exercise {
                    let key = "exercise-\(side.rawValue)"
                    results.append(url(key))
                    legObservation(key: key, side: side, code: (FHIRReport.sct, "446841001", "Ankle brachial pressure index"),
                                   text: "\(side.capitalized) ankle-brachial index after exercise", hundredths: exercise.abi, derivedFrom: []) { j in
                        let positive = exercise.positiveByAbi || exercise.positiveByPressure
                        FHIRReport.interpretation(&j, positive ? ("A", "Abnormal") : ("N", "Normal"), text: positive ? "positive exercise test" : "negative exercise test")
                        return ["ABI fall " + (exercise.abiDropPercent.map { "\($0)%" } ?? "not calculable") + " (positive above 20%): \(exercise.positiveByAbi ? "positive" : "negative").",
                                "Ankle pressure fall \(exercise.anklePressureDrop) mmHg (positive above 30 mmHg): \(exercise.positiveByPressure ? "positive" : "negative")."]
                    }
                }
            }

            diagnosticReport(results: results)
            json.endArray()
            json.endObject()
            return json.text + "\n"
        }

        // MARK: Resources

        /// One resource. Every resource but the Patient carries the business identifier of its
        /// key; in a transaction, each is a conditional update (PUT) on that identifier.
        mutating func entry(_ key: String, _ resourceType: String, _ body: (inout JSONWriter) -> Void) {
            let patientSystem = report.site.patientIdentifierSystem ?? FHIRReport.defaultPatientSystem
            json.beginObject()
            json.string("fullUrl", url(key))
            json.beginObject("resource")
            json.string("resourceType", resourceType)
            if resourceType != "Patient" {
                json.beginArray("identifier")
                json.beginObject()
                json.string("system", FHIRReport.resourceIdentifierSystem)
                json.string("value", url(key))
                json.endObject()
                json.endArray()
            }
            body(&json)
            json.endObject()
            if type == .transaction {
                json.beginObject("request")
                json.string("method", "PUT")
                let identifier = resourceType == "Patient" ? "\(patientSystem)|\(report.exam.patient.id)" : "\(FHIRReport.resourceIdentifierSystem)|\(url(key))"
                json.string("url", "\(resourceType)?identifier=" + FHIRReport.queryEscaped(identifier))
                json.endObject()
            }
            json.endObject()
        }

        /// The parts every Observation shares; `body` adds its value, components and the rest.
        mutating func observation(key: String, profile: String? = nil, category: String, code: (String, String, String)?, text: String,
                                  bodySite: (code: String, display: String)?, method: MeasurementMethod? = nil,
                                  time: String? = nil, body: (inout JSONWriter) -> Void) {
            let patient = url("patient"), status = status
            let performed = time ?? report.exam.details.performedAt?.text
            let operatorName = report.exam.details.operator
            entry(key, "Observation") { j in
                // The vital-signs profile requires a time: an undated exam does not claim it.
                if let profile, performed != nil {
                    j.beginObject("meta")
                    j.beginArray("profile")
                    j.string(nil, profile)
                    j.endArray()
                    j.endObject()
                }
                j.string("status", status)
                j.beginArray("category")
                j.beginObject()
                FHIRReport.codings(&j, [(FHIRReport.categorySystem, category, category == "vital-signs" ? "Vital Signs" : "Exam")])
                j.endObject()
                j.endArray()
                j.beginObject("code")
                if let code { FHIRReport.codings(&j, [code]) }
                j.string("text", text)
                j.endObject()
                j.beginObject("subject")
                j.string("reference", patient)
                j.endObject()
                if let performed { j.string("effectiveDateTime", performed) }
                if let operatorName { FHIRReport.people(&j, "performer", operatorName) }
                body(&j)
                if let bodySite {
                    j.beginObject("bodySite")
                    FHIRReport.codings(&j, [(FHIRReport.sct, bodySite.code, bodySite.display)])
                    j.endObject()
                }
                if let method {
                    j.beginObject("method")
                    if let coded = FHIRReport.method(method) { FHIRReport.codings(&j, [(FHIRReport.sct, coded.code, coded.display)]) }
                    j.string("text", method.rawValue)
                    j.endObject()
                }
            }
        }

        mutating func reading(_ line: ExamReport.ReadingLine, key: String) {
            let r = line.reading
            var notes: [String] = []
            if line.postExercise { notes.append("After exercise.") }
            if line.superseded { notes.append("Superseded by a later reading at this site (R4); not used.") }
            if let dev = r.device {
                notes.append("Device: " + [dev.profile, dev.serial.map { "serial \($0)" }].compactMap { $0 }.joined(separator: ", ") + ".")
            }
            if let note = r.note { notes.append(note) }
            notes.append("Reading \(r.seq).")
            let brachial = r.site == .rightBrachial || r.site == .leftBrachial
            let name = r.site.words.capitalizedFirst + (line.postExercise ? " after exercise" : "")
            if brachial {
                observation(key: key, profile: "http://hl7.org/fhir/StructureDefinition/bp", category: "vital-signs",
                            code: (FHIRReport.loinc, "85354-9", "Blood pressure panel with all children optional"),
                            text: "\(name) blood pressure", bodySite: FHIRReport.bodySite(r.site), method: r.method, time: r.time) { j in
                    FHIRReport.notes(&j, notes)
                    FHIRReport.stateInterpretation(&j, r.state)
                    j.beginArray("component")
                    let p: NumericPressure? = if case .numeric(let p) = r.state { p } else { nil }
                    FHIRReport.component(&j, ("8480-6", "Systolic blood pressure"), p.map { .value($0.systolic.mmHg) } ?? FHIRReport.absence(r.state))
                    FHIRReport.component(&j, ("8462-4", "Diastolic blood pressure"),
                                         p.map { p in p.diastolic.map { .value($0.mmHg) } ?? .absent("not-performed", "Not Performed", "not measured (systolic only)") } ?? FHIRReport.absence(r.state))
                    if let map = p?.map { FHIRReport.component(&j, ("8478-0", "Mean blood pressure"), .value(map.mmHg)) }
                    j.endArray()
                }
            } else {
                observation(key: key, category: "exam", code: (FHIRReport.sct, "271649006", "Systolic blood pressure"),
                            text: "\(name) systolic pressure", bodySite: FHIRReport.bodySite(r.site), method: r.method, time: r.time) { j in
                    switch r.state {
                    case .numeric(let p): FHIRReport.quantity(&j, "valueQuantity", p.systolic.mmHg)
                    case .noncompressible(let at?): FHIRReport.quantity(&j, "valueQuantity", at.mmHg, comparator: ">")
                    default: FHIRReport.dataAbsent(&j, FHIRReport.absence(r.state))
                    }
                    FHIRReport.notes(&j, notes)
                    FHIRReport.stateInterpretation(&j, r.state)
                }
            }
        }

        mutating func pulseRate(_ perMinute: Int, line: ExamReport.ReadingLine, key: String) {
            observation(key: key, profile: "http://hl7.org/fhir/StructureDefinition/heartrate", category: "vital-signs",
                        code: (FHIRReport.loinc, "8867-4", "Heart rate"), text: "Pulse rate", bodySite: nil, time: line.reading.time) { j in
                j.beginObject("valueQuantity")
                j.int("value", perMinute)
                j.string("unit", "/min")
                j.string("system", FHIRReport.ucum)
                j.string("code", "/min")
                j.endObject()
                if line.superseded { FHIRReport.notes(&j, ["Taken with a superseded reading (R4)."]) }
            }
        }

        mutating func legObservation(key: String, side: Side, code: (String, String, String)?, text: String, hundredths: Int?,
                                     derivedFrom: [String], _ body: (inout JSONWriter) -> [String]) {
            observation(key: key, category: "exam", code: code, text: text, bodySite: FHIRReport.limb(side)) { j in
                if let hundredths {
                    j.beginObject("valueQuantity")
                    j.hundredths("value", hundredths)
                    j.string("unit", "{ratio}")
                    j.string("system", FHIRReport.ucum)
                    j.string("code", "{ratio}")
                    j.endObject()
                } else {
                    FHIRReport.dataAbsent(&j, .absent("not-applicable", "Not Applicable", "not calculable from the readings"))
                }
                let notes = body(&j)
                FHIRReport.notes(&j, notes)
                if !derivedFrom.isEmpty { FHIRReport.references(&j, "derivedFrom", derivedFrom) }
            }
        }

        mutating func diagnosticReport(results: [String]) {
            let exam = report.exam, patient = url("patient"), status = status, report = report
            entry("report", "DiagnosticReport") { j in
                // The order it answers, by its placer number (a logical reference).
                if let placer = exam.order?.placerNumber {
                    j.beginArray("basedOn")
                    j.beginObject()
                    j.string("type", "ServiceRequest")
                    j.beginObject("identifier")
                    j.string("value", placer)
                    j.endObject()
                    j.endObject()
                    j.endArray()
                }
                j.string("status", status)
                j.beginObject("code")
                FHIRReport.codings(&j, [(FHIRReport.sct, "401221002", "Ankle brachial pressure index")])
                j.string("text", "Ankle-brachial index report")
                j.endObject()
                j.beginObject("subject")
                j.string("reference", patient)
                j.endObject()
                if let at = exam.details.performedAt { j.string("effectiveDateTime", at.text) }
                if case .final(let by, let at) = report.status {
                    if at.text.contains("T") { j.string("issued", at.text) }
                    FHIRReport.people(&j, "resultsInterpreter", by)
                }
                if let op = exam.details.operator { FHIRReport.people(&j, "performer", op) }
                FHIRReport.references(&j, "result", results)
                j.string("conclusion", FHIRReport.conclusion(report))
                j.beginArray("presentedForm")
                j.beginObject()
                j.string("contentType", "text/plain; charset=utf-8")
                j.string("language", "en")
                j.string("data", Base64.encode(Array(TextReport.render(report).utf8)))
                j.string("title", "ABI report (text)")
                j.endObject()
                j.endArray()
            }
        }
    }

    // MARK: Parts

    enum Value {
        case value(Int)
        case absent(String, String, String)  // data-absent-reason code, its display, our words
    }

    static func absence(_ state: ReadingState) -> Value {
        switch state {
        case .numeric: .absent("unknown", "Unknown", "unknown")
        case .absent: .absent("unknown", "Unknown", "no signal (absent)")
        case .noncompressible(let at): .absent("unknown", "Unknown", "noncompressible" + (at.map { " above \($0.mmHg) mmHg" } ?? ""))
        case .notMeasured(let reason): .absent("not-performed", "Not Performed", "not measured: \(reason)")
        case .deviceError: .absent("error", "Error", ExamReport.describe(state))
        }
    }

    static func component(_ j: inout JSONWriter, _ code: (String, String), _ value: Value) {
        j.beginObject()
        j.beginObject("code")
        codings(&j, [(loinc, code.0, code.1)])
        j.endObject()
        switch value {
        case .value(let mmHg): quantity(&j, "valueQuantity", mmHg)
        case .absent: dataAbsent(&j, value)
        }
        j.endObject()
    }

    static func quantity(_ j: inout JSONWriter, _ key: String, _ mmHg: Int, comparator: String? = nil) {
        j.beginObject(key)
        j.int("value", mmHg)
        if let comparator { j.string("comparator", comparator) }
        j.string("unit", "mmHg")
        j.string("system", ucum)
        j.string("code", "mm[Hg]")
        j.endObject()
    }

    static func dataAbsent(_ j: inout JSONWriter, _ value: Value) {
        guard case .absent(let code, let display, let words) = value else { return }
        j.beginObject("dataAbsentReason")
        codings(&j, [(absentSystem, code, display)])
        j.string("text", words)
        j.endObject()
    }

    static func codings(_ j: inout JSONWriter, _ codings: [(String, String, String)]) {
        j.beginArray("coding")
        for (system, code, display) in codings {
            j.beginObject()
            j.string("system", system)
            j.string("code", code)
            j.string("display", display)
            j.endObject()
        }
        j.endArray()
    }

    static func interpretation(_ j: inout JSONWriter, _ code: (String, String)?, text: String) {
        j.beginArray("interpretation")
        j.beginObject()
        if let code { codings(&j, [(interpretationSystem, code.0, code.1)]) }
        j.string("text", text)
        j.endObject()
        j.endArray()
    }

    static func abiInterpretation(_ j: inout JSONWriter, _ leg: LegResult, scheme: String) {
        let severity = leg.severity.map { ", \($0.rawValue) (\(scheme) scheme)" } ?? ""
        switch leg.category {
        case .normal?: interpretation(&j, ("N", "Normal"), text: "normal")
        case .borderline?: interpretation(&j, nil, text: "borderline")
        case .abnormal?: interpretation(&j, ("L", "Low"), text: "abnormal" + severity)
        case .noncompressible?: interpretation(&j, ("H", "High"), text: "noncompressible")
        case nil: if leg.status == .noncompressible { interpretation(&j, ("H", "High"), text: "noncompressible") }
        }
    }

    static func stateInterpretation(_ j: inout JSONWriter, _ state: ReadingState) {
        switch state {
        case .noncompressible: interpretation(&j, nil, text: "noncompressible")
        case .absent: interpretation(&j, nil, text: "absent: no signal")
        default: break
        }
    }

    /// `key: [{"reference": url}, …]`.
    static func references(_ j: inout JSONWriter, _ key: String, _ urls: [String]) {
        j.beginArray(key)
        for url in urls {
            j.beginObject()
            j.string("reference", url)
            j.endObject()
        }
        j.endArray()
    }

    /// `key: [{"display": name}]`: a person known by name only (no Practitioner resource).
    static func people(_ j: inout JSONWriter, _ key: String, _ name: String) {
        j.beginArray(key)
        j.beginObject()
        j.string("display", name)
        j.endObject()
        j.endArray()
    }

    static func notes(_ j: inout JSONWriter, _ notes: [String]) {
        guard !notes.isEmpty else { return }
        j.beginArray("note")
        for note in notes {
            j.beginObject()
            j.string("text", note)
            j.endObject()
        }
        j.endArray()
    }

    /// The results, flags, patterns and rule set in a few plain sentences.
    static func conclusion(_ report: ExamReport) -> String {
        let result = report.result
        var lines: [String] = report.revision.notices
        if let conclusion = report.signature.conclusion { lines.append("Conclusion: \(conclusion)") }
        if let line = report.signatureLine { lines.append(line) }
        if let indication = report.exam.details.indication { lines.append("Indication: \(indication).") }
        for leg in [result.right, result.left] {
            var text = "\(leg.side.capitalized) ABI " + (leg.abi.map(Ratio.text) ?? "not calculable")
            if let category = leg.category { text += ", \(category.rawValue)" }
            if let severity = leg.severity { text += " (\(severity.rawValue), \(result.options.severity.rawValue) scheme)" }
            lines.append(text + ".")
        }
        for f in result.flags { lines.append(f.line) }
        for p in result.patterns { lines.append("\(p.side.capitalized) leg fits the pattern of \(p.pattern.words): \(p.matchedWords.joined(separator: ", ")).") }
        lines.append(report.rulesLine + ".")
        return lines.joined(separator: "\n")
    }

    /// Percent-encodes a search parameter's value (`|`, `:` and the like stay readable where allowed).
    static func queryEscaped(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: ":"), UInt8(ascii: "|"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// A version-8 (RFC 9562, custom) UUID from two 64-bit FNV-1a hashes of `text`, each
    /// finished with the SplitMix64 mixer so that similar texts give unlike ids.
    static func uuid(_ text: String) -> String {
        func fnv(_ basis: UInt64) -> UInt64 {
            var hash = basis
            for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
            hash = (hash ^ (hash >> 30)) &* 0xBF58_476D_1CE4_E5B9
            hash = (hash ^ (hash >> 27)) &* 0x94D0_49BB_1331_11EB
            return hash ^ (hash >> 31)
        }
        let high = (fnv(0xCBF2_9CE4_8422_2325) & ~0xF000) | 0x8000  // version 8
        let low = (fnv(0x8422_2325_CBF2_9CE4) & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000  // RFC variant
        func hex(_ v: UInt64, _ digits: Int) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: digits - s.count) + s
        }
        let h = hex(high, 16), l = hex(low, 16)
        return "\(h.prefix(8))-\(h.dropFirst(8).prefix(4))-\(h.suffix(4))-\(l.prefix(4))-\(l.suffix(12))"
    }
}

/// Standard base64 (RFC 4648) with padding, for FHIR `base64Binary`.
enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i]), b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0, b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let n = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(i + 1 < bytes.count ? alphabet[Int(n >> 6 & 63)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(n & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
