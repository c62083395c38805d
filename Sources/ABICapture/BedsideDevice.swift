import ABICore
import ABIDevices
import ABIStore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The device of a bedside session, read on its own thread: its bytes go to the store's journal
/// before they are decoded; its readings wait in a queue for the session, which a pipe wakes.
public final class BedsideDevice: @unchecked Sendable {
    public let path: String
    public let profile: DeviceProfile
    public let identity: DeviceIdentity
    private let store: Store
    private let capture: Store.Capture
    private let lock = NSLock()
    private var queue: [DeviceReading] = []
    private var connection = "connecting"
    private var failure: String?
    private var problem: String?
    private let wake: [Int32]
    private let control: [Int32]
    private let stopPipe: [Int32]
    private weak var thread: Thread?

    public init(path: String, profile: DeviceProfile, store: Store, capture: Store.Capture) {
        self.path = path
        self.profile = profile
        self.store = store
        self.capture = capture
        identity = DeviceIdentity(profile: profile.name, port: path)
        wake = nonBlockingPipe()
        control = nonBlockingPipe()
        stopPipe = nonBlockingPipe()
    }

    /// Readable when a reading waits (poll it with the operator's input).
    public var wakeFD: Int32 { wake[0] }
    /// The connection as last reported.
    public var state: String { lock.withLock { connection } }
    /// Why the device's bytes could not be journaled: the session must stop.
    public var journalFailure: String? { lock.withLock { failure } }
    /// Why the port could not be opened, said once.
    public func takeProblem() -> String? { lock.withLock { defer { problem = nil }; return problem } }

    /// The next reading or connection event, if one waits.
    public func take() -> DeviceReading? {
        lock.withLock { queue.isEmpty ? nil : queue.removeFirst() }
    }

    public func drainWake() {
        var bytes = [UInt8](repeating: 0, count: 64)
        while read(wake[0], &bytes, bytes.count) > 0 {}
    }

    /// Asks the device to start or stop a measurement (an automatic cuff).
    public func send(_ request: DeviceControl) {
        var byte = request.rawValue
        _ = write(control[1], &byte, 1)
    }

    /// Opens the port and reads it until `stop`.
    public func start() {
        let journal = StoreJournal(store: store, capture: capture, port: path) { [weak self] message in
            self?.lock.withLock { self?.failure = message }
        }
        let thread = Thread { [self] in
            let session = PortSession(path: path, profile: profile, rawLog: journal, monitor: try? DeviceMonitor())
            session.startsMeasuring = false
            do {
                _ = try session.run(stopFD: stopPipe[0], controlFD: control[0]) { reading in
                    self.lock.withLock {
                        switch reading.content {
                        case .event(let e): self.connection = e.rawValue
                        default: break
                        }
                        self.queue.append(reading)
                    }
                    var byte: UInt8 = 1
                    _ = Glibc.write(self.wake[1], &byte, 1)
                    return true
                }
            } catch {
                self.lock.withLock {
                    self.connection = "unavailable"
                    self.failure = nil
                    self.queue.append(DeviceReading(time: DeviceClock.now(), profile: self.profile.name, port: self.path, content: .event(.disconnected)))
                }
                self.lock.withLock { self.problem = "\(error)" }
                var byte: UInt8 = 1
                _ = Glibc.write(self.wake[1], &byte, 1)
            }
        }
        self.thread = thread
        thread.start()
    }

    /// The pipes go with the device (its reading thread holds it until it ends): a server runs
    /// many captures, and their descriptors must not pile up.
    deinit {
        for fd in wake + control + stopPipe where fd >= 0 { close(fd) }
    }

    /// Stops reading; the port is closed (an automatic cuff is told to stop first).
    public func stop() {
        var byte: UInt8 = 1
        _ = write(stopPipe[1], &byte, 1)
        // Give the reader a moment to close the port (restoring its settings).
        for _ in 0..<50 where thread?.isFinished == false { usleep(10_000) }
    }
}

/// Journals device bytes into the store (one committed row per chunk).
final class StoreJournal: ByteJournal, @unchecked Sendable {
    let store: Store
    let capture: Store.Capture
    let port: String
    let failed: (String) -> Void

    init(store: Store, capture: Store.Capture, port: String, failed: @escaping (String) -> Void) {
        self.store = store
        self.capture = capture
        self.port = port
        self.failed = failed
    }

    func record(_ bytes: UnsafeBufferPointer<UInt8>, at time: Timestamp) throws {
        do { try store.journal(capture, port: port, at: time.text, bytes: Array(bytes)) } catch {
            failed(error.message)
            throw error
        }
    }

    func note(_ text: String) throws {}
}

/// A pipe whose ends are non-blocking and closed on exec: how a reading thread wakes the
/// session's poll, and how the session stops the thread.
func nonBlockingPipe() -> [Int32] {
    var fds: [Int32] = [-1, -1]
    _ = pipe(&fds)
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC); _ = fcntl(fd, F_SETFL, O_NONBLOCK) }
    return fds
}
