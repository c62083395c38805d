import ABICore

/// Contec pulse oximeters of the newer protocol ("Communication protocol of pulse oximeter V7.0",
/// Contec, 2010): the CMS50D+ from firmware 4.6 and the CMS50E. 115200 baud, 8N1, two-way: the
/// device streams only after the host asks (`Command.startRealTime`, sent again every
/// `requestEvery` ms while abi listens).
///
/// Framing (confirmed by the vendor document): a packet is a type byte with bit 7 clear, a byte
/// with bit 7 set that carries bit 7 of each following byte (bit 0 for the first), and data
/// bytes with bit 7 set. The real-time packet is type 0x01 with 7 data bytes (9 in all).
///
/// Fields of the real-time packet (partial: from one published reverse-engineered driver, which
/// agrees with the framing): data byte 1 is the pleth wave, 3 the pulse rate, 4 the SpO2. The
/// status bits of bytes 0 and 2 are not interpreted. As for the legacy protocol, a packet is
/// reported only after `ContecCMS50Legacy.lockPackets` well-formed ones in a row, SpO2 0 and 127
/// and pulse 0 and 255 are "no value", and values outside the plausibility windows are left out.
/// Packets of other types (replies to other commands) are skipped.
public struct ContecCMS50V7: FramedCodec {
    public let profile = "contec-cms50-v7"
    public internal(set) var statistics = CodecStatistics()
    var buffer = ReceiveBuffer(limit: 1024)
    private var run = 0

    public static let realTimeType: UInt8 = 0x01
    public static let realTimeLength = 9
    /// How often the start command is sent again while listening (the device stops streaming
    /// after a while unless asked again).
    public static let requestEvery = 20_000

    public enum Command {
        /// Start the real-time data: type 0x7D, high bits 0x01, data 0xA1 and six zero bytes.
        public static let startRealTime: [UInt8] = [0x7D, 0x81, 0xA1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80]
        /// Stop the real-time data (0xA2).
        public static let stopRealTime: [UInt8] = [0x7D, 0x81, 0xA2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80]
    }

    public init() {}

    /// A packet of `type` with these data bytes (full 8-bit values), for the simulator and tests.
    public static func packet(type: UInt8 = realTimeType, data: [UInt8]) -> [UInt8] {
        var high: UInt8 = 0x80
        for (i, byte) in data.enumerated() where byte & 0x80 != 0 { high |= 1 << UInt8(i) }
        return [type & 0x7F, high] + data.map { $0 | 0x80 }
    }

    /// A real-time packet.
    public static func realTime(pleth: UInt8 = 40, pulseRate: Int, spo2: UInt8) -> [UInt8] {
        packet(data: [0x05, pleth, 0x04, UInt8(truncatingIfNeeded: pulseRate), spo2, 0x00, 0x00])
    }

    public mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>, into records: inout [DecodedRecord]) {
        feedInPieces(bytes, into: &records)
    }

    mutating func decodeBuffered(into records: inout [DecodedRecord]) {
        while !buffer.isEmpty {
            // A packet starts at a type byte (bit 7 clear) followed by the high-bits byte.
            guard buffer[0] & 0x80 == 0 else {
                statistics.discardedBytes += 1
                buffer.drop(1)
                run = 0
                continue
            }
            guard buffer.count >= 2 else { return }
            guard buffer[1] & 0x80 != 0 else {
                statistics.framingErrors += 1
                statistics.discardedBytes += 1
                buffer.drop(1)
                run = 0
                continue
            }
            // The data bytes run up to the next byte with bit 7 clear (the next packet's type).
            let realTime = buffer[0] == ContecCMS50V7.realTimeType
            var end = 2
            while end < buffer.count && buffer[end] & 0x80 != 0 && (!realTime || end < ContecCMS50V7.realTimeLength) { end += 1 }
            if realTime {
                guard buffer.count >= ContecCMS50V7.realTimeLength || end < buffer.count else { return }
                guard end == ContecCMS50V7.realTimeLength else {
                    statistics.framingErrors += 1  // cut short by the next packet
                    statistics.discardedBytes += end
                    buffer.drop(end)
                    run = 0
                    continue
                }
                let p = buffer.bytes(end)
                buffer.drop(end)
                statistics.frames += 1
                run += 1
                if run >= ContecCMS50Legacy.lockPackets { records.append(decode(p)) }
            } else {
                // Another packet type (a reply): skip it up to the next type byte.
                guard end < buffer.count else { return }
                buffer.drop(end)
            }
        }
    }

    private mutating func decode(_ p: [UInt8]) -> DecodedRecord {
        let high = p[1]
        func data(_ i: Int) -> Int { Int(p[2 + i] & 0x7F) | Int((high >> UInt8(i)) & 1) << 7 }
        let rate = data(3), spo2 = data(4)
        var oximetry = Oximetry()
        oximetry.pulseRate = ContecCMS50Legacy.plausiblePulse.contains(rate) ? rate : nil
        oximetry.spo2 = ContecCMS50Legacy.plausibleSpO2.contains(spo2) ? spo2 : nil
        let noValue = (rate == 0 || rate == 255) && (spo2 == 0 || spo2 == 127)
        if !noValue && (oximetry.pulseRate == nil && !(rate == 0 || rate == 255) || oximetry.spo2 == nil && !(spo2 == 0 || spo2 == 127)) {
            statistics.implausibleValues += 1
            oximetry.status.append("implausible")
        }
        return DecodedRecord(.oximetry(oximetry), raw: p)
    }
}

/// Asks a streaming device for its data when the port opens and again at an interval (the
/// Contec V7 oximeters stream only when asked).
public struct StreamRequestDriver: DeviceDriver {
    let command: [UInt8]
    let every: Int
    private var next = 0

    public init(command: [UInt8], every: Int) {
        self.command = command
        self.every = every
    }

    public var nextWake: Int? { next }

    public mutating func commands(now: Int) -> [[UInt8]] {
        guard now >= next else { return [] }
        next = now + every
        return [command]
    }

    public mutating func observe(_ measurement: DeviceMeasurement) {}
    public mutating func startMeasurement(now: Int) {}
}
