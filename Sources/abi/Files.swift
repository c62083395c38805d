import ABICore
import ABIReports
import CShims

#if canImport(Glibc)
import Glibc
#endif

/// Reading inputs and creating private output files (0600).
enum Files {
    /// Reads a whole file, or standard input for `-`.
    /// - Throws: `Failure` with exit 66 naming the path and the system's reason.
    static func read(_ path: String) throws(Failure) -> [UInt8] {
        let fd: Int32
        if path == "-" {
            fd = STDIN_FILENO
        } else {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw Failure(.noInput, "cannot read \(path): \(String(cString: strerror(errno)))") }
        }
        defer { if fd != STDIN_FILENO { close(fd) } }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(.noInput, "cannot read \(path == "-" ? "standard input" : path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            data.append(contentsOf: chunk[0..<n])
            if data.count > 64 << 20 { throw Failure(.dataError, "\(path): larger than 64 MiB; an exam file is a few kilobytes") }
        }
        return data
    }

    /// Reads an exam file (or standard input for `-`), and warns on standard error about the keys
    /// abi does not know: they are ignored, and a misspelt one ("diastolc") would drop a value.
    /// - Parameter refused: added to the message of a refused file ("nothing was stored").
    /// - Throws: `Failure` 66 when unreadable, 65 naming the file, JSON path and problem.
    static func readExam(_ path: String, refused: String = "") throws(Failure) -> Exam {
        let name = path == "-" ? "standard input" : path
        let bytes = try read(path)
        let exam: Exam
        do { exam = try ExamFile.decode(bytes) } catch { throw Failure(.dataError, "\(name): \(error)\(refused)") }
        let unknown = ExamFile.unknownKeys(bytes)
        for key in unknown.prefix(5) {
            Terminal.error("abi: \(name): warning: \(key) is not a field of abi-exam/1 and was ignored (misspelt?)")
        }
        if unknown.count > 5 { Terminal.error("abi: \(name): warning: \(unknown.count - 5) more unknown fields were ignored") }
        return exam
    }

    /// Creates a folder (and its parents) readable only by its owner (0700); an existing folder is kept.
    static func makePrivateDirectory(_ path: String) throws(Failure) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw Failure(.cannotCreate, "cannot create the folder \(current): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The exam files of a folder (*.exam.json), in name order.
    static func examFiles(in folder: String) throws(Failure) -> [String] {
        guard let dir = opendir(folder) else { throw Failure(.noInput, "cannot read the folder \(folder): \(String(cString: strerror(errno)))") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name.hasSuffix(".exam.json") && !name.hasPrefix(".") { names.append(folder + "/" + name) }
        }
        return names.sorted()
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Creates a new file readable only by its owner (0600) and writes `text` to it.
    /// With `replace`, an existing file is replaced atomically (written beside it, then renamed).
    /// - Throws: `Failure` with exit 73 naming the path and the system's reason.
    static func createPrivate(_ path: String, _ text: String, replace: Bool) throws(Failure) {
        try createPrivate(path, bytes: Array(text.utf8), replace: replace)
    }

    /// The same for bytes that need not be text (a umockdev script holds raw device bytes).
    /// `sync: false` leaves flushing to the caller, who writes many files and then calls
    /// `syncFileSystem(of:)` once (an fsync per file made batch reports wait on the disk).
    static func createPrivate(_ path: String, bytes content: [UInt8], replace: Bool, sync: Bool = true, swept: Bool = false) throws(Failure) {
        let file = try PrivateFile(path, replace: replace, swept: swept)
        try file.write(content)
        try file.finish(sync: sync)
    }

    /// Flushes the file system holding `path` to disk (after writing many files unsynced).
    static func syncFileSystem(of path: String) throws(Failure) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0, abi_syncfs(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            if fd >= 0 { close(fd) }
            throw Failure(.cannotCreate, "cannot flush the reports in \(path) to disk: \(reason)")
        }
        close(fd)
    }
}

/// A new private file (0600) written in pieces, always beside its target (`NAME.tmp-PID`) and
/// moved into place when finished, so that nobody ever sees half a file under the final name,
/// even after a kill. Without `replace` the move refuses an existing file (link(2), which is
/// atomic); with it the old file is replaced (rename(2)). A file not finished is removed, and
/// temporary files of the same target left by a killed run are removed first. An existing
/// device or pipe (`-o /dev/null`, a FIFO) is written into as it is: never replaced, never removed.
final class PrivateFile {
    let path: String
    private let target: String
    private let replace: Bool
    /// Writing into an existing device or pipe.
    private let special: Bool
    private var fd: Int32

