import ABICore
import ABIDevices
import Testing

@Suite struct SunTechTests {
    /// docs/devices.md test vector: 115/74 mmHg, MAP 88, HR 85.
    static let vector: [UInt8] = [0x3E, 0x18, 0x73, 0x00, 0x4A, 0x00, 0x1E, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                  0x31, 0x07, 0x55, 0x00, 0x58, 0x00, 0x00, 0x00, 0x00, 0xE9]
    static let cuff258: [UInt8] = [0x3E, 0x05, 0x02, 0x01, 0xBA]
    static let completed: [UInt8] = [0x3E, 0x04, 0x4B, 0x73]

    /// A BP data frame (LEN 24) with the given fields.
    static func bpFrame(sys: Int, dia: Int, map: Int, hr: UInt8 = 70, status: UInt8 = 1, error: UInt8 = 0) -> [UInt8] {
        var data: [UInt8] = [UInt8(sys & 0xFF), UInt8(sys >> 8), UInt8(dia & 0xFF), UInt8(dia >> 8), 0x1E, status]
        data += [UInt8](repeating: 0, count: 8)
        data += [hr, 0, UInt8(map & 0xFF), UInt8(map >> 8), error, 0, 0]
        return SunTechAdvantage.responseFrame(data)
    }

    @Test("The published vectors decode in any chunking", arguments: Chunking.allCases)
    func vectors(_ chunking: Chunking) {
        var codec = SunTechAdvantage()
        let records = decode(&codec, SunTechTests.completed + SunTechTests.vector + SunTechTests.cuff258, chunking)
        #expect(records.count == 2)
        let bp = records.first?.bloodPressure
        #expect(bp?.systolic.mmHg == 115)
        #expect(bp?.diastolic?.mmHg == 74)
        #expect(bp?.map?.mmHg == 88)
        #expect(bp?.pulseRate == 85)
        #expect(records.first?.raw == SunTechTests.vector)
        #expect(records.last?.cuff?.mmHg == 258)
        #expect(codec.lastStatus == UInt8(ascii: "K"))
        #expect(codec.statistics.frames == 3)
        #expect(codec.statistics.checksumErrors == 0)
    }

    @Test("The frame builder reproduces the published checksums")
    func checksums() {
        #expect(SunTechAdvantage.responseFrame(Array(SunTechTests.vector[2..<23])) == SunTechTests.vector)
        #expect(SunTechAdvantage.responseFrame([0x02, 0x01]) == SunTechTests.cuff258)
        for command in [SunTechAdvantage.Command.startAdultBP, SunTechAdvantage.Command.abort, SunTechAdvantage.Command.getCuffPressure,
                        SunTechAdvantage.Command.getBPData, SunTechAdvantage.Command.getReturnCode, SunTechAdvantage.Command.moduleData,
                        SunTechAdvantage.Command.pneumaticsClosed] {
            #expect(command.reduce(UInt8(0), &+) == 0, "\(command)")
        }
    }

    @Test("Garbage between frames is skipped and counted", arguments: Chunking.allCases)
    func garbage(_ chunking: Chunking) {
        let garbage: [UInt8] = [0x00, 0xFF, 0x3E, 0x99, 0x3E, 0x3E, 0x18, 0x42, 0x13]
        var codec = SunTechAdvantage()
        // The garbage holds a false header (3E 18) that waits for 24 bytes; the next poll's answer
        // completes it, its checksum fails, and the frames behind it are found.
        let records = decode(&codec, garbage + SunTechTests.vector + garbage + SunTechTests.cuff258 + SunTechTests.vector + [0x3E], chunking)
        #expect(records.map(\.raw) == [SunTechTests.vector, SunTechTests.cuff258, SunTechTests.vector])
        #expect(codec.statistics.discardedBytes > 0)
    }

