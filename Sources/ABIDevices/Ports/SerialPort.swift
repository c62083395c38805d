import ABICore
import CShims

#if canImport(Glibc)
import Glibc
#endif

/// Why a port could not be used. `abi` exits 69 for these, with the message naming the port
/// and saying how to fix it.
public enum PortError: Error, Sendable, CustomStringConvertible {
    case missing(path: String)
    case permissionDenied(path: String, group: String?)
    case busy(path: String, holder: String?)
    case settingsRejected(path: String, what: String)
    /// A file, a folder, a pipe, or a character device that is no terminal (/dev/null).
    case notASerialPort(path: String, what: String)
    case system(SystemError)

    public var description: String {
        switch self {
        case .missing(let path):
            return "\(path): no such device (is it plugged in? `abi devices` lists what is)"
        case .permissionDenied(let path, let group):
            let fix = group.map { "add yourself to the group \"\($0)\" (sudo usermod -aG \($0) $USER, then log in again)" }
                ?? "install the udev rules (make install-udev)"
            return "\(path): permission denied; \(fix)"
        case .busy(let path, let holder):
            return "\(path): busy, in use by \(holder ?? "another program"); close it first"
        case .settingsRejected(let path, let what):
            return "\(path): the driver did not accept the port settings (\(what))"
        case .notASerialPort(let path, let what):
            return "\(path): not a serial port (\(what)); name the device's port, e.g. /dev/ttyUSB0 or a /dev/abi/… link (abi devices lists them)"
        case .system(let error):
            return error.description
        }
    }
}

/// What one read from a port gave.
public enum PortRead: Equatable, Sendable {
    case data(Int)
    /// Nothing available now. With VMIN = VTIME = 0 Linux returns 0 rather than EAGAIN when a
    /// tty has no data, so 0 means "nothing" here; a port that poll(2) calls readable and that
    /// then gives nothing has hung up, and `PortSession` treats it as unplugged.
    case nothing
    /// The device is gone: EIO, ENXIO or ENODEV.
    case disconnected
}

/// A serial port opened for one device, set up as its profile says (docs/devices.md): opened
/// non-blocking without becoming the controlling terminal, locked against other programs,
/// raw mode with the profile's speed, parity, stop bits and flow control, the settings read
/// back and compared, and the original settings restored when it is closed.
public final class SerialPort {
    public let path: String
    public let fd: Int32
    private var saved: termios?
    private var closed = false
    /// Whether the port is a real terminal (false under umockdev, where termios calls fail with ENOTTY).
    public let isTerminal: Bool
    /// Whether the port is a pseudo-terminal (a simulated device).
    public let isPseudoTerminal: Bool

