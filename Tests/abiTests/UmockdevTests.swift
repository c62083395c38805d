import ABICore
import Foundation
import Testing

/// `abi devices` and `abi listen` against a real libudev view of USB-serial devices and their
/// replayed bytes, under umockdev (samples/devices, made by samples/devices/make-samples.py).
@Suite struct UmockdevTests {
    static let samples = CommandTests.packageDirectory.appendingPathComponent("samples/devices")
    static let umockdevRun = URL(fileURLWithPath: "/usr/bin/umockdev-run")

    static func underUmockdev(_ profile: String, description: URL? = nil, _ arguments: [String], environment: [String: String] = [:]) throws -> CommandTests.Run {
        let device = description ?? samples.appendingPathComponent("\(profile).umockdev")
        let script = samples.appendingPathComponent("\(profile).script")
        return try CommandTests.run(umockdevRun, ["-d", device.path, "-s", "/dev/ttyUSB0=\(script.path)", "--", CommandTests.binary.path] + arguments,
                                    environment: environment)
    }

    @Test("umockdev is installed (scripts/setup installs it)")
    func installed() {
        #expect(FileManager.default.isExecutableFile(atPath: UmockdevTests.umockdevRun.path), "apt-get install umockdev")
    }

    @Test("abi devices --json lists the device with its udev profile", arguments: ["suntech-advantage", "nonin-2", "contec-cms50-legacy", "masimo-ascii1", "nonin-ascii", "doppler-manometer"])
    func devices(_ profile: String) throws {
        let run = try UmockdevTests.underUmockdev(profile, ["devices", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let device = DeviceCommandTests.records(run.stdout).first
        #expect(device?["port"] as? String == "/dev/ttyUSB0")
        #expect(device?["profile"] as? String == profile)
        #expect(device?["boundBy"] as? String == "udev")
        #expect((device?["path"] as? String)?.hasPrefix("pci-0000:00:14.0-usb-0:") == true)
        #expect(device?["vendorId"] as? String != nil)
    }

    /// What listening to each sample must give (kind and key values, in order).
    static let expected: [(String, [String])] = [
        ("suntech-advantage", ["cuffPressure 160", "cuffPressure 140", "cuffPressure 120", "cuffPressure 100", "bloodPressure 115/74 map 88 pulse 85"]),
        ("nonin-2", ["oximetry 97 72"]),
        ("contec-cms50-legacy", ["oximetry 98 72"]),
        ("contec-cms50-v7", ["oximetry 98 72"]),
        ("masimo-ascii1", ["oximetry 98 97", "oximetry - -"]),
        ("nonin-ascii", ["oximetry 97 72", "oximetry 96 71", "oximetry - -"]),
        ("doppler-manometer", ["cuffPressure 180", "cuffPressure 170", "cuffPressure 160", "cuffPressure 150", "cuffPressure 140",
                               "cuffPressure 130", "cuffPressure 120", "cuffPressure 120 mark"]),
    ]

    static func summary(_ r: [String: Any]) -> String {
        func v(_ k: String) -> String { (r[k] as? Int).map(String.init) ?? "-" }
        switch r["kind"] as? String {
        case "bloodPressure": return "bloodPressure \(v("systolic"))/\(v("diastolic")) map \(v("map")) pulse \(v("pulseRate"))"
        case "cuffPressure": return "cuffPressure \(v("pressure"))" + (r["mark"] as? Bool == true ? " mark" : "")
        case "oximetry": return "oximetry \(v("spo2")) \(v("pulseRate"))"
        default: return "\(r["kind"] ?? "?") \(r["event"] ?? r["code"] ?? "")"
        }
    }

    @Test("abi listen decodes each device's bytes, the profile coming from the udev rule", arguments: expected.map(\.0))
    func listen(_ profile: String) throws {
        let expected = UmockdevTests.expected.first { $0.0 == profile }!.1
        // --count counts measurements: everything but the live (unmarked) cuff pressure.
        let measurements = expected.filter { !$0.hasPrefix("cuffPressure") || $0.hasSuffix(" mark") }.count
        let run = try UmockdevTests.underUmockdev(profile, ["listen", "--port", "/dev/ttyUSB0", "--count", "\(measurements)", "--timeout", "8"])
        #expect(run.status == 0, "\(run.stderr)")
        let records = DeviceCommandTests.records(run.stdout)
        #expect(records.first?["event"] as? String == "connected")
        #expect(records.allSatisfy { $0["profile"] as? String == profile && $0["port"] as? String == "/dev/ttyUSB0" })
        #expect(records.dropFirst().map(UmockdevTests.summary) == expected)
    }

    @Test("Hotplug: unplugged in mid-stream and back under another name; nothing lost, nothing twice, no hang")
    func hotplug() throws {
        let harness = CommandTests.packageDirectory.appendingPathComponent("Tests/abiTests/Hotplug/hotplug.py")
        let run = try CommandTests.run(URL(fileURLWithPath: "/usr/bin/umockdev-wrapper"),
                                       ["/usr/bin/python3", harness.path, CommandTests.binary.path,
                                        UmockdevTests.samples.appendingPathComponent("doppler-manometer.umockdev").path])
        #expect(run.status == 0, "\(run.stderr)")
        let records = DeviceCommandTests.records(run.stdout)
        let sequence = records.map { ($0["event"] as? String) ?? "\($0["pressure"] ?? "?")" }
        #expect(sequence == ["connected", "101", "102", "103", "disconnected", "reconnected", "111", "112", "113"])
        #expect(records.first?["port"] as? String == "/dev/ttyUSB0")
        #expect(records.last?["port"] as? String == "/dev/ttyUSB1")
    }

    @Test("abi devices --watch reports a device plugged in and out (libudev monitor as an AsyncSequence)")
    func watch() throws {
        let harness = CommandTests.packageDirectory.appendingPathComponent("Tests/abiTests/Hotplug/watch.py")
        let run = try CommandTests.run(URL(fileURLWithPath: "/usr/bin/umockdev-wrapper"),
                                       ["/usr/bin/python3", harness.path, CommandTests.binary.path,
                                        UmockdevTests.samples.appendingPathComponent("nonin-2.umockdev").path])
        #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
        let records = DeviceCommandTests.records(run.stdout)
        #expect(records.map { $0["event"] as? String } == ["add", "remove"])
        #expect(records.allSatisfy { $0["serial"] as? String == "NONIN001" && $0["profile"] as? String == "nonin-2" })
    }

    @Test("abi serve's device list (the capture form's) follows a device plugged in and out, with the profile its udev rule gives")
    func serveDeviceList() throws {
        let dir = try CommandTests.temporaryDirectory()
        let db = dir.appendingPathComponent("abi.sqlite").path
        #expect(try CommandTests.abi(["users", "add", "nurse", "--role", "technologist", "--db", db], stdin: "a nurse password\n").status == 0)
        let harness = CommandTests.packageDirectory.appendingPathComponent("Tests/abiTests/Hotplug/serve_devices.py")
        let run = try CommandTests.run(URL(fileURLWithPath: "/usr/bin/umockdev-wrapper"),
                                       ["/usr/bin/python3", harness.path, CommandTests.binary.path,
                                        UmockdevTests.samples.appendingPathComponent("nonin-2.umockdev").path, db, String(Int.random(in: 20_000...40_000))])
        #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
    }

    @Test("abi record captures a device into a script and description that replay to the same readings")
    func record() throws {
        let dir = try CommandTests.temporaryDirectory()
        let link = dir.appendingPathComponent("oximeter").path
        let (simulator, port) = try DeviceCommandTests.simulate("nonin-2", "pad", link: link)
        defer { simulator.stop() }
        let name = dir.appendingPathComponent("captured").path
        let recorded = try CommandTests.abi(["record", "--port", port, "-o", name, "--duration", "1.5", "--profile", "nonin-2"])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        #expect(try CommandTests.mode(name + ".script") == 0o600)
        let replay = try CommandTests.run(UmockdevTests.umockdevRun, ["-d", name + ".umockdev", "-s", "/dev/ttyUSB0=\(name).script", "--",
                                                                      CommandTests.binary.path, "listen", "--port", "/dev/ttyUSB0", "--count", "1", "--timeout", "5"])
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(DeviceCommandTests.records(replay.stdout).last.map(UmockdevTests.summary) == "oximetry 94 84")
        let again = try CommandTests.abi(["record", "--port", port, "-o", name, "--duration", "0.2"])
        #expect(again.status == 73)
    }

    @Test("Without a udev profile: a binding by serial number is used; with neither, the port is not opened")
    func binding() throws {
        let dir = try CommandTests.temporaryDirectory()
        let plain = dir.appendingPathComponent("plain.umockdev")
        let text = try String(contentsOf: UmockdevTests.samples.appendingPathComponent("nonin-2.umockdev"), encoding: .utf8)
        try text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("E: ABI_PROFILE") }.joined(separator: "\n")
            .write(to: plain, atomically: true, encoding: .utf8)
        let environment = ["XDG_CONFIG_HOME": dir.appendingPathComponent("config").path]

        let unbound = try UmockdevTests.underUmockdev("nonin-2", description: plain, ["listen", "--port", "/dev/ttyUSB0", "--timeout", "2"], environment: environment)
        #expect(unbound.status == 64)
        #expect(unbound.stderr.contains("abi devices bind --serial NONIN001"))
        let listed = try UmockdevTests.underUmockdev("nonin-2", description: plain, ["devices"], environment: environment)
        #expect(listed.stdout.contains("no profile: listed, never written to"))

        let bind = try CommandTests.run(CommandTests.binary, ["devices", "bind", "--serial", "NONIN001", "--profile", "nonin-2"], environment: environment)
        #expect(bind.status == 0, "\(bind.stderr)")
        let config = dir.appendingPathComponent("config/abi/devices.json").path
        #expect(try CommandTests.mode(config) == 0o600)
        #expect(try CommandTests.mode(dir.appendingPathComponent("config/abi").path) == 0o700)

        let devices = try UmockdevTests.underUmockdev("nonin-2", description: plain, ["devices", "--json"], environment: environment)
        let device = DeviceCommandTests.records(devices.stdout).first
        #expect(device?["profile"] as? String == "nonin-2")
        #expect(device?["boundBy"] as? String == "binding")
        let bound = try UmockdevTests.underUmockdev("nonin-2", description: plain, ["listen", "--port", "/dev/ttyUSB0", "--count", "1", "--timeout", "5"], environment: environment)
        #expect(bound.status == 0)
        #expect(DeviceCommandTests.records(bound.stdout).last.map(UmockdevTests.summary) == "oximetry 97 72")

        let unbind = try CommandTests.run(CommandTests.binary, ["devices", "unbind", "--serial", "NONIN001"], environment: environment)
        #expect(unbind.status == 0)
        let again = try CommandTests.run(CommandTests.binary, ["devices", "unbind", "--serial", "NONIN001"], environment: environment)
        #expect(again.status == 65)
    }
}
