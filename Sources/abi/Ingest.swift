import ABICore
import ABIDevices
import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

/// `--profile NAME|FILE.json`, shared by the device commands.
struct ProfileArgument: ParsableArguments {
    @Option(help: ArgumentHelp("The device profile: a built-in name (\(BuiltInProfiles.names.joined(separator: ", "))) or a line-profile file (abi-profile/1).",
                               valueName: "NAME|FILE.json"))
    var profile: String

    /// - Throws: `Failure` 64 for an unknown name, 65 for an invalid profile file (naming the key), 66 for an unreadable file.
    func load() throws(Failure) -> DeviceProfile { try ProfileArgument.load(profile) }

    static func load(_ profile: String) throws(Failure) -> DeviceProfile {
        if profile.contains("/") || profile.hasSuffix(".json") {
            let bytes = try Files.read(profile)
            do {
                return DeviceProfile.line(try LineProfile.decode(bytes))
            } catch {
                throw Failure(.dataError, "\(profile): \(error)")
            }
        }
        do {
            return try DeviceProfile.builtIn(profile)
        } catch {
            throw Failure(.usage, "--profile: \(error.problem)")
        }
    }
}

/// Port settings that override a profile's, for a device variant (the Contec V5.0A firmware
/// speaks 4800 baud with odd parity where the legacy profile says 19200).
struct SerialOverrides: ParsableArguments {
    @Option(help: ArgumentHelp("Line speed, overriding the profile's.", valueName: "BAUD")) var baud: Int?
    @Option(help: ArgumentHelp("Data bits (5–8), overriding the profile's.", valueName: "N")) var dataBits: Int?
    @Option(help: ArgumentHelp("none, odd or even, overriding the profile's.", valueName: "PARITY")) var parity: SerialSettings.Parity?
    @Option(help: ArgumentHelp("Stop bits (1 or 2), overriding the profile's.", valueName: "N")) var stopBits: Int?
    @Option(help: ArgumentHelp("none, xonxoff or rtscts, overriding the profile's.", valueName: "FLOW")) var flowControl: SerialSettings.FlowControl?

    func validate() throws {
        if let baud, !SerialSettings.supportedBauds.contains(baud) {
            throw ValidationError("--baud: \(baud) is not a supported speed (\(SerialSettings.supportedBauds.map { String($0) }.joined(separator: ", "))).")
        }
        if let dataBits, !(5...8).contains(dataBits) { throw ValidationError("--data-bits: 5 to 8.") }
        if let stopBits, !(1...2).contains(stopBits) { throw ValidationError("--stop-bits: 1 or 2.") }
    }

    /// The profile with these settings in place of its own; says so on standard error.
    func apply(to profile: DeviceProfile) -> DeviceProfile {
        var s = profile.settings
        if let baud { s.baud = baud }
        if let dataBits { s.dataBits = dataBits }
        if let parity { s.parity = parity }
        if let stopBits { s.stopBits = stopBits }
        if let flowControl { s.flowControl = flowControl }
        guard s != profile.settings else { return profile }
        Terminal.error("abi: \(profile.name) at \(s.description) (the profile says \(profile.settings.description))")
        return profile.with(settings: s)
    }
}

