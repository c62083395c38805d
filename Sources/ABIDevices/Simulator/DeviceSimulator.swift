import ABICore

#if canImport(Glibc)
import Glibc
#endif

/// `abi simulate`: a device on a pseudo-terminal, so everything can be tried without hardware.
/// With a link path, the device's port is a stable symbolic link that follows the pty across
/// unplug and replug, as a udev symlink follows a real device.
public final class DeviceSimulator {
    public let profile: String
    public let scenario: SimulationScenario
    public let link: String?
    private var device: any SimulatedDevice
    private var pty: PseudoTerminal

    /// The port a program should open: the link when there is one, else the pty.
    public var port: String { link ?? pty.path }

    /// - Throws: `InputError` for a profile that cannot be simulated, `SystemError` when the pty or link cannot be made.
    /// - Parameter cuffPressure: a manometer's pressure (mmHg) at each second after a program
    ///   first opens the port, instead of the built-in sweep with its foot-switch MARK: the
    ///   pressures that go with a synthetic Doppler sound (`abi simulate --audio`).
    public init(profile: String, scenario: SimulationScenario, link: String? = nil,
                cuffPressure: (@Sendable (Double) -> Double)? = nil) throws {
        self.profile = profile
        self.scenario = scenario
        self.link = link
        switch profile {
        case "suntech-advantage": device = SimulatedSunTech(scenario)
        case "nonin-2", "contec-cms50-legacy", "contec-cms50-v7", "masimo-ascii1", "nonin-ascii": device = SimulatedOximeter(profile: profile, scenario: scenario)
        case "doppler-manometer": device = SimulatedManometer(scenario, program: cuffPressure)
        default:
            throw InputError(path: "", "no simulator for \"\(profile)\" (simulated: suntech-advantage, nonin-2, contec-cms50-legacy, contec-cms50-v7, masimo-ascii1, nonin-ascii, doppler-manometer)")
        }
        pty = try PseudoTerminal()
        try relink()
    }

    private func relink() throws(SystemError) {
        guard let link else { return }
        unlink(link)
        guard symlink(pty.path, link) == 0 else { throw SystemError("symlink", path: link) }
    }

    /// Plays the device until `duration` ms pass (nil: until stopped) or `stopFD` becomes readable.
    /// - Parameter log: told of plug events, for standard error.
    public func run(duration: Int? = nil, stopFD: Int32? = nil, log: (String) -> Void = { _ in }) {
        let start = DeviceClock.milliseconds()
        var nextTick = 0
        var unplugAt: Int? = scenario == .unplug ? 2000 : nil
        var replugAt: Int?
        var opened = false
        var openedAt = 0
        defer {
            if let link { unlink(link) }
            pty.close()
        }
        while true {
            let now = DeviceClock.milliseconds() - start
            if let duration, now >= duration { return }
            if let at = unplugAt, now >= at {
                unplugAt = nil
                pty.close()
                if let link { unlink(link) }
                log("unplugged")
                replugAt = now + 1000
            }
            if let at = replugAt, now >= at {
                replugAt = nil
                guard let fresh = try? PseudoTerminal() else { return }
                pty = fresh
                try? relink()
                log("plugged in again at \(pty.path)")
            }
            let plugged = replugAt == nil
            var wait = max(0, nextTick - now)
            if let duration { wait = min(wait, duration - now) }
            if let at = unplugAt { wait = min(wait, at - now) }
            if let at = replugAt { wait = min(wait, at - now) }
            var fds = [pollfd(fd: plugged ? pty.masterFD : -1, events: Int16(POLLIN), revents: 0)]
            if let stopFD { fds.append(pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0)) }
            _ = retryingOnInterrupt { poll(&fds, nfds_t(fds.count), Int32(wait)) }
            if fds.count > 1, fds[1].revents != 0 { return }
            guard plugged else { continue }
            let after = DeviceClock.milliseconds() - start
            if fds[0].revents & Int16(POLLIN) != 0 {
                let bytes = pty.receive(timeoutMilliseconds: 0)
                if !bytes.isEmpty {
                    transmit(device.received(bytes, now: after))
                    for command in device.takeCommandsHeard() { log("received \(command)") }
                }
            } else if fds[0].revents & Int16(POLLHUP) != 0 {
                usleep(20_000)  // no program has the port open yet
            }
            if fds[0].revents & Int16(POLLHUP) == 0 && !opened {
                opened = true
                openedAt = after
                device.portOpened(now: after)
            } else if fds[0].revents & Int16(POLLHUP) != 0 && opened && after - openedAt < 2000 {
                // Opened only to be checked and closed again (abi capture tries the port before
                // it starts): the program starts over at the next open.
                opened = false
                device.portClosed()
            }
            if after >= nextTick {
                transmit(device.tick(now: after))
                nextTick = after + device.tickInterval
            }
        }
    }

    /// Sends like a device does: into the line, whether or not anyone listens (a full buffer drops it).
    private func transmit(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        _ = bytes.withUnsafeBytes { Glibc.write(pty.masterFD, $0.baseAddress, $0.count) }
    }
}
