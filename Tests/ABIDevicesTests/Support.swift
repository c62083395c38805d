import ABICore
import ABIDevices

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Chunking: CaseIterable, CustomStringConvertible {
    case whole, byteAtATime, random

    var description: String {
        switch self {
        case .whole: "whole"
        case .byteAtATime: "byte at a time"
        case .random: "random chunks"
        }
    }
}

/// Feeds `bytes` to a fresh codec in the given chunking and returns every record.
func decode<C: DeviceCodec>(_ codec: inout C, _ bytes: [UInt8], _ chunking: Chunking, seed: UInt64 = 1) -> [DecodedRecord] {
    var records: [DecodedRecord] = []
    var rng = SplitMix64(seed: seed)
    var i = 0
    while i < bytes.count {
        let n: Int
        switch chunking {
        case .whole: n = bytes.count
        case .byteAtATime: n = 1
        case .random: n = 1 + Int(rng.next() % 17)
        }
        let end = min(bytes.count, i + n)
        Array(bytes[i..<end]).withUnsafeBufferPointer { codec.feed($0, into: &records) }
        i = end
    }
    return records
}

extension DecodedRecord {
    var bloodPressure: BloodPressure? {
        if case .bloodPressure(let bp) = measurement { return bp }
        return nil
    }
    var oximetry: Oximetry? {
        if case .oximetry(let o) = measurement { return o }
        return nil
    }
    var cuff: (mmHg: Int, mark: Bool)? {
        if case .cuffPressure(let p, let m) = measurement { return (p, m) }
        return nil
    }
    var error: (code: String, message: String)? {
        if case .deviceError(let c, let m) = measurement { return (c, m) }
        return nil
    }
}

/// Every value a record carries is plausible: pressures 0–300 (1–300 for blood pressure), SpO2
/// 0–100, pulse 1–300. Used on random input to show that garbage never becomes a measurement
/// out of range.
func isPlausible(_ record: DecodedRecord) -> Bool {
    switch record.measurement {
    case .bloodPressure(let bp):
        return (1...300).contains(bp.systolic.mmHg) && (bp.diastolic.map { $0 < bp.systolic } ?? true)
            && (bp.pulseRate.map { (1...300).contains($0) } ?? true)
    case .cuffPressure(let p, _):
        return (0...300).contains(p)
    case .oximetry(let o):
        return (o.spo2.map { (0...100).contains($0) } ?? true) && (o.pulseRate.map { (1...300).contains($0) } ?? true)
    case .deviceError:
        return true
    }
}
