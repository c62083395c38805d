import ABICore
import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// `abi calc --batch`: streams JSON Lines in, one result (or error record) per exam out, in
/// input order. Lines are gathered into blocks; each block is split between the processor
/// cores and the parts written out in order. Memory stays flat in the number of exams: one
/// block (a few MiB) is held at a time.
struct BatchCalculation {
    let options: RuleOptions
    static let maxLineBytes = 8 << 20
    static let blockLines = 4096
    static let blockBytes = 4 << 20

    /// Lines waiting to be calculated: their bytes back to back, and where each one is.
    struct Block: Sendable {
        var bytes: [UInt8] = []
        var lines: [(range: Range<Int>, number: Int, overlong: Bool)] = []
    }

    /// What one worker produced for its share of a block. Each worker writes only its own slot.
    final class Shares: @unchecked Sendable {
        var output: [[UInt8]]
        var exams: [Int]
        var rejected: [Int]

        init(_ count: Int) {
            output = Array(repeating: [], count: count)
            exams = Array(repeating: 0, count: count)
            rejected = Array(repeating: 0, count: count)
        }
    }

    /// - Returns: how many lines were rejected.
    /// - Throws: `Failure` when the input cannot be read or the output cannot be written.
    func run(path: String) throws(Failure) -> Int {
        let fd: Int32 = path == "-" ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(.noInput, "cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { if fd != STDIN_FILENO { close(fd) } }
        let name = path == "-" ? "standard input" : path
        let showProgress = Terminal.isTerminal(STDERR_FILENO)
        let workers = max(1, min(8, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))

        var block = Block()
        var partial: [UInt8] = []
        var overlong = false
        var lineNumber = 0
        var exams = 0
        var rejected = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 20)

        func endLine() {
            lineNumber += 1
            let start = block.bytes.count
            if !overlong { block.bytes.append(contentsOf: partial) }
            block.lines.append((start..<block.bytes.count, lineNumber, overlong))
            partial.removeAll(keepingCapacity: true)
            overlong = false
        }

        func flushBlock() throws(Failure) {
            guard !block.lines.isEmpty else { return }
            let shares = calculate(block, workers: workers)
            for i in 0..<workers {
                exams += shares.exams[i]
                rejected += shares.rejected[i]
                guard Terminal.writeAll(&shares.output[i], to: STDOUT_FILENO) else {
                    throw Failure(.cannotCreate, "cannot write results: \(String(cString: strerror(errno)))")
                }
            }
            block.bytes.removeAll(keepingCapacity: true)
            block.lines.removeAll(keepingCapacity: true)
            if showProgress { Terminal.write("\rabi calc --batch: \(lineNumber) lines…", to: STDERR_FILENO) }
        }

        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                try flushBlock()
                throw Failure(.noInput, "cannot read \(name) after line \(lineNumber): \(reason)")
            }
            if n == 0 { break }
            var start = 0
            while start < n {
                let newline = chunk[start..<n].firstIndex(of: 0x0A)
                let end = newline ?? n
                if !overlong {
                    partial.append(contentsOf: chunk[start..<end])
                    if partial.count > BatchCalculation.maxLineBytes {
                        overlong = true
                        partial.removeAll(keepingCapacity: false)
                    }
                }
                guard let newline else { break }
                endLine()
                start = newline + 1
                if block.lines.count >= BatchCalculation.blockLines || block.bytes.count >= BatchCalculation.blockBytes {
                    try flushBlock()
                }
            }
        }
        if !partial.isEmpty || overlong { endLine() }
        try flushBlock()
        if showProgress { Terminal.write("\r\u{1B}[K", to: STDERR_FILENO) }
        if rejected > 0 {
            Terminal.error("abi: \(name): \(rejected) of \(exams) lines rejected (see the abi-error/1 records); the others were calculated")
        }
        return rejected
    }

    /// Calculates a block, its lines split into `workers` contiguous shares so that the
    /// outputs concatenated in share order keep the input order.
    private func calculate(_ block: Block, workers: Int) -> Shares {
        let shares = Shares(workers)
        let options = self.options
        let parts = block.lines.count < 64 ? 1 : workers
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let lines = block.lines
            let low = part * lines.count / parts
            let high = (part + 1) * lines.count / parts
            var output: [UInt8] = []
            output.reserveCapacity((high - low) * 1100)
            var writer = JSONWriter(reservingCapacity: 4096)
            var exams = 0
            var rejected = 0
            block.bytes.withUnsafeBufferPointer { bytes in
                for line in lines[low..<high] {
                    let text = UnsafeBufferPointer(rebasing: bytes[line.range])
                    writer.reset()
                    if line.overlong {
                        rejected += 1
                        BatchCalculation.errorRecord(line.number, "", "line longer than \(BatchCalculation.maxLineBytes >> 20) MiB", &writer)
                    } else if text.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                        // Every line gets its record, so that output line N answers input line N.
                        exams += 1
                        rejected += 1
                        BatchCalculation.errorRecord(line.number, "", "empty line: no exam on it", &writer)
                    } else {
                        exams += 1
                        do throws(InputError) {
                            let exam = try ExamFile.decode(text)
                            ResultFile.write(exam.result(options: options), line: line.number, to: &writer)
                        } catch {
                            rejected += 1
                            writer.reset()
                            BatchCalculation.errorRecord(line.number, error.path, error.problem, &writer)
                        }
                    }
                    output.append(contentsOf: writer.bytes)
                    output.append(0x0A)
                }
            }
            shares.output[part] = output
            shares.exams[part] = exams
            shares.rejected[part] = rejected
        }
        return shares
    }

    static func errorRecord(_ line: Int, _ path: String, _ message: String, _ w: inout JSONWriter) {
        w.beginObject()
        w.string("format", "abi-error/1")
        w.int("line", line)
        w.string("path", path)
        w.string("message", message)
        w.endObject()
    }
}

/// Work spread over the machine's cores.
enum Parallel {
    /// `transform` of each item, made on every core, in the items' order.
    static func map<T: Sendable, U: Sendable>(_ items: [T], _ transform: @Sendable (T) -> U) -> [U] {
        guard items.count > 1 else { return items.map(transform) }
        let slots = Slots<U>(UnsafeMutableBufferPointer<U?>.allocate(capacity: items.count))
        slots.buffer.initialize(repeating: nil)
        defer { slots.buffer.deallocate() }
        let workers = max(1, min(items.count, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
        DispatchQueue.concurrentPerform(iterations: workers) { part in
            for i in stride(from: part, to: items.count, by: workers) { slots.buffer[i] = transform(items[i]) }
        }
        // Moved out, not copied: the slots are left uninitialised for `deallocate`, and nothing
        // they held stays retained.
        return (0..<items.count).map { slots.buffer.moveElement(from: $0)! }
    }

    /// Result slots, each written by one worker only and read after all have finished.
    private struct Slots<U>: @unchecked Sendable {
        let buffer: UnsafeMutableBufferPointer<U?>
        init(_ buffer: UnsafeMutableBufferPointer<U?>) { self.buffer = buffer }
    }
}
