/// Writes JSON text with members in the order they are written, which is how the contracts
/// in docs/formats.md list them.
///
/// Compact output is one line (JSON Lines, `--batch`); pretty output indents by two spaces.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    private let pretty: Bool
    private var depth = 0
    private var needsComma = false

    public init(pretty: Bool = false, reservingCapacity capacity: Int = 1024) {
        self.pretty = pretty
        bytes.reserveCapacity(capacity)
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Empties the buffer, keeping its capacity (for reuse across batch lines).
    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        depth = 0
        needsComma = false
    }

    // MARK: Structure

    public mutating func beginObject(_ key: String? = nil) { open(key, UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray(_ key: String? = nil) { open(key, UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    private mutating func open(_ key: String?, _ bracket: UInt8) {
        element(key)
        bytes.append(bracket)
        depth += 1
        needsComma = false
    }

    private mutating func close(_ bracket: UInt8) {
        depth -= 1
        if pretty && needsComma { newline() }
        bytes.append(bracket)
        needsComma = true
    }

    private mutating func newline() {
        bytes.append(0x0A)
        for _ in 0..<(depth * 2) { bytes.append(0x20) }
    }

    private mutating func element(_ key: String?) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        if pretty && depth > 0 { newline() }
        if let key {
            appendString(key)
            bytes.append(UInt8(ascii: ":"))
            if pretty { bytes.append(0x20) }
        }
        needsComma = true
    }

    // MARK: Values

    public mutating func null(_ key: String? = nil) {
        element(key)
        bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
    }

    public mutating func bool(_ key: String? = nil, _ value: Bool?) {
        guard let value else { return null(key) }
        element(key)
        let word: StaticString = value ? "true" : "false"
        bytes.append(contentsOf: UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount))
    }

    public mutating func int(_ key: String? = nil, _ value: Int?) {
        guard let value else { return null(key) }
        element(key)
        appendInt(value)
    }

    /// A value held in hundredths, written with two decimals (`95` → `0.95`, `110` → `1.10`).
    public mutating func hundredths(_ key: String? = nil, _ value: Int?) {
        guard let value else { return null(key) }
        element(key)
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        let magnitude = value.magnitude
        appendInt(Int(magnitude / 100))
        bytes.append(UInt8(ascii: "."))
        bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 100 / 10))
        bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
    }

    public mutating func decimal(_ key: String? = nil, _ value: ExactDecimal?) {
        guard let value else { return null(key) }
        element(key)
        bytes.append(contentsOf: value.description.utf8)
    }

    public mutating func string(_ key: String? = nil, _ value: String?) {
        guard let value else { return null(key) }
        element(key)
        appendString(value)
    }

    private mutating func appendInt(_ value: Int) {
        if value == 0 {
            bytes.append(UInt8(ascii: "0"))
            return
        }
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while magnitude > 0 {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            }
            for i in stride(from: count - 1, through: 0, by: -1) { bytes.append(buffer[i]) }
        }
    }

    private mutating func appendString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            // Copy runs that need no escaping in one go; escape the rest byte by byte.
            var runStart = 0
            for i in 0..<utf8.count {
                let byte = utf8[i]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == 0x7F else { continue }
                if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
                runStart = i + 1
                switch byte {
                case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
                case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                default:
                    let hex: StaticString = "0123456789abcdef"
                    bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                              hex.utf8Start[Int(byte >> 4)], hex.utf8Start[Int(byte & 0xF)]])
                }
            }
            if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
