/// The exit codes every command uses (docs/formats.md), after sysexits.h.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    case success = 0
    /// The command line is wrong.
    case usage = 64
    /// Invalid input data; the message names the file, JSON path and value.
    case dataError = 65
    /// An input file is missing or unreadable.
    case noInput = 66
    /// A device is missing, busy or not permitted; the message says which and how to fix it.
    case unavailable = 69
    /// An output file cannot be created.
    case cannotCreate = 73
    /// An I/O error during capture.
    case ioError = 74
}

/// Safe file names built from patient ids, which may hold any character (`../../etc/x`).
public enum FileName {
    /// Keeps letters, digits, `-` and `_`; every other run of characters becomes one `_`.
    /// Never empty, never starting with a dot or a dash, at most 64 characters.
    public static func sanitized(_ patientId: String) -> String {
        var out = ""
        var lastWasReplacement = false
        for scalar in patientId.unicodeScalars {
            let keep = (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z")
                || (scalar >= "0" && scalar <= "9") || scalar == "-"
            if keep {
                out.unicodeScalars.append(scalar)
                lastWasReplacement = false
            } else if !lastWasReplacement {
                out += "_"
                lastWasReplacement = true
            }
            if out.unicodeScalars.count >= 64 { break }
        }
        let trimmed = String(out.unicodeScalars.drop(while: { $0 == "_" || $0 == "-" }))
        return trimmed.isEmpty ? "patient" : trimmed
    }
}
