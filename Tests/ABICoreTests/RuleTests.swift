import ABICore
import Testing

/// Boundary tests for each rule of docs/rules.md, named by rule id.
@Suite struct RuleTests {
    // MARK: R8 exact rounding

    @Test("R8: half-up ties and the ratios binary floating point gets wrong",
          arguments: [(199, 200, 100), (181, 200, 91), (281, 200, 141), (141, 200, 71), (179, 200, 90),
                      (1, 200, 1), (1, 201, 0), (300, 1, 30000), (90, 100, 90), (91, 100, 91), (57, 100, 57)])
    func r8(_ a: Int, _ b: Int, _ hundredths: Int) {
        #expect(Ratio.hundredths(a, over: b) == hundredths)
    }

    @Test("R8: ABI written with two decimals")
    func r8Text() {
        #expect(Ratio.text(100) == "1.00")
        #expect(Ratio.text(91) == "0.91")
        #expect(Ratio.text(5) == "0.05")
        #expect(Ratio.text(141) == "1.41")
    }

    // MARK: R10, R11

    @Test("R10: categories at 0.90/0.91, 0.99/1.00, 1.40/1.41",
          arguments: [(90, ABICategory.abnormal), (91, .borderline), (99, .borderline), (100, .normal),
                      (140, .normal), (141, .noncompressible), (0, .abnormal)])
    func r10(_ abi: Int, _ category: ABICategory) {
        #expect(ABICategory(abi: abi) == category)
    }

    @Test("R10 through the calculation: 0.90 is abnormal, 0.91 borderline, 1.40 normal, 1.41 noncompressible",
          arguments: [(90, "abnormal"), (91, "borderline"), (140, "normal"), (141, "noncompressible")])
    func r10Exam(_ ankle: Int, _ category: String) {
        let result = standardExam(rightArm: mmHg(100), rightPT: mmHg(ankle), rightDP: mmHg(ankle - 1), leftArm: mmHg(99)).result()
        #expect(result.right.abi == ankle)
        #expect(result.right.category?.rawValue == category)
    }

    @Test("R11: common scheme 0.70–0.90 mild, 0.40–0.69 moderate, <0.40 severe",
          arguments: [(90, Severity.mild), (70, .mild), (69, .moderate), (40, .moderate), (39, .severe), (0, .severe)])
    func r11Common(_ abi: Int, _ severity: Severity) {
        #expect(Severity(abi: abi, scheme: .common) == severity)
    }

    @Test("R11: NICE scheme 0.50–0.90 mild-moderate, <0.50 severe",
          arguments: [(90, Severity.mildModerate), (50, .mildModerate), (49, .severe)])
    func r11Nice(_ abi: Int, _ severity: Severity) {
        #expect(Severity(abi: abi, scheme: .nice) == severity)
    }

    @Test("R11: no severity unless abnormal")
    func r11OnlyAbnormal() {
        #expect(Severity(abi: 91, scheme: .common) == nil)
        #expect(Severity(abi: 91, scheme: .nice) == nil)
        let result = standardExam(rightArm: mmHg(100), rightPT: mmHg(95), leftArm: mmHg(100)).result(options: RuleOptions(severity: .nice))
        #expect(result.right.severity == nil)
        let severe = standardExam(rightArm: mmHg(100), rightPT: mmHg(45), rightDP: mmHg(40)).result(options: RuleOptions(severity: .nice))
        #expect(severe.right.severity == .severe)
    }

    // MARK: R4, R5, R6, R7, R13

    @Test("R4: the latest reading at a site is used, whatever the array order")
    func r4() {
        var exam = standardExam()
        exam.readings.append(Reading(site: .rightPosteriorTibial, seq: 0, state: mmHg(200)))
        exam.readings.append(Reading(site: .rightPosteriorTibial, seq: 20, state: mmHg(90)))
        exam.readings.append(Reading(site: .rightPosteriorTibial, seq: 10, state: mmHg(150)))
        let result = exam.result()
        #expect(result.right.anklePressure == 110)  // DP 110 is higher than PT 90
        #expect(result.right.ankleArtery == .dorsalisPedis)
    }

