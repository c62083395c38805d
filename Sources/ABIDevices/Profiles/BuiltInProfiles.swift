import ABICore

/// The device profiles that ship with abi: binary codecs written in Swift, and text devices
/// described by line profiles (the same mechanism a site uses for a device of its own).
public enum BuiltInProfiles {
    /// The built-in line profiles, as the JSON a site would write.
    public static let lineProfiles: [String: String] = [
        "doppler-manometer": #"""
            {
              "format": "abi-profile/1",
              "name": "doppler-manometer",
              "description": "Electronic manometer used with a handheld Doppler: streams the cuff pressure as P=<mmHg>; a MARK line (foot switch) marks the moment flow returns.",
              "serial": {"baud": 9600, "dataBits": 8, "parity": "none", "stopBits": 1, "flowControl": "none"},
              "silenceSeconds": 5,
              "records": [
                {"kind": "cuffPressure", "pattern": "^P=(?<pressure>\\d{1,3})$"},
                {"kind": "mark", "pattern": "^MARK$"}
              ]
            }
            """#,
        "masimo-ascii1": #"""
            {
              "format": "abi-profile/1",
              "name": "masimo-ascii1",
              "description": "Masimo Rad-8 / Radical-7 serial ASCII 1: one line a second with KEY=VALUE fields in any order; --, --.- mean no value. Each key must appear once (two lines run together are refused). The words for the ALARM and EXC bits come from one public source (MD PnP's Radical driver): partial.",
              "serial": {"baud": 9600, "dataBits": 8, "parity": "none", "stopBits": 1, "flowControl": "none"},
              "silenceSeconds": 5,
              "records": [
                {"kind": "oximetry", "pattern": "^(?!.*\\bSPO2=.*\\bSPO2=)(?!.*\\bBPM=.*\\bBPM=)(?=.*\\bSPO2=(?<spo2>[0-9]{1,3}|-+)%?(?:\\s|$))(?=.*\\bBPM=(?<pulseRate>[0-9]{1,3}|-+)%?(?:\\s|$))(?=(?:.*\\bPI=(?<perfusion>[0-9]{1,2}\\.[0-9]{1,3}|[0-9]{1,2}|[-.]+)%?(?:\\s|$))?)(?=(?:.*\\bALARM=(?<alarm>[0-9A-Fa-f]{1,8})(?:\\s|$))?)(?=(?:.*\\bEXC=(?<exception>[0-9A-Fa-f]{1,8})(?:\\s|$))?)"}
              ],
              "missing": ["--", "---", "--.-", "-.--", "--.--"],
              "flags": {
                "alarm": {"0x0001": "SpO2 above its alarm limit", "0x0002": "SpO2 below its alarm limit", "0x0004": "pulse rate above its alarm limit",
                          "0x0008": "pulse rate below its alarm limit", "0x0010": "alarm active", "0x0020": "alarm silenced", "0x0040": "low battery"},
                "exception": {"0x000001": "no sensor", "0x000002": "defective sensor", "0x000004": "low perfusion", "0x000008": "pulse search",
                              "0x000010": "interference", "0x000020": "sensor off", "0x000040": "ambient light", "0x000080": "unrecognised sensor",
                              "0x000100": "incompatible sensor", "0x000400": "low signal quality", "0x000800": "Masimo SET"}
              }
            }
            """#,
        "nonin-ascii": #"""
            {
              "format": "abi-profile/1",
              "name": "nonin-ascii",
              "description": "Nonin ASCII real-time output: SPO2=097 HR=072 once a second, optionally with a leading time and a trailing flag; --- means no value.",
              "serial": {"baud": 9600, "dataBits": 8, "parity": "none", "stopBits": 1, "flowControl": "none"},
              "silenceSeconds": 5,
              "records": [
                {"kind": "oximetry", "pattern": "^(?:[0-9]{2}:[0-9]{2}:[0-9]{2}\\s+)?SPO2=(?<spo2>[0-9]{1,3}|---)\\s+HR=(?<pulseRate>[0-9]{1,3}|---)(?:\\s*\\*|\\s+[A-Z])?\\s*$"}
              ],
              "missing": ["---"]
            }
            """#,
    ]

    /// Binary protocols, each with its port settings, codec, and (for a device that must be
    /// asked) the driver that asks it; the driver is told whether a measurement starts at once.
    public static let binaryProfiles: [String: (settings: SerialSettings, make: @Sendable () -> any DeviceCodec,
                                                driver: (@Sendable (Bool) -> any DeviceDriver)?)] = [
        "suntech-advantage": (SerialSettings(baud: 9600), { SunTechAdvantage() }, { SunTechDriver(startImmediately: $0) }),
        "nonin-2": (SerialSettings(baud: 9600), { Nonin2() }, nil),
        "contec-cms50-legacy": (SerialSettings(baud: 19200, parity: .odd), { ContecCMS50Legacy() }, nil),
        "contec-cms50-v7": (SerialSettings(baud: 115200), { ContecCMS50V7() },
                            { _ in StreamRequestDriver(command: ContecCMS50V7.Command.startRealTime, every: ContecCMS50V7.requestEvery) }),
    ]

    public static var names: [String] { (Array(lineProfiles.keys) + Array(binaryProfiles.keys)).sorted() }

    /// The built-in name closest to a mistyped one (`doppler` → `doppler-manometer`), when one is close.
    public static func closest(to name: String) -> String? {
        let typed = Array(name.lowercased())
        func distance(_ other: String) -> Int {
            let b = Array(other)
            var previous = Array(0...b.count)
            for (i, x) in typed.enumerated() {
                var current = [i + 1]
                for (j, y) in b.enumerated() { current.append(min(previous[j] + (x == y ? 0 : 1), previous[j + 1] + 1, current[j] + 1)) }
                previous = current
            }
            return previous[b.count]
        }
        // A prefix of a name counts as close (people type the start of it).
        if let prefixed = names.first(where: { $0.hasPrefix(name.lowercased()) && !name.isEmpty }) { return prefixed }
        let best = names.map { ($0, distance($0)) }.min { $0.1 < $1.1 }
        return best.flatMap { $0.1 <= max(2, $0.0.count / 3) ? $0.0 : nil }
    }
}

/// A device profile ready to use: its name, port settings and a fresh codec.
public struct DeviceProfile: Sendable {
    public let name: String
    public let settings: SerialSettings
    public let silenceSeconds: Int
    /// How old a cuff pressure may be when the operator marks it (ms); older is stale.
    public var markFreshnessMilliseconds = DeviceProfile.defaultMarkFreshness
    public static let defaultMarkFreshness = 500
    private let make: @Sendable () -> any DeviceCodec
    private var driver: (@Sendable (Bool) -> any DeviceDriver)? = nil

    public func makeCodec() -> any DeviceCodec { make() }
    /// What the host must send to this device, or nil for one that streams unasked.
    /// - Parameter startsMeasuring: whether an automatic cuff starts measuring at once.
    public func makeDriver(startsMeasuring: Bool) -> (any DeviceDriver)? { driver?(startsMeasuring) }

    /// Whether abi can start (and stop) a measurement on this device: an automatic cuff.
    public var measuresOnRequest: Bool { makeDriver(startsMeasuring: false)?.measuresOnRequest ?? false }

    /// A built-in profile by name.
    /// - Throws: `InputError` listing the known names.
    public static func builtIn(_ name: String) throws(InputError) -> DeviceProfile {
        if let binary = BuiltInProfiles.binaryProfiles[name] {
            return DeviceProfile(name: name, settings: binary.settings, silenceSeconds: 5, make: binary.make, driver: binary.driver)
        }
        if let text = BuiltInProfiles.lineProfiles[name] {
            return try line(LineProfile.decode(Array(text.utf8)))
        }
        let hint = BuiltInProfiles.closest(to: name).map { "did you mean \($0)? " } ?? ""
        throw InputError(path: "", "unknown profile \"\(name)\" (\(hint)built in: \(BuiltInProfiles.names.joined(separator: ", ")); or give a profile file)")
    }

    /// The same profile with other port settings (`--baud` and the like, for a device variant).
    public func with(settings: SerialSettings) -> DeviceProfile {
        var copy = DeviceProfile(name: name, settings: settings, silenceSeconds: silenceSeconds, make: make, driver: driver)
        copy.markFreshnessMilliseconds = markFreshnessMilliseconds
        return copy
    }

    /// A profile from a line profile.
    public static func line(_ profile: LineProfile) -> DeviceProfile {
        let codec = LineCodec(profile)
        var made = DeviceProfile(name: profile.name, settings: profile.serial, silenceSeconds: profile.silenceSeconds, make: { codec })
        made.markFreshnessMilliseconds = profile.markFreshnessMilliseconds
        return made
    }
}
