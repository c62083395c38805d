import ABICore

/// A declarative profile for a device that sends text lines (docs/devices.md): how to recognise
/// it, how to set up its port, and one regular expression per record kind whose named groups
/// map to reading fields. A site can add a Doppler manometer or oximeter without code.
///
/// ```json
/// {"format": "abi-profile/1", "name": "doppler-manometer",
///  "serial": {"baud": 9600}, "silenceSeconds": 5,
///  "records": [{"kind": "cuffPressure", "pattern": "^P=(?<pressure>\\d{1,3})$"},
///              {"kind": "mark", "pattern": "^MARK$"}]}
/// ```
public struct LineProfile: Sendable {
    public static let format = "abi-profile/1"

    /// What a line can be.
    public enum Kind: String, Sendable, CaseIterable {
        case cuffPressure, mark, bloodPressure, oximetry, deviceError

        /// The named groups a pattern of this kind may use, the first ones required.
        var fields: (required: [String], optional: [String]) {
            switch self {
            case .cuffPressure: (["pressure"], [])
            case .mark: ([], ["pressure"])
            case .bloodPressure: (["systolic"], ["diastolic", "map", "pulseRate"])
            case .oximetry: ([], ["spo2", "pulseRate", "perfusion", "alarm", "exception"])
            case .deviceError: ([], ["code", "message"])
            }
        }
    }

    public enum Unit: String, Sendable, CaseIterable { case mmHg, kPa }

    public struct RecordRule: Sendable {
        public let kind: Kind
        public let unit: Unit
        public let regex: LinePattern
        public var pattern: String { regex.pattern }
    }

    /// USB identity that binds a plugged-in device to this profile.
    public struct Match: Sendable, Hashable {
        public var vendorId: String?
        public var productId: String?
        public var serial: String?
        public var product: String?
    }

    public var name: String
    public var description: String?
    public var match: Match?
    public var serial: SerialSettings
    /// Commands sent after opening the port, with their escapes (`\r`, `\n`) already applied.
    public var initCommands: [String]
    public var keepAlive: (command: String, everySeconds: Int)?
    /// A device silent for this long is reported `silent`.
    public var silenceSeconds: Int
    /// How old a cuff pressure may be when the operator marks it (ms): an older one is stale.
    public var markFreshnessMilliseconds: Int
    public var records: [RecordRule]
    /// Texts that mean "no value" (`--`, `---`, `--.-`).
    public var missing: [String]
    /// Words for the bits of a hexadecimal status field (`alarm`, `exception`): each set bit
    /// with a word becomes that word in the reading's status; a set bit without one, `exception 0x000200`.
    public var flags: [String: [(bit: UInt64, word: String)]]