    /// - Parameter swept: the folder's stale temporary files were removed already (a batch
    ///   sweeps its folder once, not once per file).
    init(_ path: String, replace: Bool, swept: Bool = false) throws(Failure) {
        self.path = path
        var info = stat()
        let exists = lstat(path, &info) == 0
        special = exists && stat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG && (info.st_mode & S_IFMT) != S_IFDIR
        self.replace = replace
        if exists && !replace && !special {
            throw Failure(.cannotCreate, "cannot create \(path): the file already exists (choose another name, or pass --force to replace it)")
        }
        if !special && !swept {
            let slash = path.lastIndex(of: "/")
            PrivateFile.removeStaleTemporaries(in: slash.map { String(path[..<$0]) } ?? ".", of: slash.map { String(path[path.index(after: $0)...]) } ?? path)
        }
        target = special ? path : path + ".tmp-\(getpid())"
        fd = special ? open(path, O_WRONLY | O_CLOEXEC) : open(target, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(.cannotCreate, "cannot create \(path): \(String(cString: strerror(errno)))") }
    }

    /// Removes `NAME.tmp-PID` files in `folder` whose process is gone (a run killed while writing
    /// NAME): those of `name`, or of every name when it is nil.
    static func removeStaleTemporaries(in folder: String, of name: String? = nil) {
        guard let dir = opendir(folder.isEmpty ? "/" : folder) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let file = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard let mark = file.range(of: ".tmp-", options: .backwards), name == nil || file[..<mark.lowerBound] == name!,
                  let pid = Int32(file[mark.upperBound...]), pid > 0 else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink(folder + "/" + file) }
        }
    }

    func write(_ bytes: [UInt8]) throws(Failure) {
        var bytes = bytes
        guard Terminal.writeAll(&bytes, to: fd) else { throw Failure(.cannotCreate, "cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    func write(_ text: String) throws(Failure) { try write(Array(text.utf8)) }

    /// Flushes and closes the file (and renames it into place); once only.
    func finish(sync: Bool = true) throws(Failure) {
        guard fd >= 0 else { return }
        let synced = !sync || special || fsync(fd) == 0
        let failure = errno
        close(fd)
        fd = -1
        guard synced else {
            unlink(target)
            throw Failure(.cannotCreate, "cannot write \(path): \(String(cString: strerror(failure)))")
        }
        guard !special else { return }
        if replace {
            if rename(target, path) != 0 {
                let reason = String(cString: strerror(errno))
                unlink(target)
                throw Failure(.cannotCreate, "cannot replace \(path): \(reason)")
            }
        } else {
            var linked = link(target, path) == 0
            var failure = errno
            // File systems without hard links (a FAT memory stick): rename after a last check.
            if !linked && (failure == EPERM || failure == ENOTSUP || failure == EOPNOTSUPP) && !Files.exists(path) {
                linked = rename(target, path) == 0
                failure = errno
            }
            unlink(target)
            guard linked else {
                let reason = failure == EEXIST ? "the file appeared while it was being written (choose another name, or pass --force)" : String(cString: strerror(failure))
                throw Failure(.cannotCreate, "cannot create \(path): \(reason)")
            }
        }
    }

    deinit {
        if fd >= 0 {
            close(fd)
            if !special { unlink(target) }
        }
    }
}

/// The site configuration (`abi-site/1`: letterhead, HL7 and FHIR identifiers): `$ABI_SITE`,
/// else `$XDG_CONFIG_HOME/abi/site.json` (`~/.config/abi/site.json`), else `/etc/abi/site.json`;
/// none is fine (reports then carry no letterhead).
enum SiteFile {
    nonisolated(unsafe) static var loaded = SiteConfiguration()

    static func load() throws(Failure) {
        let env = Environment.variables
        var path: String?
        if let named = env["ABI_SITE"], !named.isEmpty {
            guard Files.exists(named) else { throw Failure(.noInput, "ABI_SITE names \(named), which does not exist") }
            path = named
        } else {
            let config = env["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (env["HOME"].map { $0 + "/.config" } ?? "")
            path = [config + "/abi/site.json", "/etc/abi/site.json"].first { Files.exists($0) }
        }
        guard let path else { return }
        let bytes = try Files.read(path)
        do {
            loaded = try SiteConfiguration.decode(bytes) { logo in
                do { return try Files.read(logo) } catch { throw error }
            }
        } catch {
            throw Failure(.dataError, "\(path): \(error)")
        }
    }
}

