import ABICore

#if canImport(Glibc)
import Glibc
#endif

/// Where a port session journals every received chunk, with its time, before decoding it:
/// a raw log file (`RawLogWriter`) or the patient store (`abi capture`).
public protocol ByteJournal: AnyObject {
    func record(_ bytes: UnsafeBufferPointer<UInt8>, at time: Timestamp) throws
    /// A session event (`disconnected /dev/ttyUSB0 2026-…`), kept beside the bytes.
    func note(_ text: String) throws
}

/// Appends received bytes to a raw log (0600) with their receive time, before they are decoded.
public final class RawLogWriter: ByteJournal {
    public let path: String
    private let fd: Int32

    /// - Throws: `SystemError` naming the file.
    public init(path: String, profile: String, port: String) throws(SystemError) {
        self.path = path
        // A symbolic link is not followed (device bytes must not be appended to whatever it names).
        let fd = retryingOnInterrupt { open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        guard fd >= 0 else { throw SystemError("open", path: path) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            // Closed here, before the object is whole: its deinit does not run, so the
            // descriptor is closed once (a second close could close another thread's file).
            close(fd)
            throw SystemError("open", path: path, errno: EINVAL)
        }
        self.fd = fd
        // An existing log that others could read becomes private, like every file abi writes.
        if info.st_mode & 0o077 != 0 { fchmod(fd, 0o600) }
        if info.st_size == 0 {
            try append("\(RawLog.header) profile=\(profile) port=\(port)\n")
        }
    }

    public func record(_ bytes: UnsafeBufferPointer<UInt8>, at time: Timestamp) throws(SystemError) {
        try append(RawLog.line(time, bytes))
    }

    /// A comment line (`# disconnected 2026-…`), so a replay shows the session's events.
    public func note(_ text: String) throws(SystemError) {
        try append("# \(text)\n")
    }

    private func append(_ text: String) throws(SystemError) {
        try writeFully(fd, Array(text.utf8), path: path)
    }

    deinit { close(fd) }
}
