import ABICore

/// The raw device journal as a text file (`--raw-log`): every chunk of bytes received, with its
/// receive time, appended before it is decoded, so any session can be replayed.
///
/// ```
/// # abi-raw/1 profile=suntech-advantage port=/dev/ttyUSB0
/// 2026-11-26T09:31:02.114Z 3e0502013a
/// ```
/// Lines starting with `#` are comments. Times are UTC with milliseconds; bytes are lower-case hex.
public enum RawLog {
    public static let header = "# abi-raw/1"

    /// One journal line for a chunk received at `time`.
    public static func line(_ time: Timestamp, _ bytes: some Sequence<UInt8>) -> String {
        "\(time.text) \(Hex.encode(bytes))\n"
    }

    /// Whether a file's first bytes say it is a raw log (rather than a plain binary capture).
    public static func isRawLog(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.starts(with: header.utf8)
    }

    /// Reads a raw log into its timed chunks.
    /// - Throws: `InputError` naming the line (`line 7`) that is not a time and hex bytes.
    public static func parse(_ bytes: some Collection<UInt8>) throws(InputError) -> [(time: Timestamp, bytes: [UInt8])] {
        var chunks: [(Timestamp, [UInt8])] = []
        // Split on LF bytes (a String would treat CRLF as one character), dropping a trailing CR.
        for (i, rawLine) in Array(bytes).split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            let lineBytes = rawLine.last == 0x0D ? rawLine.dropLast() : rawLine
            let line = String(decoding: lineBytes, as: UTF8.self)[...]
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let time = Timestamp(String(parts[0])) else {
                throw InputError(path: "line \(i + 1)", "expected a UTC time and hex bytes, e.g. \"2026-11-26T09:31:02.114Z 3e0502013a\"")
            }
            guard let chunk = Hex.decode(parts[1]) else {
                throw InputError(path: "line \(i + 1)", "the bytes are not an even number of hex digits")
            }
            chunks.append((time, chunk))
        }
        return chunks
    }
}
