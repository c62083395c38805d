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
    /// How a command uses the store.
    public enum Access: Sendable {
        /// Creates the store (folder 0700, file 0600) when it does not exist yet.
        case create
        /// The store must exist; it is written (an audit entry, a signature).
        case existing
        /// The store must exist and is never modified: a read-only file or folder (an archived
        /// copy) can still be read.
        case readOnly
    }

    public let path: String
    /// Whether this open made a new, empty store (a command says so the first time).
    public let created: Bool
    /// Problems worth telling the user that do not stop the command (permissions others have).
    public let warnings: [String]
    let db: any DatabaseWriter

    /// SQLite's application id of an abi store ("abi1"): tells an abi store from another program's database.
    static let applicationId: Int32 = 0x6162_6931

    /// `$XDG_DATA_HOME/abi/abi.sqlite`, else `~/.local/share/abi/abi.sqlite`.
    public static func defaultPath(environment: [String: String]) -> String {
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") { return data + "/abi/abi.sqlite" }
        return (environment["HOME"] ?? "/root") + "/.local/share/abi/abi.sqlite"
    }

    /// Opens the store at `path` and brings its schema up to date (never for `.readOnly`).
    ///
    /// Before anything is written, the file is checked: a database of another program, a store
    /// made by a newer abi or a damaged store is refused with a clear message and left as it
    /// is. Opening and migrating are serialised between processes with a lock on the file, so
    /// several processes may open a new store at once.
    /// - Throws: `.notFound` when `access` needs an existing store and there is none;
    ///   `.invalid` for a file that is not a usable abi store; `.unavailable` for I/O errors.
    public init(path: String, access: Access = .create) throws(StoreError) {
        self.path = path
        let folder = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        var info = stat()
        let exists = stat(path, &info) == 0
        if !exists {
            guard access == .create else {
                throw StoreError(.notFound, "no store at \(path) (check --db or ABI_DB; abi patients add, abi exams import or abi capture create one)")
            }
            if !folder.isEmpty { try Store.makeFolders(folder) }
        } else if (info.st_mode & S_IFMT) != S_IFREG {
            throw StoreError(.invalid, "\(path) is not a file; name the store's file with --db or ABI_DB")
        }
        let fd = access == .readOnly ? open(path, O_RDONLY | O_CLOEXEC) : open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let why = errno == EACCES || errno == EROFS ? "permission denied (a read-only store can still be read: abi exams list, show, history)" : String(cString: strerror(errno))
            throw StoreError(.unavailable, "cannot open the store \(path): \(why)")
        }
        defer { close(fd) }
        // One process at a time checks, creates and migrates the store (the lock goes with the
        // descriptor, so a killed process leaves none behind).
        if access != .readOnly { while flock(fd, LOCK_EX) != 0 && errno == EINTR {} }
        var size = stat()
        fstat(fd, &size)
        created = size.st_size == 0 && access == .create
        warnings = Store.permissionWarnings(path: path, folder: folder.isEmpty ? "." : folder)

        if access != .create && size.st_size == 0 {
            throw StoreError(.notFound, "no store at \(path) (the file is empty)")
        }

        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        // A bedside capture waits for its turn while another process writes (imports commit
        // in small batches, so the wait is short).
        configuration.busyMode = .timeout(30)
        configuration.label = "abi"
        if access == .readOnly {
            // One read-only connection both checks the file and serves the command.
            configuration.readonly = true
            let queue = try Store.openChecked(path, configuration, deep: false)
            let current = (try? queue.read { try Schema.migrator.hasCompletedMigrations($0) }) ?? true
            if current {
                db = queue
                return
            }
            // A store of an earlier abi: its schema is brought up to date first (that writes
            // only the schema), unless nobody can write it.
            guard Glibc.access(path, W_OK) == 0 else {
                throw StoreError(.unavailable, "the store \(path) was made by an earlier abi and is read-only here; open it once where it can be written, so that it is brought up to date")
            }
            try? queue.close()
            configuration.readonly = false
        }
        // Checked over a read-only connection first: opening the pool switches the file to WAL.
        if size.st_size > 0 {
            var probe = Configuration()
            probe.readonly = true
            probe.busyMode = .timeout(30)
            let checked = try Store.openChecked(path, probe, deep: true)
            try? checked.close()
        }
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            // GRDB sets synchronous = NORMAL when it switches to WAL, which does not sync at
            // commit. FULL makes each accepted reading durable when its transaction returns,
            // even after a power cut. Set on the writer, after the pool is set up.
            try pool.barrierWriteWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
            try Schema.migrator.migrate(pool)
            db = pool
        } catch let error as StoreError {
            throw error
        } catch {
            throw Store.openFailure(path, error)
        }
    }

    /// Why a store could not be opened. SQLite reports a full disk while opening (it makes the
    /// `-shm` and `-wal` files) as a disk I/O error: a full disk is named as such.
    static func openFailure(_ path: String, _ error: any Error) -> StoreError {
        let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        var space = statvfs()
        if statvfs(folder.isEmpty ? "/" : folder, &space) == 0, space.f_bavail == 0 {
            return StoreError(.unavailable, "cannot open the store \(path): the disk is full (free some space; nothing was changed)")
        }
        return StoreError(.unavailable, "cannot open the store \(path): \(Store.words(error))")
    }

    /// A read-only connection to the store, after refusing a file that is not an SQLite
    /// database, another program's database, a store made by a newer abi, or (`deep`) one that
    /// fails SQLite's quick check. A store whose folder is read-only too (no `-shm` can be made)
    /// is opened as immutable, which is safe because nobody can write it.
    private static func openChecked(_ path: String, _ configuration: Configuration, deep: Bool) throws(StoreError) -> DatabaseQueue {
        func open(_ location: String) throws -> DatabaseQueue {
            let queue = try DatabaseQueue(path: location, configuration: configuration)
            try queue.read { db throws in try inspect(db, path, deep: deep) }
            return queue
        }
        do {
            do {
                return try open(path)
            } catch let error as DatabaseError where [.SQLITE_CANTOPEN, .SQLITE_READONLY].contains(error.resultCode) && access(path, W_OK) != 0 {
                // An SQLite URI: bytes that would end the path or are not plain ASCII are %-escaped.
                let hex = Array("0123456789ABCDEF")
                var uri = "file:"
                for b in path.utf8 {
                    if b <= 0x20 || b >= 0x7F || b == UInt8(ascii: "%") || b == UInt8(ascii: "?") || b == UInt8(ascii: "#") {
                        uri += "%" + String(hex[Int(b >> 4)]) + String(hex[Int(b & 15)])
                    } else {
                        uri.unicodeScalars.append(UnicodeScalar(b))
                    }
                }
                return try open(uri + "?mode=ro&immutable=1")
            }
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw StoreError(.invalid, "\(path) is not an abi store (not an SQLite database); it was left as it is. Name the store with --db or ABI_DB")
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CORRUPT {
            throw StoreError(.unavailable, "the store \(path) is damaged (\(error.message ?? "corrupt")); nothing was written. Restore it from a backup")
        } catch {
            throw openFailure(path, error)
        }
    }

    private static func inspect(_ db: Database, _ path: String, deep: Bool) throws {
        let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
        let appId = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
        if appId != 0 && appId != Store.applicationId || (!tables.isEmpty && !tables.contains("grdb_migrations")) {
            throw StoreError(.invalid, "\(path) is not an abi store (it is another program's database); it was left as it is. Name the store with --db or ABI_DB")
        }
        if tables.contains("grdb_migrations"), try Schema.migrator.hasBeenSuperseded(db) {
            throw StoreError(.invalid, "the store \(path) was made by a newer version of abi; use that version (this one would not understand it). It was left as it is")
        }
        if deep, let result = try String.fetchOne(db, sql: "PRAGMA quick_check(1)"), result != "ok" {
            throw StoreError(.unavailable, "the store \(path) is damaged (SQLite's check: \(result)); nothing was written. Restore it from a backup")
        }
    }

    /// A warning for a store file or folder that others can read, with the fix.
    private static func permissionWarnings(path: String, folder: String) -> [String] {
        var warnings: [String] = []
        for (what, p, fix) in [("store", path, "chmod 600"), ("store's folder", folder, "chmod 700")] {
            var s = stat()
            if stat(p, &s) == 0, s.st_mode & 0o077 != 0 {
                warnings.append("the \(what) \(p) can be read by other users (mode \(String(s.st_mode & 0o777, radix: 8))); patient data should be private: \(fix) \(p)")
            }
        }
        return warnings
    }

    /// The `synchronous` setting in force on the connection that writes (2 is FULL).
    public func synchronousSetting() throws(StoreError) -> Int {
        do { return try db.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") ?? -1 } }
        catch { throw StoreError(.unavailable, Store.words(error)) }
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
        if let e = error as? DatabaseError {
            if e.resultCode == .SQLITE_FULL { return "the disk is full (nothing more was written; free some space)" }
            return e.message ?? "\(e.resultCode)"
        }
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

    /// Who is acting: `ABI_OPERATOR`, else `USER` or `LOGNAME`, else the name the password
    /// database gives the user id (a service or `sudo -u` may leave the variables empty).
    public static func actor(environment: [String: String]) -> String {
        for key in ["ABI_OPERATOR", "USER", "LOGNAME"] {
            if let name = environment[key], !name.allSatisfy(\.isWhitespace) { return name }
        }
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "uid \(getuid())"
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

    /// The audit trail, oldest first: all of it, or what concerns one exam or one patient
    /// (every version of their exams included), from a time on (`since`, ISO 8601 text).
    public func auditTrail(exam: Int64? = nil, patient: String? = nil, since: String? = nil) throws(StoreError) -> [AuditEvent] {
        try read("reading the audit trail") { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM audit
                WHERE (?1 IS NULL OR examId = ?1)
                  AND (?2 IS NULL OR patientId = ?2 OR examId IN (SELECT id FROM exams WHERE patientId = ?2))
                  AND (?3 IS NULL OR at >= ?3)
                ORDER BY id
                """, arguments: [exam, patient, since]).map {
                AuditEvent(at: $0["at"], actor: $0["actor"], action: $0["action"], patientId: $0["patientId"], examId: $0["examId"], detail: $0["detail"])
            }
        }
    }
}
