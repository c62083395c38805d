// libFuzzer target for the exam-file parser and the rules behind it. Built by scripts/fuzz,
// compiled together with the ABICore sources (so it needs no import).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExamFile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    if let exam = try? ExamFile.decode(bytes) {
        for options in [RuleOptions(), RuleOptions(ankle: .lower, severity: .nice)] {
            let result = exam.result(options: options)
            _ = ResultFile.encode(result, pretty: false)
            _ = ResultSummary.text(result)
        }
        // What we write must read back as the same exam.
        let again = try? ExamFile.decode(Array(ExamFile.encode(exam).utf8))
        if again != exam { fatalError("exam-file round trip changed the exam") }
    }
    return 0
}
