import Testing
@testable import ABIAudio

/// The classifier checked against published descriptions of peripheral arterial Doppler
/// waveforms (docs/doppler.md lists the sources). Each case is the published description's
/// numbers (velocities as fractions of the normal peak, times in seconds) made into sound at
/// 20 dB, analysed, and compared with the published term.
@Suite("Published waveform descriptions")
struct PublishedTests {
    struct Case: Sendable, CustomStringConvertible {
        var source: String
        var shape: WaveformShape
        var expected: String
        var description: String { source }
    }

    static let cases: [Case] = [
        // Kim ESH et al. 2020 SVM/SVU consensus (Vasc Med 25:484–506): the normal peripheral
        // artery at rest, high resistance: a sharp systolic upstroke, a brief reversal in early
        // diastole, forward flow in late diastole; "multiphasic", formerly "triphasic".
        Case(source: "Kim 2020: normal resting limb artery (triphasic)",
             shape: WaveformShape(upstroke: 0.08, systolicFall: 0.09, peak: 1, reversal: Pulse(start: 0.17, rise: 0.05, fall: 0.07, amplitude: -0.3),
                                  lateForward: Pulse(start: 0.29, rise: 0.06, fall: 0.09, amplitude: 0.15)),
             expected: "multiphasic (triphasic)"),
        // The same, without late forward flow (a less compliant artery): still multiphasic,
        // formerly "biphasic".
        Case(source: "Kim 2020: multiphasic without late forward flow (biphasic)",
             shape: WaveformShape(upstroke: 0.08, systolicFall: 0.1, peak: 1, reversal: Pulse(start: 0.18, rise: 0.06, fall: 0.1, amplitude: -0.25)),
             expected: "multiphasic (biphasic)"),
        // Distal to a significant obstruction: "monophasic" with a prolonged upstroke (tardus
        // parvus) and continuous diastolic flow (low resistance).
        Case(source: "Kim 2020: beyond an occlusion (tardus parvus)",
             shape: WaveformShape(upstroke: 0.24, systolicFall: 0.4, peak: 0.25, diastolic: 0.12),
             expected: "monophasic, prolonged upstroke, continuous diastolic flow"),
        // Reactive hyperaemia after exercise: low resistance with a sharp upstroke: "monophasic"
        // with continuous diastolic flow.
        Case(source: "Kim 2020: after exercise (hyperaemia)",
             shape: WaveformShape(upstroke: 0.08, systolicFall: 0.25, peak: 0.7, diastolic: 0.3),
             expected: "monophasic, sharp upstroke, continuous diastolic flow"),
        // High resistance without reversal: "monophasic" with no diastolic flow.
        Case(source: "Kim 2020: monophasic, high resistance",
             shape: WaveformShape(upstroke: 0.08, systolicFall: 0.22, peak: 0.8),
             expected: "monophasic, sharp upstroke, no diastolic flow"),
        // Sommerset J et al., Ann Vasc Surg 2019 (pedal acceleration time): up to 120 ms normal;
        // 121–180 ms mild, 181–224 moderate, 225 ms or more severe disease.
        Case(source: "Sommerset 2019: PAT 100 ms (normal)",
             shape: WaveformShape(upstroke: 0.10, systolicFall: 0.3, peak: 0.6, diastolic: 0.2),
             expected: "monophasic, sharp upstroke, continuous diastolic flow"),
        Case(source: "Sommerset 2019: PAT 160 ms (mild)",
             shape: WaveformShape(upstroke: 0.16, systolicFall: 0.3, peak: 0.5, diastolic: 0.2),
             expected: "monophasic, prolonged upstroke, continuous diastolic flow"),
        Case(source: "Sommerset 2019: PAT 250 ms (severe)",
             shape: WaveformShape(upstroke: 0.25, systolicFall: 0.35, peak: 0.3, diastolic: 0.15),
             expected: "monophasic, prolonged upstroke, continuous diastolic flow"),
    ]

    @Test("Each published description is recognised", arguments: cases)
    func published(_ example: Case) {
        var synth = DopplerSynthesizer()
        synth.customShape = example.shape
        synth.heartRate = 70
        synth.snr = 20
        let analysis = DopplerAnalysis(synth.render(seconds: 8))
        #expect(analysis.waveform.words == example.expected, "\(example.source)")
        #expect(analysis.waveform.confidence >= 0.8)
    }
}
