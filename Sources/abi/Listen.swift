import ABIAudio
import ABICore
import ABIDevices
import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

extension ABI {
    struct Listen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read a device on a serial port and print its readings as abi-reading/1 JSON Lines.",
            discussion: """
                Opens the port as the profile says (speed, parity, flow control; the settings are \
                read back and checked, and restored on exit), journals every received byte with its \
                time (--raw-log) before decoding it, and prints each validated reading as it \
                arrives. Oximetry is printed at most once a second. A SunTech module is driven: one \
                measurement is started and polled.

                Unplugging prints a deviceEvent "disconnected" and waits for the device to come back \
                at the same port ("reconnected"); a device that stops talking prints "silent".

                Exit codes: 0 done (count reached, timeout, or Ctrl-C), 64 bad options, 65 an invalid \
                profile file, 69 the port is missing, busy or not permitted (the message says how to \
                fix it), 73 the raw log cannot be created.

                Examples:
                  abi listen --port /dev/ttyUSB0 --profile suntech-advantage --count 1
                  abi listen --port /dev/abi/nonin-2-A50285BI --profile nonin-2 --raw-log session.raw
                """
        )

        @Option(help: ArgumentHelp("The serial port (/dev/ttyUSB0, a /dev/abi/… link, or a simulator's pty).", valueName: "PATH"))
        var port: String

        @Option(help: ArgumentHelp("The device profile: a built-in name (\(BuiltInProfiles.names.joined(separator: ", "))) or a line-profile file. Default: the profile the udev rule or your binding gives the port.",
                                   valueName: "NAME|FILE.json"))
        var profile: String?

        @OptionGroup(title: "Port settings") var serial: SerialOverrides

        @Option(help: "Stop after this many measurements: blood pressures, oximetry, marked cuff pressures, device errors (the live cuff pressure and device events are not counted).")
        var count: Int?

        @Option(help: "Stop after this many seconds.")
        var timeout: Double?

        @Option(help: ArgumentHelp("Append every received byte, with its receive time, to this file (mode 0600).", valueName: "FILE"))
        var rawLog: String?

        func validate() throws {
            if let count, count < 1 { throw ValidationError("--count must be at least 1.") }
            if let timeout, !(timeout > 0) { throw ValidationError("--timeout must be a positive number of seconds.") }
        }

        func run() throws {
            let device = serial.apply(to: try ProfileArgument.load(try resolveProfile(port: port, option: profile, command: "abi listen")))
            var journal: RawLogWriter?
            if let rawLog {
                do {
                    journal = try RawLogWriter(path: rawLog, profile: device.name, port: port)
                } catch {
                    throw Failure(.cannotCreate, "cannot create the raw log: \(error)")
                }
            }
            let session = PortSession(path: port, profile: device, rawLog: journal, monitor: try? DeviceMonitor())
            let deadline = timeout.map { DeviceClock.milliseconds() + Int($0 * 1000) }
            var readings = 0
            let end: PortSession.End
            do {
                end = try session.run(deadline: deadline, stopFD: StopSignal.install()) { reading in
                    Terminal.write(reading.jsonLine + "\n")
                    if case .measurement(let m) = reading.content, m.isMeasurement { readings += 1 }
                    return count.map { readings < $0 } ?? true
                }
            } catch {
                throw Failure(.unavailable, error.description)
            }
            if end == .deadline, let count, readings < count {
                Terminal.error("abi listen: timed out after \(timeout ?? 0) s with \(readings) of \(count) measurements")
            }
        }
    }

    struct Simulate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Play a device on a pseudo-terminal, to try everything without hardware.",
            discussion: """
                Prints the port to open (first line of standard output), then behaves like the \
                device: answers SunTech commands, streams oximeter frames and lines, or streams a \
                Doppler manometer's cuff pressure with a MARK at the systolic pressure. Runs until \
                Ctrl-C or --duration.

                Scenarios: normal; pad (low pressures, lower SpO2); error (a module error, a \
                disconnected sensor, a silent manometer); unplug (unplugged after 2 s, back 1 s \
                later — give --link so the port stays the same path); operator-marks (a Doppler \
                manometer whose foot switch is never pressed: the operator marks with Space).

                With --audio, the Doppler manometer also has a Doppler's sound: abi writes the \
                sound (WAV or FLAC) of one inflation a site (--sites), flow returning below the \
                systolic pressure (128 mmHg, pad 72), and the manometer streams the pressures that \
                go with it from the moment a program opens the port: after 5 s at 0 (the arms \
                are typed first), pumped up to 30 mmHg above \
                the systolic pressure in 2 s, held 1 s, let down at 3 mmHg/s to 25 below it, then \
                6 s at 0 (the waveform with the cuff let down). There is no foot switch: the \
                sound marks. --cuff also writes the pressures as seconds,mmHg for \
                abi doppler analyze --cuff.

                Example, in two terminals:
                  abi simulate --profile suntech-advantage --link /tmp/abi-cuff
                  abi listen --port /tmp/abi-cuff --profile suntech-advantage --count 1
                """
        )

        @Option(help: ArgumentHelp("The device to play: suntech-advantage, nonin-2, contec-cms50-legacy, masimo-ascii1, nonin-ascii, doppler-manometer.", valueName: "NAME"))
        var profile: String

        @Option(help: ArgumentHelp("normal, pad, error, unplug or operator-marks.", valueName: "NAME"))
        var scenario: String = "normal"

        @Option(help: ArgumentHelp("Also make this symbolic link to the port (kept across unplug and replug).", valueName: "PATH"))
        var link: String?

        @Option(help: "Stop after this many seconds.")
        var duration: Double?

        @OptionGroup(title: "The Doppler's sound (doppler-manometer only)") var sound: SimulatedSound

        func validate() throws {
            guard SimulationScenario(rawValue: scenario) != nil else {
                throw ValidationError("--scenario: \"\(scenario)\" is not one of \(SimulationScenario.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            if sound.audio != nil && profile != "doppler-manometer" { throw ValidationError("--audio: only the doppler-manometer has a Doppler's sound") }
            try sound.check()
        }

        func run() throws {
            let simulator: DeviceSimulator
            let program = try sound.write(systolic: scenario == "pad" ? 72 : 128)
            do {
                simulator = try DeviceSimulator(profile: profile, scenario: SimulationScenario(rawValue: scenario)!, link: link,
                                                cuffPressure: program.map { cuff in { @Sendable t in cuff.pressure(at: t) } })
            } catch let error as InputError {
                throw Failure(.usage, "--profile: \(error.problem)")
            } catch {
                throw Failure(.cannotCreate, "cannot create the simulated port: \(error)")
            }
            Terminal.write(simulator.port + "\n")
            Terminal.error("abi simulate: \(profile) (\(scenario)) on \(simulator.port); Ctrl-C to stop")
            simulator.run(duration: duration.map { Int($0 * 1000) }, stopFD: StopSignal.install()) { message in
                Terminal.error("abi simulate: \(message)")
            }
        }
    }
}

