import CPCRE2

/// A compile error with PCRE2's own message and the byte offset in the pattern.
public struct PCRE2Error: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let offset: Int
    public var description: String { "\(message) at pattern offset \(offset)" }
}

/// A compiled, JIT-compiled PCRE2 pattern. Immutable after creation and safe to share between
/// threads (PCRE2 allows concurrent matching of one compiled pattern); each thread brings its own
/// `PCRE2Scratch` for match data.
public final class PCRE2Regex: @unchecked Sendable {
    public struct Options: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let caseless = Options(rawValue: PCRE2_CASELESS)
        public static let multiline = Options(rawValue: PCRE2_MULTILINE)
        public static let dotAll = Options(rawValue: PCRE2_DOTALL)
        public static let extended = Options(rawValue: PCRE2_EXTENDED)
        /// Unicode properties for \w, \b, \d and case folding beyond ASCII.
        public static let ucp = Options(rawValue: PCRE2_UCP)
    }

    /// How a search ended.
    public enum Outcome: Sendable, Equatable {
        case completed
        /// The match or depth limit stopped the search: the pattern backtracked too much on this
        /// input. Matches reported before it stand.
        case limitExceeded
    }

    public let pattern: String
    public let isJIT: Bool
    /// Compiled in UTF mode (every pattern but one made with `asciiSubjects`).
    public let isUTF: Bool
    /// Compiled with `PCRE2_USE_OFFSET_LIMIT`: `forEachMatch` can bound where a match may start.
    public let allowsStartLimit: Bool
    private let code: OpaquePointer
    private let context: OpaquePointer?
    private let matchLimit: UInt32
    private let depthLimit: UInt32

    /// - Parameters:
    ///   - matchLimit: PCRE2's match limit (backtracking steps per match attempt).
    ///   - depthLimit: PCRE2's depth limit (used by the interpreter when JIT is unavailable).
    ///   - startLimit: compile with `PCRE2_USE_OFFSET_LIMIT`, so that `forEachMatch(startLimit:)`
    ///     can stop the search from trying start positions past a given offset.
    ///   - asciiSubjects: the pattern will only ever search ASCII text, so it is compiled without
    ///     UTF mode: its matches on ASCII text are the same, and the JIT's code is faster (measured
    ///     on the shipped rules over benign prompts: about 9% less time in patterns). Fails for a
    ///     pattern that needs UTF mode, such as `\x{100}`. On non-ASCII text it would match bytes,
    ///     not characters.
    public init(_ pattern: String, options: Options = [], matchLimit: UInt32 = 100_000,
                depthLimit: UInt32 = 1_000, asciiSubjects: Bool = false, startLimit: Bool = false) throws(PCRE2Error) {
        self.pattern = pattern
        isUTF = !asciiSubjects
        allowsStartLimit = startLimit
        self.matchLimit = matchLimit
        self.depthLimit = depthLimit
        var errorCode: Int32 = 0
        var errorOffset = 0
        let flags = options.rawValue | (asciiSubjects ? 0 : PCRE2_UTF) | (startLimit ? PCRE2_USE_OFFSET_LIMIT : 0)
        let compiled: OpaquePointer? = pattern.utf8.withContiguousStorageIfAvailable { buf in
            pcre2_compile_8(buf.baseAddress, buf.count, flags, &errorCode, &errorOffset, nil)
        } ?? {
            let bytes = Array(pattern.utf8)
            return bytes.withUnsafeBufferPointer {
                pcre2_compile_8($0.baseAddress, $0.count, flags, &errorCode, &errorOffset, nil)
            }
        }()
        guard let compiled else {
            throw PCRE2Error(message: Self.message(for: errorCode), offset: errorOffset)
        }
        code = compiled
        isJIT = pcre2_jit_compile_8(compiled, PCRE2_JIT_COMPLETE) == 0
        context = pcre2_match_context_create_8(nil)
        if let context {
            pcre2_set_match_limit_8(context, matchLimit)
            pcre2_set_depth_limit_8(context, depthLimit)
        }
    }

    deinit {
        pcre2_code_free_8(code)
        if let context { pcre2_match_context_free_8(context) }
    }

    static func message(for code: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBufferPointer { pcre2_get_error_message_8(code, $0.baseAddress, $0.count) }
        return n > 0 ? String(decoding: buffer[0..<Int(n)], as: UTF8.self) : "PCRE2 error \(code)"
    }

    /// Calls `body` with the byte range of each successive non-overlapping match in `subject`
    /// (valid UTF-8), until `body` returns false, `maxMatches` is reached or the limits stop it.
    /// `group` is the first capture group that took part in the match, if any: a pattern whose
    /// alternatives each capture the value (`a(\d+)|(\d+)b`) gets the value from whichever matched.
    /// `startLimit` (for a pattern compiled with `startLimit: true`): no match starts past this
    /// offset, and the search stops trying there instead of at the end of `subject`.
    @discardableResult
    public func forEachMatch(in subject: UnsafeBufferPointer<UInt8>, from startOffset: Int = 0, startLimit: Int? = nil,
                             scratch: PCRE2Scratch, maxMatches: Int = 64,
                             _ body: (_ match: Range<Int>, _ group: Range<Int>?) -> Bool) -> Outcome {
        guard let base = subject.baseAddress ?? UnsafePointer(bitPattern: 1) else { return .completed }
        var start = startOffset
        var found = 0
        // The limit lives in a match context; the shared one must not change under other
        // threads, so a limited search uses the scratch's own, with this pattern's limits.
        var context = self.context
        if let startLimit, allowsStartLimit, let own = scratch.context {
            if startLimit < start { return .completed }
            pcre2_set_match_limit_8(own, matchLimit)
            pcre2_set_depth_limit_8(own, depthLimit)
            pcre2_set_offset_limit_8(own, startLimit)
            context = own
        }
        while start <= subject.count && found < maxMatches {
            let rc = isJIT
                ? pcre2_jit_match_8(code, base, subject.count, start, 0, scratch.matchData, context)
                : pcre2_match_8(code, base, subject.count, start, PCRE2_NO_UTF_CHECK, scratch.matchData, context)
            if rc == PCRE2_ERROR_NOMATCH { return .completed }
            if rc < 0 { return .limitExceeded }
            let ov = pcre2_get_ovector_pointer_8(scratch.matchData)!
            let lo = ov[0], hi = ov[1]
            found += 1
            // Unset groups hold PCRE2_UNSET (~0) in both slots; `rc` is one more than the highest set group.
            var group: Range<Int>? = nil
            var g = 1
            while g < Int(rc) {
                let a = ov[2 * g], b = ov[2 * g + 1]
                if a >= 0 && b >= a { group = a..<b; break }
                g += 1
            }
            if !body(lo..<hi, group) { return .completed }
            if hi > lo {
                start = hi
            } else {
                // Empty match: step over one UTF-8 scalar.
                start = hi + 1
                while start < subject.count && subject[start] & 0xC0 == 0x80 { start += 1 }
            }
        }
        return .completed
    }

    /// Whether the pattern matches anywhere in `text`. Convenience for tests and tools.
    public func matches(_ text: String, scratch: PCRE2Scratch = PCRE2Scratch()) -> Bool {
        var hit = false
        var copy = text
        copy.withUTF8 { buf in
            _ = forEachMatch(in: buf, scratch: scratch) { _, _ in hit = true; return false }
        }
        return hit
    }
}

/// Per-thread match state (PCRE2 match data). Not thread-safe: one per worker.
public final class PCRE2Scratch {
    let matchData: OpaquePointer
    /// For searches with a start limit (see `forEachMatch`).
    let context: OpaquePointer?

    public init() {
        matchData = pcre2_match_data_create_8(16, nil)!
        context = pcre2_match_context_create_8(nil)
    }

    deinit {
        pcre2_match_data_free_8(matchData)
        if let context { pcre2_match_context_free_8(context) }
    }
}
