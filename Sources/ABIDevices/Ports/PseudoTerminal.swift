import CShims

#if canImport(Glibc)
import Glibc
#endif

/// A pseudo-terminal pair whose master side plays a device: what the master writes, a program
/// reading the slave (`path`) receives as if from a serial port. Used by `abi simulate` and the tests.
public final class PseudoTerminal {
    public let masterFD: Int32
    /// The slave's path (`/dev/pts/7`), which programs open as the device's port.
    public let path: String
    private var closed = false

    /// - Throws: `SystemError` naming the failing call.
    public init() throws(SystemError) {
        let fd = abi_open_pty_master()
        guard fd >= 0 else { throw SystemError("posix_openpt") }
        guard abi_grant_unlock_pty(fd) == 0 else {
            let e = SystemError("grantpt/unlockpt")
            Glibc.close(fd)
            throw e
        }
        var name = [CChar](repeating: 0, count: 128)
        guard abi_pty_name(fd, &name, UInt(name.count)) == 0 else {
            let e = SystemError("ptsname_r")
            Glibc.close(fd)
            throw e
        }
        masterFD = fd
        path = cString(name)
        // Raw master side: no echo or line editing of what the program writes to the device.
        var t = termios()
        if tcgetattr(fd, &t) == 0 {
            cfmakeraw(&t)
            _ = tcsetattr(fd, TCSANOW, &t)
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    /// Sends bytes to the program, as the device.
    public func send(_ bytes: [UInt8]) throws(SystemError) {
        try writeFully(masterFD, bytes, path: path)
    }

    /// Reads what the program wrote to the device, waiting up to `timeoutMilliseconds`.
    /// - Returns: the bytes; empty on timeout or when no program has the slave open.
    public func receive(timeoutMilliseconds: Int32) -> [UInt8] {
        var p = pollfd(fd: masterFD, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, timeoutMilliseconds) > 0, p.revents & Int16(POLLIN) != 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { b in retryingOnInterrupt { Glibc.read(masterFD, b.baseAddress, b.count) } }
        return n > 0 ? Array(buffer[0..<n]) : []
    }

    /// Closes the master: the program reading the slave sees the device unplugged (EIO / POLLHUP).
    public func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(masterFD)
    }

    deinit { close() }
}
