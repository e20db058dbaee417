#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

// Binary-to-text encodings and smuggling schemes that attack kits use besides base64, base32 and
// hex (garak's encoding probes among them). Ascii85, base85 and uuencode are decoded and their text
// is scanned as any decoded layer; so is text smuggled in variation selectors or invisible
// operators ("sneaky bits"). Base2048, ecoji, base65536 and hexagrams are recognised by their shape:
// their alphabets are tables of thousands of characters, which the project does not ship.

extension Decoders {
    /// RFC 1924's base85 digits (Python's `b85encode`, git's binary patches); -1 outside. A raw
    /// table, as `runClasses`: no array checks in the loops.
    nonisolated(unsafe) static let base85Digits: UnsafeMutablePointer<Int8> = {
        let p = UnsafeMutablePointer<Int8>.allocate(capacity: 256)
        p.initialize(repeating: -1, count: 256)
        let alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~"
        for (i, c) in alphabet.utf8.enumerated() { p[Int(c)] = Int8(i) }
        return p
    }()

    /// Base-85 groups of five characters decoded to four bytes, big-endian; a last group of k
    /// characters gives k − 1 bytes (padded with the highest digit, as the encoders pad). With
    /// `ascii85`, Adobe's digits `!` (0) to `u` (84) and `z` for four zero bytes; otherwise RFC
    /// 1924's. Nil for a character outside the alphabet, a group over 2³² − 1 or a lone last
    /// character.
    static func decodeBase85(_ run: UnsafeBufferPointer<UInt8>, ascii85: Bool) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(run.count * 4 / 5 + 4)
        return decodeBase85(run, ascii85: ascii85, into: &out) ? out : nil
    }

    /// `decodeBase85` appending to `out` (a buffer reused across runs); false when the run is no
    /// base-85 (`out` then holds part of it).
    static func decodeBase85(_ run: UnsafeBufferPointer<UInt8>, ascii85: Bool, into out: inout [UInt8]) -> Bool {
        var acc: UInt64 = 0, k = 0
        let digits = base85Digits
        for b in run {
            let v: Int
            if ascii85 {
                if b == UInt8(ascii: "z") && k == 0 { out.append(contentsOf: [0, 0, 0, 0]); continue }
                guard b >= 0x21 && b <= 0x75 else { return false }
                v = Int(b) - 0x21
            } else {
                let d = digits[Int(b)]
                guard d >= 0 else { return false }
                v = Int(d)
            }
            acc = acc * 85 + UInt64(v); k += 1
            if k == 5 {
                guard acc <= 0xFFFF_FFFF else { return false }
                out.append(UInt8(truncatingIfNeeded: acc >> 24)); out.append(UInt8(truncatingIfNeeded: acc >> 16))
                out.append(UInt8(truncatingIfNeeded: acc >> 8)); out.append(UInt8(truncatingIfNeeded: acc))
                acc = 0; k = 0
            }
        }
        if k > 0 {
            guard k >= 2 else { return false }
            for _ in k..<5 { acc = acc * 85 + 84 }
            guard acc <= 0xFFFF_FFFF else { return false }
            for i in 0..<(k - 1) { out.append(UInt8(truncatingIfNeeded: acc >> UInt64(24 - 8 * i))) }
        }
        return true
    }

    /// Maximal runs of printable ASCII without a space (`!` to `~`) at least `minimum` long, as
    /// byte ranges. Eight bytes at a time: the bytes that end a run are found as a bit mask (a
    /// byte loop mispredicts its exit at every word of prose).
    static func longTokens(_ text: UnsafeBufferPointer<UInt8>, minimum: Int) -> [Range<Int>] {
        var out: [Range<Int>] = []
        guard let base = text.baseAddress else { return out }
        let n = text.count
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F, high: UInt64 = 0x8080_8080_8080_8080
        var start = 0     // where the current run began
        var i = 0
        @inline(__always) func boundary(_ k: Int) {
            if k &- start >= minimum { out.append(start ..< k) }
            start = k &+ 1
        }
        while i &+ 8 <= n {
            let x = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            // Per byte, no carries between bytes: (b & 0x7F) + 0x5F sets the top bit when b & 0x7F
            // is at least 0x21, (b & 0x7F) + 1 when it is 0x7F; a byte with its top bit set is out.
            let ge21 = ((x & low7) &+ 0x5F5F_5F5F_5F5F_5F5F) & high
            let del = ((x & low7) &+ 0x0101_0101_0101_0101) & high
            var breaks = ~(ge21 & ~del & ~x) & high
            while breaks != 0 {
                boundary(i &+ breaks.trailingZeroBitCount &>> 3)
                breaks &= breaks &- 1
            }
            i &+= 8
        }
        while i < n {
            if text[i] &- 0x21 >= 0x5E { boundary(i) }
            i &+= 1
        }
        boundary(n)
        return out
    }

    /// Runs of Ascii85 or base85 that decode to text: maximal runs of printable ASCII without a
    /// space, at least 20 long (16 bytes), with at least two characters that base64 does not use
    /// (a run of letters and digits alone is base64's, hex or a word) and two lower-case letters. Adobe's `<~ … ~>` frame is
    /// dropped. A run's first 40 characters must decode to the start of text before the whole run
    /// is decoded, so long blobs of other data are turned away cheaply. At most `limit` layers.
    static func base85Layers(_ text: UnsafeBufferPointer<UInt8>, limit: Int) -> [(range: Range<Int>, encoding: String, text: String)] {
        var out: [(range: Range<Int>, encoding: String, text: String)] = []
        let digits = base85Digits, classes = runClasses
        var head: [UInt8] = []
        head.reserveCapacity(32)
        for token in longTokens(text, minimum: 20) {
            guard out.count < limit else { break }
            let (i, j) = (token.lowerBound, token.upperBound)
            var foreign = 0, lower = 0, ascii85 = true, base85 = true
            for k in i ..< j {
                let b = text[k]
                if classes[Int(b)] & RunClass.inRun == 0 { foreign &+= 1 }
                if b &- 0x61 < 26 { lower &+= 1 }
                if b > 0x75 && b != UInt8(ascii: "z") && b != UInt8(ascii: "~") { ascii85 = false }
                if digits[Int(b)] < 0 { base85 = false }
            }
            // Both alphabets give a quarter of their digits to lower-case letters: a run with none
            // (a uuencoded line, a constant's name) is neither.
            guard foreign >= 2, lower >= 2, ascii85 || base85 else { continue }
            var body = i ..< j
            if ascii85 && j &- i >= 4 && text[i] == UInt8(ascii: "<") && text[i &+ 1] == UInt8(ascii: "~") { body = body.lowerBound + 2 ..< body.upperBound }
            if ascii85 && body.count >= 2 && text[body.upperBound &- 2] == UInt8(ascii: "~") && text[body.upperBound &- 1] == UInt8(ascii: ">") {
                body = body.lowerBound ..< body.upperBound - 2
            }
            for (flag, encoding) in [(ascii85, "ascii85"), (base85, "base85")] where flag {
                let whole = UnsafeBufferPointer(rebasing: text[body])
                if whole.count > 40 {
                    head.removeAll(keepingCapacity: true)
                    guard decodeBase85(UnsafeBufferPointer(rebasing: whole[0 ..< 40]), ascii85: encoding == "ascii85", into: &head),
                          mayBeText(head) else { continue }
                }
                if let bytes = decodeBase85(whole, ascii85: encoding == "ascii85"), let decoded = readableText(bytes) {
                    out.append((i ..< j, encoding, decoded))
                    break
                }
            }
        }
        return out
    }

    /// One uuencoded line from `start` to `end`: a length character (space + n, n from 1 to 45)
    /// and ⌈n/3⌉ groups of four characters from space to backquote. Its n bytes are appended to
    /// `out`; the count, or nil (and `out` as it was) when the line is not one.
    static func uuencodedLine(_ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, into out: inout [UInt8]) -> Int? {
        let c = text[start]
        guard c >= 0x21 && c <= 0x4D else { return nil }
        let count = Int(c) - 0x20
        guard end &- start &- 1 == (count + 2) / 3 * 4 else { return nil }
        for k in start + 1 ..< end where text[k] &- 0x20 > 0x40 { return nil }
        let mark = out.count
        var k = start + 1
        while k < end {
            var acc: UInt32 = 0
            for m in 0..<4 { acc = acc << 6 | UInt32((text[k + m] &- 0x20) & 0x3F) }
            out.append(UInt8(truncatingIfNeeded: acc >> 16)); out.append(UInt8(truncatingIfNeeded: acc >> 8)); out.append(UInt8(truncatingIfNeeded: acc))
            k += 4
        }
        out.removeLast(out.count - mark - count)
        return count
    }

    /// Uuencoded text (`binascii.b2a_uu` line by line, the body of `uuencode`): a block of
    /// uuencoded lines, each full (45 bytes, `M`) but the last; the first may follow a label on
    /// its line ("Encoded: M…"). Decoded when its bytes are text; at most `limit` layers. A line
    /// is looked at from its end back to its last byte that uuencode does not write (a lower-case
    /// letter ends most lines of prose there).
    static func uuencodedLayers(_ text: UnsafeBufferPointer<UInt8>, limit: Int) -> [(range: Range<Int>, text: String)] {
        var out: [(range: Range<Int>, text: String)] = []
        guard let base = text.baseAddress else { return out }
        let n = text.count
        var block: UUBlock?
        var lineStart = 0
        while lineStart < n && out.count < limit {
            let lineEnd = memchr(base + lineStart, 0x0A, n &- lineStart).map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - base } ?? n
            var e = lineEnd
            if e > lineStart && text[e &- 1] == 0x0D { e &-= 1 }
            var t = e
            while t > lineStart && text[t &- 1] &- 0x20 <= 0x40 { t &-= 1 }
            defer { lineStart = lineEnd &+ 1 }
            guard e &- t >= 5 else { UUBlock.finish(&block, into: &out); continue }
            if block?.open == true, t == lineStart, let count = uuencodedLine(text, lineStart, e, into: &block!.bytes) {
                block!.end = e; block!.open = count == 45
                continue
            }
            UUBlock.finish(&block, into: &out)
            // The first line: at the line's start, or after a space (a label before it).
            var s = t
            if t > lineStart {
                while s < e && text[s] != 0x20 { s &+= 1 }
                s &+= 1
            }
            while e &- s >= 5 {
                var bytes: [UInt8] = []
                if let count = uuencodedLine(text, s, e, into: &bytes) {
                    block = UUBlock(start: s, end: e, bytes: bytes, open: count == 45)
                    break
                }
                while s < e && text[s] != 0x20 { s &+= 1 }
                s &+= 1
            }
        }
        UUBlock.finish(&block, into: &out)
        return out
    }

    struct UUBlock {
        var start: Int, end: Int, bytes: [UInt8], open: Bool

        /// A block of at least 12 bytes that are text becomes a layer.
        static func finish(_ block: inout UUBlock?, into out: inout [(range: Range<Int>, text: String)]) {
            if let b = block, b.bytes.count >= 12, let decoded = readableText(b.bytes) { out.append((b.start ..< b.end, decoded)) }
            block = nil
        }
    }

    /// The encodings of `unicodeEncodedRuns` written in invisible characters.
    static let invisibleEncodings: Set<String> = ["variation_selectors", "sneaky_bits"]

    /// What a non-ASCII character can belong to: a run of one of the encodings below, or nothing.
    enum UnicodeRunKind: UInt8 {
        case none, mark, letters, emoji, selectors, bits, ideographs, hexagrams
    }

    @inline(__always) static func unicodeRunKind(_ s: UInt32) -> UnicodeRunKind {
        switch s {
        // Soft hyphens and combining marks (accents, Cyrillic titlos, Hebrew points, Arabic
        // vowels) belong to the letter before them: they neither count nor end a run.
        case 0xAD, 0x300...0x36F, 0x483...0x489, 0x591...0x5C7, 0x64B...0x65F: return .mark
        case 0x80...0x10FF: return .letters
        case 0xFE00...0xFE0F, 0xE0100...0xE01EF: return .selectors
        case 0x2062, 0x2064, 0x200B: return .bits
        case 0x4DC0...0x4DFF, 0x262F: return .hexagrams
        case 0x1500...0x15FF, 0x3400...0x4CFF, 0x4E00...0x9EFF, 0xA100...0xA3FF, 0xA500...0xA5FF, 0x10600...0x106FF,
             0x12000...0x122FF, 0x13000...0x133FF, 0x14400...0x145FF, 0x16800...0x169FF, 0x20000...0x285FF: return .ideographs
        case 0x1F3FB...0x1F3FF: return .none   // skin tones modify the emoji before them
        case 0x1F000...0x1FAFF, 0x2615: return .emoji
        default: return .none
        }
    }

    /// Runs written in Unicode by a binary-to-text encoding or a smuggling scheme, as byte ranges,
    /// with the text they carry when it can be decoded (at most `limit` runs):
    ///
    /// - base2048: letters of some twenty scripts between U+0080 and U+10FF, one after another.
    ///   The block of 256 code points changes at most characters, where words of any script stay
    ///   in theirs (Persian's letters on both halves of the Arabic block stay in one). At least 16.
    /// - ecoji: at least 20 emoji without spaces, modifiers or joiners, seven in ten different.
    /// - base65536: ideographs and signs of its ranges, at least 12 with a quarter of them outside
    ///   the unified CJK block (CJK extensions A and B, Yi, Vai, cuneiform, hieroglyphs, Bamum), or
    ///   at least 24 with a sixteenth outside it. Chinese and Japanese text stays in the unified
    ///   block, and its punctuation and kana end a run.
    /// - hexagram: at least 16 I Ching hexagrams (base64 written in them).
    /// - variation selectors: at least 8 in a row, one byte each (`U+E0100 + byte` as garak writes
    ///   them, or bytes under 16 as U+FE00… and the rest as `U+E0100 + byte − 16`), decoded.
    /// - sneaky bits: invisible times (0) and invisible plus (1), each character's code in binary
    ///   without leading zeros and zero-width spaces between words, at least 24 bits, decoded.
    ///
    /// The first four are reported by shape (their alphabets are tables of thousands of
    /// characters); the last two (`invisibleEncodings`) are decoded, and their text is nil only
    /// when it is no readable text (a run of invisible characters is smuggling all the same).
    static func unicodeEncodedRuns(_ text: UnsafeBufferPointer<UInt8>, limit: Int) -> [(range: Range<Int>, encoding: String, text: String?)] {
        var out: [(range: Range<Int>, encoding: String, text: String?)] = []
        let n = text.count
        var i = 0
        var kind = UnicodeRunKind.none, start = 0, count = 0
        var changes = 0, lastBlock: UInt32 = .max   // letters
        var rare = 0                                 // ideographs outside the CJK blocks
        var values: [UInt32] = []                    // emoji, selectors, bits
        func end(at stop: Int) {
            defer { kind = .none; count = 0; changes = 0; lastBlock = .max; rare = 0; values.removeAll(keepingCapacity: true) }
            let range = start ..< stop
            switch kind {
            case .letters where count >= 16 && changes * 5 >= (count - 1) * 3: out.append((range, "base2048", nil))
            case .emoji where count >= 20 && Set(values).count * 10 >= count * 7: out.append((range, "ecoji", nil))
            case .ideographs where (count >= 12 && rare * 4 >= count || count >= 24 && rare * 16 >= count) && (count - rare) * 10 >= count:
                out.append((range, "base65536", nil))
            case .hexagrams where count >= 16: out.append((range, "hexagram", nil))
            case .selectors where count >= 8: out.append((range, "variation_selectors", variationSelectorText(values)))
            case .bits where values.count >= 24: out.append((range, "sneaky_bits", sneakyBitsText(values)))
            default: break
            }
        }
        while i < n && out.count < limit {
            let b = text[i]
            guard b >= 0x80 else {
                if kind != .none { end(at: i) }
                i &+= 1
                continue
            }
            // One UTF-8 sequence (an invalid byte stands for itself and ends the run).
            let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
            guard length > 1, i &+ length <= n else {
                if kind != .none { end(at: i) }
                i &+= 1
                continue
            }
            var scalar = UInt32(b) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
            for k in 1..<length { scalar = scalar << 6 | UInt32(text[i &+ k] & 0x3F) }
            let next = unicodeRunKind(scalar)
            if next == .mark && kind == .letters { i &+= length; continue }
            if next != kind {
                if kind != .none { end(at: i) }
                kind = next; start = i
            }
            switch next {
            case .letters:
                let block = scalar >> 8
                if count > 0 && block != lastBlock { changes &+= 1 }
                lastBlock = block
            case .ideographs:
                if scalar < 0x4E00 || scalar > 0x9EFF { rare &+= 1 }
            case .emoji, .selectors:
                values.append(scalar)
            case .bits:
                values.append(scalar == 0x2062 ? 0 : scalar == 0x2064 ? 1 : 2)
            default: break
            }
            count &+= 1
            i &+= length
        }
        if kind != .none && out.count < limit { end(at: n) }
        return out
    }

    /// Text carried by variation selectors: garak writes each character as U+E0100 + its code
    /// point (Latin-1 at most); Paul Butler's scheme writes UTF-8 bytes, those under 16 as
    /// U+FE00 + byte and the rest as U+E0100 + byte − 16. The first is tried first unless
    /// U+FE00…U+FE0F appear; the other when the first is no readable text.
    static func variationSelectorText(_ selectors: [UInt32]) -> String? {
        let low = selectors.contains { $0 < 0xE0100 }
        func read(bytes: Bool) -> String? {
            if bytes {
                return readableText(selectors.map { v in v < 0xE0100 ? UInt8(v - 0xFE00) : UInt8(truncatingIfNeeded: v - 0xE0100 + 16) })
            }
            var scalars = String.UnicodeScalarView()
            for v in selectors {
                guard let u = Unicode.Scalar(v < 0xE0100 ? v - 0xFE00 : v - 0xE0100) else { return nil }
                scalars.append(u)
            }
            return readableText(Array(String(scalars).utf8))
        }
        return low ? read(bytes: true) ?? read(bytes: false) : read(bytes: false) ?? read(bytes: true)
    }

    /// Text from sneaky bits (0, 1, and 2 for a word break): each character's code point in binary
    /// with no leading zeros and nothing between characters. A word's bits are cut into codes that
    /// each start with a 1 — 7 bits for letters and most ASCII, 6 for digits, punctuation and the
    /// like, 4 for a line break or tab, 8 to 21 for other characters — by the cut that scores best
    /// (lower-case ASCII letters most, then capitals, then other ASCII; line breaks, tabs and
    /// characters past Latin-1 cost a point). ASCII text comes back as written; other
    /// characters can be cut another way ("éj" is also "tê", and an emoji's 17 bits a Greek letter
    /// and a "B"), since nothing marks where a code ends. Nil when a word cannot be cut or the
    /// text is not readable.
    static func sneakyBitsText(_ bits: [UInt32]) -> String? {
        var out = String.UnicodeScalarView()
        var word: [UInt8] = []
        @inline(__always) func score(_ code: UInt32, _ length: Int) -> Int? {
            switch length {
            case 4: return code == 9 || code == 10 || code == 13 ? -1 : nil
            case 5: return nil
            case 6: return 1
            case 7: return code == 0x7F ? nil : code &- 0x61 < 26 ? 3 : code &- 0x41 < 26 ? 2 : 1
            case 8: return code >= 0xA0 ? 0 : nil
            default: return Unicode.Scalar(code) == nil ? nil : -1
            }
        }
        func flush() -> Bool {
            defer { word.removeAll(keepingCapacity: true) }
            guard !word.isEmpty else { return true }
            let m = word.count
            // best[k]: the best score of a cut of word[k...]; nil when it cannot be cut.
            var best = [Int?](repeating: nil, count: m + 1), step = [Int](repeating: 0, count: m + 1)
            best[m] = 0
            for k in stride(from: m - 1, through: 0, by: -1) where word[k] == 1 {
                // Longest code first, so that a tie goes to the longer code ("two:" and "t;wz"
                // have as many letters; a letter's 7 bits win over punctuation's 6).
                let longest = min(21, m - k)
                var code: UInt32 = 0
                for x in word[k ..< k + longest] { code = code << 1 | UInt32(x) }
                for length in stride(from: longest, through: 4, by: -1) {
                    defer { code >>= 1 }
                    guard let rest = best[k + length], let points = score(code, length) else { continue }
                    if best[k] == nil || rest + points > best[k]! { best[k] = rest + points; step[k] = length }
                }
            }
            guard best[0] != nil else { return false }
            var k = 0
            while k < m {
                var code: UInt32 = 0
                for x in word[k ..< k + step[k]] { code = code << 1 | UInt32(x) }
                guard let u = Unicode.Scalar(code) else { return false }
                out.append(u); k += step[k]
            }
            return true
        }
        for b in bits {
            if b == 2 {
                guard flush() else { return nil }
                out.append(" ")
            } else {
                word.append(UInt8(b))
            }
        }
        guard flush() else { return nil }
        return readableText(Array(String(out).utf8))
    }
}
