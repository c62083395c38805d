/// A bounded byte queue for frame decoders: bytes are appended at the back and consumed from
/// the front without moving the rest on every step.
struct ReceiveBuffer: Sendable {
    private(set) var storage: [UInt8] = []
    private var head = 0
    let limit: Int

    init(limit: Int) {
        self.limit = limit
        storage.reserveCapacity(min(limit, 4096))
    }

    var count: Int { storage.count - head }
    var isEmpty: Bool { count == 0 }

    subscript(offset: Int) -> UInt8 { storage[head + offset] }

    /// Appends bytes. When the buffer would exceed its limit, the oldest bytes are dropped and
    /// their number returned, so no protocol can make it grow without bound.
    @discardableResult
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        storage.append(contentsOf: bytes)
        let excess = count - limit
        if excess > 0 {
            drop(excess)
            return excess
        }
        return 0
    }

    mutating func drop(_ n: Int) {
        head += n
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 4096 && head * 2 > storage.count {
            storage.removeFirst(head)
            head = 0
        }
    }

    func bytes(_ n: Int) -> [UInt8] { Array(storage[head..<(head + n)]) }

    /// How many of `remaining` input bytes to append next: what fits (at least one).
    func room(for remaining: Int) -> Int { max(1, min(remaining, limit - count)) }

    /// Offset of the first byte equal to `value` at or after `from`, or nil.
    func firstIndex(of value: UInt8, from: Int = 0) -> Int? {
        var i = head + from
        while i < storage.count {
            if storage[i] == value { return i - head }
            i += 1
        }
        return nil
    }
}

/// A codec that collects bytes in a bounded `ReceiveBuffer` and cuts frames from its front.
protocol FramedCodec: DeviceCodec {
    var buffer: ReceiveBuffer { get set }
    var statistics: CodecStatistics { get set }
    /// Decodes every complete frame in the buffer.
    mutating func decodeBuffered(into records: inout [DecodedRecord])
}

extension FramedCodec {
    /// Takes the input in pieces that fit the buffer, decoding after each, so that a large chunk
    /// decodes exactly as the same bytes arriving one at a time.
    mutating func feedInPieces(_ bytes: UnsafeBufferPointer<UInt8>, into records: inout [DecodedRecord]) {
        var offset = 0
        while offset < bytes.count {
            let end = offset + buffer.room(for: bytes.count - offset)
            statistics.discardedBytes += buffer.append(UnsafeBufferPointer(rebasing: bytes[offset..<end]))
            offset = end
            decodeBuffered(into: &records)
        }
    }
}
