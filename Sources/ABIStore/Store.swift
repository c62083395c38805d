import ABICore
import GRDB

#if canImport(Glibc)
import Glibc
#endif

/// A failure of the store, in words for the clinician, with the kind the CLI maps to an exit code.
public struct StoreError: Error, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// No such patient or exam.
        case notFound
        /// The data breaks a rule of the store (a constraint, a final exam, a duplicate).
        case invalid
        /// The database cannot be opened, created or written.
        case unavailable
    }

    public let kind: Kind
    public let message: String
    public var description: String { message }

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}

/// The patient store: one SQLite database (WAL, foreign keys, synchronous commits) holding
/// patients, exams with every reading, the raw device journal and the audit trail.
public final class Store: Sendable {
    public let path: String
    let db: DatabasePool

    /// `$XDG_DATA_HOME/abi/abi.sqlite`, else `~/.local/share/abi/abi.sqlite`.
    public static func defaultPath(environment: [String: String]) -> String {
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") { return data + "/abi/abi.sqlite" }
        return (environment["HOME"] ?? "/root") + "/.local/share/abi/abi.sqlite"
    }

    /// Opens the store at `path`, creating its folder (0700) and file (0600) when missing, and
    /// brings its schema up to date.
    public init(path: String) throws(StoreError) {
        self.path = path
        let folder = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        if !folder.isEmpty { try Store.makeFolders(folder) }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError(.unavailable, "cannot open the store \(path): \(String(cString: strerror(errno)))") }
        close(fd)
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        configuration.label = "abi"
        configuration.prepareDatabase { db in
            // Each accepted reading is on disk when its transaction returns, even after a power cut.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            db = try DatabasePool(path: path, configuration: configuration)
            try Schema.migrator.migrate(db)
        } catch {
            throw StoreError(.unavailable, "cannot open the store \(path): \(Store.words(error))")
        }
    }

    private static func makeFolders(_ folder: String) throws(StoreError) {
        var current = folder.hasPrefix("/") ? "" : "."
        for part in folder.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw StoreError(.unavailable, "cannot create the folder \(current): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The words of a database error for a clinician: SQLite's message without its codes.
    static func words(_ error: any Error) -> String {
        if let e = error as? DatabaseError { return e.message ?? "\(e.resultCode)" }
        if let e = error as? StoreError { return e.message }
        return "\(error)"
    }

    /// Runs a write transaction; constraint failures become `invalid` errors with SQLite's words.
    func write<T>(_ what: String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try db.write { db in try body(db) }
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw StoreError(.invalid, "\(what): \(error.message ?? "a constraint of the store failed")")
        } catch {
            throw StoreError(.unavailable, "\(what): \(Store.words(error))")
        }
    }

    func read<T>(_ what: String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try db.read { db in try body(db) }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.unavailable, "\(what): \(Store.words(error))")
        }
    }

    // MARK: Audit

    /// Who is acting: `ABI_OPERATOR`, else the login name.
    public static func actor(environment: [String: String]) -> String {
        environment["ABI_OPERATOR"] ?? environment["USER"] ?? environment["LOGNAME"] ?? "unknown"
    }

    static func audit(_ db: Database, actor: String, _ action: String, patient: String? = nil, exam: Int64? = nil, detail: String? = nil) throws {
        try db.execute(sql: "INSERT INTO audit (at, actor, action, patientId, examId, detail) VALUES (?, ?, ?, ?, ?, ?)",
                       arguments: [Store.now(), actor, action, patient, exam, detail])
    }

    /// Now as UTC RFC 3339 text with milliseconds.
    static func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(millisecondsSinceEpoch: Int(ts.tv_sec) * 1000 + Int(ts.tv_nsec) / 1_000_000).text
    }

    public struct AuditEvent: Sendable, Equatable {
        public let at: String, actor: String, action: String
        public let patientId: String?, examId: Int64?, detail: String?
    }

    public func auditTrail(exam: Int64? = nil) throws(StoreError) -> [AuditEvent] {
        try read("reading the audit trail") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit WHERE ? IS NULL OR examId = ? ORDER BY id", arguments: [exam, exam]).map {
                AuditEvent(at: $0["at"], actor: $0["actor"], action: $0["action"], patientId: $0["patientId"], examId: $0["examId"], detail: $0["detail"])
            }
        }
    }
}
