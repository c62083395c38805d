/// Writes umockdev replay scripts (`umockdev-run -s DEV=FILE`) and device descriptions, for
/// `abi record`: a new device's bytes become a sample the tests can replay.
///
/// Script lines are `r <ms> <data>` (device → program) with bytes below 0x20 written as `^`
/// followed by the byte + 64, and `^` itself as `` ^` ``; other bytes are written as they are.
/// umockdev drops a space at the start of a chunk, so such a space is moved to the end of the
/// chunk before it.
public struct UmockdevScript: Sendable {
    private var lines: [(delay: Int, data: [UInt8])] = []
    /// Leading spaces that could not be placed (only at the very start of a recording).
    public private(set) var droppedSpaces = 0

    public init() {}

    /// Adds bytes the device sent `delay` milliseconds after the previous chunk.
    public mutating func received(_ bytes: [UInt8], afterMilliseconds delay: Int) {
        var data = bytes[...]
        while data.first == 0x20 {
            if lines.isEmpty {
                droppedSpaces += 1
            } else {
                lines[lines.count - 1].data.append(0x20)
            }
            data = data.dropFirst()
        }
        guard !data.isEmpty else { return }
        lines.append((max(0, delay), Array(data)))
    }

    /// The script file's bytes.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        for line in lines {
            out += Array("r \(line.delay) ".utf8)
            out += UmockdevScript.escape(line.data)
            out.append(0x0A)
        }
        return out
    }

    public static func escape(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for b in data {
            if b == 0x5E {
                out += [0x5E, 0x60]
            } else if b < 0x20 {
                out += [0x5E, b + 64]
            } else {
                out.append(b)
            }
        }
        return out
    }

    /// A device description for umockdev: a USB device and its tty, with the identity udev gave
    /// the recorded device (or placeholders for a port udev does not know).
    public static func description(for device: TTYDevice?, profile: String?) -> String {
        let vendor = device?.vendorId ?? "0403", product = device?.productId ?? "6001"
        let usb = "/devices/pci0000:00/0000:00:14.0/usb1/1-1"
        var lines = ["P: \(usb)", "N: bus/usb/001/002", "E: DEVNAME=/dev/bus/usb/001/002", "E: DEVTYPE=usb_device", "E: SUBSYSTEM=usb",
                     "E: ID_VENDOR_ID=\(vendor)", "E: ID_MODEL_ID=\(product)", "A: idVendor=\(vendor)", "A: idProduct=\(product)"]
        if let serial = device?.serial { lines += ["E: ID_SERIAL_SHORT=\(serial)", "A: serial=\(serial)"] }
        lines += ["", "P: \(usb)/1-1:1.0/ttyUSB0/tty/ttyUSB0", "N: ttyUSB0", "E: DEVNAME=/dev/ttyUSB0", "E: SUBSYSTEM=tty", "E: ID_BUS=usb",
                  "E: ID_VENDOR_ID=\(vendor)", "E: ID_MODEL_ID=\(product)"]
        if let model = device?.product { lines.append("E: ID_MODEL=\(model.replacingSpaces)") }
        if let serial = device?.serial { lines.append("E: ID_SERIAL_SHORT=\(serial)") }
        lines.append("E: ID_PATH=\(device?.path ?? "pci-0000:00:14.0-usb-0:1:1.0")")
        if let profile { lines.append("E: ABI_PROFILE=\(profile)") }
        lines.append("A: dev=188:0")
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    var replacingSpaces: String { String(map { $0 == " " ? "_" : $0 }) }
}