    /// Reads and validates a profile.
    /// - Throws: `InputError` naming the key (`records[1].pattern`) and the problem.
    public static func decode(_ bytes: some Collection<UInt8>) throws(InputError) -> LineProfile {
        let r = try ObjectReader(try InputError.parsingJSON(bytes), at: "", what: "a profile object")
        guard try r.string("format") == format else {
            throw InputError(path: "format", "is required and must be \"\(format)\"")
        }
        let name = try r.requiredText("name", maxLength: 64)
        guard name.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }) else {
            throw InputError(path: "name", "\"\(name)\" may only use lower-case letters, digits and -")
        }
        var match: Match?
        if let m = try r.object("match") {
            match = Match(vendorId: try hexId(m, "vendorId"), productId: try hexId(m, "productId"),
                          serial: try m.text("serial", maxLength: 100), product: try m.text("product", maxLength: 200))
        }
        let serial = try r.object("serial").map(SerialSettings.decode) ?? SerialSettings()
        var initCommands: [String] = []
        for (i, v) in (try r.array("init") ?? []).enumerated() {
            guard case .string(let s) = v else { throw InputError(path: "init[\(i)]", "expected a string, found \(ObjectReader.describe(v, at: "init[\(i)]"))") }
            initCommands.append(s)
        }
        var keepAlive: (String, Int)?
        if let k = try r.object("keepAlive") {
            guard let command = try k.string("command") else { throw k.missing("command") }
            guard let every = try k.int("everySeconds", in: 1...3600) else { throw k.missing("everySeconds") }
            keepAlive = (command, every)
        }
        let silence = try r.int("silenceSeconds", in: 1...3600) ?? 5
        let freshness = try r.int("markFreshnessMilliseconds", in: 50...5000) ?? DeviceProfile.defaultMarkFreshness
        var missing = ["--", "---", "----", "--.-", "-.--", "--.--"]
        if let list = try r.array("missing") {
            missing = []
            for (i, v) in list.enumerated() {
                guard case .string(let s) = v, !s.isEmpty else { throw InputError(path: "missing[\(i)]", "expected a non-empty string") }
                missing.append(s)
            }
        }
        guard let ruleValues = try r.array("records"), !ruleValues.isEmpty else {
            throw InputError(path: "records", "is required: at least one record pattern")
        }
        var rules: [RecordRule] = []
        for (i, v) in ruleValues.enumerated() {
            let rr = try ObjectReader(v, at: "records[\(i)]")
            guard let kind = try rr.choice("kind", Kind.self, what: "record kind") else { throw rr.missing("kind") }
            let pattern = try rr.requiredText("pattern", maxLength: 1000)
            let regex: LinePattern
            do {
                regex = try LinePattern(pattern)
                try regex.check()
            } catch {
                throw InputError(path: rr.childPath("pattern"), "is not a usable regular expression: \(error)")
            }
            let groups = Set(regex.groups.keys)
            let fields = kind.fields
            for required in fields.required where !groups.contains(required) {
                throw InputError(path: rr.childPath("pattern"), "a \(kind.rawValue) pattern needs the named group (?<\(required)>…)")
            }
            for group in groups where !(fields.required + fields.optional).contains(group) {
                throw InputError(path: rr.childPath("pattern"), "the group (?<\(group)>…) is not a field of \(kind.rawValue) (fields: \((fields.required + fields.optional).joined(separator: ", ")))")
            }
            let unit = try rr.choice("unit", Unit.self, what: "unit") ?? .mmHg
            rules.append(RecordRule(kind: kind, unit: unit, regex: regex))
        }
        var flags: [String: [(bit: UInt64, word: String)]] = [:]
        if let f = try r.object("flags") {
            for member in f.object.members {
                guard ["alarm", "exception"].contains(member.key) else {
                    throw InputError(path: f.childPath(member.key), "flags are named alarm or exception")
                }
                let bits = try ObjectReader(member.value, at: f.childPath(member.key))
                var words: [(bit: UInt64, word: String)] = []
                for bit in bits.object.members {
                    let digits = bit.key.hasPrefix("0x") ? bit.key.dropFirst(2) : bit.key[...]
                    guard let value = UInt64(digits, radix: 16), value != 0, value & (value - 1) == 0 else {
                        throw InputError(path: bits.childPath(bit.key), "is not one bit in hexadecimal (e.g. 0x000020)")
                    }
                    guard let word = try bits.text(bit.key, maxLength: 60), !word.isEmpty else {
                        throw InputError(path: bits.childPath(bit.key), "expected the words for this bit")
                    }
                    words.append((value, word))
                }
                flags[member.key] = words.sorted { $0.bit < $1.bit }
            }
        }
        return LineProfile(name: name, description: try r.text("description"), match: match, serial: serial,
                           initCommands: initCommands, keepAlive: keepAlive, silenceSeconds: silence, markFreshnessMilliseconds: freshness,
                           records: rules, missing: missing, flags: flags)
    }

    private static func hexId(_ r: ObjectReader, _ key: String) throws(InputError) -> String? {
        guard let s = try r.string(key) else { return nil }
        guard s.utf8.count == 4, s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw InputError(path: r.childPath(key), "\"\(s)\" is not a USB id (four lower-case hex digits, e.g. 0403)")
        }
        return s
    }
}
