import ABICore
import Foundation
import Testing

/// Mutation fuzzing of the exam parser, seeded from the test vectors: every input either
/// decodes to an exam whose result can be computed, or is rejected with an InputError — never
/// a crash or a hang. (scripts/fuzz runs the same target under libFuzzer for longer.)
@Suite struct FuzzTests {
    static let seeds: [[UInt8]] = {
        let dir = vectorsDirectory
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".exam.json") }.sorted()
        return files.compactMap { try? Array(Data(contentsOf: dir.appendingPathComponent($0))) }
    }()

    static let fragments: [[UInt8]] = [
        "null", "true", "0", "-1", "301", "1e999", "0.5", "\"\"", "\"x\"", "[]", "{}", "\"absent\"", "\"deviceError\"",
        "\"noncompressible\"", "\"leftToe\"", "\"\\ud800\"", ",", ":", "{", "}", "[", "]", "\"seq\":1", "\u{0}", "\u{FF}",
    ].map { Array($0.utf8) }

    static func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<(1 + Int(rng.next() % 4)) {
            guard !bytes.isEmpty else { break }
            let at = Int(rng.next() % UInt64(bytes.count))
            switch rng.next() % 5 {
            case 0: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
            case 1: bytes.remove(at: at)
            case 2: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
            case 3:
                let end = min(bytes.count, at + Int(rng.next() % 12))
                bytes.replaceSubrange(at..<end, with: fragments[Int(rng.next() % UInt64(fragments.count))])
            default:
                let end = min(bytes.count, at + Int(rng.next() % 40))
                bytes.removeSubrange(at..<end)
            }
        }
        return bytes
    }

    @Test("Mutated exam files never crash the parser or the rules")
    func mutations() {
        #expect(FuzzTests.seeds.count >= 20)
        var rng = SplitMix64(seed: 42)
        var accepted = 0
        var rejected = 0
        for i in 0..<30_000 {
            let input = FuzzTests.mutate(FuzzTests.seeds[i % FuzzTests.seeds.count], &rng)
            do {
                let exam = try ExamFile.decode(input)
                _ = ResultFile.encode(exam.result(options: RuleOptions(ankle: i % 2 == 0 ? .higher : .lower)), pretty: false)
                _ = ResultSummary.text(exam.result())
                accepted += 1
            } catch {
                #expect(!error.description.isEmpty)
                rejected += 1
            }
        }
        // Both outcomes occur, so the mutations reach past the syntax check into validation.
        #expect(accepted > 500)
        #expect(rejected > 1_000)
    }

    @Test("Values of every type in every place are rejected with a path, never accepted wrongly")
    func typeConfusion() throws {
        let replacements: [JSONValue] = [.null, .bool(true), .string("120"), .array([]), .object(JSONObject()),
                                         try JSONParser.parse("-3"), try JSONParser.parse("120.5"), try JSONParser.parse("400")]
        for seed in FuzzTests.seeds.prefix(5) {
            let document = try JSONParser.parse(seed)
            for (path, replaced) in FuzzTests.everyReplacement(document, replacements) {
                do {
                    let exam = try ExamFile.decode(replaced)
                    // When it is accepted, every pressure in it is still plausible.
                    for reading in exam.readings {
                        if let s = reading.state.systolic { #expect((1...300).contains(s), "\(path)") }
                    }
                } catch {
                    #expect(!error.description.isEmpty)
                }
            }
        }
    }

    /// Every document obtained by replacing one value (at any depth) with one of `replacements`.
    static func everyReplacement(_ value: JSONValue, _ replacements: [JSONValue], path: String = "$") -> [(String, JSONValue)] {
        var out: [(String, JSONValue)] = replacements.map { (path, $0) }
        switch value {
        case .array(let items):
            for (i, item) in items.enumerated() {
                for (p, r) in everyReplacement(item, replacements, path: "\(path)[\(i)]") {
                    var copy = items
                    copy[i] = r
                    out.append((p, .array(copy)))
                }
            }
        case .object(let object):
            for (i, member) in object.members.enumerated() {
                for (p, r) in everyReplacement(member.value, replacements, path: "\(path).\(member.key)") {
                    var members = object.members
                    members[i] = JSONMember(member.key, r)
                    out.append((p, .object(JSONObject(members))))
                }
            }
        default:
            break
        }
        return out
    }
}