    @Test("A corrupted checksum or byte drops the frame, never reports it", arguments: 2..<23)
    func corrupted(_ at: Int) {
        var frame = SunTechTests.vector
        frame[at] ^= 0x10
        var codec = SunTechAdvantage()
        let records = decode(&codec, frame + SunTechTests.cuff258, .whole)
        #expect(records.map(\.raw) == [SunTechTests.cuff258])
        #expect(codec.statistics.checksumErrors >= 1)
    }

    @Test("Module error codes become device errors, never pressures")
    func errors() {
        var codec = SunTechAdvantage()
        let records = codec.feed(SunTechTests.bpFrame(sys: 0, dia: 0, map: 0, error: 3) + SunTechTests.bpFrame(sys: 120, dia: 80, map: 93, error: 85))
        #expect(records.map(\.error?.code) == ["3", "85"])
        #expect(records.first?.error?.message == "retry count exceeded")
        #expect(records.last?.error?.message == "pneumatic blockage")
    }

    @Test("No result yet (BP status 0) gives no record")
    func notReady() {
        var codec = SunTechAdvantage()
        #expect(codec.feed(SunTechTests.bpFrame(sys: 0, dia: 0, map: 0, status: 0)).isEmpty)
    }

    @Test("Implausible values (the LibreArm 2047/238 kind) are an error, never a measurement",
          arguments: [(2047, 238, 500), (120, 130, 125), (0, 0, 0), (301, 80, 150), (120, 80, 140)])
    func implausible(_ sys: Int, _ dia: Int, _ map: Int) {
        var codec = SunTechAdvantage()
        let records = codec.feed(SunTechTests.bpFrame(sys: sys, dia: dia, map: map))
        #expect(records.count == 1)
        #expect(records.first?.error?.code == "implausible")
        #expect(records.first?.bloodPressure == nil)
        #expect(codec.statistics.implausibleValues == 1)
    }

    @Test("A cuff pressure above 300 mmHg is rejected; 0 is a deflated cuff")
    func cuffRange() {
        var codec = SunTechAdvantage()
        let records = codec.feed(SunTechAdvantage.responseFrame([0x2D, 0x01]) + SunTechAdvantage.responseFrame([0x00, 0x00]))
        #expect(records.map(\.cuff?.mmHg) == [0])
        #expect(codec.statistics.implausibleValues == 1)
    }
}

@Suite struct SunTechRepliesTests {
    @Test("Error codes 86, 88, 91, 97 and 99 have words; 6- and 67-byte replies are valid frames, not framing errors")
    func moreReplies() {
        for code: UInt8 in [86, 88, 91, 97, 99] { #expect(SunTechAdvantage.errorMessages[code] != nil, "\(code)") }
        var codec = SunTechAdvantage()
        let version = SunTechAdvantage.responseFrame(Array(repeating: UInt8(ascii: "V"), count: 64))
        let returnCode = SunTechAdvantage.responseFrame([0x00, 0x00, 0x00])
        #expect(version.count == 67 && returnCode.count == 6)
        let records = codec.feed(version + returnCode + SunTechTests.cuff258)
        #expect(records.map(\.cuff?.mmHg) == [258])
        #expect(codec.statistics.framingErrors == 0 && codec.statistics.frames == 3)
    }
}

@Suite struct Nonin2Tests {
    /// One 25-frame packet carrying the heart rate and SpO2.
    static func packet(heartRate: Int, spo2: UInt8, status: UInt8 = 0x80) -> [UInt8] {
        var bytes: [UInt8] = []
        for i in 0..<25 {
            let value: UInt8
            switch i {
            case 0: value = UInt8(heartRate >> 7 & 0x03)
            case 1: value = UInt8(heartRate & 0x7F)
            case 2: value = spo2
            default: value = 0
            }
            bytes += Nonin2.frame(status: status | (i == 0 ? 0x01 : 0), pleth: UInt8(40 + i), value: value)
        }
        return bytes
    }

    @Test("Published frames pass the checksum")
    func publishedFrames() {
        for frame: [UInt8] in [[0x01, 0x80, 0x49, 0x00, 0xCA], [0x01, 0x80, 0x46, 0x4A, 0x11], [0x01, 0x81, 0xAF, 0x00, 0x31], [0x01, 0x80, 0x57, 0x4A, 0x22]] {
            #expect(Nonin2.checksum(frame[0], frame[1], frame[2], frame[3]) == frame[4])
        }
    }

