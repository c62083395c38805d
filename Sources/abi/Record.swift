import ABICore
import ABIDevices
import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

extension SerialSettings.Parity: ExpressibleByArgument {}
extension SerialSettings.FlowControl: ExpressibleByArgument {}

extension ABI {
    struct Record: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Capture an unknown device's bytes into a umockdev script and device description.",
            discussion: """
                Only reads: nothing is sent to the device. Writes NAME.script (the bytes with their \
                timing, for umockdev-run -s /dev/ttyUSB0=NAME.script) and NAME.umockdev (the \
                device's USB identity as udev reports it), ready for samples/devices. Stops at \
                Ctrl-C or after --duration.

                Example:
                  abi record --port /dev/ttyUSB0 --baud 9600 -o samples/devices/new-doppler --duration 30
                """
        )

        @Option(help: ArgumentHelp("The serial port.", valueName: "PATH"))
        var port: String

        @Option(help: "Line speed.")
        var baud: Int = 9600

        @Option(help: "Data bits (5–8).")
        var dataBits: Int = 8

        @Option(help: ArgumentHelp("none, odd or even.", valueName: "PARITY"))
        var parity: SerialSettings.Parity = .none

        @Option(help: "Stop bits (1 or 2).")
        var stopBits: Int = 1

        @Option(help: ArgumentHelp("none, xonxoff or rtscts.", valueName: "FLOW"))
        var flowControl: SerialSettings.FlowControl = .none

        @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Where to write NAME.script and NAME.umockdev.", valueName: "NAME"))
        var output: String

        @Option(help: "Stop after this many seconds.")
        var duration: Double?

        @Option(help: ArgumentHelp("Write this ABI_PROFILE into the description.", valueName: "NAME"))
        var profile: String?

        func validate() throws {
            guard SerialSettings.supportedBauds.contains(baud) else {
                throw ValidationError("--baud: \(baud) is not a supported speed (\(SerialSettings.supportedBauds.map { String($0) }.joined(separator: ", "))).")
            }
            guard (5...8).contains(dataBits) else { throw ValidationError("--data-bits: 5 to 8.") }
            guard (1...2).contains(stopBits) else { throw ValidationError("--stop-bits: 1 or 2.") }
            if let duration, !(duration > 0) { throw ValidationError("--duration must be a positive number of seconds.") }
        }

        func run() throws {
            let scriptPath = output + ".script", descriptionPath = output + ".umockdev"
            for path in [scriptPath, descriptionPath] where Files.exists(path) {
                throw Failure(.cannotCreate, "cannot create \(path): the file already exists")
            }
            let settings = SerialSettings(baud: baud, dataBits: dataBits, parity: parity, stopBits: stopBits, flowControl: flowControl)
            let serialPort: SerialPort
            do { serialPort = try SerialPort(path: port, settings: settings) } catch { throw Failure(.unavailable, error.description) }
            let device = (try? DeviceMonitor().present())?.first { $0.port == port || PortSession.sameDevice($0.port, port) }

            Terminal.error("abi record: recording \(port) at \(settings.description); Ctrl-C to stop")
            var script = UmockdevScript()
            var total = 0
            let stop = StopSignal.install()
            let start = DeviceClock.milliseconds()
            var last = start
            var buffer = [UInt8](repeating: 0, count: 4096)
            recording: while true {
                let now = DeviceClock.milliseconds()
                var wait: Int32 = 1000
                if let duration {
                    let end = start + Int(duration * 1000)
                    if now >= end { break }
                    wait = Int32(min(1000, end - now))
                }
                var fds = [pollfd(fd: serialPort.fd, events: Int16(POLLIN), revents: 0), pollfd(fd: stop, events: Int16(POLLIN), revents: 0)]
                _ = poll(&fds, 2, wait)
                if fds[1].revents != 0 { break }
                guard fds[0].revents != 0 else { continue }
                var first = true
                while true {
                    let result = try buffer.withUnsafeMutableBytes { b throws(SystemError) in try serialPort.read(into: b) }
                    switch result {
                    case .data(let n):
                        let at = DeviceClock.milliseconds()
                        script.received(Array(buffer[0..<n]), afterMilliseconds: at - last)
                        last = at
                        total += n
                    case .nothing where !first:
                        continue recording
                    case .nothing, .disconnected:
                        Terminal.error("abi record: the device was unplugged; keeping what was recorded")
                        break recording
                    }
                    first = false
                }
            }
            serialPort.close()
            do {
                try Files.createPrivate(scriptPath, bytes: script.bytes, replace: false)
                try Files.createPrivate(descriptionPath, UmockdevScript.description(for: device, profile: profile), replace: false)
            }
            Terminal.error("abi record: \(total) bytes to \(scriptPath) and \(descriptionPath)" + (device == nil ? " (not a udev device: the description has placeholder ids)" : ""))
        }
    }
}
