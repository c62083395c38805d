/// The `abi-exam/1` exam file (docs/formats.md): reading and writing.
public enum ExamFile {
    public static let format = "abi-exam/1"

    /// Parses and validates an exam file.
    /// - Parameter bytes: the file's UTF-8 bytes.
    /// - Returns: the exam.
    /// - Throws: `InputError` naming the JSON path and value of the first problem.
    public static func decode(_ bytes: some Collection<UInt8>) throws(InputError) -> Exam {
        try decode(try InputError.parsingJSON(bytes))
    }

    /// The keys of an exam file that abi does not know (they are ignored), by JSON path: worth a
    /// warning, since a misspelt key ("diastolc") silently drops a value.
    public static func unknownKeys(_ bytes: some Collection<UInt8>) -> [String] {
        let ledger = KeyLedger()
        guard let value = try? InputError.parsingJSON(bytes), (try? decode(value, ledger: ledger)) != nil else { return [] }
        return ledger.unread
    }

    /// Validates a parsed exam document.
    public static func decode(_ value: JSONValue, ledger: KeyLedger? = nil) throws(InputError) -> Exam {
        let root = try ObjectReader(value, at: "", what: "an exam object", ledger: ledger)
        guard let format = try root.string("format") else {
            throw InputError(path: "format", "is required and must be \"\(format)\"")
        }
        guard format == ExamFile.format else {
            throw InputError(path: "format", "\(ObjectReader.quote(format)) is not supported (expected \"\(ExamFile.format)\")")
        }

        guard let patientReader = try root.object("patient") else { throw root.missing("patient") }
        let patient = Patient(
            id: try patientId(patientReader),
            name: try patientReader.text("name", maxLength: 200),
            birthDate: try birthDate(patientReader),
            sex: try patientReader.choice("sex", Patient.Sex.self, what: "sex"),
            diabetes: try patientReader.bool("diabetes")
        )

        // `exam` and each of its fields are optional for calculation and reports; the store
        // asks for `performedAt` itself.
        var details = ExamDetails(performedAt: nil)
        if let examReader = try root.object("exam") {
            details = ExamDetails(
                performedAt: try examReader.timestamp("performedAt"),
                indication: try examReader.text("indication"),
                operator: try examReader.text("operator", maxLength: 200),
                position: try examReader.text("position", maxLength: 100),
                restMinutes: try examReader.int("restMinutes", in: 0...1440, unit: "minutes")
            )
        }

        guard let readingValues = try root.array("readings") else { throw root.missing("readings") }
        let readings = try decodeReadings(readingValues, at: "readings", ledger: ledger)

        var postExercise: PostExercise?
        if let post = try root.object("postExercise") {
            guard let values = try post.array("readings") else { throw post.missing("readings") }
            postExercise = PostExercise(
                minutesAfter: try post.int("minutesAfter", in: 0...1440, unit: "minutes"),
                readings: try decodeReadings(values, at: post.childPath("readings"), ledger: ledger)
            )
        }

        let symptoms = try root.object("symptoms").map { s throws(InputError) in try decodeSymptoms(s) }
        let prior = try decodePrior(try root.array("prior") ?? [], at: "prior", ledger: ledger)

        var exam = Exam(patient: patient, details: details, readings: readings, postExercise: postExercise,
                        symptoms: symptoms, prior: prior)
        if let o = try root.object("order") { exam.order = try decodeOrder(o) }
        return exam
    }

    private static func birthDate(_ patient: ObjectReader) throws(InputError) -> String? {
        guard let text = try patient.string("birthDate") else { return nil }
        guard Timestamp.isValidDate(text) else {
            throw InputError(path: patient.childPath("birthDate"), "not a date (YYYY-MM-DD)")
        }
        return text
    }

    private static func legSymptoms(_ symptoms: ObjectReader, _ key: String) throws(InputError) -> LegSymptoms {
        guard let leg = try symptoms.object(key) else { return LegSymptoms() }
        var answers: [LegSign: Bool] = [:]
        for sign in LegSign.allCases {
            if let answer = try leg.bool(sign.rawValue) { answers[sign] = answer }
        }
        return LegSymptoms(
            answers: answers,
            woundWeeks: try leg.decimal("woundWeeks", atLeast: 0, atMost: 5200),
            toeDiscoloration: try leg.choice("toeDiscoloration", ToeDiscoloration.self, what: "toe discoloration"),
            walkingDistanceMeters: try leg.decimal("walkingDistanceMeters", atLeast: 0, atMost: 100_000)
        )
    }

