import ABICore
import ABIDevices
import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

extension ABI {
    struct Devices: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List serial devices and their profiles; bind, unbind, and check the system.",
            discussion: """
                A device's profile comes from, in order: the udev rule's ABI_PROFILE property, your \
                binding of its serial number (abi devices bind), or --profile on the command line. \
                Ports with none of these are listed but never written to.
                """,
            subcommands: [List.self, Bind.self, Unbind.self, Doctor.self],
            defaultSubcommand: List.self
        )
    }
}

extension ABI.Devices {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List serial devices (the default); --watch prints them as they are plugged in and out.",
            discussion: """
                --json prints one object per device and line: port, vendorId, productId, serial, \
                path (ID_PATH), product, profile, boundBy (udev, binding or null). With --watch, \
                each change is such an object with "event": "add" or "remove".
                """
        )

        @ArgumentParser.Flag(help: "One JSON object per device and line.")
        var json = false

        @ArgumentParser.Flag(help: "Keep running and print devices as they are plugged in and out (Ctrl-C to stop).")
        var watch = false

        func run() async throws {
            let monitor: DeviceMonitor
            let present: [TTYDevice]
            do {
                monitor = try DeviceMonitor()  // listening starts before the listing, so no plug is missed
                present = try monitor.present()
            } catch {
                throw Failure(.unavailable, "cannot list devices with libudev: \(error)")
            }
            let bindings = try loadBindings()
            if present.isEmpty && !json {
                Terminal.write("No serial devices found. Plug one in, or try: abi simulate --profile nonin-2\n")
            }
            for device in present { Terminal.write(describe(device, bindings, event: nil)) }
            guard watch else { return }
            if !json { Terminal.error("abi devices: watching for devices; Ctrl-C to stop") }
            for await change in monitor.changes() {
                switch change {
                case .added(let d): Terminal.write(describe(d, bindings, event: "add"))
                case .removed(let d): Terminal.write(describe(d, bindings, event: "remove"))
                }
            }
        }

        func describe(_ d: TTYDevice, _ bindings: Bindings, event: String?) -> String {
            let resolved = ProfileBinding.resolve(d, bindings: bindings, option: nil)
            if json {
                var w = JSONWriter()
                w.beginObject()
                if let event { w.string("event", event) }
                w.string("port", d.port)
                w.string("vendorId", d.vendorId)
                w.string("productId", d.productId)
                w.string("serial", d.serial)
                w.string("path", d.path)
                w.string("product", d.product)
                w.string("profile", resolved?.profile)
                w.string("boundBy", resolved?.boundBy.rawValue)
                w.endObject()
                return w.text + "\n"
            }
            let id = "\(d.vendorId ?? "????"):\(d.productId ?? "????")"
            let profile = resolved.map { "\($0.profile) (by \($0.boundBy.rawValue))" } ?? "no profile: listed, never written to"
            let prefix = event.map { "\($0 == "add" ? "plugged in " : "unplugged  ")" } ?? ""
            return "\(prefix)\(d.port)  \(id)  serial \(d.serial ?? "none")  \(d.product ?? "")  → \(profile)\n"
        }
    }

    struct Bind: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Bind a device's serial number to a profile.")

        @Option(help: "The adapter's serial number (ID_SERIAL_SHORT, shown by abi devices).")
        var serial: String

        @Option(help: ArgumentHelp("A built-in profile name or a profile file.", valueName: "NAME|FILE.json"))
        var profile: String

        func run() throws {
            guard ManualEntry.freeTextProblem(serial, max: 100) == nil, !serial.isEmpty else {
                throw Failure(.usage, "--serial: not a serial number")
            }
            var stored = profile
            if profile.contains("/") || profile.hasSuffix(".json") {
                _ = try ProfileArgument.load(profile)  // validate it now, not at the bedside
                var resolved = [CChar](repeating: 0, count: Int(PATH_MAX))
                if realpath(profile, &resolved) != nil { stored = String(decoding: resolved.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
            } else {
                _ = try ProfileArgument.load(profile)
            }
            var bindings = try loadBindings()
            bindings.bind(serial: serial, profile: stored)
            do { try bindings.save() } catch { throw Failure(.cannotCreate, "cannot save the binding: \(error)") }
            Terminal.write("Bound serial \(serial) to \(stored) (\(Bindings.defaultPath))\n")
        }
    }

    struct Unbind: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a device's binding.")

        @Option(help: "The adapter's serial number.")
        var serial: String

        func run() throws {
            var bindings = try loadBindings()
            guard bindings.unbind(serial: serial) else { throw Failure(.dataError, "no binding for serial \(serial)") }
            do { try bindings.save() } catch { throw Failure(.cannotCreate, "cannot save the bindings: \(error)") }
            Terminal.write("Removed the binding of serial \(serial)\n")
        }
    }

    struct Doctor: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check port permissions, ModemManager, brltty, ports held by other programs and the FTDI latency timer, each with its fix.",
            discussion: "Exit code 69 when a problem keeps a device from working, else 0."
        )

        @Option(help: ArgumentHelp("Check this port (default: every serial device present).", valueName: "PATH"))
        var port: [String] = []

        func run() throws {
            var ports = port
            if ports.isEmpty, let monitor = try? DeviceMonitor(), let present = try? monitor.present() {
                ports = present.map(\.port)
            }
            let findings = DeviceDoctor.examine(ports: ports)
            for f in findings {
                let mark = f.level == .ok ? "ok     " : f.level == .warning ? "WARNING" : "PROBLEM"
                Terminal.write("\(mark)  \(f.check): \(f.detail)\n")
                if let fix = f.fix, f.level != .ok { Terminal.write("         fix: \(fix)\n") }
            }
            if ports.isEmpty { Terminal.write("(no serial devices present to check)\n") }
            if findings.contains(where: { $0.level == .problem }) { throw ExitCode(ExitStatus.unavailable.rawValue) }
        }
    }
}

func loadBindings() throws(Failure) -> Bindings {
    do {
        return try Bindings.load()
    } catch let error as InputError {
        throw Failure(.dataError, "\(Bindings.defaultPath): \(error)")
    } catch {
        throw Failure(.noInput, "cannot read \(Bindings.defaultPath): \(error)")
    }
}
