import ABICore

/// How a port is set up for a device: line speed and framing (docs/devices.md).
public struct SerialSettings: Sendable, Hashable {
    public enum Parity: String, Sendable, CaseIterable { case none, odd, even }
    public enum FlowControl: String, Sendable, CaseIterable { case none, xonxoff, rtscts }

    public static let supportedBauds = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400]

    public var baud: Int
    public var dataBits: Int
    public var parity: Parity
    public var stopBits: Int
    public var flowControl: FlowControl
    /// Whether to raise DTR and RTS after opening (nil: leave as the driver sets them).
    public var dtr: Bool?
    public var rts: Bool?

    public init(baud: Int = 9600, dataBits: Int = 8, parity: Parity = .none, stopBits: Int = 1,
                flowControl: FlowControl = .none, dtr: Bool? = nil, rts: Bool? = nil) {
        self.baud = baud
        self.dataBits = dataBits
        self.parity = parity
        self.stopBits = stopBits
        self.flowControl = flowControl
        self.dtr = dtr
        self.rts = rts
    }

    /// "9600 8N1", "19200 8O1 XON/XOFF".
    public var description: String {
        let p = parity == .none ? "N" : parity == .odd ? "O" : "E"
        let flow = flowControl == .none ? "" : flowControl == .xonxoff ? " XON/XOFF" : " RTS/CTS"
        return "\(baud) \(dataBits)\(p)\(stopBits)\(flow)"
    }

    static func decode(_ r: ObjectReader) throws(InputError) -> SerialSettings {
        var s = SerialSettings()
        if let baud = try r.int("baud", in: 50...4_000_000) {
            guard supportedBauds.contains(baud) else {
                throw InputError(path: r.childPath("baud"), "\(baud) is not a supported speed (\(supportedBauds.map { String($0) }.joined(separator: ", ")))")
            }
            s.baud = baud
        }
        s.dataBits = try r.int("dataBits", in: 5...8) ?? 8
        s.parity = try r.choice("parity", Parity.self, what: "parity") ?? .none
        s.stopBits = try r.int("stopBits", in: 1...2) ?? 1
        s.flowControl = try r.choice("flowControl", FlowControl.self, what: "flow control") ?? .none
        s.dtr = try r.bool("dtr")
        s.rts = try r.bool("rts")
        return s
    }
}
