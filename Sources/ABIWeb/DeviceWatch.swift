import ABIDevices
import Foundation

/// A version number that waiters can wait on: each change bumps it and wakes them. Pages that
/// follow something live (a capture, the device list) wait for the next version, or for the
/// timeout (a keep-alive), and never poll.
final class Changes: @unchecked Sendable {
    private let lock = NSLock()
    private var version = 0
    private var waiters: [UInt64: CheckedContinuation<Int, Never>] = [:]
    private var nextWaiter: UInt64 = 0

    var current: Int { lock.withLock { version } }

    func bump() {
        let woken: [CheckedContinuation<Int, Never>]
        let now: Int
        lock.lock()
        version += 1
        now = version
        woken = Array(waiters.values)
        waiters = [:]
        lock.unlock()
        for waiter in woken { waiter.resume(returning: now) }
    }

    private func timeOut(_ id: UInt64) {
        let (waiter, now) = lock.withLock { (waiters.removeValue(forKey: id), version) }
        waiter?.resume(returning: now)
    }

    /// The version once it is above `seen`, or the current one after `timeout`.
    func wait(after seen: Int, timeout: Duration) async -> Int {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int, Never>) in
            lock.lock()
            if version > seen {
                let now = version
                lock.unlock()
                continuation.resume(returning: now)
                return
            }
            let id = nextWaiter
            nextWaiter += 1
            waiters[id] = continuation
            lock.unlock()
            Task {
                try? await Task.sleep(for: timeout)
                self.timeOut(id)
            }
        }
    }
}

/// A device a capture can use: one the station's libudev lists, with the profile it resolves
/// to (its udev rule, else the admin's binding), or one named to `abi serve --device` (a port
/// libudev does not list, such as a simulator's).
public struct OfferedDevice: Sendable, Hashable, Codable {
    public var port: String
    public var profile: String?
    /// udev, binding or "abi serve --device".
    public var boundBy: String?
    public var product: String?
    public var serial: String?
    public var usbId: String?
    /// The port is there now.
    public var present: Bool

    /// A device that can be opened for a capture: present, with a profile.
    public var usable: Bool { present && profile != nil }
}

/// The station's serial devices, kept current by libudev on a thread of its own: the list the
/// capture form and the admin page show, updated as devices are plugged in and out.
public final class DeviceWatch: @unchecked Sendable {
    /// Ports given to `abi serve --device PATH=PROFILE`.
    public let named: [(port: String, profile: String)]
    /// Where the admin's bindings of serial numbers to profiles are kept.
    public let bindingsPath: String
    let changes = Changes()
    private let lock = NSLock()
    private var devices: [TTYDevice] = []
    private var problem: String?
    private var stopped = false
    private var thread: Thread?

    public init(named: [(port: String, profile: String)] = [], bindingsPath: String = Bindings.defaultPath) {
        self.named = named
        self.bindingsPath = bindingsPath
    }

    /// The bindings now (none when the file is missing or cannot be read).
    public var bindings: Bindings { (try? Bindings.load(from: bindingsPath)) ?? Bindings() }

    /// Starts watching (a libudev monitor; listening begins before the first listing).
    public func start() {
        let monitor: DeviceMonitor
        do {
            monitor = try DeviceMonitor()
            let present = try monitor.present()
            lock.withLock { devices = present }
        } catch {
            lock.withLock { problem = "libudev cannot list the serial devices (\(error)); only the ports given to abi serve --device are offered" }
            return
        }
        let thread = Thread { [self] in
            while !lock.withLock({ stopped }) {
                guard let change = monitor.next(timeoutMilliseconds: 500) else { continue }
                lock.withLock {
                    switch change {
                    case .added(let device): devices = devices.filter { $0.port != device.port } + [device]
                    case .removed(let device): devices = devices.filter { $0.port != device.port }
                    }
                }
                changes.bump()
            }
        }
        thread.name = "abi device watch"
        self.thread = thread
        thread.start()
    }

    public func stop() {
        lock.withLock { stopped = true }
        changes.bump()
    }

    public var isStopped: Bool { lock.withLock { stopped } }

    /// Why libudev could not be used, if it could not.
    public var trouble: String? { lock.withLock { problem } }

    /// The devices now: libudev's, then the named ports. Bindings are read afresh each time.
    public func offered() -> [OfferedDevice] {
        let present = lock.withLock { devices }.sorted { $0.port < $1.port }
        let bindings = self.bindings
        var list = present.map { device in
            let resolved = ProfileBinding.resolve(device, bindings: bindings, option: nil)
            return OfferedDevice(port: device.port, profile: resolved?.profile, boundBy: resolved?.boundBy.rawValue, product: device.product,
                                 serial: device.serial, usbId: device.vendorId.map { "\($0):\(device.productId ?? "????")" }, present: true)
        }
        for (port, profile) in named where !list.contains(where: { $0.port == port }) {
            list.append(OfferedDevice(port: port, profile: profile, boundBy: "abi serve --device", product: nil, serial: nil, usbId: nil,
                                      present: FileManager.default.fileExists(atPath: port)))
        }
        return list
    }
}
