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
        // Split on LF bytes (a String would treat CRLF as one character).
        for (i, rawLine) in Array(bytes).split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            if let chunk = try parseLine(rawLine, number: i + 1) { chunks.append(chunk) }
        }
        return chunks
    }

    /// One line of a raw log (without its LF; a trailing CR is dropped): a timed chunk, or nil
    /// for a blank line or a comment. Lets a reader stream a log of any size.
    /// - Throws: `InputError` naming the line.
    public static func parseLine(_ rawLine: ArraySlice<UInt8>, number: Int) throws(InputError) -> (time: Timestamp, bytes: [UInt8])? {
        let lineBytes = rawLine.last == 0x0D ? rawLine.dropLast() : rawLine
        if lineBytes.isEmpty || lineBytes.first == UInt8(ascii: "#") { return nil }
        guard let space = lineBytes.firstIndex(of: 0x20),
              let time = Timestamp(String(decoding: lineBytes[..<space], as: UTF8.self)) else {
            throw InputError(path: "line \(number)", "expected a UTC time and hex bytes, e.g. \"2026-11-26T09:31:02.114Z 3e0502013a\"")
        }
        guard let chunk = Hex.decode(String(decoding: lineBytes[(space + 1)...], as: UTF8.self)[...]) else {
            throw InputError(path: "line \(number)", "the bytes are not an even number of hex digits")
        }
        return (time, chunk)
    }

    /// The profile a raw log's header names (`# abi-raw/1 profile=nonin-2 port=…`), if any.
    public static func profile(inHeader bytes: some Collection<UInt8>) -> String? {
        guard isRawLog(bytes) else { return nil }
        let firstLine = bytes.prefix { $0 != 0x0A && $0 != 0x0D }
        for word in String(decoding: firstLine, as: UTF8.self).split(separator: " ") where word.hasPrefix("profile=") {
            let name = word.dropFirst("profile=".count)
            return name.isEmpty ? nil : String(name)
        }
        return nil
    }
}
