import ABICore

/// What the simulated patient and device do.
public enum SimulationScenario: String, Sendable, CaseIterable {
    /// Plausible normal values.
    case normal
    /// Values of a patient with peripheral artery disease (low ankle pressure, lower SpO2).
    case pad
    /// The device fails: a module error, a disconnected sensor, or a silent manometer.
    case error
    /// Normal values, and the device is unplugged after 2 s and plugged back 1 s later.
    case unplug
    /// Normal values; a Doppler manometer's foot switch is never pressed, so that the operator
    /// marks (the Space key of abi capture and the web app).
    case operatorMarks = "operator-marks"
}

/// A device played on the master side of a pseudo-terminal.
protocol SimulatedDevice {
    /// Answers to what the host sent.
    mutating func received(_ bytes: [UInt8], now: Int) -> [UInt8]
    /// What the device sends unasked at `now` (monotonic ms since start).
    mutating func tick(now: Int) -> [UInt8]
    /// How often `tick` is due, in ms.
    var tickInterval: Int { get }
    /// The names of the host's commands recognised since the last call, for the simulator's log
    /// (a test checks that abi sent the abort).
    mutating func takeCommandsHeard() -> [String]
    /// A program opened the port for the first time, at `now`.
    mutating func portOpened(now: Int)
    /// The program closed the port again at once (it was only checked).
    mutating func portClosed()
}

extension SimulatedDevice {
    mutating func takeCommandsHeard() -> [String] { [] }
    mutating func portOpened(now: Int) {}
    mutating func portClosed() {}
}

/// The SunTech module: answers the host's commands; a measurement inflates, deflates over 6 s,
/// then gives its result.
struct SimulatedSunTech: SimulatedDevice {
    let scenario: SimulationScenario
    private var pending: [UInt8] = []
    private var measuringSince: Int?
    private var heard: [String] = []
    let tickInterval = 1000

    mutating func takeCommandsHeard() -> [String] {
        defer { heard = [] }
        return heard
    }

    init(_ scenario: SimulationScenario) { self.scenario = scenario }

    func cuffPressure(now: Int) -> Int {
        guard let start = measuringSince else { return 0 }
        let t = now - start
        if t < 1000 { return 170 * t / 1000 }
        return max(0, 170 - (t - 1000) * 160 / 5000)
    }

    mutating func received(_ bytes: [UInt8], now: Int) -> [UInt8] {
        pending += bytes
        var out: [UInt8] = []
        let commands: [([UInt8], (inout SimulatedSunTech) -> [UInt8])] = [
            (SunTechAdvantage.Command.startAdultBP, { d in
                d.heard.append("start")
                d.measuringSince = now
                return SunTechAdvantage.responseFrame([UInt8(ascii: "O")])
            }),
            (SunTechAdvantage.Command.abort, { d in
                d.heard.append(d.measuringSince == nil ? "abort (idle)" : "abort (cuff deflated at \(d.cuffPressure(now: now)) mmHg)")
                d.measuringSince = nil
                return SunTechAdvantage.responseFrame([UInt8(ascii: "A")])
            }),
            (SunTechAdvantage.Command.getCuffPressure, { d in
                let p = d.cuffPressure(now: now)
                return SunTechAdvantage.responseFrame([UInt8(p & 0xFF), UInt8(p >> 8)])
            }),
            (SunTechAdvantage.Command.getBPData, { d in d.bpData(now: now) }),
            // The module answers "get return code" with its 6-byte frame (return code 0: none).
            (SunTechAdvantage.Command.getReturnCode, { _ in SunTechAdvantage.responseFrame([0x00, 0x00, 0x00]) }),
        ]
        matching: while !pending.isEmpty {
            for (command, answer) in commands where pending.starts(with: command) {
                pending.removeFirst(command.count)
                out += answer(&self)
                continue matching
            }
            if commands.contains(where: { $0.0.starts(with: pending) }) { break }  // wait for the rest
            pending.removeFirst()  // not a command: skip a byte
        }
        return out
    }

    private mutating func bpData(now: Int) -> [UInt8] {
        var data = [UInt8](repeating: 0, count: 21)
        guard let start = measuringSince, now - start >= 6000 else { return SunTechAdvantage.responseFrame(data) }  // status 0: not yet
        measuringSince = nil
        let (sys, dia, map, hr, error): (Int, Int, Int, UInt8, UInt8) = switch scenario {
        case .normal, .unplug, .operatorMarks: (124, 78, 93, 68, 0)
        case .pad: (84, 56, 65, 74, 0)
        case .error: (0, 0, 0, 0, 3)
        }
        data[0] = UInt8(sys & 0xFF); data[1] = UInt8(sys >> 8)
        data[2] = UInt8(dia & 0xFF); data[3] = UInt8(dia >> 8)
        data[4] = 0x1E
        data[5] = 1
        data[14] = hr
        data[16] = UInt8(map & 0xFF); data[17] = UInt8(map >> 8)
        data[18] = error
        return SunTechAdvantage.responseFrame(data)
    }

    mutating func tick(now: Int) -> [UInt8] { [] }
}

