/// The one rule for a patient id (a medical record number), used by every entry point: exam
/// files, `abi patients add`, `abi capture`, `abi enter` and the store.
public enum PatientId {
    public static let maximumLength = 64

    /// Why `id` cannot be a patient id, or nil when it can. An id is not blank, has at most 64
    /// characters, and has no control or format characters: no line breaks or tabs (they would
    /// break lists and CSV), no escape sequences (they would drive a terminal), no bidirectional
    /// overrides or invisible characters (two ids that look the same must be the same). The
    /// replacement character U+FFFD is refused too: it is what bytes that are not UTF-8 become,
    /// so different byte strings would collide.
    public static func problem(_ id: String) -> String? {
        if id.unicodeScalars.allSatisfy(\.properties.isWhitespace) { return "must not be empty" }
        if id.unicodeScalars.count > maximumLength { return "is longer than \(maximumLength) characters" }
        for scalar in id.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control: return "contains a control character (U+\(hex(scalar)))"
            case .format: return "contains an invisible formatting character (U+\(hex(scalar)))"
            case .lineSeparator, .paragraphSeparator: return "contains a line break (U+\(hex(scalar)))"
            default: break
            }
            if scalar == "\u{FFFD}" { return "is not valid UTF-8 text" }
        }
        return nil
    }

    private static func hex(_ s: Unicode.Scalar) -> String {
        let digits = String(s.value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
