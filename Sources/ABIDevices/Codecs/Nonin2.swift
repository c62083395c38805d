import ABICore

/// Nonin serial data format #2 (docs/devices.md, confirmed). 9600 8N1, 5-byte frames
/// `01 STATUS PLETH VALUE CHK`, CHK = (b0+b1+b2+b3) mod 256, 25 frames a packet, 3 packets/s.
///
/// A packet starts at a frame whose STATUS has bit 0 set. Frame 0 carries HR bits 8..7, frame 1
/// HR bits 6..0, frame 2 SpO2. The status bits belong to each frame (an artifact, out of track or
/// sensor alarm can show in any of the 25), so one oximetry record is emitted per packet when its
/// 25th frame arrives, with the status of all its frames and all its bytes as `raw`; a packet
/// cut short (a new packet starts, or a frame fails its checksum) gives no record.
/// HR 511 and SpO2 127 mean "missing" and are omitted. The perfusion bits (1–2) are not
/// documented well enough to interpret and are not reported.
public struct Nonin2: FramedCodec {
    public let profile = "nonin-2"
    public internal(set) var statistics = CodecStatistics()
    var buffer = ReceiveBuffer(limit: 1024)
    private var synced = false
    private var frameIndex = 0
    private var heartRateHigh = 0
    private var heartRateLow = 0
    private var statusBits: UInt8 = 0
    private var spo2Value = 127
    private var raw: [UInt8] = []

    public init() {}

    public static func checksum(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8) -> UInt8 { b0 &+ b1 &+ b2 &+ b3 }

    /// A valid frame, for the simulator and tests.
    public static func frame(status: UInt8, pleth: UInt8, value: UInt8) -> [UInt8] {
        [0x01, status, pleth, value, checksum(0x01, status, pleth, value)]
    }

    static let statusNames: [(UInt8, String)] = [
        (0x08, "sensorAlarm"), (0x10, "outOfTrack"), (0x20, "artifact"), (0x40, "sensorDisconnect"),
    ]

    public mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>, into records: inout [DecodedRecord]) {
        feedInPieces(bytes, into: &records)
    }

    mutating func decodeBuffered(into records: inout [DecodedRecord]) {
        while buffer.count >= 5 {
            let b0 = buffer[0], b1 = buffer[1], b2 = buffer[2], b3 = buffer[3], b4 = buffer[4]
            let shaped = b0 == 0x01 && b1 & 0x80 != 0
            let valid = shaped && Nonin2.checksum(b0, b1, b2, b3) == b4
            let startsPacket = b1 & 0x01 != 0
            if !synced {
                guard valid && startsPacket else {
                    if shaped && startsPacket { statistics.checksumErrors += 1 }
                    statistics.discardedBytes += 1
                    buffer.drop(1)
                    continue
                }
                synced = true
                frameIndex = 0
            } else if !valid {
                if shaped { statistics.checksumErrors += 1 } else { statistics.framingErrors += 1 }
                synced = false
                statistics.discardedBytes += 1
                buffer.drop(1)
                continue
            } else if startsPacket {
                if frameIndex != 25 { statistics.framingErrors += 1 }  // a short packet: start again
                frameIndex = 0
            } else if frameIndex >= 25 {
                statistics.framingErrors += 1  // a packet longer than 25 frames: resynchronise
                synced = false
                continue
            }
            statistics.frames += 1
            if frameIndex == 0 {
                statusBits = 0
                raw.removeAll(keepingCapacity: true)
            }
            statusBits |= b1
            raw.append(contentsOf: [b0, b1, b2, b3, b4])
            switch frameIndex {
            case 0: heartRateHigh = Int(b3 & 0x03)
            case 1: heartRateLow = Int(b3 & 0x7F)
            case 2: spo2Value = Int(b3)
            case 24: records.append(packetRecord(spo2: spo2Value))
            default: break
            }
            frameIndex += 1
            buffer.drop(5)
        }
    }

    private mutating func packetRecord(spo2 raw2: Int) -> DecodedRecord {
        let heartRate = heartRateHigh << 7 | heartRateLow
        var spo2: Int? = raw2 == 127 ? nil : raw2
        if let s = spo2, s > 100 {
            statistics.implausibleValues += 1
            spo2 = nil
        }
        var rate: Int? = heartRate == 511 || heartRate == 0 ? nil : heartRate
        if let r = rate, r > 300 {
            statistics.implausibleValues += 1
            rate = nil
        }
        let status = Nonin2.statusNames.filter { statusBits & $0.0 != 0 }.map(\.1)
        let oximetry = Oximetry(spo2: spo2, pulseRate: rate, status: status)
        return DecodedRecord(.oximetry(oximetry), raw: raw)
    }
}