/// Oximeters that stream: Nonin #2 packets, CMS50 packets, Masimo and Nonin ASCII lines. The
/// Contec V7 oximeter streams only once the host has asked (`ContecCMS50V7.Command.startRealTime`).
struct SimulatedOximeter: SimulatedDevice {
    let profile: String
    let scenario: SimulationScenario
    private var pending: [UInt8] = []
    private(set) var asked = false

    init(profile: String, scenario: SimulationScenario) {
        self.profile = profile
        self.scenario = scenario
    }

    var tickInterval: Int {
        switch profile {
        case "nonin-2": 333
        case "contec-cms50-legacy", "contec-cms50-v7": 17
        default: 1000
        }
    }

    var values: (spo2: Int, rate: Int)? {
        switch scenario {
        case .normal, .unplug, .operatorMarks: (98, 72)
        case .pad: (94, 84)
        case .error: nil
        }
    }

    mutating func received(_ bytes: [UInt8], now: Int) -> [UInt8] {
        pending = Array((pending + bytes).suffix(64))
        let start = ContecCMS50V7.Command.startRealTime
        if pending.count >= start.count, (0...(pending.count - start.count)).contains(where: { Array(pending[$0..<($0 + start.count)]) == start }) {
            asked = true
            pending.removeAll()
        }
        return []
    }

    func tick(now: Int) -> [UInt8] {
        let wobble = now / 1000 % 3
        switch profile {
        case "nonin-2":
            var bytes: [UInt8] = []
            let rate = values.map { $0.rate + wobble } ?? 511
            let spo2 = values?.spo2 ?? 127
            let status: UInt8 = values == nil ? 0xC0 : 0x80
            for i in 0..<25 {
                let value: UInt8 = i == 0 ? UInt8(rate >> 7 & 3) : i == 1 ? UInt8(rate & 0x7F) : i == 2 ? UInt8(spo2) : 0
                bytes += Nonin2.frame(status: status | (i == 0 ? 1 : 0), pleth: UInt8(40 + i), value: value)
            }
            return bytes
        case "contec-cms50-legacy":
            guard let v = values else { return ContecCMS50Legacy.packet(fingerOut: true, pulseRate: 0, spo2: 127) }
            return ContecCMS50Legacy.packet(pleth: UInt8(now / 17 % 100), pulseRate: v.rate + wobble, spo2: UInt8(v.spo2))
        case "contec-cms50-v7":
            guard asked else { return [] }
            guard let v = values else { return ContecCMS50V7.realTime(pulseRate: 255, spo2: 127) }
            return ContecCMS50V7.realTime(pleth: UInt8(now / 17 % 100), pulseRate: v.rate + wobble, spo2: UInt8(v.spo2))
        case "masimo-ascii1":
            let spo2 = values.map { String(format3: $0.spo2) } ?? "--"
            let bpm = values.map { String(format3: $0.rate + wobble) } ?? "---"
            return Array("11/26/26 09:30:\(String(format2: now / 1000 % 60)) SN=0000056661 SPO2=\(spo2)% BPM=\(bpm) PI=\(values == nil ? "--.--" : "03.60")% ALARM=0000 EXC=000000\r\n".utf8)
        default:  // nonin-ascii
            let spo2 = values.map { String(format3: $0.spo2) } ?? "---"
            let hr = values.map { String(format3: $0.rate + wobble) } ?? "---"
            return Array("SPO2=\(spo2) HR=\(hr)\r\n".utf8)
        }
    }
}

/// A Doppler-assisted manometer: the cuff deflates at 3 mmHg per 250 ms from 200 mmHg; the
/// operator's foot switch sends MARK when the Doppler signal returns at the systolic pressure.
struct SimulatedManometer: SimulatedDevice {
    let scenario: SimulationScenario
    let tickInterval = 250
    private var pressure = 200
    private var marked = false
    /// The pressures that go with a synthetic Doppler sound, from when the port is opened.
    private let program: (@Sendable (Double) -> Double)?
    private var openedAt: Int?

    init(_ scenario: SimulationScenario, program: (@Sendable (Double) -> Double)? = nil) {
        self.scenario = scenario
        self.program = program
    }

    var systolic: Int { scenario == .pad ? 72 : 128 }

    func received(_ bytes: [UInt8], now: Int) -> [UInt8] { [] }

    mutating func portOpened(now: Int) { openedAt = now }
    mutating func portClosed() { openedAt = nil }

    mutating func tick(now: Int) -> [UInt8] {
        guard scenario != .error else { return [] }  // a silent manometer
        if let program {
            guard let openedAt else { return [] }
            return Array("P=\(Int(program(Double(now - openedAt) / 1000).rounded()))\r\n".utf8)
        }
        var out = Array("P=\(pressure)\r\n".utf8)
        if !marked && pressure <= systolic && scenario != .operatorMarks {
            marked = true
            out += Array("MARK\r\n".utf8)
        }
        pressure -= 3
        if pressure < 20 {
            pressure = 200
            marked = false
        }
        return out
    }
}

fileprivate extension String {
    init(format3 value: Int) { self = value < 10 ? "00\(value)" : value < 100 ? "0\(value)" : "\(value)" }
    init(format2 value: Int) { self = value < 10 ? "0\(value)" : "\(value)" }
}
