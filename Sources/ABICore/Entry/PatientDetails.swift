/// A patient's details as typed (on the command line, or in the web app's form), checked the
/// same way by every front end. Problems are per field and never repeat the value typed.
public struct PatientDetails: Sendable, Equatable {
    public var id: String
    public var name: String?
    public var birthDate: String?
    public var sex: String?
    public var diabetes: String?

    /// The fields of the details, in the order they are shown.
    public enum Field: String, Sendable, CaseIterable {
        case id, name, birthDate, sex, diabetes
    }

    /// Empty or blank details count as not given. The id is kept exactly as given.
    public init(id: String, name: String? = nil, birthDate: String? = nil, sex: String? = nil, diabetes: String? = nil) {
        func given(_ text: String?) -> String? { text.flatMap { $0.trimmed.isEmpty ? nil : $0.trimmed } }
        self.id = id
        self.name = given(name)
        self.birthDate = given(birthDate)
        self.sex = given(sex)
        self.diabetes = given(diabetes)
    }

    /// The patient, or what is wrong with each field that cannot be used.
    public func patient() -> Result<Patient, Problems> {
        var problems: [Field: String] = [:]
        if let problem = ManualEntry.patientIdProblem(id) { problems[.id] = problem }
        if let name, let problem = ManualEntry.freeTextProblem(name, max: 200) { problems[.name] = problem }
        if let birthDate, !Timestamp.isValidDate(birthDate) { problems[.birthDate] = "Not a date: write it as YYYY-MM-DD." }
        let sex = self.sex.flatMap { Patient.Sex(rawValue: $0.lowercased()) }
        if self.sex != nil, sex == nil { problems[.sex] = "Answer female, male, other or unknown." }
        let diabetes: Bool? = switch self.diabetes?.lowercased() {
        case "yes": true
        case "no": false
        default: nil
        }
        if self.diabetes != nil, diabetes == nil { problems[.diabetes] = "Answer yes or no." }
        guard problems.isEmpty else { return .failure(Problems(byField: problems)) }
        return .success(Patient(id: id, name: name, birthDate: birthDate, sex: sex, diabetes: diabetes))
    }

    public struct Problems: Error, Sendable, Equatable {
        public let byField: [Field: String]
        /// The first problem in the order the fields are shown.
        public var first: (field: Field, problem: String) {
            let field = Field.allCases.first { byField[$0] != nil }!
            return (field, byField[field]!)
        }
    }
}