    @Test("R5: first arm more than 10 above the other without a repeat raises the warning, side first arm")
    func r5NoRepeat() {
        let result = makeExam([(.leftBrachial, mmHg(141)), (.leftPosteriorTibial, mmHg(130)), (.rightBrachial, mmHg(130))]).result()
        #expect(result.flags(.firstArmRepeatRequired).map(\.side) == [.left])
        #expect(result.brachial.used == 141)
    }

    @Test("R5: exactly 10 above does not need a repeat")
    func r5Exactly10() {
        let result = makeExam([(.leftBrachial, mmHg(140)), (.rightBrachial, mmHg(130))]).result()
        #expect(result.flags(.firstArmRepeatRequired).isEmpty)
    }

    @Test("R5: a repeat of the first arm is used and clears the warning")
    func r5Repeat() {
        let result = makeExam([(.rightBrachial, mmHg(162)), (.rightPosteriorTibial, mmHg(120)), (.leftBrachial, mmHg(130)),
                               (.rightBrachial, mmHg(134))]).result()
        #expect(result.flags(.firstArmRepeatRequired).isEmpty)
        #expect(result.brachial.right == 134)
        #expect(result.brachial.used == 134)
    }

    @Test("R6: with only one arm numeric it is used; with none, no ABI or TBI")
    func r6() {
        let one = standardExam(rightArm: .absent, leftArm: mmHg(130)).result()
        #expect(one.brachial.used == 130)
        #expect(one.brachial.usedSide == .left)
        #expect(one.brachial.interArmDifference == nil)
        #expect(one.right.abi == Ratio.hundredths(120, over: 130))

        let none = standardExam(rightArm: .notMeasured(reason: "lymphoedema"), leftArm: .absent,
                                extra: [(.rightToe, mmHg(80))]).result()
        #expect(none.brachial.used == nil)
        #expect(none.right.status == .notCalculable)
        #expect(none.right.abi == nil)
        #expect(none.right.tbi == nil)
        #expect(none.right.toePressure == 80)
        #expect(none.patientAbi == nil)
        #expect(none.flags(.noBrachialPressure).count == 1)
        #expect(none.flags(.noBrachialPressure).first?.side == nil)
        #expect(none.flags(.noBrachialPressure).first?.level == .warning)
    }

    @Test("R6/R9: equal arms use the right side")
    func r6Tie() {
        let result = standardExam(rightArm: mmHg(130), leftArm: mmHg(130)).result()
        #expect(result.brachial.usedSide == .right)
    }

    @Test("R7: higher by default, lower when asked; ties report the posterior tibial")
    func r7() {
        let exam = standardExam(rightPT: mmHg(100), rightDP: mmHg(120), leftPT: mmHg(110), leftDP: mmHg(110))
        let higher = exam.result()
        #expect(higher.right.anklePressure == 120)
        #expect(higher.right.ankleArtery == .dorsalisPedis)
        #expect(higher.left.ankleArtery == .posteriorTibial)
        let lower = exam.result(options: RuleOptions(ankle: .lower))
        #expect(lower.right.anklePressure == 100)
        #expect(lower.right.ankleArtery == .posteriorTibial)
        #expect(lower.left.ankleArtery == .posteriorTibial)
        #expect(RuleOptions(ankle: .lower).description.contains("NON-STANDARD"))
        #expect(!RuleOptions().description.contains("NON-STANDARD"))
        #expect(ResultFile.encode(lower, pretty: false).contains("\"nonStandard\""))
        #expect(!ResultFile.encode(higher, pretty: false).contains("nonStandard"))
    }

    @Test("R7: absent, notMeasured and deviceError never enter the max or min")
    func r7Exclusions() {
        for state in [ReadingState.absent, .notMeasured(reason: "wound"), .deviceError(code: "3", message: nil)] {
            let lower = standardExam(rightPT: state, rightDP: mmHg(90)).result(options: RuleOptions(ankle: .lower))
            #expect(lower.right.anklePressure == 90)
            #expect(lower.right.status == .ok)
        }
    }

