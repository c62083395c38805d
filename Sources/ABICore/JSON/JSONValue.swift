/// A parsed JSON document that keeps every number exactly as written.
///
/// Clinical values must never pass through binary floating point (RULES R8), so numbers stay
/// as their literal text until a field asks for a whole number or an exact decimal.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The JSON type name used in error messages ("a string", "an object", …).
    public var typeDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number(let n): n.isWhole ? "a whole number" : "a fraction"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// One member of a JSON object.
public struct JSONMember: Sendable, Equatable {
    public var key: String
    public var value: JSONValue

    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// A JSON object with its members in document order. Keys are unique (the parser rejects
/// duplicates, which would make a reading ambiguous).
public struct JSONObject: Sendable, Equatable {
    public var members: [JSONMember]

    public init(_ members: [JSONMember] = []) {
        self.members = members
    }

    public subscript(key: String) -> JSONValue? {
        for member in members where member.key == key { return member.value }
        return nil
    }
}

/// A JSON number literal, validated against the RFC 8259 grammar and kept as text.
public struct JSONNumber: Sendable, Equatable, CustomStringConvertible {
    /// The literal exactly as it appeared in the document.
    public let literal: String

    init(validatedLiteral: String) { self.literal = validatedLiteral }

    public var description: String { literal }

    /// The value as an exact decimal, or nil when it is too large to hold.
    public var decimal: ExactDecimal? { ExactDecimal(jsonLiteral: literal) }

    /// The value as a whole number, when it is one (`120`, `120.0` and `1.2e2` all are).
    public var wholeNumber: Int? {
        guard let d = decimal else { return nil }
        return d.wholeNumber
    }

    var isWhole: Bool { wholeNumber != nil }
}
