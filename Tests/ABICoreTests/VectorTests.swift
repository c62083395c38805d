import ABICore
import Foundation
import Testing

/// Every vector in Tests/Fixtures/vectors: the exam file must give the expected abi-result/1,
/// compared field by field (message texts excepted). The JSON of both sides is read with
/// Foundation's parser, independent of the project's own.
@Suite struct VectorTests {
    static let names: [String] = {
        let dir = vectorsDirectory
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return files.filter { $0.hasSuffix(".exam.json") }.map { String($0.dropLast(".exam.json".count)) }.sorted()
    }()

    @Test func vectorsArePresent() {
        #expect(VectorTests.names.count >= 20, "expected the test vectors at \(vectorsDirectory.path)")
    }

    @Test("Unknown keys are named (a misspelt diastolc drops a value); the vectors and the formats example have none")
    func unknownKeys() throws {
        for name in VectorTests.names {
            let bytes = try Data(contentsOf: vectorsDirectory.appendingPathComponent("\(name).exam.json"))
            #expect(ExamFile.unknownKeys(Array(bytes)) == [], "\(name)")
        }
        let text = #"{"format":"abi-exam/1","patient":{"id":"P","diabetis":true},"readings":[{"site":"rightBrachial","systolic":120,"diastolc":80}],"symptoms":{"left":{"restPian":true}}}"#
        #expect(ExamFile.unknownKeys(Array(text.utf8)) == ["patient.diabetis", "readings[0].diastolc", "symptoms.left.restPian"])
    }

    @Test(arguments: VectorTests.names)
    func vector(_ name: String) throws {
        let dir = vectorsDirectory
        let examBytes = try Data(contentsOf: dir.appendingPathComponent("\(name).exam.json"))
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("\(name).expected.json")))
        let exam = try ExamFile.decode(Array(examBytes))
        let output = ResultFile.encode(exam.result(), pretty: true)
        let actual = try JSONSerialization.jsonObject(with: Data(output.utf8))
        var differences: [String] = []
        // The flags are compared as a set: vectors v25 and v26 list theirs out of the order that
        // RULES v2 states (level, then table row, then side), which `flagOrder` below checks.
        compare(VectorTests.flagsSorted(expected), VectorTests.flagsSorted(actual), path: "", into: &differences)
        #expect(differences.isEmpty, "\(name): \(differences.joined(separator: "; "))")
    }

    @Test("A result kept with a signature reads back exactly (every vector, both option sets), and says its rule set version")
    func snapshotRoundTrip() throws {
        for name in VectorTests.names {
            let exam = try ExamFile.decode(Array(Data(contentsOf: vectorsDirectory.appendingPathComponent("\(name).exam.json"))))
            for options in [RuleOptions(), RuleOptions(ankle: .lower, severity: .nice)] {
                let result = exam.result(options: options)
                #expect(try ResultFile.decode(Array(ResultFile.snapshot(result).utf8)) == result, "\(name)")
            }
        }
        var older = try ExamFile.decode(Array(Data(contentsOf: vectorsDirectory.appendingPathComponent("v01-normal-arms-equal.exam.json")))).result()
        older.options.version = 1
        let text = ResultFile.snapshot(older)
        #expect(text.contains("\"version\":1"))
        #expect(try ResultFile.decode(Array(text.utf8)).options.description.hasPrefix("acc-aha-2016 v1,"))
        #expect(throws: InputError.self) { try ResultFile.decode(Array(#"{"format":"abi-result/1","rules":{},"brachial":{},"legs":{"right":{"status":"ok"}}}"#.utf8)) }
    }

    static func flagsSorted(_ result: Any) -> Any {
        guard var object = result as? [String: Any], let flags = object["flags"] as? [[String: Any]] else { return result }
        func key(_ f: [String: Any]) -> String { "\(f["code"] ?? "") \(f["level"] ?? "") \(f["side"] ?? "")" }
        object["flags"] = flags.sorted { key($0) < key($1) }
        return object
    }

    @Test("Flags are ordered by level, then by their row in the rules table, then right, left, none (RULES v2)")
    func flagOrder() throws {
        for name in VectorTests.names {
            let exam = try ExamFile.decode(Array(Data(contentsOf: vectorsDirectory.appendingPathComponent("\(name).exam.json"))))
            let flags = exam.result().flags
            let ranks = flags.map { FlagLevel.allCases.firstIndex(of: $0.level)! * 10_000 + FlagCode.allCases.firstIndex(of: $0.code)! * 10 + ($0.side == .right ? 0 : $0.side == .left ? 1 : 2) }
            #expect(ranks == ranks.sorted(), "\(name): \(flags.map(\.code.rawValue))")
        }
        // v25: the left ABI fell 0.20 (warning), the right rose (info): the warning comes first.
        let v25 = try ExamFile.decode(Array(Data(contentsOf: vectorsDirectory.appendingPathComponent("v25-abi-rose-after-revascularisation.exam.json"))))
        #expect(v25.result().flags.map(\.level) == [.warning, .info])
        // v26: clti-suspected (row 4) before toe-pressure-below-30 (row 7), both urgent.
        let v26 = try ExamFile.decode(Array(Data(contentsOf: vectorsDirectory.appendingPathComponent("v26-rest-pain-toe-absent.exam.json"))))
        #expect(v26.result().flags.map(\.code) == [.cltiSuspected, .toePressureBelow30])
    }
}

/// Field-by-field comparison; `message` keys of the actual side are ignored, and every expected
/// key must be present with an equal value (numbers compared numerically).
func compare(_ expected: Any, _ actual: Any, path: String, into differences: inout [String]) {
    switch (expected, actual) {
    case let (e as [String: Any], a as [String: Any]):
        for (key, value) in e {
            guard let other = a[key] else {
                differences.append("\(path).\(key) missing")
                continue
            }
            compare(value, other, path: "\(path).\(key)", into: &differences)
        }
        for key in a.keys where e[key] == nil && key != "message" {
            differences.append("\(path).\(key) unexpected")
        }
    case let (e as [Any], a as [Any]):
        guard e.count == a.count else {
            differences.append("\(path): \(e.count) elements expected, \(a.count) found")
            return
        }
        for (i, pair) in zip(e, a).enumerated() { compare(pair.0, pair.1, path: "\(path)[\(i)]", into: &differences) }
    case let (e as NSNumber, a as NSNumber):
        if e != a { differences.append("\(path): expected \(e), found \(a)") }
    case let (e as String, a as String):
        if e != a { differences.append("\(path): expected \(e), found \(a)") }
    case (is NSNull, is NSNull):
        break
    default:
        differences.append("\(path): expected \(expected), found \(actual)")
    }
}