    /// More readings than any exam takes (8 sites, each redone many times): a bound on the work
    /// one file can cause.
    public static let maximumReadings = 1_000

    static func patientId(_ r: ObjectReader) throws(InputError) -> String {
        guard let id = try r.string("id") else { throw r.missing("id") }
        if let problem = PatientId.problem(id) { throw InputError(path: r.childPath("id"), problem) }
        return id
    }

    static func decodeReadings(_ values: [JSONValue], at path: String, ledger: KeyLedger? = nil) throws(InputError) -> [Reading] {
        guard values.count <= maximumReadings else {
            throw InputError(path: path, "\(values.count) readings; an exam holds at most \(maximumReadings)")
        }
        var readings: [Reading] = []
        readings.reserveCapacity(values.count)
        for (i, value) in values.enumerated() {
            readings.append(try decodeReading(value, at: "\(path)[\(i)]", defaultSeq: i + 1, ledger: ledger))
        }
        // Each seq names one reading; a repeated seq would make R4 ambiguous.
        var first: [Int: Int] = [:]
        for i in readings.indices {
            if let j = first.updateValue(i, forKey: readings[i].seq) {
                throw InputError(path: "\(path)[\(i)].seq", "duplicate seq \(readings[i].seq) (also used by \(path)[\(j)])")
            }
        }
        return readings
    }

    static func decodeReading(_ value: JSONValue, at path: String, defaultSeq: Int, ledger: KeyLedger? = nil) throws(InputError) -> Reading {
        let r = try ObjectReader(value, at: path, what: "a reading object", ledger: ledger)
        guard let site = try r.choice("site", Site.self, what: "site") else { throw r.missing("site") }
        let seq = try r.int("seq", in: 0...1_000_000) ?? defaultSeq

        let stateNames = ["numeric", "absent", "noncompressible", "notMeasured", "deviceError"]
        let stateName = try r.string("state")
        if let stateName, !stateNames.contains(stateName) {
            throw InputError(path: r.childPath("state"), "unknown state \(ObjectReader.quote(stateName)) (expected one of: \(stateNames.joined(separator: ", ")))")
        }
        let numericKeys = ["systolic", "diastolic", "pulse", "map"]
        let resolved = stateName ?? (r.has("systolic") ? "numeric" : nil)

        let state: ReadingState
        switch resolved {
        case "numeric":
            guard let systolic = try r.pressure("systolic") else { throw r.missing("systolic") }
            let diastolic = try r.pressure("diastolic")
            let pulse = try r.int("pulse", in: PulseRate.plausibleRange, unit: "beats/min").flatMap(PulseRate.init(perMinute:))
            let map = try r.pressure("map")
            do throws(NumericPressure.Problem) {
                state = .numeric(try NumericPressure(systolic: systolic, diastolic: diastolic, pulse: pulse, map: map))
            } catch {
                switch error {
                case .diastolicNotBelowSystolic:
                    throw InputError(path: r.childPath("diastolic"), "\(diastolic?.mmHg ?? 0) must be lower than the systolic \(systolic.mmHg) mmHg")
                case .meanOutsideSystolicDiastolic:
                    throw InputError(path: r.childPath("map"), "\(map?.mmHg ?? 0) must lie between the diastolic and the systolic \(systolic.mmHg) mmHg")
                }
            }
        case nil:
            throw InputError(path: path, "has neither a systolic pressure nor a state (absent, noncompressible, notMeasured, deviceError)")
        case let other?:
            if let key = numericKeys.first(where: r.has) {
                throw InputError(path: r.childPath(key), "a reading in state \(other) has no \(key)")
            }
            switch other {
            case "absent":
                state = .absent
            case "noncompressible":
                state = .noncompressible(atPressure: try r.pressure("atPressure"))
            case "notMeasured":
                guard r.has("reason") else {
                    throw InputError(path: r.childPath("reason"), "is required for a notMeasured reading (amputation, wound, dressing, refused, suspected DVT…)")
                }
                state = .notMeasured(reason: try r.requiredText("reason", maxLength: 200))
            default:
                let code = try r.text("code", maxLength: 100)
                let message = try r.text("message", maxLength: 500)
                if code == nil && message == nil {
                    throw InputError(path: path, "a deviceError reading needs the device's code or message")
                }
                state = .deviceError(code: code, message: message)
            }
        }

        if r.has("atPressure"), case .noncompressible = state {} else if r.has("atPressure") {
            throw InputError(path: r.childPath("atPressure"), "only a noncompressible reading has atPressure")
        }

        var device: DeviceIdentity?
        if let d = try r.object("device") {
            device = DeviceIdentity(
                profile: try d.text("profile", maxLength: 100),
                vendorId: try d.text("vendorId", maxLength: 20),
                productId: try d.text("productId", maxLength: 20),
                serial: try d.text("serial", maxLength: 100),
                port: try d.text("port", maxLength: 200)
            )
        }
        return Reading(
            site: site,
            seq: seq,
            state: state,
            time: try r.timestamp("time")?.text,
            method: try r.choice("method", MeasurementMethod.self, what: "method"),
            device: device,
            note: try r.text("note")
        )
    }

