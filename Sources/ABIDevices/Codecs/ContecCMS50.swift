import ABICore

/// Contec CMS50D+ live stream, legacy firmware (docs/devices.md, confirmed). 19200 baud, 8 data
/// bits, odd parity, 1 stop; 5-byte packets at 60 Hz in which only byte 0 has bit 7 set; no
/// checksum. abi only reads this device, so the port has no input flow control: with XON/XOFF
/// the terminal driver would swallow the data bytes 0x11 and 0x13 and whole packets would vanish.
///
/// With no checksum, noise can look like a packet. A packet is therefore reported only once
/// `lockPackets` well-formed packets have arrived back to back (any stray byte starts the count
/// again: at 60 packets a second this is a twelfth of a second), and values outside what a
/// finger oximeter can measure are left out (SpO2 35–100 %, pulse 20–250/min; SpO2 0 and 127 and
/// pulse 0 and 255 are the device's "no value"). Finger out, searching and probe error give a
/// record with no values.
public struct ContecCMS50Legacy: FramedCodec {
    public let profile = "contec-cms50-legacy"
    public internal(set) var statistics = CodecStatistics()
    var buffer = ReceiveBuffer(limit: 1024)
    /// Well-formed packets in a row since the last stray byte.
    private var run = 0
    public static let lockPackets = 5
    public static let plausibleSpO2 = 35...100
    public static let plausiblePulse = 20...250

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
                run = 0
                continue
            }
            guard buffer.count >= 5 else { return }
            if let sync = (1..<5).first(where: { buffer[$0] & 0x80 != 0 }) {
                // A sync byte inside the packet: the packet was cut short.
                statistics.framingErrors += 1
                statistics.discardedBytes += sync
                buffer.drop(sync)
                run = 0
                continue
            }
            let p = buffer.bytes(5)
            buffer.drop(5)
            statistics.frames += 1
            run += 1
            if run >= ContecCMS50Legacy.lockPackets { records.append(decode(p)) }
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
            let plausible = ContecCMS50Legacy.plausibleSpO2.contains(spo2) || spo2 == 127 || spo2 == 0
            oximetry.pulseRate = ContecCMS50Legacy.plausiblePulse.contains(rate) ? rate : nil
            oximetry.spo2 = ContecCMS50Legacy.plausibleSpO2.contains(spo2) ? spo2 : nil
            if !plausible || !(ContecCMS50Legacy.plausiblePulse.contains(rate) || rate == 0 || rate == 255) { oximetry.status.append("implausible") }
        }
        return DecodedRecord(.oximetry(oximetry), raw: p)
    }
}
