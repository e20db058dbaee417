/// Repeated-token floods ("ö ö ö …", ") ] } ) ] } …", "})})})…", a word pasted fifty times): the
/// padding that pushes a system prompt out of a model's attention. Works on whitespace-separated
/// tokens of the raw bytes; periods of one to four tokens, and character periods inside one long
/// token.
enum Repetition {
    /// Identical consecutive tokens needed (period 1), and tokens needed for periods 2–4.
    static let minSame = 10
    static let minPeriodic = 24
    /// A word glued to itself: units of 9 to 32 bytes, at least five copies.
    static let maxWordPeriod = 32
    static let minWordRepeats = 5

    /// Byte range of the first flood, or nil. Keeps only the last eight tokens (a ring on the
    /// stack), so a scan allocates nothing. Token boundaries are found eight bytes at a time: a
    /// byte-by-byte tokenizer mispredicts a branch at both ends of every word.
    static func flood(_ buf: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        guard let base = buf.baseAddress else { return nil }
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 24) { mem -> Range<Int>? in
            // [0, 8): token starts, [8, 16): token ends, [16, 24): token fingerprints.
            let p = mem.baseAddress!
            p.initialize(repeating: 0, count: 24)
            let starts = p, ends = p + 8, prints = p + 16
            var count = 0
            // Consecutive matches at each period (1–4) and where each run began.
            var run1 = 0, run2 = 0, run3 = 0, run4 = 0
            var from1 = 0, from2 = 0, from3 = 0, from4 = 0
            let n = buf.count
            // One whitespace-separated token [s, e), in order.
            func token(_ s: Int, _ e: Int) -> Range<Int>? {
                let k = count
                let print = fingerprint(buf, s, e)
                starts[k & 7] = s; ends[k & 7] = e; prints[k & 7] = Int(bitPattern: UInt(print))
                count &+= 1
                if e - s >= 40, let q = charPeriod(buf, s, e), !isDecoration(buf, s, s + q) { return s..<e }
                // Token k against token k − q: equal fingerprints decide for tokens of up to
                // seven bytes (length and every byte are in it); longer ones are compared.
                @inline(__always) func period(_ q: Int, _ run: inout Int, _ from: inout Int) -> Range<Int>? {
                    guard q <= k else { return nil }
                    let j = (k - q) & 7
                    if UInt(bitPattern: prints[j]) == UInt(print) && (e - s <= 7 || equal(buf, s, e, starts[j], ends[j]))
                        && !(q == 1 && isDecoration(buf, s, e)) {
                        if run == 0 { from = starts[j] }
                        run &+= 1
                        if run >= (q == 1 ? minSame - 1 : minPeriodic - q) {
                            return from..<floodEnd(buf, from: e, period: q, starts: starts, ends: ends, count: count)
                        }
                    } else {
                        run = 0
                    }
                    return nil
                }
                if let r = period(1, &run1, &from1) { return r }
                if let r = period(2, &run2, &from2) { return r }
                if let r = period(3, &run3, &from3) { return r }
                return period(4, &run4, &from4)
            }
            var i = 0
            var tokenStart = 0
            var previousSpace: UInt64 = 1   // before the text: as if a space
            let raw = UnsafeRawPointer(base)
            while i &+ 8 <= n {
                let space = spaceMask(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let before = space << 8 | previousSpace << 7   // each byte: was the byte before it a space?
                let opens = ~space & before & 0x8080_8080_8080_8080
                let closes = space & ~before & 0x8080_8080_8080_8080
                var events = opens | closes
                while events != 0 {
                    let bit = events.trailingZeroBitCount
                    let at = i &+ bit >> 3
                    if opens >> UInt64(bit) & 1 != 0 {
                        tokenStart = at
                    } else if let found = token(tokenStart, at) {
                        return found
                    }
                    events &= events &- 1
                }
                previousSpace = space >> 63
                i &+= 8
            }
            while i < n {
                let space: UInt64 = isSpace(buf[i]) ? 1 : 0
                if space == 0 && previousSpace == 1 { tokenStart = i }
                if space == 1 && previousSpace == 0, let found = token(tokenStart, i) { return found }
                previousSpace = space
                i &+= 1
            }
            if previousSpace == 0 { return token(tokenStart, n) }
            return nil
        }
    }

