import ABICore
import GRDB

/// The people who use the web app (`abi serve`), each with a role.
extension Store {
    public enum Role: String, Sendable, CaseIterable {
        /// Capture, manual entry, preliminary reports.
        case technologist
        /// Also sign-off, the conclusion and amendments.
        case physician
        /// Users, devices and the site's settings.
        case admin
    }

    public struct User: Sendable, Equatable {
        public let name: String
        public let role: Role
        public let passwordHash: String
        public let failedSignIns: Int
        /// UTC RFC 3339 text; nil when the account is not locked.
        public let lockedUntil: String?
    }

    /// The shortest password accepted.
    public static let minimumPasswordLength = 10

    /// Why `name` cannot be a user's sign-in name, or nil: 1 to 64 ASCII letters, digits, dots,
    /// dashes or underscores.
    public static func userNameProblem(_ name: String) -> String? {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-".unicodeScalars)
        guard (1...64).contains(name.unicodeScalars.count), name.unicodeScalars.allSatisfy(allowed.contains) else {
            return "use 1 to 64 letters, digits, dots, dashes or underscores"
        }
        return nil
    }

    /// Why `password` cannot be used, or nil.
    public static func passwordProblem(_ password: String) -> String? {
        password.count < minimumPasswordLength ? "the password needs at least \(minimumPasswordLength) characters" : nil
    }

    /// Ends an account's lock and its count of failed sign-ins (an admin, in the web app); audited.
    public func unlockUser(_ name: String, actor: String) throws(StoreError) {
        try write("unlocking the user") { db in
            try db.execute(sql: "UPDATE users SET failedSignIns = 0, lockedUntil = NULL WHERE name = ?", arguments: [name])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "there is no user \(name)") }
            try Store.audit(db, actor: actor, "user-unlocked", detail: name)
        }
    }

    /// Adds a user with a password hash made by the caller (bcrypt); audited as `user-added`.
    /// - Throws: `.invalid` when the name is taken.
    public func addUser(_ name: String, role: Role, passwordHash: String, actor: String) throws(StoreError) {
        try write("adding the user") { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE name = ?", arguments: [name]) == true {
                throw StoreError(.invalid, "the user \(name) already exists")
            }
            try db.execute(sql: "INSERT INTO users (name, role, passwordHash, createdAt) VALUES (?, ?, ?, ?)",
                           arguments: [name, role.rawValue, passwordHash, Store.now()])
            try Store.audit(db, actor: actor, "user-added", detail: "\(name) (\(role.rawValue))")
        }
    }

    public func user(_ name: String) throws(StoreError) -> User? {
        try read("reading the user") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM users WHERE name = ?", arguments: [name]).map(Store.user)
        }
    }

    public func users() throws(StoreError) -> [User] {
        try read("reading the users") { db in try Row.fetchAll(db, sql: "SELECT * FROM users ORDER BY name").map(Store.user) }
    }

    /// Records a sign-in attempt in the audit trail. A failure counts towards the lock: after
    /// `lockAfter` failures in a row the account is locked until `lockedUntil`; a success resets
    /// the count. Nothing is recorded of the password.
    public func noteSignIn(_ name: String, succeeded: Bool, lockAfter: Int, lockedUntil: String, from address: String) throws(StoreError) {
        try write("recording the sign-in") { db in
            if succeeded {
                try db.execute(sql: "UPDATE users SET failedSignIns = 0, lockedUntil = NULL WHERE name = ?", arguments: [name])
                try Store.audit(db, actor: name, "signed-in", detail: "from \(address)")
                return
            }
            try db.execute(sql: "UPDATE users SET failedSignIns = failedSignIns + 1 WHERE name = ?", arguments: [name])
            let failures = try Int.fetchOne(db, sql: "SELECT failedSignIns FROM users WHERE name = ?", arguments: [name]) ?? 0
            if failures >= lockAfter {
                try db.execute(sql: "UPDATE users SET lockedUntil = ? WHERE name = ?", arguments: [lockedUntil, name])
            }
            try Store.audit(db, actor: name, "sign-in-failed", detail: "from \(address)" + (failures >= lockAfter ? ", locked until \(lockedUntil)" : ""))
        }
    }

    /// An audit entry for something a user did in the web app (viewing a record, signing out).
    public func noteWebEvent(_ action: String, actor: String, patient: String? = nil, exam: Int64? = nil, detail: String? = nil) throws(StoreError) {
        try write("recording the event") { db in try Store.audit(db, actor: actor, action, patient: patient, exam: exam, detail: detail) }
    }

    static func user(_ row: Row) -> User {
        User(name: row["name"], role: Role(rawValue: row["role"]) ?? .technologist, passwordHash: row["passwordHash"],
             failedSignIns: row["failedSignIns"], lockedUntil: row["lockedUntil"])
    }
}

/// What the web app's home page lists.
extension Store {
    public struct WorklistEntry: Sendable, Equatable {
        public let examId: Int64
        public let patientId: String
        public let patientName: String?
        public let performedAt: String
        public let status: Status
    }

    public struct Worklist: Sendable, Equatable {
        /// Captures not finished (to resume).
        public var inProgress: [WorklistEntry] = []
        /// Preliminary exams, current versions, not discarded: waiting for a physician's sign-off.
        public var awaitingSignOff: [WorklistEntry] = []
        /// Exams performed on or after `since` (the start of the clinic's day), any status.
        public var today: [WorklistEntry] = []
    }

    /// The worklist, each list newest first and at most `limit` long.
    public func worklist(since: String, limit: Int = 100) throws(StoreError) -> Worklist {
        try read("reading the worklist") { db in
            func entries(_ condition: String, _ arguments: StatementArguments) throws -> [WorklistEntry] {
                try Row.fetchAll(db, sql: """
                    SELECT e.id, e.patientId, p.name, e.performedAt, e.status FROM exams e JOIN patients p ON p.id = e.patientId
                    WHERE e.discardedAt IS NULL AND NOT EXISTS (SELECT 1 FROM exams n WHERE n.amends = e.id) AND \(condition)
                    ORDER BY e.performedAt DESC, e.id DESC LIMIT \(limit)
                    """, arguments: arguments).map {
                    WorklistEntry(examId: $0[0], patientId: $0[1], patientName: $0[2], performedAt: $0[3],
                                  status: Status(rawValue: $0[4]) ?? .preliminary)
                }
            }
            return Worklist(inProgress: try entries("e.status = 'in-progress'", []),
                            awaitingSignOff: try entries("e.status = 'preliminary'", []),
                            today: try entries("e.performedAt >= ?", [since]))
        }
    }

    /// Patients whose id or name contains `text` (case-insensitive), by id, at most `limit`.
    public func searchPatients(_ text: String, limit: Int = 50) throws(StoreError) -> [Patient] {
        let pattern = "%" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
        return try read("searching patients") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM patients WHERE id LIKE ?1 ESCAPE '\\' OR name LIKE ?1 ESCAPE '\\' ORDER BY id LIMIT \(limit)",
                             arguments: [pattern]).map(Store.patient)
        }
    }
}

extension Store {
    /// Now as UTC RFC 3339 text with milliseconds (as the store writes its times).
    public static func nowText() -> String { now() }
}