    @Test("Packets decode in any chunking; HR uses 9 bits", arguments: Chunking.allCases)
    func packets(_ chunking: Chunking) {
        var codec = Nonin2()
        let records = decode(&codec, Nonin2Tests.packet(heartRate: 72, spo2: 97) + Nonin2Tests.packet(heartRate: 300, spo2: 88), chunking)
        #expect(records.map(\.oximetry?.pulseRate) == [72, 300])
        #expect(records.map(\.oximetry?.spo2) == [97, 88])
        #expect(records.first?.raw.count == 125)  // the whole packet
        #expect(codec.statistics.frames == 50)
    }

    @Test("Status bits of any frame count: an artifact in frame 17 is on the packet's reading; a packet cut short gives none")
    func statusOfEveryFrame() {
        var packet = Nonin2Tests.packet(heartRate: 72, spo2: 97)
        let f = 17 * 5
        packet.replaceSubrange(f..<(f + 5), with: Nonin2.frame(status: 0x80 | 0x20, pleth: packet[f + 2], value: packet[f + 3]))
        var alarm = Nonin2Tests.packet(heartRate: 70, spo2: 95)
        let g = 24 * 5
        alarm.replaceSubrange(g..<(g + 5), with: Nonin2.frame(status: 0x80 | 0x08 | 0x10, pleth: alarm[g + 2], value: alarm[g + 3]))
        let short = Array(Nonin2Tests.packet(heartRate: 99, spo2: 99).prefix(12 * 5))
        var codec = Nonin2()
        let records = codec.feed(packet + short + alarm + Nonin2Tests.packet(heartRate: 71, spo2: 96))
        #expect(records.map(\.oximetry?.pulseRate) == [72, 70, 71])
        #expect(records.map(\.oximetry?.status) == [["artifact"], ["sensorAlarm", "outOfTrack"], []])
        #expect(codec.statistics.framingErrors == 1)
    }

    @Test("Missing markers HR 511 and SpO2 127 are omitted, never numbers")
    func missing() {
        var codec = Nonin2()
        let records = codec.feed(Nonin2Tests.packet(heartRate: 511, spo2: 127, status: 0x80 | 0x40))
        #expect(records.count == 1)
        #expect(records.first?.oximetry?.pulseRate == nil)
        #expect(records.first?.oximetry?.spo2 == nil)
        #expect(records.first?.oximetry?.status == ["sensorDisconnect"])
    }

    @Test("A heart rate above 300 (the 9 bits allow 510) is implausible, not a number")
    func implausibleRate() {
        var codec = Nonin2()
        let records = codec.feed(Nonin2Tests.packet(heartRate: 350, spo2: 97))
        #expect(records.first?.oximetry?.pulseRate == nil)
        #expect(records.first?.oximetry?.spo2 == 97)
        #expect(codec.statistics.implausibleValues == 1)
    }

    @Test("Garbage before and inside the stream: resynchronises on the next packet", arguments: Chunking.allCases)
    func garbage(_ chunking: Chunking) {
        var stream: [UInt8] = [0x01, 0x81, 0x00, 0x00, 0x02, 0x55, 0x01]
        stream += Nonin2Tests.packet(heartRate: 60, spo2: 95)
        var broken = Nonin2Tests.packet(heartRate: 61, spo2: 96)
        broken[7] ^= 0x01  // frame 1's value: checksum now wrong
        stream += broken
        stream += Nonin2Tests.packet(heartRate: 62, spo2: 97)
        var codec = Nonin2()
        let records = decode(&codec, stream, chunking)
        #expect(records.map(\.oximetry?.pulseRate) == [60, 62])
        #expect(codec.statistics.checksumErrors >= 1)
    }
}

@Suite struct ContecTests {
    /// Packets that lock the decoder on before the ones a test looks at (no checksum: a packet
    /// counts only after `lockPackets` in a row).
    static let lead = Array(repeating: ContecCMS50Legacy.packet(searching: true, pulseRate: 0, spo2: 127), count: ContecCMS50Legacy.lockPackets - 1).flatMap { $0 }

