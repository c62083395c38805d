import CUdev
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A serial device as udev sees it.
public struct TTYDevice: Sendable, Hashable {
    /// The device node (`/dev/ttyUSB0`).
    public var port: String
    public var sysPath: String
    public var vendorId: String?
    public var productId: String?
    /// `ID_SERIAL_SHORT`: the adapter's serial number, when it has one.
    public var serial: String?
    /// `ID_PATH`: where it is plugged in, for adapters without a serial number.
    public var path: String?
    public var product: String?
    /// `ABI_PROFILE`, set by the project's udev rule.
    public var udevProfile: String?

    /// What identifies the same device when it comes back: its serial, else where it is plugged in.
    public var identity: String? { serial.map { "serial:\($0)" } ?? path.map { "path:\($0)" } }
}

/// A device plugged in or out.
public enum DeviceChange: Sendable, Hashable {
    case added(TTYDevice)
    case removed(TTYDevice)

    public var device: TTYDevice {
        switch self {
        case .added(let d), .removed(let d): d
        }
    }
}

/// Finds USB-serial devices with libudev and watches them come and go. The monitor starts
/// listening before the present devices are listed, so no plug event falls in between.
public final class DeviceMonitor: @unchecked Sendable {
    private let udev: OpaquePointer
    private let monitor: OpaquePointer
    /// Readable when a change is waiting.
    public let fd: Int32

    /// - Throws: `SystemError` naming the libudev call that failed.
    public init() throws(SystemError) {
        guard let udev = udev_new() else { throw SystemError("udev_new") }
        guard let monitor = udev_monitor_new_from_netlink(udev, "udev") else {
            let e = SystemError("udev_monitor_new_from_netlink")
            udev_unref(udev)
            throw e
        }
        var rc = udev_monitor_filter_add_match_subsystem_devtype(monitor, "tty", nil)
        if rc >= 0 { rc = udev_monitor_enable_receiving(monitor) }
        guard rc >= 0 else {
            udev_monitor_unref(monitor)
            udev_unref(udev)
            throw SystemError(udevCall: "udev_monitor_enable_receiving", rc: rc)
        }
        self.udev = udev
        self.monitor = monitor
        self.fd = udev_monitor_get_fd(monitor)
    }

    deinit {
        udev_monitor_unref(monitor)
        udev_unref(udev)
    }

    /// The serial devices present now (USB-serial adapters, and any tty our udev rule tagged).
    public func present() throws(SystemError) -> [TTYDevice] {
        guard let enumerate = udev_enumerate_new(udev) else { throw SystemError("udev_enumerate_new") }
        defer { udev_enumerate_unref(enumerate) }
        var rc = udev_enumerate_add_match_subsystem(enumerate, "tty")
        if rc >= 0 { rc = udev_enumerate_scan_devices(enumerate) }
        guard rc >= 0 else { throw SystemError(udevCall: "udev_enumerate_scan_devices", rc: rc) }
        var devices: [TTYDevice] = []
        var entry = udev_enumerate_get_list_entry(enumerate)
        while let current = entry {
            if let syspath = udev_list_entry_get_name(current), let device = udev_device_new_from_syspath(udev, syspath) {
                if let tty = DeviceMonitor.tty(device) { devices.append(tty) }
                udev_device_unref(device)
            }
            entry = udev_list_entry_get_next(current)
        }
        return devices.sorted { $0.port < $1.port }
    }

    /// The next change to a serial device, waiting up to `timeoutMilliseconds` (-1: without limit).
    /// Changes to other ttys are read and skipped.
    /// - Returns: nil when no change came in time.
    public func next(timeoutMilliseconds: Int32) -> DeviceChange? {
        var timeout = timeoutMilliseconds
        while true {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard retryingOnInterrupt({ poll(&p, 1, timeout) }) > 0 else { return nil }
            guard let device = udev_monitor_receive_device(monitor) else { return nil }
            defer { udev_device_unref(device) }
            timeout = 0
            if ProcessEnvironment.debug { debugLog("udev: \(udev_device_get_action(device).map(cString) ?? "?") \(udev_device_get_syspath(device).map(cString) ?? "?")") }
            guard let tty = DeviceMonitor.tty(device), let action = udev_device_get_action(device).map(cString) else { continue }
            switch action {
            case "add": return .added(tty)
            case "remove": return .removed(tty)
            default: continue
            }
        }
    }

    /// Changes as they happen, until the consumer stops iterating.
    public func changes() -> AsyncStream<DeviceChange> {
        let (stream, continuation) = AsyncStream.makeStream(of: DeviceChange.self)
        let stop = StopFlag()
        continuation.onTermination = { _ in stop.set() }
        DispatchQueue.global().async { [self] in
            while !stop.isSet {
                if let change = next(timeoutMilliseconds: 200) { continuation.yield(change) }
            }
        }
        return stream
    }

    static func property(_ device: OpaquePointer, _ name: String) -> String? {
        udev_device_get_property_value(device, name).map(cString)
    }

    /// A tty that is a serial device: a USB adapter, or one our rule tagged with ABI_PROFILE.
    static func tty(_ device: OpaquePointer) -> TTYDevice? {
        guard let node = udev_device_get_devnode(device).map(cString),
              let sysPath = udev_device_get_syspath(device).map(cString) else { return nil }
        let profile = property(device, "ABI_PROFILE")
        let bus = property(device, "ID_BUS")
        let vendor = property(device, "ID_VENDOR_ID")
        guard profile != nil || bus == "usb" || vendor != nil else { return nil }
        return TTYDevice(
            port: node,
            sysPath: sysPath,
            vendorId: vendor,
            productId: property(device, "ID_MODEL_ID"),
            serial: property(device, "ID_SERIAL_SHORT"),
            path: property(device, "ID_PATH"),
            product: property(device, "ID_MODEL_FROM_DATABASE") ?? property(device, "ID_MODEL"),
            udevProfile: profile
        )
    }
}

/// A flag set once from any thread.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// The text of a C string.
func cString(_ pointer: UnsafePointer<CChar>) -> String { String(cString: pointer) }

/// `ABI_DEBUG=1` writes device-level diagnostics (no patient data) to standard error.
enum ProcessEnvironment {
    static let debug: Bool = getenv("ABI_DEBUG").map { String(cString: $0) == "1" } ?? false
}

func debugLog(_ text: String) {
    let line = Array("abi debug: \(DeviceClock.now().text) \(text)\n".utf8)
    _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
