import CPCRE2

/// A line profile's regular expression, compiled by PCRE2 (Perl-compatible, the syntax sites
/// know; `(?<name>…)`, `(?P<name>…)` and `(?'name'…)` all name a group).
///
/// Matching is bounded: a pattern that backtracks without end (`^(a+)+$` on a line of a's) stops
/// at `matchLimit` steps and the line counts as unmatched, so no site profile can stall the
/// reading (and journaling) of a port. A profile whose pattern reaches the limit on the probe
/// lines `check()` tries is refused when it is loaded. Lines that are not valid UTF-8 are matched
/// as far as they are valid (PCRE2_MATCH_INVALID_UTF), never rejected with an error.
public final class LinePattern: @unchecked Sendable {
    public let pattern: String
    /// Group number of each named group.
    public let groups: [String: Int]
    private let code: OpaquePointer
    private let context: OpaquePointer

    /// Steps (calls of PCRE2's internal match function) one line may take.
    public static let matchLimit: UInt32 = 200_000
    /// Backtracking depth one line may take.
    public static let depthLimit: UInt32 = 2_000

    /// - Throws: the compiler's message with the offset it points at.
    public init(_ pattern: String) throws(LinePatternError) {
        self.pattern = pattern
        var errorCode: Int32 = 0
        var errorOffset = 0
        let options = UInt32(PCRE2_UTF) | UInt32(PCRE2_MATCH_INVALID_UTF) | UInt32(PCRE2_NEVER_BACKSLASH_C)
        let compiled = pattern.withCString { p in
            p.withMemoryRebound(to: UInt8.self, capacity: pattern.utf8.count) {
                pcre2_compile_8($0, pattern.utf8.count, options, &errorCode, &errorOffset, nil)
            }
        }
        guard let compiled else {
            var message = [UInt8](repeating: 0, count: 256)
            let n = pcre2_get_error_message_8(errorCode, &message, message.count)
            let text = n > 0 ? String(decoding: message[0..<Int(n)], as: UTF8.self) : "error \(errorCode)"
            throw LinePatternError(message: "\(text) (at character \(errorOffset + 1))")
        }
        code = compiled
        _ = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE))  // faster where the JIT exists; optional
        context = pcre2_match_context_create_8(nil)
        pcre2_set_match_limit_8(context, LinePattern.matchLimit)
        pcre2_set_depth_limit_8(context, LinePattern.depthLimit)
        groups = LinePattern.namedGroups(compiled)
    }

    deinit {
        pcre2_match_context_free_8(context)
        pcre2_code_free_8(code)
    }

    /// The result of matching one line.
    public enum Outcome {
        /// The line matched: `Match.range(of:)` gives each named group's bytes.
        case matched(Match)
        case noMatch
        /// Matching stopped at the limit: the line is not decoded.
        case limitReached
    }

    /// PCRE2's match data for one pattern, reused from line to line by one decoder. A decoder
    /// runs on one thread at a time and makes its own scratch on its first line, so no two
    /// threads use one (hence unchecked).
    public final class Scratch: @unchecked Sendable {
        fileprivate let data: OpaquePointer
        fileprivate init(_ code: OpaquePointer) { data = pcre2_match_data_create_from_pattern_8(code, nil) }
        deinit { pcre2_match_data_free_8(data) }
    }

    public func makeScratch() -> Scratch { Scratch(code) }

    /// Where the named groups of the last match are (valid until the scratch is used again).
    public struct Match {
        fileprivate let pattern: LinePattern
        fileprivate let scratch: Scratch

        /// The byte range of a named group, or nil when it took no part.
        public func range(of name: String) -> Range<Int>? {
            guard let number = pattern.groups[name], number < Int(pcre2_get_ovector_count_8(scratch.data)),
                  let vector = pcre2_get_ovector_pointer_8(scratch.data) else { return nil }
            let start = vector[2 * number], end = vector[2 * number + 1]
            // A group that took no part is PCRE2_UNSET (all bits set).
            guard start != ~type(of: start).zero, end != ~type(of: end).zero, end >= start else { return nil }
            return Int(start)..<Int(end)
        }
    }

    public func match(_ line: UnsafeBufferPointer<UInt8>, scratch: Scratch) -> Outcome {
        let rc = pcre2_match_8(code, line.baseAddress ?? UnsafePointer(bitPattern: 1)!, line.count, 0, 0, scratch.data, context)
        if rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT { return .limitReached }
        guard rc >= 0 else { return .noMatch }
        return .matched(Match(pattern: self, scratch: scratch))
    }

    public func match(_ line: [UInt8]) -> Outcome { line.withUnsafeBufferPointer { match($0, scratch: makeScratch()) } }

    /// Tries the pattern on lines made to make a backtracking pattern explode: a run of one
    /// character followed by a character that fails the match, then (PCRE2 first checks that a
    /// required last character is present at all) by each character the pattern names.
    /// - Throws: when a probe line reaches the match limit.
    public func check() throws(LinePatternError) {
        var characters: Set<Character> = ["a", "A", "0", " ", "-", ".", "="]
        for scalar in pattern.unicodeScalars where scalar.isASCII && scalar.value >= 0x20 && scalar != "\\" {
            characters.insert(Character(scalar))
        }
        var probes: [String] = [""]
        for c in characters {
            probes.append(String(repeating: c, count: 1000) + "\u{1}")
            for tail in characters { probes.append(String(repeating: c, count: 30) + "\u{1}" + String(tail)) }
        }
        for probe in probes {
            if case .limitReached = match(Array(probe.utf8)) {
                throw LinePatternError(message: "takes too long on some lines (it backtracks without end, e.g. nested repeats like (a+)+); simplify it")
            }
        }
    }

    private static func namedGroups(_ code: OpaquePointer) -> [String: Int] {
        var count: UInt32 = 0, entrySize: UInt32 = 0
        var table: UnsafePointer<UInt8>?
        guard pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMECOUNT), &count) == 0, count > 0,
              pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMEENTRYSIZE), &entrySize) == 0,
              pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMETABLE), &table) == 0, let table else { return [:] }
        var groups: [String: Int] = [:]
        for i in 0..<Int(count) {
            let entry = table + i * Int(entrySize)
            let number = Int(entry[0]) << 8 | Int(entry[1])
            groups[String(cString: entry + 2)] = number
        }
        return groups
    }
}

public struct LinePatternError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
