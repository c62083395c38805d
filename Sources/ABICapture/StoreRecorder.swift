import ABICore
import ABIStore

/// The recorder of a capture in the patient store: every reading is its own committed transaction.
public final class StoreRecorder: ExamRecorder {
    public let store: Store
    public let capture: Store.Capture
    public let actor: String
    public private(set) var readings: [Reading]
    public private(set) var symptoms: Symptoms?
    public private(set) var repeatDeclined: Bool

    /// Loads what the exam already holds (a resumed capture).
    public init(store: Store, capture: Store.Capture, plan: Store.CapturePlan, actor: String) throws(StoreError) {
        self.store = store
        self.capture = capture
        self.actor = actor
        let exam = try store.exam(capture.examId).exam
        readings = exam.readings
        symptoms = exam.symptoms
        repeatDeclined = plan.repeatDeclined
    }

    public func record(_ site: Site, _ state: ReadingState, time: String, method: MeasurementMethod?,
                       device: DeviceIdentity?, note: String?) throws -> Reading {
        let reading = try store.record(capture, site: site, state: state, time: time, method: method, device: device, note: note, actor: actor)
        readings.append(reading)
        return reading
    }

    public func keepSingleFirstArmReading() throws {
        try store.declineRepeat(capture)
        repeatDeclined = true
    }

    public func recordSymptoms(_ symptoms: Symptoms) throws {
        try store.recordSymptoms(capture, symptoms, actor: actor)
        self.symptoms = symptoms
    }
}
