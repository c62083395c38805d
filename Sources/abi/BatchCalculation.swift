import ABICore

#if canImport(Glibc)
import Glibc
#endif

/// `abi calc --batch`: streams JSON Lines in, one result (or error record) per exam out.
/// Memory stays flat: input is read in 1 MiB chunks and output flushed every 256 KiB.
struct BatchCalculation {
    let options: RuleOptions
    static let maxLineBytes = 8 << 20

    /// - Returns: how many lines were rejected.
    /// - Throws: `Failure` when the input cannot be read or the output cannot be written.
    func run(path: String) throws(Failure) -> Int {
        let fd: Int32 = path == "-" ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(.noInput, "cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { if fd != STDIN_FILENO { close(fd) } }
        let name = path == "-" ? "standard input" : path
        let showProgress = Terminal.isTerminal(STDERR_FILENO)

        var output = JSONWriter(reservingCapacity: 512 << 10)
        var out: [UInt8] = []
        out.reserveCapacity(512 << 10)
        var line: [UInt8] = []
        var lineNumber = 0
        var overlong = false
        var exams = 0
        var rejected = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 20)

        func flush() throws(Failure) {
            guard !out.isEmpty else { return }
            guard Terminal.writeAll(&out, to: STDOUT_FILENO) else {
                throw Failure(.cannotCreate, "cannot write results: \(String(cString: strerror(errno)))")
            }
            out.removeAll(keepingCapacity: true)
        }

        func finishLine() {
            lineNumber += 1
            defer {
                line.removeAll(keepingCapacity: true)
                overlong = false
            }
            if overlong {
                rejected += 1
                appendError(&out, &output, lineNumber, "", "line longer than \(BatchCalculation.maxLineBytes >> 20) MiB")
                return
            }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }
            exams += 1
            do {
                let exam = try ExamFile.decode(line)
                output.reset()
                ResultFile.write(exam.result(options: options), to: &output)
                out.append(contentsOf: output.bytes)
                out.append(0x0A)
            } catch {
                rejected += 1
                appendError(&out, &output, lineNumber, error.path, error.problem)
            }
            if showProgress && lineNumber % 10_000 == 0 {
                Terminal.write("\rabi calc --batch: \(lineNumber) lines…", to: STDERR_FILENO)
            }
        }

        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                try flush()
                throw Failure(.noInput, "cannot read \(name) after line \(lineNumber): \(reason)")
            }
            if n == 0 { break }
            var start = 0
            while start < n {
                if let newline = chunk[start..<n].firstIndex(of: 0x0A) {
                    if !overlong { line.append(contentsOf: chunk[start..<newline]) }
                    if line.count > BatchCalculation.maxLineBytes { overlong = true }
                    finishLine()
                    start = newline + 1
                } else {
                    if !overlong { line.append(contentsOf: chunk[start..<n]) }
                    if line.count > BatchCalculation.maxLineBytes {
                        overlong = true
                        line.removeAll(keepingCapacity: false)
                    }
                    start = n
                }
            }
            if out.count > 256 << 10 { try flush() }
        }
        if !line.isEmpty || overlong { finishLine() }
        try flush()
        if showProgress && lineNumber >= 10_000 { Terminal.write("\r", to: STDERR_FILENO) }
        if rejected > 0 {
            Terminal.error("abi: \(name): \(rejected) of \(exams) exams rejected (see the abi-error/1 records); the others were calculated")
        }
        return rejected
    }

    private func appendError(_ out: inout [UInt8], _ w: inout JSONWriter, _ line: Int, _ path: String, _ message: String) {
        w.reset()
        w.beginObject()
        w.string("format", "abi-error/1")
        w.int("line", line)
        w.string("path", path)
        w.string("message", message)
        w.endObject()
        out.append(contentsOf: w.bytes)
        out.append(0x0A)
    }
}
