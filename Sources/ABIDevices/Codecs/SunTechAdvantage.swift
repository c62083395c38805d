import ABICore

/// SunTech Advantage OEM NIBP module (docs/devices.md, confirmed). 9600 8N1; the host polls.
///
/// Module → host frames: `3E` LEN data… checksum, LEN counting the whole frame, the byte sum of
/// the frame ≡ 0 (mod 256). LEN 4 is a status character, 5 a cuff pressure (u16 LE), 6 a return
/// code or calibration reply, 24 the BP data, 67 the module's version text. Replies abi does not
/// use (6 and 67) are valid frames, counted and passed over, never framing errors.
///
/// Resynchronisation: a start byte with an unknown LEN, or a frame whose checksum fails, is
/// skipped one byte at a time. A false start with a known LEN waits for its bytes; the host's
/// next poll brings them, the checksum fails, and the real frames behind it are found.
public struct SunTechAdvantage: FramedCodec {
    public let profile = "suntech-advantage"
    public internal(set) var statistics = CodecStatistics()
    var buffer = ReceiveBuffer(limit: 256)

    /// The last status character (`O` accepted, `K` completed, `B` busy, `A` aborted), for the driver.
    public private(set) var lastStatus: UInt8?

    public init() {}

    /// Host → module commands.
    public enum Command {
        public static let startAdultBP: [UInt8] = [0x3A, 0x20, 0xA6]
        public static let abort: [UInt8] = [0x3A, 0x79, 0x01, 0x00, 0x4C]
        public static let getCuffPressure: [UInt8] = [0x3A, 0x79, 0x05, 0x00, 0x48]
        public static let getBPData: [UInt8] = [0x3A, 0x79, 0x03, 0x00, 0x4A]
        public static let getReturnCode: [UInt8] = [0x3A, 0x79, 0x02, 0x03, 0x48]
        public static let moduleData: [UInt8] = [0x3A, 0x00, 0xC6]
        public static let pneumaticsClosed: [UInt8] = [0x3A, 0x0C, 0x00, 0x01, 0x01, 0xB8]
    }

    /// The module's error codes (BP data byte 20).
    public static let errorMessages: [UInt8: String] = [
        1: "weak signal", 2: "erratic signal", 3: "retry count exceeded", 4: "measurement timeout",
        85: "pneumatic blockage", 86: "measurement aborted", 87: "inflation timeout", 88: "safety timeout (the measurement took too long)",
        89: "over-pressure safety release", 90: "power supply out of range", 91: "auto-zero out of range",
        97: "pressure transducer out of range", 99: "internal module fault",
    ]

    /// The checksum byte that makes the byte sum of `frame + [checksum]` ≡ 0 (mod 256).
    public static func checksum(_ frame: [UInt8]) -> UInt8 {
        UInt8(truncatingIfNeeded: 256 - Int(frame.reduce(UInt8(0), &+)))
    }

    /// A module → host frame with its length and checksum, for the simulator and tests.
    public static func responseFrame(_ data: [UInt8]) -> [UInt8] {
        let frame = [0x3E, UInt8(data.count + 3)] + data
        return frame + [checksum(frame)]
    }

    static let validLengths: Set<Int> = [4, 5, 6, 24, 67]

    public mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>, into records: inout [DecodedRecord]) {
        feedInPieces(bytes, into: &records)
    }

    mutating func decodeBuffered(into records: inout [DecodedRecord]) {
        while true {
            // Find the start byte.
            guard let start = buffer.firstIndex(of: 0x3E) else {
                statistics.discardedBytes += buffer.count
                buffer.drop(buffer.count)
                return
            }
            if start > 0 {
                statistics.discardedBytes += start
                buffer.drop(start)
            }
            guard buffer.count >= 2 else { return }
            let length = Int(buffer[1])
            guard SunTechAdvantage.validLengths.contains(length) else {
                statistics.framingErrors += 1
                buffer.drop(1)
                continue
            }
            guard buffer.count >= length else { return }
            var sum: UInt8 = 0
            for i in 0..<length { sum &+= buffer[i] }
            guard sum == 0 else {
                statistics.checksumErrors += 1
                buffer.drop(1)
                continue
            }
            let frame = buffer.bytes(length)
            buffer.drop(length)
            statistics.frames += 1
            if let record = decode(frame) { records.append(record) }
        }
    }

    private mutating func decode(_ f: [UInt8]) -> DecodedRecord? {
        switch f.count {
        case 4:
            lastStatus = f[2]
            return nil
        case 6, 67:
            return nil  // a return code, calibration or version reply: nothing to report
        case 5:
            let pressure = Int(f[2]) | Int(f[3]) << 8
            guard pressure <= 300 else {
                statistics.implausibleValues += 1
                return nil
            }
            return DecodedRecord(.cuffPressure(mmHg: pressure, mark: false), raw: f)
        default:
            guard f[7] != 0 else { return nil }  // no result yet
            let error = f[20]
            if error != 0 {
                let message = SunTechAdvantage.errorMessages[error] ?? "module error \(error)"
                return DecodedRecord(.deviceError(code: String(error), message: message), raw: f)
            }
            let sys = Int(f[2]) | Int(f[3]) << 8
            let dia = Int(f[4]) | Int(f[5]) << 8
            let map = Int(f[18]) | Int(f[19]) << 8
            let rate = Int(f[16])
            guard let systolic = Pressure(mmHg: sys), let diastolic = Pressure(mmHg: dia), diastolic < systolic,
                  let mean = Pressure(mmHg: map), mean <= systolic, mean >= diastolic else {
                // A frame with a valid checksum but impossible values (the "2047/238" kind) is an
                // error the operator must see, never a measurement.
                statistics.implausibleValues += 1
                return DecodedRecord(.deviceError(code: "implausible", message: "implausible values \(sys)/\(dia) mmHg, MAP \(map)"), raw: f)
            }
            return DecodedRecord(.bloodPressure(BloodPressure(systolic: systolic, diastolic: diastolic, map: mean,
                                                              pulseRate: (1...300).contains(rate) ? rate : nil)), raw: f)
        }
    }
}