    @Test("R13: inter-arm difference of 15 is not flagged, 16 is, naming the lower arm")
    func r13() {
        let fifteen = standardExam(rightArm: mmHg(120), leftArm: mmHg(135)).result()
        #expect(fifteen.brachial.interArmDifference == 15)
        #expect(fifteen.flags(.interArmDifference).isEmpty)
        let sixteen = standardExam(rightArm: mmHg(120), leftArm: mmHg(136)).result()
        #expect(sixteen.flags(.interArmDifference).map(\.side) == [.right])
        #expect(sixteen.flags(.interArmDifference).first?.message.contains("subclavian stenosis, right") == true)
    }

    // MARK: R9 leg status

    @Test("R9: leg status, first match wins",
          arguments: [
            (mmHg(100), ReadingState.noncompressible(atPressure: nil), LegStatus.noncompressible),
            (.absent, .noncompressible(atPressure: Pressure(mmHg: 250)), .noncompressible),
            (.absent, mmHg(60), .ok),
            (.deviceError(code: "1", message: nil), mmHg(60), .ok),
            (.absent, .absent, .absent),
            (.absent, .notMeasured(reason: "dressing"), .absent),
            (.absent, .deviceError(code: "4", message: nil), .notCalculable),
            (.deviceError(code: "4", message: nil), .notMeasured(reason: "wound"), .notCalculable),
            (.notMeasured(reason: "amputation"), .notMeasured(reason: "amputation"), .notMeasured),
          ])
    func r9(_ pt: ReadingState, _ dp: ReadingState, _ status: LegStatus) {
        let result = standardExam(leftPT: pt, leftDP: dp).result()
        #expect(result.left.status == status)
        if status != .ok {
            #expect(result.left.abi == nil)
        }
        if status == .noncompressible {
            #expect(result.left.category == .noncompressible)
            #expect(result.left.anklePressure == nil)
        }
        if status == .absent || status == .notMeasured || status == .notCalculable {
            #expect(result.left.category == nil)
        }
    }

    @Test("R9: a leg with no ankle readings at all is notMeasured")
    func r9NothingMeasured() {
        let result = makeExam([(.rightBrachial, mmHg(120)), (.rightPosteriorTibial, mmHg(100))]).result()
        #expect(result.left.status == .notMeasured)
        #expect(result.left.wifiIschemiaGrade == nil)
    }

    // MARK: R12, R14, R15

    @Test("R12: TBI 0.70 is abnormal, 0.71 is not; an absent toe reports no TBI")
    func r12() {
        let result = standardExam(rightArm: mmHg(100), leftArm: mmHg(90),
                                  extra: [(.rightToe, mmHg(70)), (.leftToe, mmHg(71))]).result()
        #expect(result.right.tbi == 70)
        #expect(result.right.tbiAbnormal == true)
        #expect(result.left.tbi == 71)
        #expect(result.left.tbiAbnormal == false)

        let absent = standardExam(extra: [(.rightToe, .absent)]).result()
        #expect(absent.right.tbi == nil)
        #expect(absent.right.toePressure == nil)
        #expect(absent.right.tbiAbnormal == nil)
        #expect(absent.right.wifiIschemiaGrade == 3)
        #expect(absent.flags(.toePressureBelow30).map(\.side) == [.right])
    }

    @Test("R14: WIfI grade from the ABI", arguments: [(80, 0), (79, 1), (60, 1), (59, 2), (40, 2), (39, 3)])
    func r14Abi(_ abi: Int, _ grade: Int) {
        // B = 300 keeps the ankle pressure grade no worse than the ABI grade (A ≥ 117 → grade 0 above 100).
        let b = 300
        let a = (abi * b + 50) / 100  // an A whose rounded ratio is `abi`
        let result = standardExam(rightArm: mmHg(b), rightPT: mmHg(a), rightDP: mmHg(a), leftArm: mmHg(b - 1)).result()
        #expect(result.right.abi == abi)
        let ankleGrade = a > 100 ? 0 : a >= 70 ? 1 : a >= 50 ? 2 : 3
        #expect(result.right.wifiIschemiaGrade == max(grade, ankleGrade))
    }

