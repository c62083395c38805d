import ABICore

/// Where a bedside session keeps what it accepts. A reading is kept when `record` returns
/// (committed to the store, or held for the exam file), and only then is it acknowledged.
public protocol ExamRecorder: AnyObject {
    /// The rest readings recorded so far (a resumed exam starts with its earlier ones).
    var readings: [Reading] { get }
    /// The symptoms and signs recorded so far.
    var symptoms: Symptoms? { get }
    /// Whether the operator kept the single first-arm reading at the R5 repeat.
    var repeatDeclined: Bool { get }
    /// Records a reading as the exam's next in sequence and returns it as kept.
    func record(_ site: Site, _ state: ReadingState, time: String, method: MeasurementMethod?,
                device: DeviceIdentity?, note: String?) throws -> Reading
    /// The operator keeps the single first-arm reading (R5 then raises its warning).
    func keepSingleFirstArmReading() throws
    /// Records the symptoms and signs (replacing what was recorded before).
    func recordSymptoms(_ symptoms: Symptoms) throws
}

/// The recorder of an entry written to an exam file (`abi enter -o FILE`): the exam is held in
/// memory and written when the session is saved (or, interrupted, to a partial file).
public final class ExamFileRecorder: ExamRecorder {
    public private(set) var exam: Exam
    public private(set) var repeatDeclined = false

    public init(_ exam: Exam) { self.exam = exam }

    public var readings: [Reading] { exam.readings }
    public var symptoms: Symptoms? { exam.symptoms }

    public func record(_ site: Site, _ state: ReadingState, time: String, method: MeasurementMethod?,
                       device: DeviceIdentity?, note: String?) throws -> Reading {
        let reading = Reading(site: site, seq: (exam.readings.map(\.seq).max() ?? 0) + 1, state: state, time: time,
                              method: method, device: device, note: note)
        exam.readings.append(reading)
        return reading
    }

    public func keepSingleFirstArmReading() throws { repeatDeclined = true }

    public func recordSymptoms(_ symptoms: Symptoms) throws { exam.symptoms = symptoms }
}
