/// Repeated-token floods ("ö ö ö …", ") ] } ) ] } …", "})})})…", a word pasted fifty times): the
/// padding that pushes a system prompt out of a model's attention. Works on whitespace-separated
/// tokens of the raw bytes; periods of one to four tokens, and character periods inside one long
/// token.
enum Repetition {
    /// Identical consecutive tokens needed (period 1), and tokens needed for periods 2–4.
    static let minSame = 10
    static let minPeriodic = 24

    /// Byte range of the first flood, or nil. Keeps only the last eight tokens (a ring on the
    /// stack), so a scan allocates nothing.
    static func flood(_ buf: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 26) { mem in
            // [0, 8): token starts, [8, 16): token ends, [16, 21): run per period, [21, 26): run starts.
            let p = mem.baseAddress!
            p.initialize(repeating: 0, count: 26)
            let starts = p, ends = p + 8, run = p + 16, runStart = p + 21
            var count = 0
            var i = 0
            let n = buf.count
            while i < n {
                while i < n && isSpace(buf[i]) { i &+= 1 }
                guard i < n else { break }
                let s = i
                while i < n && !isSpace(buf[i]) { i &+= 1 }
                starts[count & 7] = s; ends[count & 7] = i
                let k = count
                count &+= 1
                if i - s >= 40, let q = charPeriod(buf, s, i), q <= 8, !isDecoration(buf, s, s + q) { return s..<i }
                var q = 1
                while q <= 4 && q <= k {
                    let ps = starts[(k - q) & 7], pe = ends[(k - q) & 7]
                    if pe - ps == i - s && equal(buf, s, i, ps, pe) && !(q == 1 && isDecoration(buf, s, i)) {
                        if run[q] == 0 { runStart[q] = ps }
                        run[q] &+= 1
                        let needed = q == 1 ? minSame - 1 : minPeriodic - q
                        if run[q] >= needed {
                            return runStart[q]..<floodEnd(buf, from: i, period: q, starts: starts, ends: ends, count: count)
                        }
                    } else {
                        run[q] = 0
                    }
                    q &+= 1
                }
            }
            return nil
        }
    }

    /// Separator lines and table rules (`=====`, `---|---`, `• • •`, `↑-↑-↑`): decoration, not a flood.
    /// A unit counts as a flood only with a letter, a digit, a bracket or a backtick in it.
    static func isDecoration(_ buf: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
        for k in s..<e {
            let b = buf[k]
            if b >= 0x80 || (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A) { return false }
            if b == 0x28 || b == 0x29 || b == 0x5B || b == 0x5D || b == 0x7B || b == 0x7D || b == 0x60 { return false }
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

    /// The smallest period (≤ 8) that at least 90% of a long token follows, or nil.
    /// A period fails as soon as more than a tenth of the positions break it (`same ≥ 90%` ⟺
    /// `mismatches ≤ total / 10`), so an ordinary long token (a URL, a hash) costs a fraction of
    /// one pass per period instead of eight whole passes.
    static func charPeriod(_ buf: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Int? {
        for p in 1...8 {
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
