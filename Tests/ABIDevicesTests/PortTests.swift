import ABICore
@testable import ABIDevices
import CShims
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Real termios on real pseudo-terminals: no hardware needed.
@Suite struct PortTests {
    @Test("A port is set up as the profile says and read back", arguments: [
        SerialSettings(baud: 9600), SerialSettings(baud: 19200, parity: .odd, flowControl: .xonxoff),
        SerialSettings(baud: 115200, dataBits: 7, parity: .even, stopBits: 2, flowControl: .rtscts),
    ])
    func configure(_ settings: SerialSettings) throws {
        let pty = try PseudoTerminal()
        let port = try SerialPort(path: pty.path, settings: settings)
        #expect(port.isTerminal)
        var t = termios()
        #expect(tcgetattr(port.fd, &t) == 0)
        #expect(Int(abi_get_speed(&t)) == settings.baud)
        #expect(port.isPseudoTerminal)
        // A pty keeps speed, stop bits and flow control (Linux forces 8 bits without parity on it).
        #expect((t.c_cflag & tcflag_t(CSTOPB) != 0) == (settings.stopBits == 2))
        #expect((t.c_cflag & tcflag_t(CRTSCTS) != 0) == (settings.flowControl == .rtscts))
        #expect((t.c_iflag & tcflag_t(IXON) != 0) == (settings.flowControl == .xonxoff))
        #expect(t.c_lflag & tcflag_t(ICANON) == 0)  // raw
        port.close()
    }

    @Test("A real port whose driver drops parity or speed is refused; a pty's forced 8N1 is not")
    func readBack() {
        var requested = termios()
        cfmakeraw(&requested)
        _ = abi_set_speed(&requested, 19200)
        requested.c_cflag |= tcflag_t(PARENB) | tcflag_t(PARODD)
        let settings = SerialSettings(baud: 19200, parity: .odd)
        var dropped = requested
        dropped.c_cflag &= ~(tcflag_t(PARENB) | tcflag_t(PARODD))
        #expect(SerialPort.mismatch(requested: requested, actual: dropped, settings: settings, pseudoTerminal: false) == "19200 8O1 framing")
        #expect(SerialPort.mismatch(requested: requested, actual: dropped, settings: settings, pseudoTerminal: true) == nil)
        var slow = requested
        _ = abi_set_speed(&slow, 9600)
        #expect(SerialPort.mismatch(requested: requested, actual: slow, settings: settings, pseudoTerminal: true) == "speed 19200")
        var noFlow = requested
        requested.c_iflag |= tcflag_t(IXON) | tcflag_t(IXOFF)
        noFlow.c_iflag &= ~(tcflag_t(IXON) | tcflag_t(IXOFF))
        #expect(SerialPort.mismatch(requested: requested, actual: noFlow, settings: settings, pseudoTerminal: false) == "flow control none")
        #expect(SerialPort.mismatch(requested: requested, actual: requested, settings: settings, pseudoTerminal: false) == nil)
    }

    @Test("Closing restores the original settings")
    func restore() throws {
        let pty = try PseudoTerminal()
        let probe = open(pty.path, O_RDWR | O_NOCTTY)
        defer { close(probe) }
        var before = termios()
        tcgetattr(probe, &before)
        let port = try SerialPort(path: pty.path, settings: SerialSettings(baud: 19200, parity: .odd))
        var during = termios()
        tcgetattr(probe, &during)
        #expect(cfgetospeed(&during) == speed_t(B19200))
        port.close()
        var after = termios()
        tcgetattr(probe, &after)
        #expect(after.c_cflag == before.c_cflag)
        #expect(after.c_lflag == before.c_lflag)
    }

    @Test("Bytes both ways, and an unplug (master closed) reads as disconnected")
    func dataAndUnplug() throws {
        let pty = try PseudoTerminal()
        let port = try SerialPort(path: pty.path, settings: SerialSettings())
        try pty.send([0x3E, 0x05, 0x02, 0x01, 0xBA])
        var buffer = [UInt8](repeating: 0, count: 64)
        var got: [UInt8] = []
        let deadline = ContinuousClock.now + .seconds(2)
        while got.count < 5 && ContinuousClock.now < deadline {
            var p = pollfd(fd: port.fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, 100)
            if case .data(let n) = try buffer.withUnsafeMutableBytes({ try port.read(into: $0) }) { got += buffer[0..<n] }
        }
        #expect(got == [0x3E, 0x05, 0x02, 0x01, 0xBA])
        try port.write(SunTechAdvantage.Command.getCuffPressure)
        #expect(pty.receive(timeoutMilliseconds: 2000) == SunTechAdvantage.Command.getCuffPressure)
        pty.close()
        var p = pollfd(fd: port.fd, events: Int16(POLLIN), revents: 0)
        _ = poll(&p, 1, 1000)
        #expect(p.revents & Int16(POLLHUP) != 0)
        let afterUnplug = try buffer.withUnsafeMutableBytes { try port.read(into: $0) }
        #expect(afterUnplug == .disconnected || afterUnplug == .nothing)
    }

    @Test("A second program cannot open a port in use: busy, naming the holder")
    func busy() throws {
        let pty = try PseudoTerminal()
        let first = try SerialPort(path: pty.path, settings: SerialSettings())
        do {
            _ = try SerialPort(path: pty.path, settings: SerialSettings())
            Issue.record("opened twice")
        } catch {
            guard case .busy(_, let holder) = error else { Issue.record("\(error)"); return }
            #expect(holder?.contains("pid \(getpid())") == true || holder == nil)
            #expect(error.description.contains("busy"))
        }
        first.close()
        #expect((try? SerialPort(path: pty.path, settings: SerialSettings())) != nil)
    }

    @Test("A missing port is a clear error")
    func missing() {
        #expect(throws: PortError.self) { try SerialPort(path: "/dev/ttyUSB-none", settings: SerialSettings()) }
        do { _ = try SerialPort(path: "/dev/ttyUSB-none", settings: SerialSettings()) } catch {
            #expect(error.description.contains("no such device"))
        }
    }
}
