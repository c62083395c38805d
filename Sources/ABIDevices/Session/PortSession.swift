import ABICore

#if canImport(Glibc)
import Glibc
#endif

/// One device on one port, from plug to unplug and back: opens the port as the profile says,
/// journals every received chunk (with its time) before decoding it, drives devices that must
/// be polled, reports `connected`, `disconnected`, `reconnected` and `silent`, and reopens the
/// port when the device comes back. It waits in poll(2), so an idle port costs no CPU.
public final class PortSession {
    public let path: String
    public let profile: DeviceProfile
    public let rawLog: RawLogWriter?
    public var serial: String?
    /// How long to wait between attempts to reopen an unplugged port.
    public var reconnectInterval = 200

    public init(path: String, profile: DeviceProfile, rawLog: RawLogWriter? = nil, serial: String? = nil) {
        self.path = path
        self.profile = profile
        self.rawLog = rawLog
        self.serial = serial
    }

    /// Why `run` returned.
    public enum End: Equatable, Sendable {
        /// The handler asked to stop.
        case handlerStopped
        /// The deadline passed.
        case deadline
        /// Something was written to the stop descriptor (SIGINT, SIGTERM).
        case stopRequested
    }

    /// Runs the session.
    /// - Parameters:
    ///   - deadline: monotonic milliseconds (`DeviceClock.milliseconds()`) after which to return, or nil.
    ///   - stopFD: a descriptor that becomes readable when the session should stop, or nil.
    ///   - handle: called with each reading and event; return false to stop.
    /// - Throws: `PortError` when the port cannot be opened at the start (missing, busy, no permission).
    public func run(deadline: Int? = nil, stopFD: Int32? = nil, handle: (DeviceReading) -> Bool) throws(PortError) -> End {
        var decoder = ReadingDecoder(profile: profile, port: path, serial: serial)
        var driver: (any DeviceDriver)? = profile.name == "suntech-advantage" ? SunTechDriver(startImmediately: true) : nil
        var port = try SerialPort(path: path, settings: profile.settings)
        func event(_ e: DeviceEvent) -> Bool {
            try? rawLog?.note("\(e.rawValue) \(DeviceClock.now().text)")
            return handle(DeviceReading(time: DeviceClock.now(), profile: profile.name, port: path, serial: serial, content: .event(e)))
        }
        guard event(.connected) else { return .handlerStopped }

        var buffer = [UInt8](repeating: 0, count: 4096)
        var lastActivity = DeviceClock.milliseconds()
        var silent = false
        var wasPolling = false

        while true {
            let now = DeviceClock.milliseconds()
            if let deadline, now >= deadline { port.close(); return .deadline }

            // Send what a polled device needs.
            var unplugged = false
            if var d = driver, let wake = d.nextWake, now >= wake {
                if !wasPolling { lastActivity = now }
                for command in d.commands(now: now) {
                    do { try port.write(command) } catch { unplugged = true }
                }
                driver = d
            }
            let polling = driver.map { $0.nextWake != nil } ?? true
            wasPolling = driver?.nextWake != nil
            let silenceLimit = driver == nil ? profile.silenceSeconds * 1000 : 2400

            if !unplugged {
                var wake = now + 1000
                if let deadline { wake = min(wake, deadline) }
                if let next = driver?.nextWake { wake = min(wake, max(next, now)) }
                if polling && !silent { wake = min(wake, lastActivity + silenceLimit) }
                var fds = [pollfd(fd: port.fd, events: Int16(POLLIN), revents: 0)]
                if let stopFD { fds.append(pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0)) }
                let ready = retryingOnInterrupt { poll(&fds, nfds_t(fds.count), Int32(max(0, wake - now))) }
                if ready > 0, fds.count > 1, fds[1].revents != 0 { port.close(); return .stopRequested }

                if ready > 0, fds[0].revents & Int16(POLLIN) != 0 {
                    var first = true
                    reading: while true {
                        defer { first = false }
                        let result: PortRead
                        do {
                            result = try buffer.withUnsafeMutableBytes { b throws(SystemError) in try port.read(into: b) }
                        } catch {
                            unplugged = true
                            break reading
                        }
                        switch result {
                        case .nothing:
                            // Readable yet empty: the line hung up.
                            if first { unplugged = true }
                            break reading
                        case .disconnected:
                            unplugged = true
                            break reading
                        case .data(let n):
                            let time = DeviceClock.now()
                            lastActivity = DeviceClock.milliseconds()
                            if silent { silent = false }
                            let readings = buffer.withUnsafeBufferPointer { all -> [DeviceReading] in
                                let chunk = UnsafeBufferPointer(rebasing: all[0..<n])
                                // Journal first: nothing received is lost, even if decoding then fails.
                                try? rawLog?.record(chunk, at: time)
                                return decoder.receive(chunk, at: time)
                            }
                            for reading in readings {
                                if case .measurement(let m) = reading.content { driver?.observe(m) }
                                guard handle(reading) else { port.close(); return .handlerStopped }
                            }
                        }
                    }
                } else if ready > 0, fds[0].revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
                    unplugged = true
                }
            }

            if !unplugged {
                let later = DeviceClock.milliseconds()
                if polling && !silent && later - lastActivity >= silenceLimit {
                    silent = true
                    guard event(.silent) else { port.close(); return .handlerStopped }
                }
                continue
            }

            // Unplugged: report it, then wait for the device to come back at the same port.
            port.close()
            guard event(.disconnected) else { return .handlerStopped }
            while true {
                let now = DeviceClock.milliseconds()
                if let deadline, now >= deadline { return .deadline }
                var wait = reconnectInterval
                if let deadline { wait = min(wait, deadline - now) }
                if let stopFD {
                    var p = pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0)
                    if retryingOnInterrupt({ poll(&p, 1, Int32(max(0, wait))) }) > 0 { return .stopRequested }
                } else {
                    usleep(UInt32(max(0, wait)) * 1000)
                }
                if let reopened = try? SerialPort(path: path, settings: profile.settings) {
                    port = reopened
                    break
                }
            }
            decoder = ReadingDecoder(profile: profile, port: path, serial: serial)
            if driver != nil { driver = SunTechDriver(startImmediately: false) }
            lastActivity = DeviceClock.milliseconds()
            silent = false
            guard event(.reconnected) else { port.close(); return .handlerStopped }
        }
    }
}