    @Test("R14: WIfI grade from the ankle pressure (70 is grade 1)", arguments: [(101, 0), (100, 1), (70, 1), (69, 2), (50, 2), (49, 3)])
    func r14Ankle(_ a: Int, _ grade: Int) {
        // B = a keeps the ABI at 1.00 (grade 0), so the grade is the ankle pressure's.
        let result = standardExam(rightArm: mmHg(a), rightPT: mmHg(a), rightDP: mmHg(a), leftArm: mmHg(a)).result()
        #expect(result.right.abi == 100)
        #expect(result.right.wifiIschemiaGrade == grade)
    }

    @Test("R14: WIfI grade from the toe pressure", arguments: [(60, 0), (59, 1), (40, 1), (39, 2), (30, 2), (29, 3)])
    func r14Toe(_ toe: Int, _ grade: Int) {
        let result = standardExam(extra: [(.rightToe, mmHg(toe))]).result()
        #expect(result.right.wifiIschemiaGrade == grade)
    }

    @Test("R14: a noncompressible category leaves the ABI and ankle pressure out of the grade")
    func r14Noncompressible() {
        let result = standardExam(rightArm: mmHg(100), rightPT: mmHg(150), leftArm: mmHg(100), extra: [(.rightToe, mmHg(45))]).result()
        #expect(result.right.category == .noncompressible)
        #expect(result.right.wifiIschemiaGrade == 1)
        let noToe = standardExam(rightArm: mmHg(100), rightPT: mmHg(150), leftArm: mmHg(100)).result()
        #expect(noToe.right.wifiIschemiaGrade == nil)
        #expect(noToe.flags(.noncompressibleNeedsTBI).map(\.side) == [.right])
    }

    @Test("R15: the patient ABI is the lower leg ABI")
    func r15() {
        let result = standardExam(rightPT: mmHg(90), rightDP: mmHg(80), leftPT: mmHg(110)).result()
        #expect(result.patientAbi == min(result.right.abi!, result.left.abi!))
        #expect(result.patientAbi == 75)
        let oneLeg = standardExam(leftPT: .absent, leftDP: .absent).result()
        #expect(oneLeg.patientAbi == oneLeg.right.abi)
    }

    // MARK: R16 exercise

    @Test("R16: drop percent, both criteria, and the resting B when no arm was taken after exercise")
    func r16() {
        // Resting: B 130, right A 130 → 1.00. After: no arm, right PT 103 → 103/130 = 0.79 (fall 21%, pressure drop 27).
        let exam = makeExam([(.rightBrachial, mmHg(130)), (.rightPosteriorTibial, mmHg(130)), (.leftPosteriorTibial, mmHg(120)),
                             (.leftBrachial, mmHg(128))],
                            post: [(.rightPosteriorTibial, mmHg(103)), (.leftPosteriorTibial, mmHg(89))])
        let result = exam.result()
        let right = try! #require(result.right.exercise)
        #expect(right.abi == 79)
        #expect(right.abiDropPercent == 21)
        #expect(right.positiveByAbi)
        #expect(right.anklePressureDrop == 27)
        #expect(!right.positiveByPressure)
        // Left: 120/130 = 0.92 → 89/130 = 0.68; fall 24/92 = 26.09% → 26; drop 31 mmHg.
        let left = try! #require(result.left.exercise)
        #expect(left.abi == 68)
        #expect(left.abiDropPercent == 26)
        #expect(left.anklePressureDrop == 31)
        #expect(left.positiveByPressure)
        #expect(result.flags(.exercisePositive).map(\.side) == [.right, .left])
        #expect(result.flags(.exercisePositive).allSatisfy { $0.level == .info })
    }

    @Test("R16: exactly 20% is not positive; a rise is a negative drop")
    func r16Boundaries() {
        // Resting 1.00 (100/100); after 80/100 = 0.80: fall exactly 20%.
        let twenty = makeExam([(.rightBrachial, mmHg(100)), (.rightPosteriorTibial, mmHg(100))],
                              post: [(.rightPosteriorTibial, mmHg(80))]).result()
        #expect(twenty.right.exercise?.abiDropPercent == 20)
        #expect(twenty.right.exercise?.positiveByAbi == false)
        #expect(twenty.flags(.exercisePositive).isEmpty)
        let rise = makeExam([(.rightBrachial, mmHg(100)), (.rightPosteriorTibial, mmHg(100))],
                            post: [(.rightPosteriorTibial, mmHg(112))]).result()
        #expect(rise.right.exercise?.abiDropPercent == -12)
        #expect(rise.right.exercise?.anklePressureDrop == -12)
    }

