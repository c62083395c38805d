/// Bad input data: a message that names the JSON path (`readings[3].systolic`) and the value.
/// The command-line tool exits with 65 for it and prefixes the file name.
public struct InputError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The JSON path of the offending value; empty for the document itself.
    public let path: String
    public let problem: String

    public init(path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { path.isEmpty ? problem : "\(path): \(problem)" }

    /// Parses a JSON document, a syntax error becoming an `InputError` with its line and column.
    public static func parsingJSON(_ bytes: some Collection<UInt8>) throws(InputError) -> JSONValue {
        // Name the encodings editors save by mistake instead of "unexpected character".
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            throw InputError(path: "", "the file starts with a byte-order mark; save it as UTF-8 without a BOM")
        }
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            throw InputError(path: "", "the file is UTF-16; save it as UTF-8")
        }
        do {
            return try JSONParser.parse(bytes)
        } catch {
            throw InputError(path: "", "not valid JSON: \(error)")
        }
    }
}

/// Reads the members of one JSON object, turning every type or range problem into an
/// `InputError` that names the member's path.
public struct ObjectReader {
    public let object: JSONObject
    public let path: String
    /// Notes the keys read, to name the keys nobody read (a misspelt "diastolc").
    public let ledger: KeyLedger?

    public init(_ value: JSONValue, at path: String, what: String = "an object", ledger: KeyLedger? = nil) throws(InputError) {
        guard case .object(let object) = value else {
            throw InputError(path: path, "expected \(what), found \(ObjectReader.describe(value, at: path))")
        }
        self.object = object
        self.path = path
        self.ledger = ledger
        ledger?.saw(self)
    }

    public func childPath(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// Whether a path holds patient details, whose values never appear in an error line (error
    /// lines reach logs): `patient` and everything under it.
    static func isPatientDetail(_ path: String) -> Bool { path == "patient" || path.hasPrefix("patient.") }

    /// A value for an error message: quoted and cut to 40 characters, or left out for patient details.
    func shown(_ s: String, _ key: String) -> String {
        ObjectReader.isPatientDetail(childPath(key)) ? "the value" : ObjectReader.quote(s)
    }

    /// The member's value, treating `null` as absent.
    public func value(_ key: String) -> JSONValue? {
        ledger?.read(childPath(key))
        // Comparing UTF-8 lengths first (O(1)) skips most full string comparisons.
        let length = key.utf8.count
        for member in object.members where member.key.utf8.count == length && member.key == key {
            if case .null = member.value { return nil }
            return member.value
        }
        return nil
    }

    public func has(_ key: String) -> Bool { value(key) != nil }

    public func missing(_ key: String) -> InputError { InputError(path: childPath(key), "is required") }

    public func string(_ key: String) throws(InputError) -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v else { throw wrongType(key, "a string", v) }
        return s
    }

    /// A string that must be present and not blank.
    public func requiredText(_ key: String, maxLength: Int = 1000) throws(InputError) -> String {
        guard let s = try string(key) else { throw missing(key) }
        try checkText(s, key, maxLength: maxLength, required: true)
        return s
    }

    /// An optional free-text field (no control characters other than new lines and tabs).
    public func text(_ key: String, maxLength: Int = 1000) throws(InputError) -> String? {
        guard let s = try string(key) else { return nil }
        try checkText(s, key, maxLength: maxLength, required: false)
        return s
    }