/// The profile for a port: the udev rule's, else the user's binding, else the option.
/// A port none of these identifies is never opened, let alone written to.
func resolveProfile(port: String, option profile: String?, command: String) throws(Failure) -> String {
    let device = (try? DeviceMonitor().present())?.first { $0.port == port || PortSession.sameDevice($0.port, port) }
    guard let device else {
        guard let profile else {
            throw Failure(.usage, "\(port) is not a known serial device and no --profile was given: name the device's profile with --profile")
        }
        return profile
    }
    guard let resolved = ProfileBinding.resolve(device, bindings: try loadBindings(), option: profile) else {
        throw Failure(.usage, "no profile for \(port) (\(device.vendorId ?? "?"):\(device.productId ?? "?"), serial \(device.serial ?? "none")): pass --profile NAME, or bind it once: abi devices bind --serial \(device.serial ?? "SERIAL") --profile NAME")
    }
    if let profile, resolved.profile != profile {
        Terminal.error("\(command): \(port) has the profile \(resolved.profile) by its \(resolved.boundBy == .udev ? "udev rule" : "binding"); --profile \(profile) is not used")
    }
    return resolved.profile
}


/// The synthetic Doppler sound of `abi simulate --audio`.
struct SimulatedSound: ParsableArguments {
    @Option(help: ArgumentHelp("Write the Doppler's sound that goes with the pressures here (.wav or .flac).", valueName: "FILE"))
    var audio: String?