    @Test("R16: half-up on the magnitude of the drop percent")
    func r16HalfUp() {
        // Resting 0.80 (80/100); after 0.70 (70/100): 10/80 = 12.5% → 13. A rise 0.80 → 0.90 is −12.5% → −13.
        let fall = makeExam([(.rightBrachial, mmHg(100)), (.rightPosteriorTibial, mmHg(80))], post: [(.rightPosteriorTibial, mmHg(70))]).result()
        #expect(fall.right.exercise?.abiDropPercent == 13)
        let rise = makeExam([(.rightBrachial, mmHg(100)), (.rightPosteriorTibial, mmHg(80))], post: [(.rightPosteriorTibial, mmHg(90))]).result()
        #expect(rise.right.exercise?.abiDropPercent == -13)
    }

    @Test("R16: no exercise result for a noncompressible leg or without a post-exercise ankle pressure")
    func r16Eligibility() {
        let result = makeExam([(.rightBrachial, mmHg(100)), (.rightPosteriorTibial, mmHg(150)), (.leftPosteriorTibial, mmHg(90))],
                              post: [(.rightPosteriorTibial, mmHg(100)), (.leftPosteriorTibial, .absent)]).result()
        #expect(result.right.category == .noncompressible)
        #expect(result.right.exercise == nil)
        #expect(result.left.exercise == nil)
    }

    // MARK: R17 vitals

    @Test("R17: MAP estimated half-up, or as measured")
    func r17() {
        // 120/80: PP 40, MAP 80 + 13.33 = 93. 121/80: PP 41 → 93.67 → 94. 122/80: 94.0.
        for (s, map) in [(120, 93), (121, 94), (122, 94), (119, 93)] {
            let vitals = standardExam(rightArm: mmHg(s, 80, pulse: 64)).result().vitals
            #expect(vitals?.map == map, "\(s)/80")
            #expect(vitals?.pulsePressure == s - 80)
            #expect(vitals?.mapSource == .estimated)
            #expect(vitals?.pulseRate == 64)
        }
        let measured = standardExam(rightArm: mmHg(120, 80, map: 90)).result().vitals
        #expect(measured?.map == 90)
        #expect(measured?.mapSource == .measured)
        #expect(measured?.pulseRate == nil)
        // Vitals come from the arm used as B: the left here has the diastolic, the right is used.
        #expect(standardExam(rightArm: mmHg(130), leftArm: mmHg(120, 80)).result().vitals == nil)
    }

    // MARK: R18

    @Test("R18: change beyond 0.08 (0.11 with diabetes); warning above 0.15; the most recent earlier exam")
    func r18() {
        func change(_ nowAbi: Int, prior: Int, diabetes: Bool = false) -> [Flag] {
            // B 100, right A = nowAbi.
            let exam = standardExam(rightArm: mmHg(100), rightPT: mmHg(nowAbi), rightDP: mmHg(nowAbi), leftArm: mmHg(99),
                                    patient: Patient(id: "T", diabetes: diabetes),
                                    prior: [PriorExam(performedAt: Timestamp("2025-01-01")!, rightAbi: 50, leftAbi: nil),
                                            PriorExam(performedAt: Timestamp("2026-05-01T10:00:00Z")!, rightAbi: prior, leftAbi: nil),
                                            PriorExam(performedAt: Timestamp("2027-01-01")!, rightAbi: 20, leftAbi: nil)])
            return exam.result().flags(.abiChange)
        }
        #expect(change(87, prior: 95).isEmpty)  // 0.08: within the measurement error
        #expect(change(86, prior: 95).map(\.level) == [.info])
        #expect(change(80, prior: 95).map(\.level) == [.info])  // 0.15
        #expect(change(79, prior: 95).map(\.level) == [.warning])  // 0.16
        #expect(change(104, prior: 95).map(\.level) == [.info])  // a rise counts too
        #expect(change(111, prior: 95).map(\.level) == [.info])  // v2: a rise of 0.16 is good news, info (v1: warning)
        #expect(change(85, prior: 95, diabetes: true).isEmpty)  // 0.10 ≤ 0.11
        #expect(change(83, prior: 95, diabetes: true).map(\.level) == [.info])
        let message = change(79, prior: 95).first?.message ?? ""
        #expect(message.contains("0.95") && message.contains("0.79") && message.contains("2026-05-01") && message.contains("2026-11-26"))
    }

