import ABICore
import Testing

/// Properties over random valid exams, with the expected values recomputed independently here.
@Suite struct PropertyTests {
    static func randomState(_ rng: inout SplitMix64, numericBias: UInt64 = 7) -> ReadingState {
        switch rng.next() % (numericBias + 4) {
        case 0: .absent
        case 1: .noncompressible(atPressure: Pressure(mmHg: Int(200 + rng.next() % 101)))
        case 2: .notMeasured(reason: "wound")
        case 3: .deviceError(code: String(rng.next() % 90), message: nil)
        default: mmHg(Int(1 + rng.next() % 300))
        }
    }

    @Test("Every ABI equals (200·A + B) / (2·B) with A and B recomputed independently; every TBI likewise")
    func abiFormula() {
        var rng = SplitMix64(seed: 2026)
        var checked = 0
        for _ in 0..<20_000 {
            var list: [(Site, ReadingState)] = []
            for site in Site.allCases {
                for _ in 0..<Int(rng.next() % 3) { list.append((site, PropertyTests.randomState(&rng))) }
            }
            // Shuffle so that the array order is not the seq order's only witness.
            list.shuffle(using: &rng)
            let exam = makeExam(list)
            let ankle: AnkleMethod = rng.next() % 2 == 0 ? .higher : .lower
            let result = exam.result(options: RuleOptions(ankle: ankle))

            // Independent recomputation: last reading per site by seq (= position + 1 in `list`).
            var latest: [Site: ReadingState] = [:]
            for (site, state) in list { latest[site] = state }
            func value(_ site: Site) -> Int? {
                if case .numeric(let p)? = latest[site] { return p.systolic.mmHg }
                return nil
            }
            let arms = [value(.rightBrachial), value(.leftBrachial)].compactMap { $0 }
            let b = arms.max()
            #expect(result.brachial.used == b)
            for side in Side.allCases {
                let leg = result.leg(side)
                let sites = side == .right ? (Site.rightPosteriorTibial, Site.rightDorsalisPedis) : (.leftPosteriorTibial, .leftDorsalisPedis)
                let ankles = [value(sites.0), value(sites.1)].compactMap { $0 }
                let anyNoncompressible = [sites.0, sites.1].contains { if case .noncompressible? = latest[$0] { true } else { false } }
                let a = ankle == .higher ? ankles.max() : ankles.min()
                if let a, let b, !anyNoncompressible {
                    #expect(leg.abi == (200 * a + b) / (2 * b), "A \(a) B \(b)")
                    // Cross-check against exact rational rounding: round-half-up of a/b to hundredths.
                    let scaled = a * 100
                    let expected = scaled / b + ((scaled % b) * 2 >= b ? 1 : 0)
                    #expect(leg.abi == expected)
                    checked += 1
                } else {
                    #expect(leg.abi == nil)
                }
                if let toe = value(side == .right ? .rightToe : .leftToe), let b {
                    #expect(leg.tbi == (200 * toe + b) / (2 * b))
                    #expect(leg.tbiAbnormal == ((200 * toe + b) / (2 * b) <= 70))
                } else {
                    #expect(leg.tbi == nil)
                }
                // A missing or implausible value is never shown as a measurement.
                if let p = leg.anklePressure { #expect((1...300).contains(p)) }
            }
            #expect(result.patientAbi == [result.right.abi, result.left.abi].compactMap { $0 }.min())
        }
        #expect(checked > 5_000)
    }

    @Test("Random exams survive the exam-file round trip and give the same result after it")
    func roundTrip() throws {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<2_000 {
            var list: [(Site, ReadingState)] = []
            for site in Site.allCases where rng.next() % 4 != 0 {
                list.append((site, PropertyTests.randomState(&rng)))
            }
            let exam = makeExam(list)
            let again = try ExamFile.decode(Array(ExamFile.encode(exam).utf8))
            #expect(again == exam)
            #expect(again.result() == exam.result())
        }
    }
}
