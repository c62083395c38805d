// libFuzzer targets for the device codecs, built by scripts/fuzz with one of -D SUNTECH,
// -D NONIN2, -D CMS50, -D LINES or -D BPRECORD, compiled with the codec sources in one module.
//
// `check`, the plausibility of a decoded record, is shared with the parser targets (ParserFuzz.swift).
//
// Each input is decoded twice: whole, and in chunks whose sizes come from the input itself.
// Both must give the same records (incremental decoding does not depend on chunking), and every
// value must be plausible (garbage never becomes a measurement out of range).

#if BPRECORD
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecord(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let measurement = try? BloodPressureRecord.decode(bytes) {
        check(DecodedRecord(measurement, raw: bytes))
    }
    return 0
}
#elseif SUNTECH || NONIN2 || CMS50 || CMS50V7 || LINES
func makeCodec() -> any DeviceCodec {
    #if SUNTECH
    return SunTechAdvantage()
    #elseif NONIN2
    return Nonin2()
    #elseif CMS50
    return ContecCMS50Legacy()
    #elseif CMS50V7
    return ContecCMS50V7()
    #else
    // Rotate through the built-in line profiles by the input's first byte.
    return lineCodecs[Int(lineSelector) % lineCodecs.count]
    #endif
}

nonisolated(unsafe) var lineSelector: UInt8 = 0
let lineCodecs: [LineCodec] = ["doppler-manometer", "masimo-ascii1", "nonin-ascii"].map {
    LineCodec(try! LineProfile.decode(Array(BuiltInProfiles.lineProfiles[$0]!.utf8)))
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCodec(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    guard size > 1 else { return 0 }
    lineSelector = input[0]
    var whole = makeCodec()
    var wholeRecords: [DecodedRecord] = []
    whole.feed(UnsafeBufferPointer(rebasing: input[1...]), into: &wholeRecords)

    var chunked = makeCodec()
    var chunkedRecords: [DecodedRecord] = []
    var i = 1
    var step = 0
    while i < size {
        let n = 1 + Int(input[(step * 7) % size]) % 13
        let end = min(size, i + n)
        chunked.feed(UnsafeBufferPointer(rebasing: input[i..<end]), into: &chunkedRecords)
        i = end
        step += 1
    }
    if wholeRecords != chunkedRecords { fatalError("chunking changed the records: \(wholeRecords.count) vs \(chunkedRecords.count)") }
    wholeRecords.forEach(check)
    return 0
}
#endif

func check(_ record: DecodedRecord) {
    switch record.measurement {
    case .bloodPressure(let bp):
        precondition((1...300).contains(bp.systolic.mmHg))
        if let d = bp.diastolic { precondition(d < bp.systolic) }
        if let r = bp.pulseRate { precondition((1...300).contains(r)) }
    case .cuffPressure(let p, _):
        precondition((0...300).contains(p))
    case .oximetry(let o):
        if let s = o.spo2 { precondition((0...100).contains(s)) }
        if let r = o.pulseRate { precondition((1...300).contains(r)) }
    case .deviceError:
        break
    }
}