    // MARK: Flags

    @Test("Flags: ankle pressure below 50 and ABI below 0.40, urgent")
    func ankleAndAbiFlags() {
        let result = standardExam(rightArm: mmHg(130), rightPT: mmHg(49), rightDP: mmHg(40), leftPT: mmHg(50), leftDP: mmHg(52), leftArm: mmHg(125)).result()
        #expect(result.flags(.anklePressureBelow50).map(\.side) == [.right])
        // Right 49/130 = 0.38; left 52/130 = 0.40, which is not below 0.40.
        #expect(result.right.abi == 38)
        #expect(result.left.abi == 40)
        #expect(result.flags(.abiBelow040).map(\.side) == [.right])
        #expect(result.flags.allSatisfy { $0.level == .urgent })
    }

    @Test("Flags: acute limb ischemia needs onset within 14 days and a sign on that leg")
    func acuteLimbIschemia() {
        var symptoms = Symptoms(acuteOnsetDays: ExactDecimal(14), right: LegSymptoms(answers: [.pallor: true]),
                                left: LegSymptoms(answers: [.pallor: false]))
        var result = standardExam(symptoms: symptoms).result()
        #expect(result.flags(.acuteLimbIschemia).map(\.side) == [.right])
        #expect(result.flags.first?.level == .emergency)
        symptoms.acuteOnsetDays = ExactDecimal(significand: 141, scale: 1)  // 14.1 days
        result = standardExam(symptoms: symptoms).result()
        #expect(result.flags(.acuteLimbIschemia).isEmpty)
        symptoms.acuteOnsetDays = nil
        #expect(standardExam(symptoms: symptoms).result().flags(.acuteLimbIschemia).isEmpty)
    }

    @Test("Flags: limb at risk for paralysis or blue/black toes")
    func limbAtRisk() {
        let result = standardExam(symptoms: Symptoms(right: LegSymptoms(answers: [.paralysis: true]),
                                                     left: LegSymptoms(toeDiscoloration: .blue))).result()
        #expect(result.flags(.limbAtRisk).map(\.side) == [.right, .left])
    }

    @Test("Flags: suspected DVT from signs on a leg, or Wells ≥ 2 on the one swollen leg")
    func suspectedDVT() {
        let signs = standardExam(symptoms: Symptoms(left: LegSymptoms(answers: [.swelling: true, .redness: true]))).result()
        #expect(signs.flags(.suspectedDVT).map(\.side) == [.left])
        let swellingOnly = standardExam(symptoms: Symptoms(left: LegSymptoms(answers: [.swelling: true]))).result()
        #expect(swellingOnly.flags(.suspectedDVT).isEmpty)
        let wells = standardExam(symptoms: Symptoms(wellsScore: 2, right: LegSymptoms(answers: [.swelling: true]))).result()
        #expect(wells.flags(.suspectedDVT).map(\.side) == [.right])
        let wellsNoSide = standardExam(symptoms: Symptoms(wellsScore: 3)).result()
        #expect(wellsNoSide.flags(.suspectedDVT).map(\.side) == [nil])
        let wellsLow = standardExam(symptoms: Symptoms(wellsScore: 1, right: LegSymptoms(answers: [.swelling: true]))).result()
        #expect(wellsLow.flags(.suspectedDVT).isEmpty)
    }

