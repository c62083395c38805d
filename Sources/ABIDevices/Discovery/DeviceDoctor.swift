#if canImport(Glibc)
import Glibc
#endif

/// Checks what commonly keeps a serial device from working on Linux, each with its fix.
public enum DeviceDoctor {
    public struct Finding: Sendable, Equatable {
        public enum Level: String, Sendable { case ok, warning, problem }
        public var level: Level
        public var check: String
        public var detail: String
        public var fix: String?
    }

    public static let rulesPath = "/etc/udev/rules.d/70-abi-devices.rules"

    /// Runs every check, for the given ports (all serial devices when empty).
    public static func examine(ports: [String]) -> [Finding] {
        var findings: [Finding] = []
        findings.append(access(rulesPath, F_OK) == 0
            ? Finding(level: .ok, check: "udev rules", detail: "\(rulesPath) is installed")
            : Finding(level: .warning, check: "udev rules", detail: "\(rulesPath) is not installed: devices get no profile, group or stable name",
                      fix: "sudo make install-udev (copies udev/70-abi-devices.rules and reloads udev)"))

        if let pid = process(named: "ModemManager") {
            findings.append(Finding(level: .warning, check: "ModemManager", detail: "ModemManager is running (pid \(pid)) and may probe serial ports, sending them AT commands",
                                    fix: "install the udev rules (they set ID_MM_DEVICE_IGNORE), or: sudo systemctl disable --now ModemManager"))
        } else {
            findings.append(Finding(level: .ok, check: "ModemManager", detail: "not running"))
        }
        if let pid = process(named: "brltty") {
            findings.append(Finding(level: .problem, check: "brltty", detail: "brltty is running (pid \(pid)); it claims CH340 and FTDI adapters as Braille displays",
                                    fix: "sudo apt remove brltty (unless a Braille display is used on this machine)"))
        } else {
            findings.append(Finding(level: .ok, check: "brltty", detail: "not running"))
        }

        for port in ports {
            findings += examine(port: port)
        }
        return findings
    }

    static func examine(port: String) -> [Finding] {
        var findings: [Finding] = []
        guard Glibc.access(port, F_OK) == 0 else {
            return [Finding(level: .problem, check: port, detail: "no such device", fix: "plug it in; `abi devices` lists what is present")]
        }
        if Glibc.access(port, R_OK | W_OK) == 0 {
            findings.append(Finding(level: .ok, check: "\(port) permissions", detail: "readable and writable"))
        } else {
            let group = SerialPort.group(of: port)
            let member = group.map(isMember) ?? false
            findings.append(Finding(level: .problem, check: "\(port) permissions",
                                    detail: "not readable and writable by you" + (group.map { "; it belongs to the group \($0), \(member ? "which you are in (log in again?)" : "which you are not in")" } ?? ""),
                                    fix: group.map { "sudo usermod -aG \($0) $USER, then log in again; or install the udev rules (uaccess)" } ?? "install the udev rules"))
        }
        if let holder = SerialPort.holder(of: port) {
            findings.append(Finding(level: .problem, check: "\(port) in use", detail: "held open by \(holder)", fix: "close that program first"))
        } else {
            findings.append(Finding(level: .ok, check: "\(port) in use", detail: "no other program has it open"))
        }
        let name = port.split(separator: "/").last.map(String.init) ?? port
        if let latency = readSmallFile("/sys/bus/usb-serial/devices/\(name)/latency_timer"), let ms = Int(latency) {
            findings.append(ms <= 1
                ? Finding(level: .ok, check: "\(port) FTDI latency timer", detail: "\(ms) ms")
                : Finding(level: .warning, check: "\(port) FTDI latency timer", detail: "\(ms) ms: bytes arrive in bursts up to \(ms) ms late",
                          fix: "install the udev rules (they set it to 1 ms), or: echo 1 | sudo tee /sys/bus/usb-serial/devices/\(name)/latency_timer"))
        }
        return findings
    }

    static func isMember(_ group: String) -> Bool {
        guard let entry = getgrnam(group) else { return false }
        let gid = entry.pointee.gr_gid
        if getegid() == gid { return true }
        let count = getgroups(0, nil)
        guard count > 0 else { return false }
        var groups = [gid_t](repeating: 0, count: Int(count))
        let n = getgroups(count, &groups)
        return n > 0 && groups[0..<Int(n)].contains(gid)
    }

    /// The pid of a running process with this command name, from /proc.
    static func process(named command: String) -> Int32? {
        guard let dir = opendir("/proc") else { return nil }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard let pid = Int32(name) else { continue }
            if SerialPort.command(of: pid) == command { return pid }
        }
        return nil
    }

    static func readSmallFile(_ path: String) -> String? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var buffer = [CChar](repeating: 0, count: 64)
        guard fgets(&buffer, 64, f) != nil else { return nil }
        return cString(buffer).trimmingNewline
    }
}
