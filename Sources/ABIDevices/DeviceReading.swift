import ABICore

/// What happened to a device's connection (`deviceEvent` records).
public enum DeviceEvent: String, Sendable, CaseIterable {
    case connected, disconnected, reconnected, silent
}

/// One `abi-reading/1` record (docs/formats.md): a measurement or a connection event, with where and
/// when it came from and the bytes that produced it.
public struct DeviceReading: Sendable, Hashable {
    public enum Content: Sendable, Hashable {
        case measurement(DeviceMeasurement)
        case event(DeviceEvent)
    }

    public var time: Timestamp?
    public var profile: String
    public var port: String?
    public var serial: String?
    public var content: Content
    public var raw: [UInt8]

    public init(time: Timestamp?, profile: String, port: String? = nil, serial: String? = nil, content: Content, raw: [UInt8] = []) {
        self.time = time
        self.profile = profile
        self.port = port
        self.serial = serial
        self.content = content
        self.raw = raw
    }

    public var kind: String {
        switch content {
        case .measurement(let m): m.kind
        case .event: "deviceEvent"
        }
    }

    /// The record as one line of JSON (no line ending). Values a device marked as missing are
    /// left out, never written as 0, 127, 511 or 2047.
    public var jsonLine: String {
        var w = JSONWriter(reservingCapacity: 256)
        w.beginObject()
        w.string("format", "abi-reading/1")
        if let time { w.string("time", time.text) }
        w.string("profile", profile)
        if let port { w.string("port", port) }
        if let serial { w.string("serial", serial) }
        w.string("kind", kind)
        switch content {
        case .event(let event):
            w.string("event", event.rawValue)
        case .measurement(let m):
            switch m {
            case .bloodPressure(let bp):
                w.int("systolic", bp.systolic.mmHg)
                if let v = bp.diastolic { w.int("diastolic", v.mmHg) }
                if let v = bp.map { w.int("map", v.mmHg) }
                if let v = bp.pulseRate { w.int("pulseRate", v) }
                w.string("unit", "mmHg")
                strings("status", bp.status, &w)
            case .cuffPressure(let mmHg, let mark):
                w.int("pressure", mmHg)
                if mark { w.bool("mark", true) }
                w.string("unit", "mmHg")
                strings("status", [], &w)
            case .oximetry(let o):
                if let v = o.spo2 { w.int("spo2", v) }
                if let v = o.pulseRate { w.int("pulseRate", v) }
                if let v = o.perfusion { w.decimal("perfusion", v) }
                strings("status", o.status, &w)
            case .deviceError(let code, let message):
                w.string("code", code)
                w.string("message", message)
            }
        }
        w.string("raw", Hex.encode(raw))
        w.endObject()
        return w.text
    }

    private func strings(_ key: String, _ values: [String], _ w: inout JSONWriter) {
        w.beginArray(key)
        for v in values { w.string(nil, v) }
        w.endArray()
    }
}

/// Lower-case hexadecimal, as `raw` fields and raw logs write bytes.
public enum Hex {
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// - Returns: nil unless `text` is an even number of hex digits.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let h = nibble(utf8[i]), let l = nibble(utf8[i + 1]) else { return nil }
            out.append(h << 4 | l)
            i += 2
        }
        return out
    }
}