    @Test("Flags v2: CLTI suspected from tissue loss needs any PAD evidence",
          arguments: [
            (standardExam(rightArm: mmHg(100), rightPT: mmHg(85), rightDP: mmHg(80)), true),   // ABI 0.85
            (standardExam(extra: [(.rightToe, mmHg(29))]), true),                               // toe < 30
            (standardExam(extra: [(.rightToe, .absent)]), true),                                // toe absent
            (standardExam(extra: [(.rightToe, mmHg(70))]), true),                               // TBI 70/120 = 0.58
            (standardExam(rightPT: .absent, rightDP: .absent), true),                           // status absent
            (standardExam(), false),                                                             // no PAD evidence
          ])
    func cltiTissueLoss(_ exam: Exam, _ flagged: Bool) {
        for sign in [LegSymptoms(woundWeeks: ExactDecimal(2)), LegSymptoms(answers: [.gangrene: true])] {
            var e = exam
            e.symptoms = Symptoms(right: sign)
            #expect(e.result().flags(.cltiSuspected).map(\.side) == (flagged ? [.right] : []))
        }
        var notYet = exam
        notYet.symptoms = Symptoms(right: LegSymptoms(answers: [.restPain: false], woundWeeks: ExactDecimal(significand: 19, scale: 1)))
        #expect(notYet.result().flags(.cltiSuspected).isEmpty)
    }

    @Test("Flags v2: rest pain is CLTI only with ischemia in the range of rest pain (ankle < 50, ABI < 0.40, toe < 30 or absent, no signal); otherwise rest-pain-without-severe-ischemia",
          arguments: [
            (standardExam(rightArm: mmHg(100), rightPT: mmHg(85), rightDP: mmHg(80)), false),  // ABI 0.85: v1 flagged it
            (standardExam(rightArm: mmHg(130), rightPT: mmHg(50), rightDP: mmHg(45)), false),  // ankle 50, ABI 0.38 → flagged by ABI
            (standardExam(extra: [(.rightToe, mmHg(30))]), false),                              // toe 30: not below 30
            (standardExam(extra: [(.rightToe, mmHg(29))]), true),                               // toe 29
            (standardExam(extra: [(.rightToe, .absent)]), true),                                // toe absent
            (standardExam(extra: [(.rightToe, mmHg(70))]), false),                              // TBI 0.58 alone
            (standardExam(rightPT: .absent, rightDP: .absent), true),                           // no ankle signal
          ])
    func cltiRestPain(_ exam: Exam, _ inRange: Bool) {
        var e = exam
        e.symptoms = Symptoms(right: LegSymptoms(answers: [.restPain: true]))
        let result = e.result()
        let abiLow = (result.right.abi ?? 100) < 40
        #expect(result.flags(.cltiSuspected).map(\.side) == (inRange || abiLow ? [.right] : []))
        #expect(result.flags(.restPainWithoutSevereIschemia).map(\.side) == (inRange || abiLow ? [] : [.right]))
        #expect(result.flags(.restPainWithoutSevereIschemia).allSatisfy { $0.level == .info })
    }

    @Test("Flags v2: rest pain at the boundaries: ankle 49 and ABI 0.39 are in the range, 50 and 0.40 are not")
    func restPainBoundaries() {
        func clti(_ arm: Int, _ ankle: Int) -> Bool {
            var e = standardExam(rightArm: mmHg(arm), rightPT: mmHg(ankle), rightDP: mmHg(ankle), leftArm: mmHg(arm - 2))
            e.symptoms = Symptoms(right: LegSymptoms(answers: [.restPain: true]))
            return !e.result().flags(.cltiSuspected).isEmpty
        }
        #expect(clti(100, 49))        // ankle 49 (ABI 0.49)
        #expect(!clti(100, 50))       // ankle 50, ABI 0.50
        #expect(clti(200, 78))        // ABI 0.39, ankle 78
        #expect(!clti(200, 80))       // ABI 0.40
        // A leg with no measure at all (no ankle pressure, no toe) gets neither flag.
        var none = standardExam(rightPT: .notMeasured(reason: "dressing"), rightDP: .notMeasured(reason: "dressing"))
        none.symptoms = Symptoms(right: LegSymptoms(answers: [.restPain: true]))
        #expect(none.result().flags(.cltiSuspected).isEmpty && none.result().flags(.restPainWithoutSevereIschemia).isEmpty)
    }

