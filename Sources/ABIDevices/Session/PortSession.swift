import ABICore

#if canImport(Glibc)
import Glibc
#endif

/// One device on one port, from plug to unplug and back: opens the port as the profile says,
/// journals every received chunk (with its time) before decoding it, drives devices that must
/// be polled, reports `connected`, `disconnected`, `reconnected` and `silent`, and reopens the
/// device when it comes back. It waits in poll(2), so an idle port costs no CPU.
///
/// Unplugging is seen as a hang-up on the port (POLLHUP, EIO, a readable port with no bytes) or,
/// with a udev monitor, as the device's `remove` event. The device is then recognised when it
/// returns by its serial number, else its USB port (ID_PATH), even under another name
/// (ttyUSB0 → ttyUSB1); without udev (a simulator's link), by its path reappearing.
public final class PortSession {
    public private(set) var path: String
    public let profile: DeviceProfile
    public let rawLog: (any ByteJournal)?
    /// Whether a polled device (an automatic cuff) starts measuring as soon as it is opened.
    public var startsMeasuring = true
    public var serial: String?
    private let monitor: DeviceMonitor?
    private var device: TTYDevice?
    /// How often to retry opening an unplugged port found by path.
    public var reconnectInterval = 200

    /// - Parameter monitor: a udev monitor, to follow the device by identity across unplugging.
    public init(path: String, profile: DeviceProfile, rawLog: (any ByteJournal)? = nil, serial: String? = nil, monitor: DeviceMonitor? = nil) {
        self.path = path
        self.profile = profile
        self.rawLog = rawLog
        self.monitor = monitor
        let present = monitor.flatMap { try? $0.present() } ?? []
        self.device = present.first { $0.port == path || PortSession.sameDevice($0.port, path) }
        self.serial = serial ?? device?.serial
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
    ///   - controlFD: a descriptor that carries `DeviceControl` bytes (start or abort a
    ///     measurement of an automatic cuff), or nil.
    ///   - handle: called with each reading and event; return false to stop.
    /// - Throws: `PortError` when the port cannot be opened at the start (missing, busy, no permission).
    public func run(deadline: Int? = nil, stopFD: Int32? = nil, controlFD: Int32? = nil, handle: (DeviceReading) -> Bool) throws(PortError) -> End {
        var decoder = ReadingDecoder(profile: profile, port: path, serial: serial)
        var driver = profile.makeDriver(startsMeasuring: startsMeasuring)
        var port = try SerialPort(path: path, settings: profile.settings)
        /// Closes the port; a cuff that may be measuring is told to stop first (abi never leaves
        /// a cuff inflated when it stops listening).
        func close() {
            for command in driver?.closingCommands() ?? [] { try? port.write(command) }
            port.close()
        }
        func event(_ e: DeviceEvent) -> Bool {
            try? rawLog?.note("\(e.rawValue) \(path) \(DeviceClock.now().text)")
            return handle(DeviceReading(time: DeviceClock.now(), profile: profile.name, port: path, serial: serial, content: .event(e)))
        }
        guard event(.connected) else { return .handlerStopped }

        var buffer = [UInt8](repeating: 0, count: 4096)
        var lastActivity = DeviceClock.milliseconds()
        var silent = false
        var wasPolling = false

        while true {
            let now = DeviceClock.milliseconds()
            if let deadline, now >= deadline { close(); return .deadline }

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
                var fds = [pollfd(fd: port.fd, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: stopFD ?? -1, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: monitor?.fd ?? -1, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: controlFD ?? -1, events: Int16(POLLIN), revents: 0)]
                let ready = retryingOnInterrupt { poll(&fds, nfds_t(fds.count), Int32(max(0, wake - now))) }
                if ready > 0, fds[1].revents != 0 { close(); return .stopRequested }
                if ready > 0, fds[3].revents != 0, let controlFD {
                    var requests = [UInt8](repeating: 0, count: 16)
                    let n = read(controlFD, &requests, requests.count)
                    if var d = driver, n > 0 {
                        for request in requests[0..<n] {
                            switch DeviceControl(rawValue: request) {
                            case .startMeasurement: d.startMeasurement(now: DeviceClock.milliseconds())
                            case .abortMeasurement: d.abortMeasurement(now: DeviceClock.milliseconds())
                            case nil: break
                            }
                        }
                        driver = d
                        continue  // send it at once
                    }
                }

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
                                guard handle(reading) else { close(); return .handlerStopped }
                            }
                        }
                    }
                } else if ready > 0, fds[0].revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
                    unplugged = true
                }
                if ready > 0, fds[2].revents != 0, let monitor {
                    while let change = monitor.next(timeoutMilliseconds: 0) {
                        if case .removed(let d) = change, d.port == path || d.sysPath == device?.sysPath { unplugged = true }
                    }
                }
            }

            if !unplugged {
                let later = DeviceClock.milliseconds()
                if polling && !silent && later - lastActivity >= silenceLimit {
                    silent = true
                    guard event(.silent) else { close(); return .handlerStopped }
                }
                continue
            }

            // Unplugged: report it, then wait for the same device to come back.
            port.close()
            guard event(.disconnected) else { return .handlerStopped }
            switch waitForReturn(deadline: deadline, stopFD: stopFD) {
            case .deadline: return .deadline
            case .stopRequested: return .stopRequested
            case .reopened(let reopened):
                port = reopened
            }
            decoder = ReadingDecoder(profile: profile, port: path, serial: serial)
            driver = profile.makeDriver(startsMeasuring: false)  // a measurement cut off by the unplug is asked for again
            lastActivity = DeviceClock.milliseconds()
            silent = false
            guard event(.reconnected) else { close(); return .handlerStopped }
        }
    }

    private enum Return {
        case reopened(SerialPort)
        case deadline
        case stopRequested
    }

    /// Waits until the device is back and its port opens: by udev identity when known, else by path.
    private func waitForReturn(deadline: Int?, stopFD: Int32?) -> Return {
        let identity = device?.identity
        while true {
            let now = DeviceClock.milliseconds()
            if let deadline, now >= deadline { return .deadline }
            var wait = reconnectInterval
            if let deadline { wait = min(wait, deadline - now) }
            var fds = [pollfd(fd: stopFD ?? -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: identity != nil ? monitor?.fd ?? -1 : -1, events: Int16(POLLIN), revents: 0)]
            _ = retryingOnInterrupt { poll(&fds, 2, Int32(max(0, wait))) }
            if fds[0].revents != 0 { return .stopRequested }
            if fds[1].revents != 0, let monitor {
                while let change = monitor.next(timeoutMilliseconds: 0) {
                    if case .added(let d) = change, d.identity == identity {
                        device = d
                        path = d.port
                    }
                }
            }
            // A device may be announced before its node can be opened: keep trying the path.
            if identity == nil || device?.port == path, let reopened = try? SerialPort(path: path, settings: profile.settings) {
                return .reopened(reopened)
            }
        }
    }

    /// Whether two paths name the same character device (a /dev/abi/… link and /dev/ttyUSB0).
    public static func sameDevice(_ a: String, _ b: String) -> Bool {
        var x = stat(), y = stat()
        guard stat(a, &x) == 0, stat(b, &y) == 0 else { return false }
        return x.st_mode & S_IFMT == S_IFCHR && x.st_rdev == y.st_rdev
    }
}
