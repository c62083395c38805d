import ABIAudio
import ABICore
import ABIReports
import Foundation
import Testing

/// Each report carries the Doppler waveforms heard at the bedside: in words in text, CSV, FHIR
/// and HL7 (each checked by its outside validator), with the spectrum's picture in HTML and PDF.
@Suite struct DopplerReportTests {
    static func report() throws -> ExamReport {
        var report = ExamReport(exam: try ReportTests.exam(ReportTests.root.appendingPathComponent("samples/pad.exam.json")))
        var synth = DopplerSynthesizer()
        synth.waveform = .monophasicProlonged
        let analysis = DopplerAnalysis(synth.render(seconds: 7), keepPicture: true)
        let picture = SpectrumPicture(frames: analysis.frames, settings: AnalysisSettings(sampleRate: 48_000), caption: "")
        report.doppler = [
            ExamReport.DopplerWaveform(site: .rightPosteriorTibial, description: analysis.waveform.words, picture: picture),
            ExamReport.DopplerWaveform(site: .leftDorsalisPedis, description: "multiphasic (triphasic)", picture: nil),
        ]
        #expect(analysis.waveform.words == "monophasic, prolonged upstroke, continuous diastolic flow")
        return report
    }

    static func temporary(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("abi-doppler-\(UUID().uuidString)-\(name)")
        try Data(bytes).write(to: url)
        return url.path
    }

    @Test("Text, CSV, HL7 and FHIR say each site's waveform in words; HL7 and FHIR stay valid")
    func inWords() throws {
        let report = try Self.report()
        let text = TextReport.render(report)
        #expect(text.contains("DOPPLER WAVEFORMS"))
        #expect(text.contains("Right posterior tibial: monophasic, prolonged upstroke, continuous diastolic\n    flow"), "wrapped at 80 columns")
        #expect(text.contains("Left dorsalis pedis: multiphasic (triphasic)"))
        let csv = CSVReport.rows(report).split(separator: "\r\n")
        #expect(CSVReport.header.last == "doppler_waveforms")
        #expect(csv[0].hasSuffix("\"RPT: monophasic, prolonged upstroke, continuous diastolic flow\""))
        #expect(csv[1].hasSuffix("LDP: multiphasic (triphasic)"))
        let hl7 = HL7Report.render(report, controlId: "T1", now: Timestamp("2026-11-30T10:00:00Z")!)
        #expect(hl7.contains("DOPPLER-WF^Doppler waveform (2020 SVM/SVU)^L|rightPosteriorTibial|monophasic, prolonged upstroke, continuous diastolic flow"))
        let python = ReportTests.root.appendingPathComponent(".build-python/bin/python3").path
        let hl7File = try Self.temporary("r.hl7", Array(hl7.utf8))
        let hl7Check = try runTool(python, [ReportTests.root.appendingPathComponent("Tests/ABIReportsTests/Validators/hl7_validate.py").path, hl7File])
        #expect(hl7Check.status == 0, "\(String(decoding: hl7Check.output, as: UTF8.self))")
        let fhir = FHIRReport.render(report)
        #expect(fhir.contains("\"valueString\": \"monophasic, prolonged upstroke, continuous diastolic flow\""))
        let fhirFile = try Self.temporary("r.json", Array(fhir.utf8))
        let fhirCheck = try runTool(python, [FHIRReportTests.validator, fhirFile])
        #expect(fhirCheck.status == 0, "\(String(decoding: fhirCheck.output, as: UTF8.self))")
    }

    @Test("HTML shows the spectrum as an image with its description; the PDF draws it and says it")
    func pictures() throws {
        let report = try Self.report()
        let html = HTMLReport.render(report)
        #expect(html.contains("<h2>Doppler waveforms"))
        #expect(html.contains("<img src=\"data:image/png;base64,iVBORw0KGgo"))
        #expect(html.contains("<figcaption>Right posterior tibial: monophasic, prolonged upstroke, continuous diastolic flow</figcaption>"))
        #expect(html.contains("<figcaption>Left dorsalis pedis: multiphasic (triphasic)</figcaption>"))
        let pdf = try Self.temporary("r.pdf", PDFReport.render(report))
        #expect(try runTool("/usr/bin/qpdf", ["--check", pdf]).status == 0)
        let text = try runTool("/usr/bin/pdftotext", ["-layout", pdf, "-"])
        let words = String(decoding: text.output, as: UTF8.self)
        #expect(words.contains("Doppler waveforms"))
        #expect(words.contains("Right posterior tibial: monophasic, prolonged upstroke, continuous diastolic"))
        #expect(words.contains("kHz"))
    }
}