    @Test("Flags v2: single-arm-brachial when exactly one arm has a pressure, on the arm measured")
    func singleArm() {
        let one = standardExam(leftArm: .notMeasured(reason: "mastectomy")).result()
        #expect(one.flags(.singleArmBrachial).map(\.side) == [.right])
        #expect(one.flags(.singleArmBrachial).first?.message.contains("mastectomy") == true)
        #expect(standardExam().result().flags(.singleArmBrachial).isEmpty)
        let neither = standardExam(rightArm: .absent, leftArm: .notMeasured(reason: "fistula")).result()
        #expect(neither.flags(.singleArmBrachial).isEmpty && !neither.flags(.noBrachialPressure).isEmpty)
    }

    @Test("Flags v2: toe-pressure-implausible above the brachial pressure (TBI above 1.00), not at it")
    func toeImplausible() {
        #expect(standardExam(extra: [(.rightToe, mmHg(120))]).result().flags(.toePressureImplausible).isEmpty)  // B 120
        let above = standardExam(extra: [(.rightToe, mmHg(121)), (.leftToe, mmHg(90))]).result()
        #expect(above.flags(.toePressureImplausible).map(\.side) == [.right])
        #expect(above.flags(.toePressureImplausible).allSatisfy { $0.level == .warning })
    }

    @Test("Flags v2: incomplete-exam for a site of the sequence with no reading at all, one per side; a reason counts as recorded")
    func incompleteExam() {
        let missing = makeExam([(.rightBrachial, mmHg(120)), (.rightPosteriorTibial, mmHg(110)), (.leftPosteriorTibial, mmHg(112)), (.leftDorsalisPedis, mmHg(100))])
        #expect(missing.result().flags(.incompleteExam).map(\.side) == [.right, .left])  // right DP; left brachial
        #expect(missing.result().flags(.incompleteExam).first?.message.contains("right dorsalis pedis") == true)
        let reasons = standardExam(rightDP: .notMeasured(reason: "wound dressing"), leftArm: .notMeasured(reason: "fistula"))
        #expect(reasons.result().flags(.incompleteExam).isEmpty)
    }

    @Test("Flags: device error at an ankle artery suggests retesting with Doppler")
    func deviceError() {
        let result = standardExam(leftDP: .deviceError(code: "3", message: "retry count exceeded")).result()
        #expect(result.flags(.deviceErrorPossiblePAD).map(\.side) == [.left])
        #expect(result.flags(.deviceErrorPossiblePAD).first?.message.contains("Doppler") == true)
    }

    @Test("Flags are ordered by level, then docs/rules.md table order, then right before left")
    func ordering() {
        let exam = standardExam(rightArm: mmHg(130), rightPT: mmHg(45), rightDP: mmHg(40), leftPT: mmHg(45), leftDP: .deviceError(code: "1", message: nil),
                                leftArm: mmHg(100),
                                symptoms: Symptoms(acuteOnsetDays: ExactDecimal(2), left: LegSymptoms(answers: [.coolness: true])))
        let result = exam.result()
        #expect(result.flagCodes == ["acute-limb-ischemia", "ankle-pressure-below-50", "ankle-pressure-below-50",
                                     "abi-below-0.40", "abi-below-0.40", "device-error-possible-pad", "inter-arm-difference",
                                     "first-arm-repeat-required"])
        #expect(result.flags(.anklePressureBelow50).map(\.side) == [.right, .left])
    }

    // MARK: Symptom patterns

    @Test("Patterns need two features on the leg; matched names are sorted")
    func patterns() {
        let symptoms = Symptoms(radiatesFromBack: true,
                                right: LegSymptoms(answers: [.numbness: true, .briefSpasm: true, .nightOnset: true, .urgeToMove: true]),
                                left: LegSymptoms(answers: [.shootingPain: false, .reliefByMoving: true]))
        let result = standardExam(symptoms: symptoms).result()
        #expect(result.patterns.map(\.pattern) == [.nerveRootCompression, .nocturnalCramp])
        #expect(result.patterns.allSatisfy { $0.side == .right })
        #expect(result.patterns.first?.matched == ["numbness", "radiatesFromBack"])
        #expect(result.patterns.last?.matched == ["briefSpasm", "nightOnset"])
    }
}