    @Test("Packets decode in any chunking, pulse rate bit 7 included; the data bytes 0x11 and 0x13 are data", arguments: Chunking.allCases)
    func packets(_ chunking: Chunking) {
        var codec = ContecCMS50Legacy()
        // Pulse 0x11 (17 is implausible, left out) and SpO2 0x13 (19, too): XON/XOFF would have swallowed them.
        let bytes = ContecTests.lead + ContecCMS50Legacy.packet(pulseRate: 72, spo2: 98) + ContecCMS50Legacy.packet(pulseRate: 190, spo2: 91)
            + ContecCMS50Legacy.packet(pleth: 0x11, pulseRate: 0x13, spo2: 0x11) + ContecCMS50Legacy.packet(pleth: 0x13, pulseRate: 81, spo2: 97)
        let records = decode(&codec, bytes, chunking)
        #expect(records.map(\.oximetry?.pulseRate) == [72, 190, nil, 81])
        #expect(records.map(\.oximetry?.spo2) == [98, 91, nil, 97])
        #expect(records[2].oximetry?.status == ["implausible"])
    }

    @Test("The port has no input flow control: abi only reads this device")
    func noFlowControl() throws {
        #expect(try DeviceProfile.builtIn("contec-cms50-legacy").settings.flowControl == .none)
    }

    @Test("Finger out, searching and probe error give no values; SpO2 127 and 0 are missing, never a measurement")
    func noValue() {
        var codec = ContecCMS50Legacy()
        let records = codec.feed(ContecTests.lead + ContecCMS50Legacy.packet(fingerOut: true, pulseRate: 72, spo2: 98)
                                 + ContecCMS50Legacy.packet(searching: true, pulseRate: 72, spo2: 98)
                                 + ContecCMS50Legacy.packet(probeError: true, pulseRate: 72, spo2: 98)
                                 + ContecCMS50Legacy.packet(pulseRate: 72, spo2: 127)
                                 + ContecCMS50Legacy.packet(pulseRate: 72, spo2: 0))
        #expect(records.map(\.oximetry?.hasValue) == [false, false, false, true, true])
        #expect(records.map(\.oximetry?.status) == [["fingerOut"], ["searching"], ["probeError"], [], []])
        #expect(records[3].oximetry?.spo2 == nil && records[4].oximetry?.spo2 == nil)
        #expect(records.last?.oximetry?.pulseRate == 72)
    }

    @Test("A packet cut short by the next sync byte is dropped; after garbage the decoder locks on again before it reports")
    func cutShort() {
        var codec = ContecCMS50Legacy()
        let good = ContecCMS50Legacy.packet(pulseRate: 80, spo2: 96)
        let five = Array(repeating: good, count: 5).flatMap { $0 }
        let records = codec.feed([0x12, 0x34] + Array(good.prefix(3)) + five + [0x7F] + Array(repeating: good, count: 4).flatMap { $0 } + [0x7F] + five)
        #expect(records.count == 2)  // the 5th packet of each run of five
        #expect(codec.statistics.framingErrors == 1)
    }

    @Test("Ten megabytes of random bytes give no oximetry value (they gave 32,451 before)")
    func noiseGivesNothing() {
        var rng = SplitMix64(seed: 2026)
        var codec = ContecCMS50Legacy()
        var records: [DecodedRecord] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        for _ in 0..<160 {
            for i in chunk.indices { chunk[i] = UInt8(truncatingIfNeeded: rng.next()) }
            chunk.withUnsafeBufferPointer { codec.feed($0, into: &records) }
        }
        #expect(records.filter { $0.oximetry?.hasValue == true }.count < 10, "\(records.count)")
    }
}

@Suite struct ContecV7Tests {
    static let lead = Array(repeating: ContecCMS50V7.realTime(pulseRate: 255, spo2: 127), count: ContecCMS50Legacy.lockPackets - 1).flatMap { $0 }