    // MARK: Writing

    /// Writes an exam as `abi-exam/1`, pretty-printed, with a final new line.
    static func decodeSymptoms(_ s: ObjectReader) throws(InputError) -> Symptoms {
        Symptoms(
            acuteOnsetDays: try s.decimal("acuteOnsetDays", atLeast: 0, atMost: 36_500),
            radiatesFromBack: try s.bool("radiatesFromBack"),
            wellsScore: try s.int("wellsScore", in: -2...9),
            right: try legSymptoms(s, "right"),
            left: try legSymptoms(s, "left")
        )
    }

    static func decodePrior(_ values: [JSONValue], at path: String, ledger: KeyLedger? = nil) throws(InputError) -> [PriorExam] {
        var prior: [PriorExam] = []
        for (i, entry) in values.enumerated() {
            let p = try ObjectReader(entry, at: "\(path)[\(i)]", ledger: ledger)
            guard let at = try p.timestamp("performedAt") else { throw p.missing("performedAt") }
            func abi(_ key: String) throws(InputError) -> Int? {
                guard let d = try p.decimal(key, atLeast: 0, atMost: 300) else { return nil }
                guard let h = d.hundredths else {
                    throw InputError(path: p.childPath(key), "\(d) has more than two decimals (an ABI is recorded to 0.01)")
                }
                return h
            }
            prior.append(PriorExam(performedAt: at, rightAbi: try abi("rightAbi"), leftAbi: try abi("leftAbi"), source: try p.text("source", maxLength: 200)))
        }
        return prior
    }

    /// The `symptoms` object of an exam file on its own (the patient store keeps it as JSON text).
    public static func encodeSymptoms(_ symptoms: Symptoms) -> String {
        var w = JSONWriter()
        writeSymptoms(symptoms, nil, &w)
        return w.text
    }

    public static func decodeSymptoms(_ bytes: some Collection<UInt8>) throws(InputError) -> Symptoms {
        try decodeSymptoms(try ObjectReader(try InputError.parsingJSON(bytes), at: "symptoms", what: "a symptoms object"))
    }

    static func decodeOrder(_ o: ObjectReader) throws(InputError) -> Order {
        Order(placerNumber: try o.text("placerNumber", maxLength: 199), fillerNumber: try o.text("fillerNumber", maxLength: 199),
              orderingProvider: try o.text("orderingProvider", maxLength: 250))
    }

    private static func writeOrder(_ o: Order, _ key: String?, _ w: inout JSONWriter) {
        w.beginObject(key)
        if let v = o.placerNumber { w.string("placerNumber", v) }
        if let v = o.fillerNumber { w.string("fillerNumber", v) }
        if let v = o.orderingProvider { w.string("orderingProvider", v) }
        w.endObject()
    }

    /// The `order` object of an exam file on its own (the store keeps it as text).
    public static func encodeOrder(_ o: Order) -> String {
        var w = JSONWriter()
        writeOrder(o, nil, &w)
        return w.text
    }

    public static func decodeOrder(_ bytes: some Collection<UInt8>) throws(InputError) -> Order {
        try decodeOrder(try ObjectReader(try InputError.parsingJSON(bytes), at: "order"))
    }

    /// The `prior` array of an exam file on its own.
    public static func encodePrior(_ prior: [PriorExam]) -> String {
        var w = JSONWriter()
        writePrior(prior, nil, &w)
        return w.text
    }

    public static func decodePrior(_ bytes: some Collection<UInt8>) throws(InputError) -> [PriorExam] {
        guard case .array(let values) = try InputError.parsingJSON(bytes) else { throw InputError(path: "prior", "must be an array") }
        return try decodePrior(values, at: "prior")
    }

