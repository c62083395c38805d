#if canImport(Glibc)
import Glibc
#endif

/// Standard output and error, written with write(2) so that output from large batches is not
/// held in a C stdio buffer and errors appear in order with it.
enum Terminal {
    static func write(_ text: String, to fd: Int32 = STDOUT_FILENO) {
        var bytes = Array(text.utf8)
        writeAll(&bytes, to: fd)
    }

    static func error(_ text: String) {
        write(text.hasSuffix("\n") ? text : text + "\n", to: STDERR_FILENO)
    }

    static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// The terminal's width in columns (80 when it cannot tell).
    static func columns(_ fd: Int32) -> Int {
        var size = winsize()
        return ioctl(fd, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
    }

    /// The terminal's height in rows (24 when it cannot tell).
    static func rows(_ fd: Int32) -> Int {
        var size = winsize()
        return ioctl(fd, UInt(TIOCGWINSZ), &size) == 0 && size.ws_row > 0 ? Int(size.ws_row) : 24
    }

    /// Writes every byte, retrying on EINTR and short writes.
    /// - Returns: false when the descriptor refused the data (a closed pipe, a full disk).
    @discardableResult
    static func writeAll(_ bytes: inout [UInt8], to fd: Int32) -> Bool {
        var offset = 0
        let ok = bytes.withUnsafeBytes { buffer -> Bool in
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
        return ok
    }
}