extension ABI {
    struct Ingest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode a raw device capture offline into abi-reading/1 JSON Lines.",
            discussion: """
                The capture is either the device's bytes as received (a binary file), or a raw log \
                written by --raw-log (a text file starting "# abi-raw/1", one line per chunk: the UTC \
                receive time and the bytes in hex). A raw log gives each reading its time, and \
                oximetry is then reported at most once a second, as abi listen does.

                Corrupted frames are never reported as measurements: they are counted, and the counts \
                are printed to standard error.

                A raw log names its device profile in its header, so --profile is only needed \
                for a binary capture (or to decode a log with another profile). Records are \
                written as they are decoded: a log of any size takes little memory.

                Examples:
                  abi ingest session.raw
                  abi exams journal 3 | abi ingest -
                  abi ingest --profile suntech-advantage capture.bin
                """
        )

        @Option(help: ArgumentHelp("The device profile: a built-in name (\(BuiltInProfiles.names.joined(separator: ", "))) or a line-profile file. Default for a raw log: the profile its header names.",
                                   valueName: "NAME|FILE.json"))
        var profile: String?

        @Argument(help: ArgumentHelp("The capture file, or - for standard input.", valueName: "FILE|-"))
        var capture: String

        func run() throws {
            let name = capture == "-" ? "standard input" : capture
            let fd: Int32 = capture == "-" ? STDIN_FILENO : open(capture, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw Failure(.noInput, "cannot read \(capture): \(String(cString: strerror(errno)))") }
            defer { if fd != STDIN_FILENO { close(fd) } }

            // Read enough to tell a raw log (and the profile its header names) from a binary capture.
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            var pending: [UInt8] = []
            var ended = false
            func fill() throws(Failure) {
                while true {
                    let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                    if n < 0 && errno == EINTR { continue }
                    guard n >= 0 else { throw Failure(.noInput, "cannot read \(name): \(String(cString: strerror(errno)))") }
                    if n == 0 { ended = true } else { pending.append(contentsOf: chunk[0..<n]) }
                    return
                }
            }
            while !ended && pending.count < 256 && !pending.contains(0x0A) { try fill() }
            let isRawLog = RawLog.isRawLog(pending)
            guard let profileName = profile ?? (isRawLog ? RawLog.profile(inHeader: pending) : nil) else {
                throw Failure(.usage, isRawLog ? "\(name): the raw log's header names no profile; pass --profile NAME"
                                              : "\(name) is a binary capture: pass --profile NAME (a raw log names its own)")
            }
            let device = try ProfileArgument.load(profileName)
            var decoder = ReadingDecoder(profile: device)

            // Records go out as they are decoded, in blocks: memory stays flat whatever the input's size.
            var out: [UInt8] = []
            out.reserveCapacity(1 << 17)
            func emit(_ readings: [DeviceReading]) throws(Failure) {
                for reading in readings {
                    out.append(contentsOf: reading.jsonLine.utf8)
                    out.append(0x0A)
                }
                if out.count >= 1 << 16 { try flush() }
            }
            func flush() throws(Failure) {
                guard Terminal.writeAll(&out, to: STDOUT_FILENO) else {
                    throw Failure(.cannotCreate, "cannot write the readings: \(String(cString: strerror(errno)))")
                }
                out.removeAll(keepingCapacity: true)
            }

            if isRawLog {
                var lineNumber = 0
                while true {
                    var start = 0
                    while let newline = pending[start...].firstIndex(of: 0x0A) {
                        lineNumber += 1
                        let parsed: (time: Timestamp, bytes: [UInt8])?
                        do { parsed = try RawLog.parseLine(pending[start..<newline], number: lineNumber) }
                        catch { try flush(); throw Failure(.dataError, "\(name): \(error)") }
                        if let parsed { try emit(decoder.receive(parsed.bytes, at: parsed.time)) }
                        start = newline + 1
                    }
                    pending.removeFirst(start)
                    if ended { break }
                    if pending.count > 16 << 20 { throw Failure(.dataError, "\(name): line \(lineNumber + 1) is longer than 16 MiB; not a raw log line") }
                    try fill()
                }
                if !pending.isEmpty {
                    do { if let parsed = try RawLog.parseLine(pending[...], number: lineNumber + 1) { try emit(decoder.receive(parsed.bytes, at: parsed.time)) } }
                    catch { try flush(); throw Failure(.dataError, "\(name): \(error)") }
                }
            } else {
                while true {
                    try emit(decoder.receive(pending, at: nil))
                    pending.removeAll(keepingCapacity: true)
                    if ended { break }
                    try fill()
                }
            }
            try flush()
            let s = decoder.codec.statistics
            if s.checksumErrors + s.framingErrors + s.implausibleValues > 0 || s.frames == 0 {
                Terminal.error("abi ingest: \(name): \(s.frames) frames decoded; \(s.checksumErrors) checksum errors, \(s.framingErrors) framing errors, \(s.implausibleValues) implausible values, \(s.discardedBytes) bytes skipped")
            }
        }
    }
}