    private static func writeSymptoms(_ s: Symptoms, _ key: String?, _ w: inout JSONWriter) {
        w.beginObject(key)
        w.decimal("acuteOnsetDays", s.acuteOnsetDays)
        if let v = s.radiatesFromBack { w.bool("radiatesFromBack", v) }
        if let v = s.wellsScore { w.int("wellsScore", v) }
        for side in [Side.right, .left] {
            let leg = s[side]
            w.beginObject(side.rawValue)
            for sign in LegSign.allCases {
                if let answer = leg.answers[sign] { w.bool(sign.rawValue, answer) }
            }
            if let v = leg.woundWeeks { w.decimal("woundWeeks", v) }
            if let v = leg.walkingDistanceMeters { w.decimal("walkingDistanceMeters", v) }
            w.string("toeDiscoloration", leg.toeDiscoloration?.rawValue)
            w.endObject()
        }
        w.endObject()
    }

    private static func writePrior(_ prior: [PriorExam], _ key: String?, _ w: inout JSONWriter) {
        w.beginArray(key)
        for p in prior {
            w.beginObject()
            w.string("performedAt", p.performedAt.text)
            w.hundredths("rightAbi", p.rightAbi)
            w.hundredths("leftAbi", p.leftAbi)
            if let source = p.source { w.string("source", source) }
            w.endObject()
        }
        w.endArray()
    }

    public static func encode(_ exam: Exam) -> String {
        var w = JSONWriter(pretty: true)
        w.beginObject()
        w.string("format", format)
        w.beginObject("patient")
        w.string("id", exam.patient.id)
        if let v = exam.patient.name { w.string("name", v) }
        if let v = exam.patient.birthDate { w.string("birthDate", v) }
        if let v = exam.patient.sex { w.string("sex", v.rawValue) }
        if let v = exam.patient.diabetes { w.bool("diabetes", v) }
        w.endObject()
        w.beginObject("exam")
        if let v = exam.details.performedAt { w.string("performedAt", v.text) }
        if let v = exam.details.indication { w.string("indication", v) }
        if let v = exam.details.operator { w.string("operator", v) }
        if let v = exam.details.position { w.string("position", v) }
        if let v = exam.details.restMinutes { w.int("restMinutes", v) }
        w.endObject()
        writeReadings(exam.readings, "readings", &w)
        if let post = exam.postExercise {
            w.beginObject("postExercise")
            if let v = post.minutesAfter { w.int("minutesAfter", v) }
            writeReadings(post.readings, "readings", &w)
            w.endObject()
        }
        if let s = exam.symptoms { writeSymptoms(s, "symptoms", &w) }
        if !exam.prior.isEmpty { writePrior(exam.prior, "prior", &w) }
        if let o = exam.order { writeOrder(o, "order", &w) }
        w.endObject()
        return w.text + "\n"
    }

    private static func writeReadings(_ readings: [Reading], _ key: String, _ w: inout JSONWriter) {
        w.beginArray(key)
        for r in readings {
            w.beginObject()
            w.string("site", r.site.rawValue)
            w.int("seq", r.seq)
            switch r.state {
            case .numeric(let p):
                w.int("systolic", p.systolic.mmHg)
                if let v = p.diastolic { w.int("diastolic", v.mmHg) }
                if let v = p.pulse { w.int("pulse", v.perMinute) }
                if let v = p.map { w.int("map", v.mmHg) }
            case .absent:
                w.string("state", "absent")
            case .noncompressible(let at):
                w.string("state", "noncompressible")
                if let at { w.int("atPressure", at.mmHg) }
            case .notMeasured(let reason):
                w.string("state", "notMeasured")
                w.string("reason", reason)
            case .deviceError(let code, let message):
                w.string("state", "deviceError")
                if let code { w.string("code", code) }
                if let message { w.string("message", message) }
            }
            if let v = r.time { w.string("time", v) }
            if let v = r.method { w.string("method", v.rawValue) }
            if let d = r.device {
                w.beginObject("device")
                if let v = d.profile { w.string("profile", v) }
                if let v = d.vendorId { w.string("vendorId", v) }
                if let v = d.productId { w.string("productId", v) }
                if let v = d.serial { w.string("serial", v) }
                if let v = d.port { w.string("port", v) }
                w.endObject()
            }
            if let v = r.note { w.string("note", v) }
            w.endObject()
        }
        w.endArray()
    }
}