    @Test("V7 framing: type byte, high-bits byte, data with bit 7 set; bit 7 of the pulse rate comes from the high byte", arguments: Chunking.allCases)
    func packets(_ chunking: Chunking) {
        let fast = ContecCMS50V7.realTime(pulseRate: 190, spo2: 91)
        #expect(fast.count == 9 && fast[0] == 0x01 && fast[1] == 0x88 && fast.dropFirst().allSatisfy { $0 & 0x80 != 0 })
        var codec = ContecCMS50V7()
        let reply = ContecCMS50V7.packet(type: 0x0C, data: Array(repeating: 0x41, count: 12))  // another packet type, longer
        let records = decode(&codec, ContecV7Tests.lead + ContecCMS50V7.realTime(pulseRate: 72, spo2: 98) + reply + fast, chunking)
        #expect(records.map(\.oximetry?.pulseRate) == [72, 190])
        #expect(records.map(\.oximetry?.spo2) == [98, 91])
    }

    @Test("V7: no value is never a number; a packet cut short is dropped; the start command is the V7.0 command packet")
    func noValueAndCutShort() {
        var codec = ContecCMS50V7()
        let good = ContecCMS50V7.realTime(pulseRate: 80, spo2: 96)
        let records = codec.feed(ContecV7Tests.lead + ContecCMS50V7.realTime(pulseRate: 255, spo2: 127) + ContecCMS50V7.realTime(pulseRate: 0, spo2: 0)
                                 + Array(good.prefix(6)) + Array(repeating: good, count: 5).flatMap { $0 })
        #expect(records.count == 3)
        #expect(records[0].oximetry?.hasValue == false && records[1].oximetry?.hasValue == false)
        #expect(records[2].oximetry?.spo2 == 96)
        #expect(codec.statistics.framingErrors == 1)
        #expect(ContecCMS50V7.Command.startRealTime == ContecCMS50V7.packet(type: 0x7D, data: [0xA1, 0, 0, 0, 0, 0, 0]))
    }

    @Test("The V7 profile: 115200 8N1, and a driver that asks for the stream at once and again every 20 s")
    func profileAndDriver() throws {
        let profile = try DeviceProfile.builtIn("contec-cms50-v7")
        #expect(profile.settings.description == "115200 8N1")
        guard var driver = profile.makeDriver(startsMeasuring: false) else { Issue.record("no driver"); return }
        #expect(driver.commands(now: 0) == [ContecCMS50V7.Command.startRealTime])
        #expect(driver.commands(now: 19_999).isEmpty)
        #expect(driver.commands(now: 20_000) == [ContecCMS50V7.Command.startRealTime])
        #expect(try DeviceProfile.builtIn("nonin-2").makeDriver(startsMeasuring: true) == nil)
    }
}

@Suite struct BloodPressureRecordTests {
    @Test("SFLOAT vectors", arguments: [(UInt16(0x0002), "2"), (0xF014, "2"), (0xE0C8, "2"), (0x1002, "20"), (0x2002, "200"),
                                        (0x00C8, "200"), (0x04D2, "1234"), (0x0B2E, "-1234"), (0xF4D2, "123.4")])
    func sfloat(_ raw: UInt16, _ value: String) {
        #expect(SFLOAT.decode(raw)?.description == value)
    }

    @Test("SFLOAT special values are never numbers", arguments: [UInt16(0x07FF), 0x0800, 0x0801, 0x07FE, 0x0802])
    func specials(_ raw: UInt16) {
        #expect(SFLOAT.decode(raw) == nil)
    }

    func sf(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }

