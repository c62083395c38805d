#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: which call, on which path, and errno (described with strerror).
public struct SystemError: Error, Equatable, Sendable, CustomStringConvertible {
    public let call: String
    public let path: String?
    public let errno: Int32

    public init(_ call: String, path: String? = nil, errno: Int32 = Glibc.errno) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    public var description: String {
        "\(call)(\(path ?? "")): \(String(cString: strerror(errno)))"
    }

    /// For libudev, which returns negative errno values: `rc < 0` becomes errno `-rc`.
    public init(udevCall call: String, path: String? = nil, rc: Int32) {
        self.init(call, path: path, errno: -rc)
    }
}

/// Retries a system call interrupted by a signal (EINTR).
@inline(__always)
func retryingOnInterrupt<T: BinaryInteger>(_ call: () -> T) -> T {
    while true {
        let rc = call()
        if rc == -1 && errno == EINTR { continue }
        return rc
    }
}

/// Writes every byte to a descriptor, retrying on EINTR, and waiting (up to 100 ms at a time)
/// when a non-blocking descriptor's buffer is full.
/// - Throws: `SystemError` for `write` on `path`.
func writeFully(_ fd: Int32, _ bytes: [UInt8], path: String) throws(SystemError) {
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { b in retryingOnInterrupt { write(fd, b.baseAddress! + offset, b.count - offset) } }
        if n < 0 {
            if errno == EAGAIN {
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&p, 1, 100)
                continue
            }
            throw SystemError("write", path: path)
        }
        offset += n
    }
}
