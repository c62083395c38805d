import ABICore

#if canImport(Glibc)
import Glibc
#endif

/// The user's bindings of device serial numbers to profiles (`abi devices bind`), kept in
/// `$XDG_CONFIG_HOME/abi/devices.json` (default `~/.config/abi/`; directory 0700, file 0600).
public struct Bindings: Sendable, Equatable {
    public static let format = "abi-bindings/1"
    /// Serial number → profile (a built-in name or a profile file's absolute path).
    public private(set) var profiles: [String: String] = [:]

    public init(profiles: [String: String] = [:]) { self.profiles = profiles }

    public static var defaultPath: String {
        let environment = { (name: String) -> String? in getenv(name).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } }
        // The XDG specification: a relative XDG_CONFIG_HOME is invalid and ignored.
        let base = environment("XDG_CONFIG_HOME").flatMap { $0.hasPrefix("/") ? $0 : nil } ?? ((environment("HOME") ?? "/root") + "/.config")
        return base + "/abi/devices.json"
    }

    public mutating func bind(serial: String, profile: String) { profiles[serial] = profile }
    @discardableResult public mutating func unbind(serial: String) -> Bool { profiles.removeValue(forKey: serial) != nil }

    /// Reads the bindings; a missing file is no bindings.
    /// - Throws: `InputError` naming the key of a damaged file, `SystemError` when it cannot be read.
    public static func load(from path: String = defaultPath) throws -> Bindings {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return Bindings() }
            throw SystemError("open", path: path)
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { b in retryingOnInterrupt { read(fd, b.baseAddress, b.count) } }
            if n < 0 { throw SystemError("read", path: path) }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        return try decode(bytes)
    }

    /// Reads the bindings file's contents (`abi-bindings/1`).
    /// - Throws: `InputError` naming the key.
    public static func decode(_ bytes: [UInt8]) throws(InputError) -> Bindings {
        let r = try ObjectReader(try InputError.parsingJSON(bytes), at: "")
        guard try r.string("format") == format else { throw InputError(path: "format", "must be \"\(format)\"") }
        var bindings = Bindings()
        for (i, entry) in (try r.array("bindings") ?? []).enumerated() {
            let b = try ObjectReader(entry, at: "bindings[\(i)]")
            bindings.bind(serial: try b.requiredText("serial", maxLength: 100), profile: try b.requiredText("profile", maxLength: 4096))
        }
        return bindings
    }

    /// Writes the bindings (directory 0700, file 0600), replacing the file atomically.
    public func save(to path: String = defaultPath) throws(SystemError) {
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        try Bindings.makeDirectories(directory)
        var w = JSONWriter(pretty: true)
        w.beginObject()
        w.string("format", Bindings.format)
        w.beginArray("bindings")
        for serial in profiles.keys.sorted() {
            w.beginObject()
            w.string("serial", serial)
            w.string("profile", profiles[serial])
            w.endObject()
        }
        w.endArray()
        w.endObject()
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError("open", path: temporary) }
        var bytes = w.bytes + [0x0A]
        let written = bytes.withUnsafeMutableBytes { b in retryingOnInterrupt { write(fd, b.baseAddress, b.count) } }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced, rename(temporary, path) == 0 else {
            let e = SystemError("write", path: path)
            unlink(temporary)
            throw e
        }
    }

    /// Creates each missing directory of `path` with mode 0700.
    static func makeDirectories(_ path: String) throws(SystemError) {
        var current = ""
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            current += "/" + part
            if mkdir(current, 0o700) != 0 && errno != EEXIST { throw SystemError("mkdir", path: current) }
        }
    }
}
