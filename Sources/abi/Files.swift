import ABICore

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
    static func createPrivate(_ path: String, bytes content: [UInt8], replace: Bool) throws(Failure) {
        let target = replace ? path + ".tmp-\(getpid())" : path
        let fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let reason = errno == EEXIST ? "the file already exists (choose another name, or pass --force to replace it)"
                                         : String(cString: strerror(errno))
            throw Failure(.cannotCreate, "cannot create \(path): \(reason)")
        }
        var bytes = content
        let written = Terminal.writeAll(&bytes, to: fd)
        let synced = fsync(fd) == 0
        let failure = errno
        close(fd)
        guard written && synced else {
            unlink(target)
            throw Failure(.cannotCreate, "cannot write \(path): \(String(cString: strerror(failure)))")
        }
        if replace && rename(target, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(target)
            throw Failure(.cannotCreate, "cannot replace \(path): \(reason)")
        }
    }
}