    /// Opens and configures a port.
    /// - Throws: `PortError` naming the port: missing, permission (with the group to join),
    ///   busy (with the holder when known), settings the driver rejected, or a system error.
    public init(path: String, settings: SerialSettings) throws(PortError) {
        self.path = path
        let fd = retryingOnInterrupt { open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC) }
        guard fd >= 0 else {
            let e = errno
            switch e {
            case ENOENT, ENODEV, ENXIO: throw .missing(path: path)
            case EACCES, EPERM: throw .permissionDenied(path: path, group: SerialPort.group(of: path))
            case EBUSY: throw .busy(path: path, holder: SerialPort.holder(of: path))
            case EISDIR: throw .notASerialPort(path: path, what: "a folder")
            default: throw .system(SystemError("open", path: path, errno: e))
            }
        }
        if let what = SerialPort.notATerminal(fd) {
            Glibc.close(fd)
            throw .notASerialPort(path: path, what: what)
        }
        self.fd = fd
        self.isPseudoTerminal = SerialPort.isPseudoTerminal(fd: fd)
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let e = errno
            Glibc.close(fd)
            if e == EWOULDBLOCK { throw .busy(path: path, holder: SerialPort.holder(of: path)) }
            throw .system(SystemError("flock", path: path, errno: e))
        }
        // Exclusive use; ENOTTY (umockdev, some drivers) is not fatal.
        if abi_tiocexcl(fd) != 0 && errno != ENOTTY && errno != EINVAL {
            let e = errno
            Glibc.close(fd)
            throw .system(SystemError("ioctl(TIOCEXCL)", path: path, errno: e))
        }
        var original = termios()
        if tcgetattr(fd, &original) == 0 {
            isTerminal = true
            saved = original
            do {
                try configure(settings, from: original)
            } catch {
                // The object is whole by now, so its deinit runs after this throw: marked closed,
                // it does not close the descriptor a second time (which could close another
                // thread's file that got the same number).
                closed = true
                Glibc.close(fd)
                throw error
            }
        } else {
            isTerminal = false
        }
        setModemLines(settings)
    }

    /// What an open descriptor is when it cannot be a device's port, or nil. Only character
    /// devices qualify, and of those not the memory devices (/dev/null, /dev/zero: major 1),
    /// which never hang up and would make a session flap between "disconnected" and "back".
    /// A character device that refuses termios calls is still accepted: umockdev's emulated ports do.
    static func notATerminal(_ fd: Int32) -> String? {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFCHR:
            let rdev = UInt64(info.st_rdev)
            let major = ((rdev >> 8) & 0xFFF) | ((rdev >> 32) & ~UInt64(0xFFF))
            return major == 1 ? "a memory device such as /dev/null" : nil
        case S_IFREG: return "a regular file"
        case S_IFDIR: return "a folder"
        case S_IFIFO: return "a pipe"
        case S_IFSOCK: return "a socket"
        default: return "not a character device"
        }
    }

    private func configure(_ settings: SerialSettings, from original: termios) throws(PortError) {
        var t = original
        cfmakeraw(&t)
        t.c_cflag |= tcflag_t(CLOCAL) | tcflag_t(CREAD)
        let cleared: tcflag_t = tcflag_t(CSIZE) | tcflag_t(PARENB) | tcflag_t(PARODD) | tcflag_t(CSTOPB) | tcflag_t(CRTSCTS)
        t.c_cflag &= ~cleared
        t.c_cflag |= tcflag_t(SerialPort.sizeFlag(settings.dataBits))
        switch settings.parity {
        case .none: break
        case .odd: t.c_cflag |= tcflag_t(PARENB) | tcflag_t(PARODD)
        case .even: t.c_cflag |= tcflag_t(PARENB)
        }
        if settings.stopBits == 2 { t.c_cflag |= tcflag_t(CSTOPB) }
        let software: tcflag_t = tcflag_t(IXON) | tcflag_t(IXOFF) | tcflag_t(IXANY)
        t.c_iflag &= ~software
        switch settings.flowControl {
        case .none: break
        case .xonxoff: t.c_iflag |= tcflag_t(IXON) | tcflag_t(IXOFF)
        case .rtscts: t.c_cflag |= tcflag_t(CRTSCTS)
        }
        withUnsafeMutableBytes(of: &t.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        guard abi_set_speed(&t, Int32(settings.baud)) == 0 else {
            throw .settingsRejected(path: path, what: "speed \(settings.baud)")
        }
        guard retryingOnInterrupt({ tcsetattr(fd, TCSANOW, &t) }) == 0 else {
            throw .system(SystemError("tcsetattr", path: path))
        }
        // tcsetattr succeeds if any one change took: read back and compare what matters.
        var check = termios()
        guard tcgetattr(fd, &check) == 0 else { throw .system(SystemError("tcgetattr", path: path)) }
        if let what = SerialPort.mismatch(requested: t, actual: check, settings: settings, pseudoTerminal: isPseudoTerminal) {
            throw .settingsRejected(path: path, what: what)
        }
        tcflush(fd, TCIOFLUSH)
    }

    /// What the driver did not take of the requested settings, or nil when it took everything.
    /// A pseudo-terminal always carries 8-bit bytes without parity (Linux forces CS8 and clears
    /// PARENB), so a simulated device's data size and parity are not held against it.
    static func mismatch(requested t: termios, actual check: termios, settings: SerialSettings, pseudoTerminal: Bool) -> String? {
        var t = t, check = check
        if abi_get_speed(&check) != abi_get_speed(&t) { return "speed \(settings.baud)" }
        var framing: tcflag_t = tcflag_t(CSTOPB) | tcflag_t(CRTSCTS) | tcflag_t(CLOCAL) | tcflag_t(CREAD)
        if !pseudoTerminal { framing |= tcflag_t(CSIZE) | tcflag_t(PARENB) | tcflag_t(PARODD) }
        if check.c_cflag & framing != t.c_cflag & framing { return "\(settings.description) framing" }
        let software = tcflag_t(IXON) | tcflag_t(IXOFF)
        if check.c_iflag & software != t.c_iflag & software { return "flow control \(settings.flowControl.rawValue)" }
        return nil
    }

    /// Whether an open descriptor is the slave side of a pseudo-terminal (a simulator): UNIX 98
    /// pty slaves have device major numbers 136–143.
    static func isPseudoTerminal(fd: Int32) -> Bool {
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFCHR else { return false }
        let dev = UInt64(info.st_rdev)
        let major = ((dev >> 8) & 0xFFF) | ((dev >> 32) & ~UInt64(0xFFF))
        return (136...143).contains(major)
    }

    private func setModemLines(_ settings: SerialSettings) {
        // Optional: a pty or umockdev answers ENOTTY, which is fine.
        if let dtr = settings.dtr { _ = abi_tiocm_set(fd, abi_tiocm_dtr(), dtr ? 1 : 0) }
        if let rts = settings.rts { _ = abi_tiocm_set(fd, abi_tiocm_rts(), rts ? 1 : 0) }
    }

    private static func sizeFlag(_ bits: Int) -> Int32 {
        switch bits {
        case 5: CS5
        case 6: CS6
        case 7: CS7
        default: CS8
        }
    }

    /// Reads what is available without blocking.
    /// - Throws: `SystemError` for an error that is not a disconnection.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> PortRead {
        let n = retryingOnInterrupt { Glibc.read(fd, buffer.baseAddress, buffer.count) }
        if n > 0 { return .data(n) }
        if n == 0 { return .nothing }
        switch errno {
        case EAGAIN: return .nothing
        case EIO, ENXIO, ENODEV: return .disconnected
        default: throw SystemError("read", path: path)
        }
    }

    /// Writes every byte (waiting briefly when the driver's buffer is full).
    public func write(_ bytes: [UInt8]) throws(SystemError) {
        try writeFully(fd, bytes, path: path)
    }

    /// Restores the original settings and closes the port. Called by deinit if not before.
    public func close() {
        guard !closed else { return }
        closed = true
        if var saved { _ = tcsetattr(fd, TCSANOW, &saved) }
        _ = abi_tiocnxcl(fd)
        Glibc.close(fd)
    }

    deinit { close() }

    // MARK: Diagnostics

    /// The group owning a device node, when it is not root (typically `dialout` or `plugdev`).
    public static func group(of path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_gid != 0, let group = getgrgid(info.st_gid) else { return nil }
        return String(cString: group.pointee.gr_name)
    }

    /// The program holding a device open, found through /proc ("minicom (pid 4242)"): the
    /// process with a descriptor on the same character device.
    public static func holder(of path: String) -> String? {
        var target = stat()
        guard stat(path, &target) == 0, target.st_mode & S_IFMT == S_IFCHR else { return nil }
        let own = getpid()
        guard let dir = opendir("/proc") else { return nil }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard let pid = Int32(name), pid != own else { continue }
            guard let fds = opendir("/proc/\(name)/fd") else { continue }
            defer { closedir(fds) }
            while let fdEntry = readdir(fds) {
                let fdName = withUnsafeBytes(of: fdEntry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                var info = stat()
                guard Int(fdName) != nil, stat("/proc/\(name)/fd/\(fdName)", &info) == 0 else { continue }
                if info.st_mode & S_IFMT == S_IFCHR && info.st_rdev == target.st_rdev {
                    return "\(command(of: pid) ?? "pid \(pid)") (pid \(pid))"
                }
            }
        }
        return nil
    }

    static func command(of pid: Int32) -> String? {
        guard let f = fopen("/proc/\(pid)/comm", "r") else { return nil }
        defer { fclose(f) }
        var buffer = [CChar](repeating: 0, count: 64)
        guard fgets(&buffer, 64, f) != nil else { return nil }
        return cString(buffer).trimmingNewline
    }
}

extension String {
    var trimmingNewline: String { hasSuffix("\n") ? String(dropLast()) : self }
}

/// The text of a NUL-terminated C buffer.
func cString(_ buffer: [CChar]) -> String {
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}