    private func checkText(_ s: String, _ key: String, maxLength: Int, required: Bool) throws(InputError) {
        if required && s.allSatisfy({ $0 == " " || $0 == "\t" }) {
            throw InputError(path: childPath(key), "must not be empty")
        }
        if s.unicodeScalars.count > maxLength {
            throw InputError(path: childPath(key), "is longer than \(maxLength) characters")
        }
        if s.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || $0.value == 0x7F }) {
            throw InputError(path: childPath(key), "contains a control character")
        }
    }

    public func bool(_ key: String) throws(InputError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else { throw wrongType(key, "true or false", v) }
        return b
    }

    public func int(_ key: String, in range: ClosedRange<Int>, unit: String = "") throws(InputError) -> Int? {
        guard let v = value(key) else { return nil }
        guard case .number(let n) = v, let whole = n.wholeNumber else {
            throw wrongType(key, "a whole number\(unit.isEmpty ? "" : " of \(unit)")", v)
        }
        guard range.contains(whole) else {
            throw InputError(path: childPath(key), "\(ObjectReader.short(n.literal)) is out of range (\(range.lowerBound)–\(range.upperBound)\(unit.isEmpty ? "" : " \(unit)"))")
        }
        return whole
    }

    public func decimal(_ key: String, atLeast minimum: Int, atMost maximum: Int) throws(InputError) -> ExactDecimal? {
        guard let v = value(key) else { return nil }
        guard case .number(let n) = v, let d = n.decimal else { throw wrongType(key, "a number", v) }
        guard d >= ExactDecimal(minimum), d <= ExactDecimal(maximum) else {
            throw InputError(path: childPath(key), "\(ObjectReader.short(n.literal)) is out of range (\(minimum)–\(maximum))")
        }
        return d
    }

    public func pressure(_ key: String) throws(InputError) -> Pressure? {
        if case .number(let n)? = value(key), let whole = n.wholeNumber, whole <= 0 {
            // R1: no signal is never 0; it is a state of its own.
            throw InputError(path: childPath(key), "\(ObjectReader.short(n.literal)) is out of range (1–300 mmHg); a missing signal is \"state\": \"absent\", never 0")
        }
        guard let mmHg = try int(key, in: Pressure.plausibleRange, unit: "mmHg") else { return nil }
        return Pressure(mmHg: mmHg)
    }

    public func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type, what: String) throws(InputError) -> T? where T.RawValue == String {
        guard let s = try string(key) else { return nil }
        guard let choice = T(rawValue: s) else {
            let known = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw InputError(path: childPath(key), "unknown \(what) \(shown(s, key)) (expected one of: \(known))")
        }
        return choice
    }

    public func timestamp(_ key: String) throws(InputError) -> Timestamp? {
        guard let s = try string(key) else { return nil }
        guard let t = Timestamp(s) else {
            throw InputError(path: childPath(key), "\(shown(s, key)) is not an ISO 8601 date-time with a time zone (e.g. 2026-11-26T09:30:00Z)")
        }
        return t
    }

    public func object(_ key: String) throws(InputError) -> ObjectReader? {
        guard let v = value(key) else { return nil }
        return try ObjectReader(v, at: childPath(key), ledger: ledger)
    }

    public func array(_ key: String) throws(InputError) -> [JSONValue]? {
        guard let v = value(key) else { return nil }
        guard case .array(let a) = v else { throw wrongType(key, "an array", v) }
        return a
    }

    public func wrongType(_ key: String, _ expected: String, _ found: JSONValue) -> InputError {
        InputError(path: childPath(key), "expected \(expected), found \(ObjectReader.describe(found, at: childPath(key)))")
    }

    /// A short description of a value for messages: `a string "120"`, `the fraction 12.5`; the
    /// contents of patient details are left out (`a string`).
    public static func describe(_ value: JSONValue, at path: String) -> String {
        let hidden = isPatientDetail(path)
        switch value {
        case .null: return "null"
        case .bool(let b): return hidden ? "true or false" : b ? "true" : "false"
        case .number(let n):
            if hidden { return n.isWhole ? "a number" : "a fraction" }
            return "\(n.isWhole ? "the number" : "the fraction") \(short(n.literal))"
        case .string(let s): return hidden ? "a string" : "a string \(quote(s))"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// A number literal cut to 20 characters, for messages.
    public static func short(_ literal: String) -> String {
        literal.count > 20 ? String(literal.prefix(20)) + "… (\(literal.count) characters)" : literal
    }

    public static func quote(_ s: String) -> String {
        let shown = s.unicodeScalars.count > 40 ? String(String.UnicodeScalarView(s.unicodeScalars.prefix(40))) + "…" : s
        var out = "\""
        for scalar in shown.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// The keys of a document that were read, and so the keys that were not: abi ignores unknown
/// keys (a newer program's file still reads), but a misspelt one ("diastolc") drops data, so the
/// commands that read one file name them as warnings.
public final class KeyLedger {
    private var readPaths: Set<String> = []
    private var objects: [(path: String, keys: [String])] = []

    public init() {}

    func saw(_ reader: ObjectReader) { objects.append((reader.path, reader.object.members.map(\.key))) }
    func read(_ path: String) { readPaths.insert(path) }

    /// The paths of the keys nobody read, in document order.
    public var unread: [String] {
        objects.flatMap { object in
            object.keys.map { object.path.isEmpty ? $0 : object.path + "." + $0 }.filter { !readPaths.contains($0) }
        }
    }
}
