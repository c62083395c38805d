import ABICore
import Foundation
import Testing

@Suite struct JSONTests {
    @Test("Numbers keep their literal text and convert exactly")
    func numbers() throws {
        let value = try JSONParser.parse(#"[0.95, 120, 120.0, 1.2e2, -0, 12.50, 1E-2]"#)
        guard case .array(let items) = value else { Issue.record("not an array"); return }
        let numbers = items.compactMap { if case .number(let n) = $0 { n } else { nil } }
        #expect(numbers.map(\.literal) == ["0.95", "120", "120.0", "1.2e2", "-0", "12.50", "1E-2"])
        #expect(numbers.map(\.wholeNumber) == [nil, 120, 120, 120, 0, nil, nil])
        #expect(numbers[0].decimal?.hundredths == 95)
        #expect(numbers[5].decimal?.description == "12.5")
        #expect(numbers[6].decimal?.hundredths == 1)
    }

    @Test("Exact decimal comparison", arguments: [("2", "1.99", false), ("1.99", "2", true), ("14", "14.0", false), ("-1", "0.5", true)])
    func decimalOrder(_ a: String, _ b: String, _ less: Bool) throws {
        guard case .array(let items) = try JSONParser.parse("[\(a),\(b)]"),
              case .number(let x) = items[0], case .number(let y) = items[1] else { Issue.record("parse"); return }
        #expect((x.decimal! < y.decimal!) == less)
    }

    @Test("Strings: escapes, surrogate pairs, and UTF-8")
    func strings() throws {
        let value = try JSONParser.parse(#"["a\"b\\c\/d\n\t", "\u00e9\ud83e\uddb6", "é🦶"]"#)
        #expect(value == .array([.string("a\"b\\c/d\n\t"), .string("é🦶"), .string("é🦶")]))
    }

    @Test("Syntax errors give the line and column", arguments: [
        ("", "the document is empty"),
        ("{\"a\":1,}", "expected a quoted member name"),
        ("[1,]", "unexpected character, expected a value"),
        ("[01]", "leading zeros"),
        ("[1.]", "a digit must follow '.'"),
        ("{\"a\" 1}", "expected ':'"),
        ("\"abc", "unterminated string"),
        ("\"\\x\"", "invalid escape"),
        ("\"\\ud800\"", "lone UTF-16 surrogate"),
        ("[1] x", "unexpected text after"),
        ("tru", "expected true"),
        ("{\"a\":1,\"a\":2}", "duplicate member"),
        ("\"a\u{01}b\"", "control character"),
        (String(repeating: "[", count: 65) + String(repeating: "]", count: 65), "nesting deeper than 64"),
    ])
    func syntaxErrors(_ text: String, _ fragment: String) {
        do {
            _ = try JSONParser.parse(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.contains(fragment), "\(error)")
        }
    }

    @Test("Error position counts lines and characters")
    func position() {
        do {
            _ = try JSONParser.parse("{\n  \"é\": tru\n}")
            Issue.record("accepted")
        } catch {
            #expect(error.line == 2)
            #expect(error.column == 8)
        }
    }

    @Test("Invalid UTF-8 is rejected, not repaired")
    func invalidUTF8() {
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test("The writer's output parses back to the same values, for random strings and numbers")
    func writerRoundTrip() throws {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<500 {
            let scalars = (0..<Int(rng.next() % 20)).map { _ -> Unicode.Scalar in
                let pick = rng.next() % 4
                let v: UInt32 = pick == 0 ? UInt32(rng.next() % 0x20) : pick == 1 ? UInt32(0x20 + rng.next() % 0x60)
                    : pick == 2 ? UInt32(0xA0 + rng.next() % 0x700) : UInt32(0x1F300 + rng.next() % 0x100)
                return Unicode.Scalar(v)!
            }
            var s = ""
            s.unicodeScalars.append(contentsOf: scalars)
            let n = Int(truncatingIfNeeded: rng.next()) >> 8
            var w = JSONWriter()
            w.beginObject()
            w.string("s", s)
            w.int("n", n)
            w.hundredths("h", n % 100_000)
            w.endObject()
            let parsed = try JSONParser.parse(w.bytes)
            guard case .object(let o) = parsed, case .string(let back)? = o["s"], case .number(let num)? = o["n"],
                  case .number(let h)? = o["h"] else { Issue.record("shape"); return }
            #expect(back == s)
            #expect(num.wholeNumber == n)
            #expect(h.decimal?.hundredths == n % 100_000)
            // Foundation's parser agrees that it is valid JSON.
            #expect((try? JSONSerialization.jsonObject(with: Data(w.bytes))) != nil)
        }
    }
}

/// A small deterministic random generator so property and fuzz tests are repeatable.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
