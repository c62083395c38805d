import ABICore
import ABIDevices
import ArgumentParser

/// `--profile NAME|FILE.json`, shared by the device commands.
struct ProfileArgument: ParsableArguments {
    @Option(help: ArgumentHelp("The device profile: a built-in name (\(BuiltInProfiles.names.joined(separator: ", "))) or a line-profile file (abi-profile/1).",
                               valueName: "NAME|FILE.json"))
    var profile: String

    /// - Throws: `Failure` 65 for an unknown name or an invalid profile file (naming the key), 66 for an unreadable file.
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

                Example:
                  abi ingest --profile suntech-advantage capture.bin
                """
        )

        @OptionGroup var profile: ProfileArgument

        @Argument(help: ArgumentHelp("The capture file, or - for standard input.", valueName: "FILE|-"))
        var capture: String

        func run() throws {
            let device = try profile.load()
            let bytes = try Files.read(capture)
            let name = capture == "-" ? "standard input" : capture
            var decoder = ReadingDecoder(profile: device)
            var out = ""
            if RawLog.isRawLog(bytes) {
                let chunks: [(time: Timestamp, bytes: [UInt8])]
                do {
                    chunks = try RawLog.parse(bytes)
                } catch {
                    throw Failure(.dataError, "\(name): \(error)")
                }
                for chunk in chunks {
                    for reading in decoder.receive(chunk.bytes, at: chunk.time) { out += reading.jsonLine + "\n" }
                }
            } else {
                for reading in decoder.receive(Array(bytes), at: nil) { out += reading.jsonLine + "\n" }
            }
            Terminal.write(out)
            let s = decoder.codec.statistics
            if s.checksumErrors + s.framingErrors + s.implausibleValues > 0 || s.frames == 0 {
                Terminal.error("abi ingest: \(name): \(s.frames) frames decoded; \(s.checksumErrors) checksum errors, \(s.framingErrors) framing errors, \(s.implausibleValues) implausible values, \(s.discardedBytes) bytes skipped")
            }
        }
    }
}