    /// A token's length (top byte, capped) and first seven bytes: equal for equal tokens, and
    /// for tokens of up to seven bytes equal only for equal tokens.
    @inline(__always) static func fingerprint(_ buf: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> UInt64 {
        let length = e - s
        var bytes: UInt64 = 0
        if s &+ 8 <= buf.count {
            bytes = UnsafeRawPointer(buf.baseAddress!).loadUnaligned(fromByteOffset: s, as: UInt64.self)
            bytes &= length >= 7 ? 0x00FF_FFFF_FFFF_FFFF : (1 << UInt64(8 * length)) &- 1
        } else {
            for k in 0..<min(length, 7) { bytes |= UInt64(buf[s + k]) << UInt64(8 * k) }
        }
        return bytes | UInt64(min(length, 255)) << 56
    }

    /// The high bit of each byte of `w` that is a space, tab, line feed or carriage return (exact
    /// per byte: no borrow runs from one byte into the next).
    @inline(__always) static func spaceMask(_ w: UInt64) -> UInt64 {
        @inline(__always) func zeroBytes(_ x: UInt64) -> UInt64 {
            ~(((x & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7F7F_7F7F_7F7F_7F7F) | x) & 0x8080_8080_8080_8080
        }
        return zeroBytes(w ^ 0x2020_2020_2020_2020) | zeroBytes(w ^ 0x0A0A_0A0A_0A0A_0A0A)
            | zeroBytes(w ^ 0x0D0D_0D0D_0D0D_0D0D) | zeroBytes(w ^ 0x0909_0909_0909_0909)
    }

    /// Separator lines and table rules (`=====`, `---|---`, `•••`, `↑-↑-↑`, `═════`): decoration,
    /// not a flood. A unit counts as a flood only with a letter, a digit, a bracket, a backtick or
    /// a non-ASCII character other than punctuation (U+2000–U+203F), arrows, box drawing, block
    /// elements and geometric shapes (U+2190–U+25FF) in it.
    static func isDecoration(_ buf: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
        var k = s
        while k < e {
            let b = buf[k]
            if b >= 0x80 {
                // U+2000–U+203F is E2 80 xx; U+2180–U+25FF is E2 86 xx … E2 97 xx.
                guard b == 0xE2, k + 2 < buf.count, buf[k + 1] == 0x80 || (buf[k + 1] >= 0x86 && buf[k + 1] <= 0x97) else { return false }
                k += 3
                continue
            }
            if (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A) { return false }
            if b == 0x28 || b == 0x29 || b == 0x5B || b == 0x5D || b == 0x7B || b == 0x7D || b == 0x60 { return false }
            k += 1
        }
        return true
    }

    @inline(__always) static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    static func equal(_ buf: UnsafeBufferPointer<UInt8>, _ a0: Int, _ a1: Int, _ b0: Int, _ b1: Int) -> Bool {
        guard a1 - a0 == b1 - b0 else { return false }
        for k in 0..<(a1 - a0) where buf[a0 + k] != buf[b0 + k] { return false }
        return true
    }

    /// Extends a flood to the end of its repetitions (so the finding covers all of it).
    static func floodEnd(_ buf: UnsafeBufferPointer<UInt8>, from: Int, period: Int, starts: UnsafeMutablePointer<Int>,
                         ends: UnsafeMutablePointer<Int>, count: Int) -> Int {
        var count = count
        var i = from
        let n = buf.count
        var end = from
        while i < n {
            while i < n && isSpace(buf[i]) { i += 1 }
            guard i < n else { break }
            let s = i
            while i < n && !isSpace(buf[i]) { i += 1 }
            let k = count - period
            guard equal(buf, s, i, starts[k & 7], ends[k & 7]) else { break }
            starts[count & 7] = s; ends[count & 7] = i
            count += 1
            end = i
        }
        return end
    }

    /// The smallest period that at least 90% of a long token follows, or nil: up to 8 bytes, or up
    /// to `maxWordPeriod` for a token that holds at least `minWordRepeats` copies of its unit (a
    /// word pasted without spaces, "glitchTokenglitchTokenglitchToken…").
    /// A period fails as soon as more than a tenth of the positions break it (`same ≥ 90%` ⟺
    /// `mismatches ≤ total / 10`), so an ordinary long token (a URL, a hash) costs a fraction of
    /// one pass per period instead of whole passes; a period above 8 is tried only when the
    /// token's first eight bytes come back one period later.
    static func charPeriod(_ buf: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Int? {
        let longest = min(maxWordPeriod, (e - s) / minWordRepeats)
        for p in 1...max(8, longest) {
            if p > 8 && !(0..<8).allSatisfy({ buf[s + $0] == buf[s + p + $0] }) { continue }
            let total = e - s - p
            var mismatches = 0
            var k = s + p
            while k < e {
                if buf[k] != buf[k - p] {
                    mismatches += 1
                    if mismatches * 10 > total { break }
                }
                k += 1
            }
            if mismatches * 10 <= total { return p }
        }
        return nil
    }
}