    @Test("A record with time stamp, pulse, user and status")
    func fullRecord() throws {
        let bytes: [UInt8] = [0x1E] + sf(0x0078) + sf(0x0050) + sf(0x005D) + [0xEA, 0x07, 11, 26, 9, 30, 0] + sf(0x0048) + [1] + [0x05, 0x00]
        guard case .bloodPressure(let bp) = try BloodPressureRecord.decode(bytes) else { Issue.record("not a BP"); return }
        #expect(bp.systolic.mmHg == 120)
        #expect(bp.diastolic?.mmHg == 80)
        #expect(bp.map?.mmHg == 93)
        #expect(bp.pulseRate == 72)
        #expect(bp.status == ["bodyMovement", "irregularPulse"])
    }

    @Test("kPa values are converted with 7.50062 and rounded half-up (R1)")
    func kPa() throws {
        // 16.0 kPa = 120.01 → 120; 10.7 kPa = 80.26 → 80; NaN MAP is no value.
        let bytes: [UInt8] = [0x01] + sf(0xF0A0) + sf(0xF06B) + sf(0x07FF)
        guard case .bloodPressure(let bp) = try BloodPressureRecord.decode(bytes) else { Issue.record("not a BP"); return }
        #expect(bp.systolic.mmHg == 120)
        #expect(bp.diastolic?.mmHg == 80)
        #expect(bp.map == nil)
    }

    @Test("No systolic, truncation and implausible values are errors")
    func problems() {
        #expect(throws: BloodPressureRecord.Problem.noSystolic) { try BloodPressureRecord.decode([0x00] + sf(0x07FF) + sf(0x50) + sf(0x5D)) }
        #expect(throws: BloodPressureRecord.Problem.truncated(needed: 9, had: 7)) { try BloodPressureRecord.decode([0x04] + sf(0x78) + sf(0x50) + sf(0x5D)) }
        let implausible = try? BloodPressureRecord.decode([0x00] + sf(0x07FD) + sf(0x00EE) + sf(0x0100))
        if case .deviceError(let code, _)? = implausible { #expect(code == "implausible") } else { Issue.record("2045/238 accepted") }
    }
}

@Suite struct CodecRobustnessTests {
    static let codecs: [(String, @Sendable () -> any DeviceCodec)] = [
        ("suntech-advantage", { SunTechAdvantage() }), ("nonin-2", { Nonin2() }), ("contec-cms50-legacy", { ContecCMS50Legacy() }),
    ]

    @Test("Random bytes never produce an implausible value, and buffers stay bounded", arguments: [0, 1, 2])
    func randomBytes(_ which: Int) {
        var rng = SplitMix64(seed: UInt64(which) + 100)
        var codec = CodecRobustnessTests.codecs[which].1()
        var records: [DecodedRecord] = []
        for _ in 0..<2_000 {
            let chunk = (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            chunk.withUnsafeBufferPointer { codec.feed($0, into: &records) }
        }
        #expect(records.allSatisfy(isPlausible))
    }
}

@Suite struct ChunkIndependenceTests {
    @Test("A chunk far larger than the buffer decodes exactly like the same bytes one at a time", arguments: [0, 1, 2])
    func largeChunk(_ which: Int) {
        var rng = SplitMix64(seed: 77)
        var stream: [UInt8] = (0..<3000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        switch which {
        case 0: stream += SunTechTests.vector + [UInt8](repeating: 0x3E, count: 700) + SunTechTests.cuff258
        case 1: stream += Nonin2Tests.packet(heartRate: 70, spo2: 96) + Nonin2Tests.packet(heartRate: 71, spo2: 96)
        default: stream += Array(repeating: ContecCMS50Legacy.packet(pulseRate: 66, spo2: 97), count: 6).flatMap { $0 }
        }
        var whole = CodecRobustnessTests.codecs[which].1()
        var single = CodecRobustnessTests.codecs[which].1()
        var wholeRecords: [DecodedRecord] = []
        var singleRecords: [DecodedRecord] = []
        stream.withUnsafeBufferPointer { whole.feed($0, into: &wholeRecords) }
        for byte in stream { [byte].withUnsafeBufferPointer { single.feed($0, into: &singleRecords) } }
        #expect(wholeRecords == singleRecords)
        #expect(!wholeRecords.isEmpty)
    }
}
