// libFuzzer targets for the parsers that read what a site or a device gives abi, built by
// scripts/fuzz with one of -D SITEPROFILE, -D RAWLOG or -D BINDINGS (compiled with the ABICore
// and device sources in one module), or -D REPORTS (with the ABICore and report sources).

#if SITEPROFILE
// A site's line profile, then lines for it: the input is the profile's JSON, a NUL byte, and the
// lines. A pattern that backtracks without end must be refused at load or stopped by the match
// limit; run with -timeout so that a hang is a finding. Every record must be plausible.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSiteProfile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let split = input.firstIndex(of: 0) ?? input.count
    guard let profile = try? LineProfile.decode(input[..<split]) else { return 0 }
    var codec = LineCodec(profile)
    let lines = split < input.count ? Array(input[(split + 1)...]) : Array("P=120\nMARK\nSPO2=97\n".utf8)
    var records: [DecodedRecord] = []
    lines.withUnsafeBufferPointer { codec.feed($0, into: &records) }
    records.forEach(check)
    return 0
}
#elseif RAWLOG
// What abi ingest reads: the whole-file parser and the line-by-line one must agree.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRawLog(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = RawLog.profile(inHeader: bytes)
    let whole = try? RawLog.parse(bytes)
    var lines: [(time: Timestamp, bytes: [UInt8])]? = []
    for (i, line) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
        do { if let chunk = try RawLog.parseLine(line, number: i + 1) { lines?.append(chunk) } } catch { lines = nil; break }
    }
    if (whole == nil) != (lines == nil) { fatalError("the raw-log parsers disagree on whether the input is valid") }
    if let whole, let lines, whole.map(\.bytes) != lines.map(\.bytes) { fatalError("the raw-log parsers disagree on the chunks") }
    return 0
}
#elseif BINDINGS
// ~/.config/abi/devices.json: refused with a path, or read back to the same bindings.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBindings(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let bindings = try? Bindings.decode(Array(UnsafeBufferPointer(start: data, count: size))) else { return 0 }
    var again = Bindings()
    for (serial, profile) in bindings.profiles { again.bind(serial: serial, profile: profile) }
    if again != bindings { fatalError("bindings changed") }
    return 0
}
#elseif REPORTS
// Any exam that reads must render in every format without a crash, and the text formats must
// stay well-formed enough to be checked cheaply here (the tests validate them fully).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReports(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let exam = try? ExamFile.decode(UnsafeBufferPointer(start: data, count: size)) else { return 0 }
    let report = ExamReport(exam: exam)
    let text = TextReport.render(report)
    let html = HTMLReport.render(report)
    let csv = CSVReport.rows(report)
    let fhir = FHIRReport.render(report)
    let hl7 = HL7Report.render(report, controlId: HL7Report.newControlId(), now: Timestamp(secondsSinceEpoch: 0))
    let pdf = PDFReport.render(report)
    if text.isEmpty || !html.hasSuffix("</html>\n") || csv.isEmpty || pdf.count < 100 { fatalError("a renderer gave an incomplete report") }
    if (try? InputError.parsingJSON(Array(fhir.utf8))) == nil { fatalError("the FHIR bundle is not valid JSON") }
    // HL7: segments are separated by CR; no field may carry a raw CR or LF from the exam.
    if hl7.split(separator: "\r").contains(where: { $0.contains("\n") }) { fatalError("a line break in an HL7 segment") }
    return 0
}
#endif
