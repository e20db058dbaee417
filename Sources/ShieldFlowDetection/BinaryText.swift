#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

// Binary-to-text encodings that attack kits use besides base64, base32 and hex (garak's encoding
// probes among them): Ascii85 and base85, uuencode, and two written in Unicode, base2048 and ecoji.
// The first three are decoded and their text is scanned as any decoded layer; the Unicode ones are
// recognised by their shape (their alphabets are tables of 2,048 letters and 1,024 emoji).

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
        var acc: UInt64 = 0, k = 0
        let digits = base85Digits
        for b in run {
            let v: Int
            if ascii85 {
                if b == UInt8(ascii: "z") && k == 0 { out.append(contentsOf: [0, 0, 0, 0]); continue }
                guard b >= 0x21 && b <= 0x75 else { return nil }
                v = Int(b) - 0x21
            } else {
                let d = digits[Int(b)]
                guard d >= 0 else { return nil }
                v = Int(d)
            }
            acc = acc * 85 + UInt64(v); k += 1
            if k == 5 {
                guard acc <= 0xFFFF_FFFF else { return nil }
                out.append(UInt8(truncatingIfNeeded: acc >> 24)); out.append(UInt8(truncatingIfNeeded: acc >> 16))
                out.append(UInt8(truncatingIfNeeded: acc >> 8)); out.append(UInt8(truncatingIfNeeded: acc))
                acc = 0; k = 0
            }
        }
        if k > 0 {
            guard k >= 2 else { return nil }
            for _ in k..<5 { acc = acc * 85 + 84 }
            guard acc <= 0xFFFF_FFFF else { return nil }
            for i in 0..<(k - 1) { out.append(UInt8(truncatingIfNeeded: acc >> UInt64(24 - 8 * i))) }
        }
        return out
    }

    /// Runs of Ascii85 or base85 that decode to text: maximal runs of printable ASCII without a
    /// space, at least 20 long (16 bytes), with at least two characters that base64 does not use
    /// (a run of letters and digits alone is base64's, hex or a word). Adobe's `<~ … ~>` frame is
    /// dropped. A run's first 40 characters must decode to the start of text before the whole run
    /// is decoded, so long blobs of other data are turned away cheaply. At most `limit` layers.
    static func base85Layers(_ text: UnsafeBufferPointer<UInt8>, limit: Int) -> [(range: Range<Int>, encoding: String, text: String)] {
        var out: [(range: Range<Int>, encoding: String, text: String)] = []
        let n = text.count
        let digits = base85Digits, classes = runClasses
        var i = 0
        while i < n && out.count < limit {
            guard text[i] &- 0x21 < 0x5E else { i &+= 1; continue }
            var j = i &+ 1
            while j < n && text[j] &- 0x21 < 0x5E { j &+= 1 }
            guard j &- i >= 20 else { i = j; continue }
            var foreign = 0, ascii85 = true, base85 = true
            for k in i ..< j {
                let b = text[k]
                if classes[Int(b)] & RunClass.inRun == 0 { foreign &+= 1 }
                if b > 0x75 && b != UInt8(ascii: "z") && b != UInt8(ascii: "~") { ascii85 = false }
                if digits[Int(b)] < 0 { base85 = false }
            }
            defer { i = j }
            guard j &- i >= 20, foreign >= 2, ascii85 || base85 else { continue }
            var body = i ..< j
            if ascii85 && j &- i >= 4 && text[i] == UInt8(ascii: "<") && text[i &+ 1] == UInt8(ascii: "~") { body = body.lowerBound + 2 ..< body.upperBound }
            if ascii85 && body.count >= 2 && text[body.upperBound &- 2] == UInt8(ascii: "~") && text[body.upperBound &- 1] == UInt8(ascii: ">") {
                body = body.lowerBound ..< body.upperBound - 2
            }
            for (flag, encoding) in [(ascii85, "ascii85"), (base85, "base85")] where flag {
                let whole = UnsafeBufferPointer(rebasing: text[body])
                if whole.count > 40 {
                    guard let head = decodeBase85(UnsafeBufferPointer(rebasing: whole[0 ..< 40]), ascii85: encoding == "ascii85"),
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
    /// and ⌈n/3⌉ groups of four characters from space to backquote. Its n bytes, or nil.
    static func uuencodedLine(_ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> [UInt8]? {
        let c = text[start]
        guard c >= 0x21 && c <= 0x4D else { return nil }
        let count = Int(c) - 0x20
        guard end &- start &- 1 == (count + 2) / 3 * 4 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(count + 2)
        var k = start + 1
        while k < end {
            var acc: UInt32 = 0
            for m in 0..<4 {
                let b = text[k + m]
                guard b >= 0x20 && b <= 0x60 else { return nil }
                acc = acc << 6 | UInt32((b &- 0x20) & 0x3F)
            }
            out.append(UInt8(truncatingIfNeeded: acc >> 16)); out.append(UInt8(truncatingIfNeeded: acc >> 8)); out.append(UInt8(truncatingIfNeeded: acc))
            k += 4
        }
        return Array(out.prefix(count))
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
            if block?.open == true, t == lineStart, let bytes = uuencodedLine(text, lineStart, e) {
                block!.bytes.append(contentsOf: bytes)
                block!.end = e; block!.open = bytes.count == 45
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
                if let bytes = uuencodedLine(text, s, e) {
                    block = UUBlock(start: s, end: e, bytes: bytes, open: bytes.count == 45)
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

    /// Runs written in a binary-to-text encoding of Unicode characters, as byte ranges: base2048
    /// (letters of some twenty scripts between U+0080 and U+10FF, one after another: the block of
    /// 256 code points changes at most characters, where words of any script stay in theirs, and
    /// Persian's letters on both halves of the Arabic block stay in one) and
    /// ecoji (emoji without spaces, modifiers or joiners, most of them different). At least 16
    /// characters of base2048, 20 emoji; `limit` runs at most. Soft hyphens and combining marks
    /// are skipped, so words written with one after each letter stay in their block.
    static func unicodeEncodedRuns(_ text: UnsafeBufferPointer<UInt8>, limit: Int) -> [(range: Range<Int>, encoding: String)] {
        var out: [(range: Range<Int>, encoding: String)] = []
        let n = text.count
        var i = 0
        // The current run of base2048-range letters and of emoji: start, characters, block changes.
        var letterStart = 0, letters = 0, changes = 0, lastBlock: UInt32 = .max
        var emojiStart = 0, emoji: [UInt32] = []
        func endLetters(at end: Int) {
            if letters >= 16 && changes * 5 >= (letters - 1) * 3 { out.append((letterStart ..< end, "base2048")) }
            letters = 0; changes = 0; lastBlock = .max
        }
        func endEmoji(at end: Int) {
            if emoji.count >= 20 && Set(emoji).count * 10 >= emoji.count * 7 { out.append((emojiStart ..< end, "ecoji")) }
            emoji.removeAll(keepingCapacity: true)
        }
        while i < n && out.count < limit {
            let b = text[i]
            guard b >= 0x80 else {
                if letters > 0 { endLetters(at: i) }
                if !emoji.isEmpty { endEmoji(at: i) }
                i &+= 1
                continue
            }
            // One UTF-8 sequence (an invalid byte stands for itself and ends both runs).
            let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
            guard length > 1, i &+ length <= n else {
                if letters > 0 { endLetters(at: i) }
                if !emoji.isEmpty { endEmoji(at: i) }
                i &+= 1
                continue
            }
            var scalar = UInt32(b) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
            for k in 1..<length { scalar = scalar << 6 | UInt32(text[i &+ k] & 0x3F) }
            if scalar == 0xAD || (scalar >= 0x300 && scalar <= 0x36F) || (scalar >= 0x483 && scalar <= 0x489)
                || (scalar >= 0x591 && scalar <= 0x5C7) || (scalar >= 0x64B && scalar <= 0x65F) {
                // Soft hyphens and combining marks (accents, Hebrew points, Arabic vowels) belong
                // to the letter before them: they neither count nor change the block.
            } else if scalar >= 0x80 && scalar <= 0x10FF {
                if !emoji.isEmpty { endEmoji(at: i) }
                if letters == 0 { letterStart = i }
                let block = scalar >> 8
                if letters > 0 && block != lastBlock { changes &+= 1 }
                lastBlock = block; letters &+= 1
            } else if (scalar >= 0x1F000 && scalar <= 0x1FAFF && !(0x1F3FB...0x1F3FF).contains(scalar)) || scalar == 0x2615 {
                if letters > 0 { endLetters(at: i) }
                if emoji.isEmpty { emojiStart = i }
                emoji.append(scalar)
            } else {
                if letters > 0 { endLetters(at: i) }
                if !emoji.isEmpty { endEmoji(at: i) }
            }
            i &+= length
        }
        if letters > 0 { endLetters(at: n) }
        if !emoji.isEmpty { endEmoji(at: n) }
        return out
    }
}