    @Option(help: ArgumentHelp("Also write the pressures (seconds,mmHg).", valueName: "FILE.csv"))
    var cuff: String?

    @Option(help: ArgumentHelp("The velocity waveform: \(VelocityWaveform.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "NAME"))
    var waveform: String = "triphasic"

    @Option(help: "Beats a minute.")
    var heartRate: Double = 72

    @Option(help: ArgumentHelp("Signal-to-noise ratio in dB.", valueName: "DB"))
    var snr: Double = 20

    @ArgumentParser.Flag(help: "One channel (a non-directional Doppler) instead of forward and reverse.")
    var mono = false

    @Option(help: "Inflations in the sound, one a site.")
    var sites: Int = 6

    func check() throws {
        guard let audio else {
            if cuff != nil { throw ValidationError("--cuff needs --audio") }
            return
        }
        if SoundFile.Format(path: audio) == nil { throw ValidationError("--audio: \"\(audio)\" must end in .wav or .flac") }
        if VelocityWaveform(rawValue: waveform) == nil {
            throw ValidationError("--waveform: \"\(waveform)\" is not one of \(VelocityWaveform.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if !(30 ... 200).contains(heartRate) { throw ValidationError("--heart-rate: give 30 to 200 beats a minute") }
        if !(-10 ... 60).contains(snr) { throw ValidationError("--snr: give -10 to 60 dB") }
        if !(1 ... 20).contains(sites) { throw ValidationError("--sites: give 1 to 20") }
    }

    /// Writes the sound (and the pressures); returns the cuff program the manometer follows.
    func write(systolic: Double) throws(Failure) -> CuffDeflation? {
        guard let audio else { return nil }
        let cuffProgram = CuffDeflation(start: systolic + 30, hold: 1, rate: 3, end: systolic - 25, inflation: 2, rest: 6, cycles: sites, lead: 5)
        var synth = DopplerSynthesizer()
        synth.waveform = VelocityWaveform(rawValue: waveform)!
        synth.heartRate = heartRate
        synth.snr = snr
        synth.stereo = !mono
        synth.systolic = systolic
        synth.diastolic = systolic * 0.6
        synth.cuff = cuffProgram
        let seconds = cuffProgram.lead + Double(sites) * cuffProgram.cycle
        do {
            try SoundFile.write(synth.render(seconds: seconds), to: audio, format: SoundFile.Format(path: audio)!)
        } catch {
            throw Failure(.cannotCreate, error.description)
        }
        if let cuff {
            var text = "seconds,mmHg\n"
            var t = 0.0
            while t <= seconds {
                text += String(fixed: t, 2) + "," + String(Int(cuffProgram.pressure(at: t).rounded())) + "\n"
                t += 0.25
            }
            let file = try PrivateFile(cuff, replace: true)
            try file.write(text)
            try file.finish()
        }
        Terminal.error("abi simulate: wrote \(String(fixed: seconds, 1)) s of Doppler sound (\(waveform), \(sites) inflation\(sites == 1 ? "" : "s"), flow returning at \(Int(systolic)) mmHg) to \(audio)")
        return cuffProgram
    }
}
