import ABICore

/// Contec CMS50D+ live stream, legacy firmware (docs/devices.md, confirmed). 19200 baud, 8 data
/// bits, odd parity, 1 stop, XON/XOFF; 5-byte packets at 60 Hz in which only byte 0 has bit 7
/// set; no checksum.
///
/// Finger out, searching and probe error give a record with no values. SpO2 127 (and any value
/// above 100) and a pulse rate of 0 or 255 are "missing".
public struct ContecCMS50Legacy: FramedCodec {
    public let profile = "contec-cms50-legacy"
    public internal(set) var statistics = CodecStatistics()
    var buffer = ReceiveBuffer(limit: 1024)

    public init() {}

    /// A packet, for the simulator and tests.
    public static func packet(signal: UInt8 = 5, fingerOut: Bool = false, pleth: UInt8 = 40, searching: Bool = false,
                              probeError: Bool = false, pulseRate: Int, spo2: UInt8) -> [UInt8] {
        let b0 = 0x80 | (signal & 0x0F) | (fingerOut ? 0x10 : 0)
        let b2 = UInt8(4) | (probeError ? 0x10 : 0) | (searching ? 0x20 : 0) | (pulseRate & 0x80 != 0 ? 0x40 : 0)
        return [b0, pleth & 0x7F, b2, UInt8(pulseRate & 0x7F), spo2 & 0x7F]
    }

    public mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>, into records: inout [DecodedRecord]) {
        feedInPieces(bytes, into: &records)
    }

    mutating func decodeBuffered(into records: inout [DecodedRecord]) {
        while !buffer.isEmpty {
            guard buffer[0] & 0x80 != 0 else {
                statistics.discardedBytes += 1
                buffer.drop(1)
                continue
            }
            guard buffer.count >= 5 else { return }
            if let sync = (1..<5).first(where: { buffer[$0] & 0x80 != 0 }) {
                // A sync byte inside the packet: the packet was cut short.
                statistics.framingErrors += 1
                statistics.discardedBytes += sync
                buffer.drop(sync)
                continue
            }
            let p = buffer.bytes(5)
            buffer.drop(5)
            statistics.frames += 1
            records.append(decode(p))
        }
    }

    private mutating func decode(_ p: [UInt8]) -> DecodedRecord {
        var status: [String] = []
        if p[0] & 0x10 != 0 { status.append("fingerOut") }
        if p[0] & 0x20 != 0 { status.append("spo2Dropping") }
        if p[2] & 0x10 != 0 { status.append("probeError") }
        if p[2] & 0x20 != 0 { status.append("searching") }
        let noValue = p[0] & 0x10 != 0 || p[2] & 0x30 != 0
        var oximetry = Oximetry(status: status)
        if !noValue {
            let rate = Int(p[2] & 0x40) << 1 | Int(p[3] & 0x7F)
            let spo2 = Int(p[4] & 0x7F)
            oximetry.pulseRate = rate == 0 || rate == 255 ? nil : rate
            oximetry.spo2 = spo2 == 127 || spo2 > 100 ? nil : spo2
        }
        return DecodedRecord(.oximetry(oximetry), raw: p)
    }
}
