// libFuzzer target for the web app's manual entry form: the bytes are a form body
// (application/x-www-form-urlencoded), decoded as the app decodes it and given to the bedside
// engine as the form is (ManualEntryForm, into an in-memory recorder). Built by scripts/fuzz with
// the ABICore, device, ABICapture and form sources as one module. Besides crashes, it checks the
// form's promises: with no problem, every site of the sequence has its reading, and every
// reading is at a site of the exam (the sequence, or a toe the form gave).
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebForm(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let form = ManualEntryForm(Form.decode(text))
    let (details, _) = form.details(user: "fuzz", now: Timestamp(secondsSinceEpoch: 1_800_000_000))
    let recorder = ExamFileRecorder(Exam(patient: Patient(id: "F"), details: details, readings: []))
    guard let entered = try? form.enter(into: recorder, time: "2026-11-29T10:00:00Z") else { fatalError("the engine threw on a form") }
    let sites = Set(recorder.readings.map(\.site))
    let allowed = Set(form.sequence + ManualEntryForm.toes.filter(form.given))
    if !sites.isSubset(of: allowed) { fatalError("a reading at a site the form did not give: \(sites.subtracting(allowed))") }
    if entered.problems.isEmpty && !Set(form.sequence).isSubset(of: sites) { fatalError("saved without every site of the sequence") }
    return 0
}
