#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A decoded layer of a text: the decoded text and how its scalar offsets map back to the parent.
struct DecodedLayer {
    enum Mapping {
        /// Every decoded offset maps to the whole encoded run `[start, end)` of the parent.
        case collapse(Int, Int)
        /// Decoded scalar k came from parent scalars `[starts[k], ends[k])`.
        case table([Int32], [Int32])
        /// Scalar for scalar: the same offsets.
        case identity
    }

    let encoding: String
    let text: String
    var mapping: Mapping
    /// Escapes decoded (a JSON document's layer: zero when its strings are written out plainly).
    var escapes = 0
    /// Another reading of the same text (JSON's transport, words joined by underscores), not a
    /// payload hidden in it: its findings stand for themselves, with no obfuscation finding.
    var isReading: Bool { encoding == "json" || isWordsReading }
    /// The prompt's own words read apart from what hides them (joined, cut, fenced or stuttered):
    /// a value in them is the value as written, found on the text itself.
    var isWordsReading: Bool {
        encoding == "joined_words" || encoding == "stuttered_words" || encoding == "corrected_words" || encoding == "vowelled_words"
            || encoding == "pig_latin"
    }
    /// A JSON document with `"role"` keys: chat messages, each starting a line of the layer.
    var messages = false
    /// A reading of the text's start only (a budget ran out): the classifier reads the text itself.
    var partial = false
    /// A JSON document's layer: the byte offset in `text` where each string value starts, and
    /// whether the value sits in an object whose `"role"` is `system` or `developer` (the
    /// application's own instructions in a chat request).
    var valueStarts: [Int] = []
    var systemValues: [Bool] = []

    /// `inner`, a table-mapped reading of this layer's text, mapped straight to this layer's parent
    /// (both readings in one, under this layer's encoding).
    func then(_ inner: DecodedLayer) -> DecodedLayer {
        var composed = DecodedLayer(encoding: encoding, text: inner.text, mapping: inner.mapping)
        composed.partial = inner.partial
        switch mapping {
        case .identity:
            break
        case .collapse(let a, let b):
            composed.mapping = .collapse(a, b)
        case .table(let outerStarts, let outerEnds):
            guard case .table(let starts, let ends) = inner.mapping, !outerStarts.isEmpty else { break }
            let last = outerStarts.count - 1
            composed.mapping = .table(starts.map { outerStarts[min(max(Int($0), 0), last)] },
                                      ends.map { outerEnds[min(max(Int($0) - 1, 0), last)] })
        }
        return composed
    }

    func parentRange(_ start: Int, _ end: Int) -> (Int, Int) {
        switch mapping {
        case .collapse(let a, let b): return (a, b)
        case .identity: return (start, end)
        case .table(let starts, let ends):
            guard !starts.isEmpty else { return (0, 0) }
            let s = min(max(start, 0), starts.count - 1)
            let e = min(max(end - 1, s), ends.count - 1)
            return (Int(starts[s]), Int(ends[e]))
        }
    }
}

enum Decoders {
    static let base64Alphabet: [Int8] = {
        var t = [Int8](repeating: -1, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() { t[Int(c)] = Int8(i) }
        t[Int(UInt8(ascii: "-"))] = 62   // URL-safe alphabet
        t[Int(UInt8(ascii: "_"))] = 63
        return t
    }()

    /// Character classes of `encodedRuns`, one byte each (a raw table: no array checks in the loop).
    enum RunClass {
        static let inRun: UInt8 = 1, alphabet: UInt8 = 2, upper: UInt8 = 4, lower: UInt8 = 8, digit: UInt8 = 16, hex: UInt8 = 32
    }
    nonisolated(unsafe) static let runClasses: UnsafeMutablePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        for b in 0..<256 {
            let c = UInt8(b)
            var v: UInt8 = 0
            if base64Alphabet[b] >= 0 { v |= RunClass.inRun | RunClass.alphabet }
            if c == UInt8(ascii: "=") { v |= RunClass.inRun }
            if c >= 0x41 && c <= 0x5A { v |= RunClass.upper }
            if c >= 0x61 && c <= 0x7A { v |= RunClass.lower }
            if c >= 0x30 && c <= 0x39 { v |= RunClass.digit }
            if hexValue(c) != nil { v |= RunClass.hex }
            p[b] = v
        }
        return p
    }()

    @inline(__always) static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x37
        case 0x61...0x66: return b - 0x57
        default: return nil
        }
    }

    /// Decoded bytes that read as text: valid UTF-8, mostly printable, at least a few letters.
    static func readableText(_ bytes: [UInt8]) -> String? {
        guard bytes.count >= 6 else { return nil }
        guard let s = String(validating: bytes, as: UTF8.self) else { return nil }
        var printable = 0, letters = 0, total = 0
        for u in s.unicodeScalars {
            total += 1
            let v = u.value
            if v >= 0x20 && v != 0x7F || v == 0x0A || v == 0x09 || v == 0x0D { printable += 1 }
            // ASCII letters without the Unicode property tables (a decoded blob is mostly ASCII).
            if v < 0x80 ? (v | 0x20) &- 0x61 < 26 : u.properties.isAlphabetic { letters += 1 }
        }
        guard total > 0, Double(printable) / Double(total) >= 0.95, Double(letters) / Double(total) >= 0.4 else { return nil }
        return s
    }

    /// Whether the decoded start of a run can be the start of text: valid UTF-8 up to a character
    /// cut at the end, with few control characters. `readableText` decides on the whole.
    static func mayBeText(_ bytes: [UInt8]) -> Bool {
        var controls = 0, high = false
        for b in bytes {
            if (b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D) || b == 0x7F { controls += 1 }
            if b >= 0x80 { high = true }
        }
        guard controls * 10 <= bytes.count else { return false }
        guard high else { return true }   // ASCII is valid UTF-8 (no string to build)
        for cut in 0...min(3, bytes.count) where String(validating: bytes.dropLast(cut), as: UTF8.self) != nil { return true }
        return false
    }

    static func decodeBase64(_ run: ArraySlice<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(run.count * 3 / 4)
        var acc: UInt32 = 0, bits = 0
        for b in run {
            if b == UInt8(ascii: "=") { break }
            if b == 0x0A || b == 0x0D { continue }  // a run wrapped over lines
            let v = base64Alphabet[Int(b)]
            guard v >= 0 else { return nil }
            acc = acc << 6 | UInt32(v); bits += 6
            if bits >= 8 { bits -= 8; out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits))) }
        }
        return out
    }

    /// Base32 (RFC 4648: A–Z and 2–7, `=` padding; lower case read alike), as `base64.b32encode`
    /// and attack kits write it. Nil when a character is outside the alphabet.
    static func decodeBase32(_ run: ArraySlice<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(run.count * 5 / 8)
        var acc: UInt32 = 0, bits = 0
        for b in run {
            if b == UInt8(ascii: "=") { break }
            if b == 0x0A || b == 0x0D { continue }
            let v: UInt8
            switch b | 0x20 {
            case 0x61...0x7A: v = (b | 0x20) &- 0x61
            case 0x32...0x37: v = b &- 0x32 &+ 26
            default: return nil
            }
            acc = (acc << 5 | UInt32(v)) & 0xFFFF; bits += 5
            if bits >= 8 { bits -= 8; out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits))) }
        }
        return out
    }

    /// Whether a run (not hex) is written in base32's alphabet: one case of letters, digits 2–7 only.
    static func isBase32(_ run: UnsafeBufferPointer<UInt8>) -> Bool {
        var upper = false, lower = false
        for b in run {
            switch b {
            case 0x41...0x5A: upper = true
            case 0x61...0x7A: lower = true
            case 0x32...0x37, 0x3D, 0x0A, 0x0D: continue
            default: return false
            }
        }
        return upper != lower
    }

    static func decodeHex(_ run: ArraySlice<UInt8>) -> [UInt8]? {
        var digits: [UInt8] = []
        var i = run.startIndex
        while i < run.endIndex {
            let b = run[i]
            // Skip "\x", "0x" prefixes and separators between hex pairs.
            if (b == UInt8(ascii: "\\") || b == UInt8(ascii: "0")) && i + 1 < run.endIndex && (run[i + 1] | 0x20) == UInt8(ascii: "x") { i += 2; continue }
            if let v = hexValue(b) { digits.append(v) } else if b != 0x20 && b != 0x2C && b != 0x3A && b != 0x0A && b != 0x0D { return nil }
            i += 1
        }
        guard digits.count >= 2, digits.count % 2 == 0 else { return nil }
        return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    /// Runs of base64 (≥ 16 characters, with letters of both cases or digits) and of hex (≥ 16 hex
    /// digits, or ≥ 6 escaped/spaced byte pairs) as byte ranges of `text`, ASCII only.
    ///
    /// With `joiningLines`, a run wrapped over several lines (MIME and PEM bodies at 64 or 76
    /// columns, a blob pasted into a narrow editor) is one run: a line break (LF or CRLF) continues
    /// it when at least 16 run characters, not ending in `=` padding, come before it and at least
    /// 16 after it, or a whole line of them. The decoders skip the line breaks. A joined run that
    /// does not decode to text is worth reading line by line: `encodedRuns(_:)` of its range
    /// without joining gives the pieces.
    static func encodedRuns(_ text: UnsafeBufferPointer<UInt8>, joiningLines: Bool = false) -> [(range: Range<Int>, hex: Bool)] {
        var runs: [(Range<Int>, Bool)] = []
        var i = 0
        let n = text.count
        while i < n {
            // Spaced or 0x-prefixed byte pairs: 0x69 0x67 …, 69 67 6e … (start of a token only)
            if hexValue(text[i]) != nil && (i == 0 || !isAlnum(text[i - 1])) && i + 2 < n
                && (text[i + 2] == 0x20 || text[i + 2] == 0x2C || (text[i + 1] | 0x20) == 0x78),
               let end = hexPairRun(text, from: i) {
                runs.append((i..<end, true)); i = end; continue
            }
            let classes = runClasses
            guard classes[Int(text[i])] & RunClass.alphabet != 0 else { i += 1; continue }
            var j = i
            // What the run has (any) and what all of its characters are (every).
            var any: UInt8 = 0, every: UInt8 = 0xFF
            var lineStart = i, breaks = 0
            while j < n {
                let c = classes[Int(text[j])]
                guard c & RunClass.inRun != 0 else {
                    guard joiningLines, j &- lineStart >= 16, text[j &- 1] != UInt8(ascii: "="),
                          let next = continuation(text, at: j) else { break }
                    breaks &+= next &- j; j = next; lineStart = next
                    continue
                }
                any |= c; every &= c
                j &+= 1
            }
            let upper = any & RunClass.upper != 0, lower = any & RunClass.lower != 0, digit = any & RunClass.digit != 0
            let hexOnly = every & RunClass.hex != 0
            let len = j - i - breaks
            if hexOnly && len >= 16 && len % 2 == 0 {
                runs.append((i..<j, true))
            } else if len >= 16 && ((upper && lower) || (digit && (upper || lower))) {
                runs.append((i..<j, false))
            }
            i = j + 1
        }
        return runs
    }

    /// Where a run wrapped at `j` (a line break) goes on: the start of the next line when at least
    /// 16 run characters follow the break, or the whole next line is run characters (a wrapped
    /// run's last, shorter line).
    static func continuation(_ text: UnsafeBufferPointer<UInt8>, at j: Int) -> Int? {
        var k = j
        if text[k] == 0x0D { k &+= 1 }
        guard k < text.count, text[k] == 0x0A else { return nil }
        k &+= 1
        var m = k
        while m < text.count && m &- k < 16 && runClasses[Int(text[m])] & RunClass.inRun != 0 { m &+= 1 }
        if m &- k >= 16 { return k }
        let lineEnds = m == text.count || text[m] == 0x0A || text[m] == 0x0D
        return lineEnds && m &- k >= 2 ? k : nil
    }

    /// Spaced or 0x-prefixed hex byte pairs: "69 67 6e 6f …", "0x69, 0x67, …" (at least eight).
    static func hexPairRun(_ text: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        let n = text.count
        if start > 0 && isAlnum(text[start - 1]) { return nil }
        var i = start, pairs = 0, end = start
        while i < n {
            var k = i
            if k + 1 < n && text[k] == UInt8(ascii: "0") && (text[k + 1] | 0x20) == UInt8(ascii: "x") { k += 2 }
            guard k + 1 < n, hexValue(text[k]) != nil, hexValue(text[k + 1]) != nil,
                  k + 2 >= n || !isAlnum(text[k + 2]) else { break }
            pairs += 1
            end = k + 2
            i = end
            guard i < n, text[i] == 0x20 || text[i] == 0x2C else { break }
            i += 1
            if i < n && text[i] == 0x20 { i += 1 }
        }
        return pairs >= 8 ? end : nil
    }

    @inline(__always) static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A)
    }

    /// The byte a quoted-printable escape `=XX` (upper-case hex, as encoders write it) stands for
    /// when it is a byte of a multi-byte UTF-8 sequence, the one thing a text needs it for.
    /// `x=10`, `rhost=202…` or `view=3D` in code, logs and prose are not escapes.
    @inline(__always) static func quotedPrintable(_ a: UInt8, _ b: UInt8) -> UInt8? {
        @inline(__always) func upperHex(_ c: UInt8) -> UInt8? { c &- 0x30 < 10 ? c &- 0x30 : c &- 0x41 < 6 ? c &- 0x37 : nil }
        guard let h = upperHex(a), h >= 8, let l = upperHex(b) else { return nil }
        return h << 4 | l
    }

    /// Whether `=XX=YY` at `i` is a quoted-printable UTF-8 lead byte and its first continuation
    /// byte (`=C3=A4`): what the feature pass counts, so `A=FF` alone counts nothing.
    @inline(__always) static func quotedPrintablePair(_ t: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Bool {
        guard i + 5 < n, t[i + 3] == 0x3D, let lead = quotedPrintable(t[i + 1], t[i + 2]),
              let next = quotedPrintable(t[i + 4], t[i + 5]) else { return false }
        return lead >= 0xC2 && lead <= 0xF4 && next & 0xC0 == 0x80
    }

    /// The number of escapes (2 to 4) of the whole UTF-8 sequence written in quoted-printable at
    /// `i` (`=E2=80=9C`), or nil: an escape that is no part of one is left as written.
    static func quotedPrintableScalar(_ t: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Int? {
        guard quotedPrintablePair(t, i, n), let lead = quotedPrintable(t[i + 1], t[i + 2]) else { return nil }
        let length = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
        for k in 2..<length {
            let j = i + 3 * k
            guard j + 2 < n, t[j] == 0x3D, let c = quotedPrintable(t[j + 1], t[j + 2]), c & 0xC0 == 0x80 else { return nil }
        }
        return length
    }

    /// Quoted-printable lines are at most 76 bytes, and a soft break (`=` at the end) ends a long
    /// one; up to 120 with a prefix before the encoded text ("Encoded: …="). Code that goes on to
    /// the next line writes `x =`, with a space, and separator lines are all `=`: neither counts.
    static let softBreakLine = 60...120

    /// Decodes URL (%XX), HTML (&#NN; &#xHH; &name;), \xHH, \uHHHH (surrogate pairs joined) and
    /// JSON's `\n \r \t \" \\ \/ \b \f` in one pass over the UTF-8 bytes, keeping for every decoded
    /// scalar the range of original scalars it came from. Nil when fewer than two escapes and no
    /// quoted-printable soft break.
    ///
    /// The layer's encoding is `json` when every escape is one a JSON encoder writes: the simple
    /// escapes, and `\u` for anything but an ASCII letter or digit (non-ASCII text from an encoder
    /// that escapes it, `\u003c` from one that escapes HTML). That is transport, not hiding.
    /// Otherwise it names the hiding escapes (`escape`, `html`, `url`), as before.
    ///
    /// Quoted-printable (`quoted_printable`): a soft line break (`=` ending a line of
    /// `softBreakLine` bytes that holds a space or an escape) joins the lines, and `=XX` is
    /// decoded only as a whole UTF-8 sequence (`quotedPrintableScalar`).
    static func decodeEscapes(_ text: UnsafeBufferPointer<UInt8>) -> DecodedLayer? {
        let n = text.count
        var out: [UInt8] = []
        out.reserveCapacity(n)
        var byteStart: [Int32] = []     // per output byte: original scalar range
        var byteEnd: [Int32] = []
        byteStart.reserveCapacity(n); byteEnd.reserveCapacity(n)
        var count = 0
        var kinds: Set<String> = []
        var lines = 0, escapedLines = 0
        var i = 0
        var scalar: Int32 = 0           // original scalar index of text[i]
        @inline(__always) func hexAt(_ k: Int, _ len: Int) -> UInt32? {
            guard k + len <= n else { return nil }
            var v: UInt32 = 0
            for j in k..<k + len { guard let h = hexValue(text[j]) else { return nil }; v = v << 4 | UInt32(h) }
            return v
        }
        func emit(_ v: UInt32, from: Int32, to: Int32) {
            guard let u = Unicode.Scalar(v) else { return }
            for b in String(u).utf8 { out.append(b); byteStart.append(from); byteEnd.append(to) }
        }
        var lineStart = 0, softBreaks = 0, lineIsText = false
        while i < n {
            let c = text[i]
            if c == 0x3D && i + 1 < n {
                // Quoted-printable: a soft line break joins the lines; `=XX` is a byte of a whole
                // UTF-8 sequence.
                let lf = text[i + 1] == 0x0A ? 1 : text[i + 1] == 0x0D && i + 2 < n && text[i + 2] == 0x0A ? 2 : 0
                // The line holds a space or an escape: text, not a uuencoded or base64 line.
                let before: UInt8 = i > 0 ? text[i - 1] : 0x20
                if lf > 0 && lineIsText && softBreakLine.contains(i + 1 - lineStart)
                    && before != 0x3D && before != 0x20 && before != 0x09 {
                    softBreaks += 1; kinds.insert("quoted_printable")
                    i += 1 + lf; scalar += Int32(1 + lf); lineStart = i; lineIsText = false
                    continue
                }
                if let length = quotedPrintableScalar(text.baseAddress!, i, n) {
                    // A whole UTF-8 sequence of escapes (`=C3=A9`): its bytes, each from its escape.
                    for k in 0..<length {
                        out.append(quotedPrintable(text[i + 3 * k + 1], text[i + 3 * k + 2])!)
                        byteStart.append(scalar); byteEnd.append(scalar + 3)
                        scalar += 3
                    }
                    count += length; kinds.insert("quoted_printable"); i += 3 * length; lineIsText = true
                    continue
                }
            }
            if c == 0x25, let v = hexAt(i + 1, 2) {                       // %XX (raw byte, may be UTF-8)
                out.append(UInt8(v)); byteStart.append(scalar); byteEnd.append(scalar + 3)
                count += 1; kinds.insert("url"); i += 3; scalar += 3
                continue
            }
            if c == 0x5C, i + 1 < n {
                let e = text[i + 1]
                let hexEscape: (UInt32, Int)? = e == 0x78 ? hexAt(i + 2, 2).map { ($0, 4) } : nil     // \xHH
                if let (v, used) = hexEscape ?? (e == 0x75 ? unicodeEscape(text, at: i) : nil) {       // \uHHHH
                    emit(v, from: scalar, to: scalar + Int32(used))
                    let alnum = v < 0x80 && isAlnum(UInt8(v))
                    count += 1; kinds.insert(e == 0x78 || alnum ? "escape" : "json"); i += used; scalar += Int32(used)
                    continue
                } else if let v = jsonEscape(e) {                              // \n \" …
                    out.append(v); byteStart.append(scalar); byteEnd.append(scalar + 2)
                    count += 1; kinds.insert("json"); i += 2; scalar += 2
                    if v == 0x0A { escapedLines += 1 }
                    continue
                }
            }
            if c == 0x26, let (v, len) = htmlEntity(text, i) {                // &#…; &name;
                emit(v, from: scalar, to: scalar + Int32(len))
                count += 1; kinds.insert("html"); i += len; scalar += Int32(len)
                continue
            }
            // Copy one original scalar.
            if c == 0x0A { lines += 1; lineStart = i + 1; lineIsText = false } else if c == 0x20 { lineIsText = true }
            let len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4
            for j in i..<min(n, i + len) { out.append(text[j]); byteStart.append(scalar); byteEnd.append(scalar + 1) }
            i += len; scalar += 1
        }
        guard count >= 2 || softBreaks > 0 else { return nil }
        // Only JSON's escapes, in text with as many real line breaks as escaped ones: source code
        // with "\n" in its string literals, not text still inside a JSON string.
        if kinds == ["json"] && lines > 0 && lines >= escapedLines { return nil }
        if kinds.count > 1 { kinds.remove("json") }
        let encoding = kinds.sorted().joined(separator: "+")
        // Per decoded scalar, the original range of its first and last byte.
        let decoded = String(decoding: out, as: UTF8.self)
        var starts: [Int32] = [], ends: [Int32] = []
        if String(validating: out, as: UTF8.self) != nil {
            for (k, b) in out.enumerated() where b & 0xC0 != 0x80 {
                starts.append(byteStart[k])
                var last = k
                while last + 1 < out.count && out[last + 1] & 0xC0 == 0x80 { last += 1 }
                ends.append(byteEnd[last])
            }
        } else {
            // Escapes that do not form UTF-8: the decoded text maps to the whole input.
            return DecodedLayer(encoding: encoding, text: decoded, mapping: .collapse(0, Int(scalar)))
        }
        return DecodedLayer(encoding: encoding, text: decoded, mapping: .table(starts, ends))
    }

    /// Text written without spaces, read as words: `.`, `/`, `+`, `_` and `-` between two letters
    /// (of any script) or between a letter and punctuation become spaces, and a space goes in
    /// before each capital that starts a word of a camel-case run (`ignore.all.previous`,
    /// `ignore+all+previous` as forms encode it, `IgnoreAllPrevious`, `say."Denied".now`). Nil
    /// unless it reads as at least four words (two in a text under 64 bytes), nearly all of them
    /// plain (lower-case, capitalised or all capitals, no digits): base64, hashes and paths of
    /// identifiers do not, and joiners between digits or among punctuation only (`1.2`, Morse
    /// code) stay. Other characters stay as they are; the mapping counts scalars.
    static func spacelessWords(_ text: UnsafeBufferPointer<UInt8>) -> DecodedLayer? {
        let n = text.count
        guard n >= 12 else { return nil }
        @inline(__always) func lower(_ b: UInt8) -> Bool { b &- 0x61 < 26 }
        @inline(__always) func upper(_ b: UInt8) -> Bool { b &- 0x41 < 26 }
        @inline(__always) func joiner(_ b: UInt8) -> Bool { b == 0x2E || b == 0x2F || b == 0x2B || b == 0x5F || b == 0x2D }
        @inline(__always) func letter(_ b: UInt8) -> Bool { lower(b) || upper(b) }
        /// A letter of any script: an ASCII letter or a byte of a multi-byte scalar.
        @inline(__always) func wordByte(_ b: UInt8) -> Bool { letter(b) || b >= 0x80 }
        /// Printable ASCII that is neither a letter nor a digit: quotes, brackets, commas, joiners.
        @inline(__always) func mark(_ b: UInt8) -> Bool { b &- 0x21 < 0x5E && !letter(b) && b &- 0x30 >= 10 }
        /// A joiner read as a space: between two letters of any script, or between a letter and a
        /// mark (`instructions,.but`, `say."Denied"`, `far..Begin`). Not between digits (`1.2`,
        /// `12345.12345`), nor among marks only (Morse code, `"."`).
        /// A double quote between two letters (`With"I'm`, `"Denied"Anymore`) is one as well.
        @inline(__always) func joins(_ i: Int) -> Bool {
            guard i > 0 && i + 1 < n else { return false }
            let a = text[i - 1], b = text[i + 1]
            if text[i] == 0x22 { return wordByte(a) && wordByte(b) }
            guard joiner(text[i]) else { return false }
            return (wordByte(a) && (wordByte(b) || mark(b))) || (mark(a) && wordByte(b))
        }
        // A capital between lower-case letters starts a word ("aBc"), and so does one after a
        // lower-case letter that a one-letter word follows ("WriteAStory", "WhatIAm"), and a
        // capital between a capital and a lower-case letter ("AStory", "HTTPServer"). A run of
        // capitals that ends a word stays in it: "ChatGPT" is a name.
        // A capitalised word right after a comma, colon, closing quote or bracket
        // ("Instructions,But", "Q:What", "\"Denied\"Anymore") starts a word too.
        @inline(__always) func stop(_ b: UInt8) -> Bool {
            b == 0x2C || b == 0x3A || b == 0x3B || b == 0x21 || b == 0x3F || b == 0x22 || b == 0x29 || b == 0x5D
        }
        @inline(__always) func startsWord(_ i: Int) -> Bool {
            upper(text[i]) && i > 0 && i + 1 < n
                && (lower(text[i - 1]) ? lower(text[i + 1]) || (upper(text[i + 1]) && i + 2 < n && lower(text[i + 2]))
                                       : (upper(text[i - 1]) || (stop(text[i - 1]) && i > 1 && letter(text[i - 2]) && !joins(i - 1))) && lower(text[i + 1]))
        }
        // Most texts have fewer than three breaks: found without building anything.
        // A short text (a command of a few words) needs one break and two words.
        let short = n < 64
        let minBreaks = short ? 1 : 3, minWords = short ? 2 : 4
        var found = 0, k = 0
        while k < n && found < minBreaks { if joins(k) || startsWord(k) { found += 1 }; k += 1 }
        guard found >= minBreaks else { return nil }
        var out: [UInt8] = [], starts: [Int32] = [], ends: [Int32] = []
        out.reserveCapacity(n + n / 4); starts.reserveCapacity(n + n / 4); ends.reserveCapacity(n + n / 4)
        var words = 0, plain = 0, breaks = 0
        // The word being read: its letters, capitals after the first, digits.
        // Scalars of other scripts (`others`) count as letters.
        var letters = 0, others = 0, innerCapitals = 0, digits = 0, capitalFirst = false
        func endWord() {
            if letters + others >= 2 {
                words += 1
                if digits == 0 && (innerCapitals == 0 || innerCapitals == letters - 1 && capitalFirst) { plain += 1 }
            }
            letters = 0; others = 0; innerCapitals = 0; digits = 0; capitalFirst = false
        }
        // The scalar offset of byte i (each byte that is not a continuation byte starts a scalar).
        var scalar: Int32 = -1
        for i in 0..<n {
            let b = text[i]
            if b & 0xC0 != 0x80 { scalar += 1 }
            let isLetter = letter(b)
            if joins(i) {
                endWord()
                out.append(0x20); starts.append(scalar); ends.append(scalar + 1)
                breaks += 1
                continue
            }
            if startsWord(i) {
                endWord()
                out.append(0x20); starts.append(scalar); ends.append(scalar + 1)
                breaks += 1
            }
            if isLetter {
                if letters == 0 { capitalFirst = upper(b) } else if upper(b) { innerCapitals += 1 }
                letters += 1
            } else if b >= 0x80 {
                // Another script's letters count as plain letters (a quote mark in a word too).
                if b & 0xC0 != 0x80 { others += 1 }
            } else if b &- 0x30 < 10 {
                digits += 1
            } else {
                endWord()
            }
            out.append(b)
            if b & 0xC0 != 0x80 { starts.append(scalar); ends.append(scalar + 1) }
        }
        endWord()
        guard breaks >= minBreaks, words >= minWords, plain * 10 >= words * 9 else { return nil }
        return DecodedLayer(encoding: "joined_words", text: String(decoding: out, as: UTF8.self), mapping: .table(starts, ends))
    }

    /// Everyday English words that a text without spaces is cut into besides the engine's
    /// vocabulary (the rules' words): the short words every sentence has, and the verbs and nouns
    /// of requests to a model.
    static let segmentationWords = [
        "a", "i", "an", "as", "at", "be", "by", "do", "go", "if", "in", "is", "it", "me", "my", "no", "of", "on", "or",
        "so", "to", "up", "us", "we", "am", "are", "was", "were", "been", "has", "have", "had", "can", "could", "will",
        "would", "shall", "should", "must", "may", "might", "not", "but", "for", "with", "from", "into", "about", "this",
        "that", "these", "those", "there", "here", "what", "which", "who", "whom", "how", "why", "when", "where", "then",
        "than", "them", "they", "their", "his", "her", "him", "she", "our", "its", "one", "two", "some", "every", "each",
        "other", "more", "most", "only", "just", "also", "very", "even", "still", "again", "never", "always", "ever",
        "thing", "things", "anything", "everything", "nothing", "something", "let", "lets", "make", "made", "want",
        "need", "know", "like", "tell", "told", "give", "write", "wrote", "print", "show", "list", "repeat", "start",
        "begin", "stop", "end", "answer", "reply", "respond", "response", "output", "input", "text", "word", "words",
        "story", "poem", "letter", "message", "question", "user", "assistant", "model", "chatbot", "bot", "human",
        "person", "character", "role", "act", "play", "game", "pretend", "imagine", "new", "old", "first", "last",
        "next", "following", "before", "after", "below", "over", "under", "off", "out", "now", "today", "please",
        "thank", "thanks", "yes", "okay", "sure", "true", "false", "right", "wrong", "good", "bad", "evil", "free",
        "allowed", "limits", "policy", "policies", "guidelines", "content", "filter", "safety", "ethical", "moral",
        "legal", "illegal", "harmful", "dangerous", "how", "way", "step", "steps", "detail", "detailed", "code",
        "key", "keys", "token", "data", "file", "files", "email", "name", "number", "money", "bank", "account",
    ]

    /// Inflections a word of the vocabulary may carry and still be read as that word ("ignored",
    /// "instructions", "following").
    /// Letters cut at a time: a longer run is cut in pieces this long.
    static let segmentationPiece = 256

    static let segmentationSuffixes: [[UInt8]] = ["s", "es", "ed", "d", "ing", "er", "ers", "ly", "ion", "ions"].map { Array($0.utf8) }

    /// Text written without spaces ("Ignoreallpreviousinstructions"), read as words: each run of
    /// at least twelve ASCII letters is cut, in pieces of up to `segmentationPiece` letters, where
    /// a cheapest cover by `words` (a word, inflected or not, costs 2; a letter no word covers, 3)
    /// puts the word ends, and a `.`, `/`, `+`, `_` or `-` between two letters reads as a space.
    /// A piece is cut only when words cover seven tenths of its letters (base64, hashes and
    /// identifiers do not read so), and at most `budget` letters are tried, so a long blob costs a
    /// bounded amount; the reading then stops where the last piece ended (`partial`). Nil unless
    /// three cuts or more find at least four words of three letters.
    static func segmentedWords(_ text: UnsafeBufferPointer<UInt8>, words: WordSet, budget: Int = 4096) -> DecodedLayer? {
        let n = text.count
        @inline(__always) func letter(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }
        @inline(__always) func joiner(_ b: UInt8) -> Bool { b == 0x2E || b == 0x2F || b == 0x2B || b == 0x5F || b == 0x2D }
        var cuts: [Int] = []          // byte offsets where a space goes in before the byte
        var cutLetters = 0, found = 0
        // best[k]: the cheapest cover of a piece's first k letters; from[k]: where its last part
        // starts; known[k]: whether that part is a word.
        var best = [Int32](repeating: 0, count: segmentationPiece + 1)
        var from = [Int32](repeating: 0, count: segmentationPiece + 1)
        var known = [Bool](repeating: false, count: segmentationPiece + 1)
        var pieceCuts: [Int] = []
        var pieceEnd = 0
        var i = 0
        while i < n && cutLetters < budget {
            guard letter(text[i]) else { i += 1; continue }
            var j = i
            while j < n && letter(text[j]) { j += 1 }
            // A long run is cut piece by piece; each piece is kept only if words cover seven tenths
            // of it, so letters that are no words (a blob, padding) leave the rest to be read.
            var p = i
            while j - i >= 12 && p < j && cutLetters < budget {
                let length = min(j - p, segmentationPiece, budget - cutLetters)
                cutLetters += length
                for k in 0...length { best[k] = .max; known[k] = false }
                best[0] = 0
                for a in 0..<length where best[a] != .max {
                    let cost = best[a]
                    if cost + 3 < best[a + 1] { best[a + 1] = cost + 3; from[a + 1] = Int32(a); known[a + 1] = false }
                    var h: UInt64 = 0xcbf29ce484222325
                    var e = a
                    while e < length && e - a < words.longest {
                        h = (h ^ UInt64(text[p + e] | 0x20)) &* 0x100000001b3
                        e += 1
                        guard words.contains(hash: h) else { continue }
                        // On a tie the later cut wins: the longer earlier word ("now in", not "no win").
                        if cost + 2 <= best[e] { best[e] = cost + 2; from[e] = Int32(a); known[e] = true }
                        for suffix in segmentationSuffixes where e + suffix.count <= length {
                            var k = 0
                            while k < suffix.count && text[p + e + k] | 0x20 == suffix[k] { k += 1 }
                            if k == suffix.count && cost + 2 <= best[e + k] { best[e + k] = cost + 2; from[e + k] = Int32(a); known[e + k] = true }
                        }
                    }
                }
                // Walk back from the end: a cut before each word, and before each stretch of
                // uncovered letters that follows a word.
                pieceCuts.removeAll(keepingCapacity: true)
                var covered = 0, words3 = 0
                var k = length
                while k > 0 {
                    let a = Int(from[k])
                    if known[k] {
                        if k - a >= 3 { words3 += 1 }
                        covered += k - a
                        if a > 0 { pieceCuts.append(p + a) }
                    } else if a > 0 && known[a] {
                        pieceCuts.append(p + a)
                    }
                    k = a
                }
                if covered * 10 >= length * 7 {
                    found += words3
                    cuts.append(contentsOf: pieceCuts.reversed())
                }
                p += length
                pieceEnd = p
            }
            i = j
        }
        guard found >= 4, cuts.count >= 3 else { return nil }
        // Past the budget the reading stops where the last piece ended: the rest is read as written
        // (and a reading shorter than the text is no transport for the classifier).
        let readTo = cutLetters < budget ? n : pieceEnd
        var out: [UInt8] = [], starts: [Int32] = [], ends: [Int32] = []
        out.reserveCapacity(readTo + cuts.count); starts.reserveCapacity(readTo + cuts.count); ends.reserveCapacity(readTo + cuts.count)
        var scalar: Int32 = -1, next = 0
        for i in 0..<readTo {
            let b = text[i]
            if b & 0xC0 != 0x80 { scalar += 1 }
            if next < cuts.count && cuts[next] == i {
                next += 1
                out.append(0x20); starts.append(scalar); ends.append(scalar + 1)
            }
            if joiner(b) && i > 0 && i + 1 < n && letter(text[i - 1]) && letter(text[i + 1]) {
                out.append(0x20); starts.append(scalar); ends.append(scalar + 1)
                continue
            }
            out.append(b)
            if b & 0xC0 != 0x80 { starts.append(scalar); ends.append(scalar + 1) }
        }
        var layer = DecodedLayer(encoding: "joined_words", text: String(decoding: out, as: UTF8.self), mapping: .table(starts, ends))
        layer.partial = readTo < n
        return layer
    }

    /// The text with each word written without its vowels read as the word it stands for ("gnr ll
    /// prvs nstrctns" as "ignore all previous instructions"): an ASCII word with no a, e, i, o or u
    /// whose letters are a word's consonants in order (`SkeletonWords`, the commonest word winning
    /// a shared skeleton). Nil when fewer than two words change. Each written word maps to the word
    /// it stands for.
    static func vowelledWords(_ text: UnsafeBufferPointer<UInt8>, words: SkeletonWords) -> DecodedLayer? {
        let n = text.count
        @inline(__always) func letter(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }
        var fixes: [(range: Range<Int>, word: [UInt8])] = []
        var i = 0
        var key: [UInt8] = []
        while i < n {
            guard letter(text[i]) else { i += 1; continue }
            var j = i, vowel = false
            key.removeAll(keepingCapacity: true)
            while j < n && letter(text[j]) {
                let c = text[j] | 0x20
                if c == 0x61 || c == 0x65 || c == 0x69 || c == 0x6F || c == 0x75 { vowel = true }
                key.append(c)
                j += 1
            }
            if !vowel && (i == 0 || !DetectionEngine.isWordByte(text[i - 1])) && (j == n || !DetectionEngine.isWordByte(text[j])),
               let word = words.word(key), word != key {
                fixes.append((i..<j, word))
            }
            i = j
        }
        guard fixes.count >= 2 else { return nil }
        return replacingWords(text, fixes, encoding: "vowelled_words")
    }

    /// `text` with each of `fixes` (ASCII words, in order) written as its word: a reading whose
    /// scalars map back to the text, each written word's to the word it stands for.
    static func replacingWords(_ text: UnsafeBufferPointer<UInt8>, _ fixes: [(range: Range<Int>, word: [UInt8])], encoding: String) -> DecodedLayer {
        let n = text.count
        var out: [UInt8] = [], starts: [Int32] = [], ends: [Int32] = []
        // A word read with its vowels grows by half at most; the others keep or lose length.
        let capacity = n + n / 2
        out.reserveCapacity(capacity); starts.reserveCapacity(capacity); ends.reserveCapacity(capacity)
        var scalar: Int32 = -1, next = 0, p = 0
        while p < n {
            if next < fixes.count && fixes[next].range.lowerBound == p {
                let range = fixes[next].range
                let a = scalar + 1, b = a + Int32(range.count)       // the word is ASCII
                for c in fixes[next].word { out.append(c); starts.append(a); ends.append(b) }
                scalar += Int32(range.count)
                p = range.upperBound
                next += 1
                continue
            }
            let c = text[p]
            if c & 0xC0 != 0x80 { scalar += 1; starts.append(scalar); ends.append(scalar + 1) }
            out.append(c)
            p += 1
        }
        return DecodedLayer(encoding: encoding, text: String(decoding: out, as: UTF8.self), mapping: .table(starts, ends))
    }

    /// The text with each word written in pig Latin read as the word it stands for: an ASCII word
    /// ending in "ay" whose stem, with its last one to three letters moved back to the front
    /// ("gnoreiay", "eviouspray"), or without a closing w, y or h ("allway", "allyay"), or as it
    /// stands ("allay"), is a word of `words` (tried in that order); any other such word with its
    /// last letter moved back. Nil when fewer than two words change.
    static func pigLatinWords(_ text: UnsafeBufferPointer<UInt8>, words: WordSet) -> DecodedLayer? {
        let n = text.count
        @inline(__always) func letter(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }
        var fixes: [(range: Range<Int>, word: [UInt8])] = []
        var i = 0
        var stem: [UInt8] = [], candidate: [UInt8] = []
        while i < n {
            guard letter(text[i]) else { i += 1; continue }
            var j = i
            while j < n && letter(text[j]) { j += 1 }
            defer { i = j }
            guard j - i >= 4, j - i <= 24, text[j - 2] | 0x20 == 0x61, text[j - 1] | 0x20 == 0x79,
                  i == 0 || !DetectionEngine.isWordByte(text[i - 1]), j == n || !DetectionEngine.isWordByte(text[j]) else { continue }
            stem.removeAll(keepingCapacity: true)
            for k in i ..< j - 2 { stem.append(text[k] | 0x20) }
            let m = stem.count
            var found: [UInt8]?
            for k in 1...min(3, m - 1) {
                candidate.removeAll(keepingCapacity: true)
                candidate.append(contentsOf: stem[(m - k)...]); candidate.append(contentsOf: stem[..<(m - k)])
                if words.contains(candidate[...]) { found = candidate; break }
            }
            if found == nil, m >= 2, stem[m - 1] == 0x77 || stem[m - 1] == 0x79 || stem[m - 1] == 0x68, words.contains(stem[..<(m - 1)]) {
                found = Array(stem[..<(m - 1)])
            }
            if found == nil, words.contains(stem[...]) { found = stem }
            // A word the list does not have: its last letter moved back (the commoner way).
            if found == nil, m >= 2 { found = [stem[m - 1]] + stem[..<(m - 1)] }
            if let word = found { fixes.append((i..<j, word)) }
        }
        guard fixes.count >= 2 else { return nil }
        return replacingWords(text, fixes, encoding: "pig_latin")
    }

    /// The text with each word (five to sixteen ASCII letters) that is one typo away from a word of
    /// `words` written as that word: two neighbouring letters swapped ("ignroe"), or, in words of
    /// seven letters or more, one letter dropped, added or changed ("previus", "instructionns").
    /// The first and last letters must be right, as they are in most typos. Words are looked at in
    /// the first `window` bytes only (where a long prompt's attack starts, and all of a short one;
    /// a long benign text costs no more than its start). Nil when no word changes. Each written
    /// word maps to the word it stands for.
    static func correctedWords(_ text: UnsafeBufferPointer<UInt8>, words: TypoWords, window: Int = 1024) -> DecodedLayer? {
        let n = text.count
        let end = min(n, window)
        @inline(__always) func letter(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }
        var fixes: [(range: Range<Int>, word: Int)] = []
        var i = 0
        while i < end {
            guard letter(text[i]) else { i += 1; continue }
            var j = i + 1
            // Lower-case letters eight at a time (a word's tail), then byte by byte.
            if let base = text.baseAddress {
                while j &+ 8 <= n {
                    let other = DetectionEngine.notLowerMask(UnsafeRawPointer(base + j).loadUnaligned(as: UInt64.self))
                    if other != 0 { j &+= other.trailingZeroBitCount &>> 3; break }
                    j &+= 8
                }
            }
            while j < n && letter(text[j]) { j += 1 }
            // A word stands alone: no digit, underscore or non-ASCII letter glued to it.
            if j - i >= 5 && j - i <= 16 && (i == 0 || !DetectionEngine.isWordByte(text[i - 1]))
                && (j == n || !DetectionEngine.isWordByte(text[j])),
               let w = words.match(UnsafeBufferPointer(rebasing: text[i..<j])) {
                fixes.append((i..<j, w))
            }
            i = j
        }
        guard !fixes.isEmpty else { return nil }
        return replacingWords(text, fixes.map { ($0.range, words.words[$0.word]) }, encoding: "corrected_words")
    }

    /// Text written one character per line ("I\ng\nn\no\nr\ne\n \na\nl\nl"), read across: the
    /// characters of consecutive one-character lines join into a word, a blank line (or one of
    /// spaces) between them is a space, and longer lines stay, set apart by spaces. Nil unless at
    /// least eight lines, and seven in ten of those not blank, hold a single character.
    static func verticalText(_ text: UnsafeBufferPointer<UInt8>) -> DecodedLayer? {
        let n = text.count
        @inline(__always) func blank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D }
        @inline(__always) func scalarLength(_ b: UInt8) -> Int { b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4 }
        // Each line's content without the blanks around it: [a, b).
        func lines(_ body: (Int, Int) -> Void) {
            var i = 0
            while i < n {
                var j = i
                while j < n && text[j] != 0x0A { j += 1 }
                var a = i, b = j
                while a < b && blank(text[a]) { a += 1 }
                while b > a && blank(text[b - 1]) { b -= 1 }
                body(a, b)
                i = j + 1
            }
        }
        // A line that writes its character as an identity, "X = nX - mX" (PyRIT's math
        // obfuscation), stands for X alone; whatever follows the identity is not read.
        @inline(__always) func digits(_ p: inout Int, _ b: Int) -> Bool {
            let start = p
            while p < b && text[p] &- 0x30 < 10 { p += 1 }
            return p > start
        }
        @inline(__always) func same(_ p: Int, _ a: Int, _ length: Int, _ b: Int) -> Bool {
            guard p + length <= b else { return false }
            for k in 0..<length where text[p + k] != text[a + k] { return false }
            return true
        }
        func identity(_ a: Int, _ b: Int) -> Bool {
            let length = scalarLength(text[a])
            var p = a + length
            guard p + 3 <= b, text[p] == 0x20, text[p + 1] == 0x3D, text[p + 2] == 0x20 else { return false }
            p += 3
            guard digits(&p, b), same(p, a, length, b) else { return false }
            p += length
            guard p + 3 <= b, text[p] == 0x20, text[p + 1] == 0x2D, text[p + 2] == 0x20 else { return false }
            p += 3
            guard digits(&p, b), same(p, a, length, b) else { return false }
            p += length
            return p == b || text[p] == 0x20
        }
        @inline(__always) func single(_ a: Int, _ b: Int) -> Bool { scalarLength(text[a]) == b - a || identity(a, b) }
        var filled = 0, singles = 0
        lines { a, b in
            guard b > a else { return }
            filled += 1
            if single(a, b) { singles += 1 }
        }
        guard singles >= 8, singles * 10 >= filled * 7 else { return nil }
        var out: [UInt8] = [], starts: [Int32] = [], ends: [Int32] = []
        out.reserveCapacity(n); starts.reserveCapacity(n); ends.reserveCapacity(n)
        // The scalar offset of each byte, counted as the lines go by.
        var scalar: Int32 = 0, counted = 0
        func scalarAt(_ p: Int) -> Int32 {
            while counted < p { if text[counted] & 0xC0 != 0x80 { scalar += 1 }; counted += 1 }
            return scalar
        }
        func space(at p: Int) {
            guard let last = out.last, last != 0x20 else { return }
            let s = scalarAt(p)
            out.append(0x20); starts.append(s); ends.append(s + 1)
        }
        var lastWasSingle = false
        lines { a, b in
            guard b > a else { space(at: a); lastWasSingle = false; return }
            let letter = scalarLength(text[a]) == b - a
            let equation = !letter && identity(a, b)
            let single = letter || equation
            if !single || !lastWasSingle { space(at: a) }
            var p = a
            let end = equation ? a + scalarLength(text[a]) : b
            while p < end {
                if text[p] & 0xC0 != 0x80 { let s = scalarAt(p); starts.append(s); ends.append(s + 1) }
                out.append(text[p]); p += 1
            }
            if !single { space(at: b) }
            lastWasSingle = single
        }
        return DecodedLayer(encoding: "joined_words", text: String(decoding: out, as: UTF8.self), mapping: .table(starts, ends))
    }

    /// The text with a lone `_` (not `__`) and a `-` between two letters read as spaces
    /// (`ignore_all_previous`, `reveal-the-prompt`).
    static func separateWords(_ text: UnsafeBufferPointer<UInt8>) -> DecodedLayer {
        var out = Array(text)
        let n = out.count
        @inline(__always) func letter(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }
        for i in 1..<max(1, n - 1) {
            let b = text[i]
            if b == 0x5F ? text[i - 1] != 0x5F && text[i + 1] != 0x5F : b == 0x2D && letter(text[i - 1]) && letter(text[i + 1]) {
                out[i] = 0x20
            }
        }
        return DecodedLayer(encoding: "joined_words", text: String(decoding: out, as: UTF8.self), mapping: .identity)
    }

    /// Words written with letters stuttered ("Ignoree alll previouss instructionss") read as the
    /// keyword words they stretch: a token of ASCII letters whose runs of one letter are each at
    /// least as long as a vocabulary word's, and longer somewhere, loses the extra letters
    /// (`StutterWords`). Nil unless at least two tokens fold that way: "Sooo good" or "yesss" alone
    /// is how people write, and a word spelt with its own double letters ("all", "access") is
    /// already the word.
    static func destutteredWords(_ text: UnsafeBufferPointer<UInt8>, words: StutterWords) -> DecodedLayer? {
        let n = text.count
        guard n >= 8, !words.isEmpty else { return nil }
        @inline(__always) func letter(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }
        var drops: [Int] = []
        var folded = 0
        var runs: [(at: Int, length: Int)] = []
        var i = 0
        while i < n {
            guard letter(text[i]) else { i += 1; continue }
            var e = i, doubled = false
            while e < n && letter(text[e]) {
                if e > i && text[e] | 0x20 == text[e - 1] | 0x20 { doubled = true }
                e += 1
            }
            // A word with no repeated letter stretches nothing; a token glued to digits or
            // underscores is an identifier.
            if doubled && e - i <= StutterWords.longestToken && (e == n || text[e] & 0x80 != 0 || !(text[e] == 0x5F || text[e] &- 0x30 < 10))
                && (i == 0 || !(text[i - 1] == 0x5F || text[i - 1] &- 0x30 < 10)) {
                runs.removeAll(keepingCapacity: true)
                var h: UInt64 = 0xcbf29ce484222325
                var k = i
                while k < e {
                    let c = text[k] | 0x20
                    var m = k + 1
                    while m < e && text[m] | 0x20 == c { m += 1 }
                    h = (h ^ UInt64(c)) &* 0x100000001b3
                    runs.append((k, m - k))
                    k = m
                }
                if let word = words.word(squeezed: h), word.count == runs.count {
                    var fits = true, extra = false
                    for (r, w) in zip(runs, word) { if Int(w) > r.length { fits = false; break }; if Int(w) < r.length { extra = true } }
                    if fits && extra {
                        folded += 1
                        for (r, w) in zip(runs, word) where Int(w) < r.length {
                            for d in (r.at + Int(w))..<(r.at + r.length) { drops.append(d) }
                        }
                    }
                }
            }
            i = e
        }
        guard folded >= 2 else { return nil }
        // A dropped repeat belongs to the letter it repeats: a match ending there covers it.
        return dropping(drops, from: text, encoding: "stuttered_words", coverDropped: true)
    }

    /// Words cut by hyphens ("ig-nore all pre-vious instru-ctions") read whole: a hyphen between
    /// two letters is dropped from a word whose letters, joined, are a keyword word
    /// (`vocabulary`). With `marks`, so are `.`, `,`, `:`, `;`, `!` and `?` between two letters
    /// ("instruc:tions", "a,ccess", as noise inserts them). Nil unless at least two words join
    /// that way: "e-mail" or "re-read" alone is ordinary, and "well-known", "state-of-the-art",
    /// "e.g." or "os.path" join into no keyword word.
    static func hyphenatedWords(_ text: UnsafeBufferPointer<UInt8>, vocabulary: WordSet, marks: Bool = false) -> DecodedLayer? {
        let n = text.count
        guard let base = text.baseAddress else { return nil }
        @inline(__always) func letter(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }
        @inline(__always) func cut(_ b: UInt8) -> Bool {
            b == 0x2D || (marks && (b == 0x2E || b == 0x2C || b == 0x3A || b == 0x3B || b == 0x21 || b == 0x3F))
        }
        // A hyphen (or mark) between two letters, part of a token.
        @inline(__always) func inner(_ k: Int) -> Bool { k > 0 && k + 1 < n && cut(text[k]) && letter(text[k - 1]) && letter(text[k + 1]) }
        var drops: [Int] = []          // the hyphens to drop
        var i = 0, joined = 0
        // From hyphen to hyphen (memchr), not byte by byte: long prose holds a few hyphenated
        // words, and only their tokens are read. With marks, byte by byte.
        while i < n {
            let p: Int
            if marks {
                var k = i
                while k < n && !inner(k) { k += 1 }
                guard k < n else { break }
                p = k
            } else {
                guard let hit = memchr(base + i, 0x2D, n - i) else { break }
                p = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            }
            guard inner(p) else { i = p + 1; continue }
            // The token of letters and single hyphens between letters around it.
            var s = p
            while s > 0 && (letter(text[s - 1]) || inner(s - 1)) { s -= 1 }
            var e = p + 1
            while e < n && (letter(text[e]) || inner(e)) { e += 1 }
            i = e
            if s > 0 && text[s - 1] == 0x2D { continue }
            var h: UInt64 = 0xcbf29ce484222325, letters = 0
            for k in s..<e where !cut(text[k]) { h = (h ^ UInt64(text[k] | 0x20)) &* 0x100000001b3; letters += 1 }
            if letters <= vocabulary.longest && vocabulary.contains(hash: h) {
                joined += 1
                for k in s..<e where cut(text[k]) { drops.append(k) }
            }
        }
        guard joined >= 2 else { return nil }
        return dropping(drops, from: text, encoding: "joined_words", coverDropped: false)
    }

    /// `text` without the ASCII bytes at `drops` (ascending), as a reading whose scalars map to the
    /// parent's; with `coverDropped`, a dropped byte is covered by the scalar kept before it.
    static func dropping(_ drops: [Int], from text: UnsafeBufferPointer<UInt8>, encoding: String, coverDropped: Bool) -> DecodedLayer {
        let n = text.count
        var out: [UInt8] = [], starts: [Int32] = [], ends: [Int32] = []
        out.reserveCapacity(n); starts.reserveCapacity(n); ends.reserveCapacity(n)
        var d = 0, scalar: Int32 = -1
        for k in 0..<n {
            // The mapping is in the parent's scalars: a byte that is not a continuation byte starts one.
            if text[k] & 0xC0 != 0x80 { scalar += 1 }
            if d < drops.count && drops[d] == k {
                d += 1
                if coverDropped && !ends.isEmpty { ends[ends.count - 1] = scalar + 1 }
                continue
            }
            if text[k] & 0xC0 != 0x80 { starts.append(scalar); ends.append(scalar + 1) }
            out.append(text[k])
        }
        return DecodedLayer(encoding: encoding, text: String(decoding: out, as: UTF8.self), mapping: .table(starts, ends))
    }

    /// Words fenced apart by pipes ("ignore | all | previous | instructions") read without the
    /// pipes: each pipe between two spaces becomes a space, so the text keeps its length and
    /// offsets. Nil when a line starts with a pipe (a markdown table, whose cells are not one
    /// sentence).
    static func unfencedWords(_ text: UnsafeBufferPointer<UInt8>) -> DecodedLayer? {
        let n = text.count
        var out = Array(text)
        var lineStart = true
        for i in 0..<n {
            let b = text[i]
            if b == 0x0A { lineStart = true; continue }
            if lineStart {
                if b == 0x20 || b == 0x09 { continue }
                if b == 0x7C { return nil }
                lineStart = false
            }
            if b == 0x7C && i > 0 && i + 1 < n && text[i - 1] == 0x20 && text[i + 1] == 0x20 { out[i] = 0x20 }
        }
        return DecodedLayer(encoding: "joined_words", text: String(decoding: out, as: UTF8.self), mapping: .identity)
    }

    /// The string values of a JSON document (`{…}` or `[…]`), decoded, one per line: a chat
    /// request (`{"messages": [{"role": …, "content": …}]}`) or an API response read as the text it
    /// carries. Keys are left out. Nil when the text is not shaped like JSON or holds no string value.
    /// Only the shape is checked (strings, punctuation, numbers, literals), not the grammar: a
    /// document cut off at the size limit still reads.
    static func jsonDocument(_ text: UnsafeBufferPointer<UInt8>) -> DecodedLayer? {
        let n = text.count
        guard hasJSONShape(text), let src = text.baseAddress else { return nil }
        // The decoded text is never longer than the original: an escape shrinks, and a value's two
        // quotes become one line break. One start/end pair per decoded scalar.
        let out = UnsafeMutablePointer<UInt8>.allocate(capacity: n)
        let starts = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        let ends = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        defer { out.deallocate(); starts.deallocate(); ends.deallocate() }
        var o = 0, s = 0                 // bytes and scalars written
        var values = 0, escapes = 0, messages = false
        var valueStarts: [Int] = [], valueObjects: [Int] = []
        var objects: [Int] = [], objectCount = 0, systemObjects: Set<Int> = []
        var roleValue = false           // the string after a "role" key
        var i = 0
        var scalar: Int32 = 0
        var metadataValue = false      // the string after a metadata key is not text
        while i < n {
            let c = src[i]
            if c != 0x22 {
                if c != 0x3A && !isJSONSpace(c) { metadataValue = false; roleValue = false }
                if c == 0x7B { objects.append(objectCount); objectCount += 1 } else if c == 0x7D { _ = objects.popLast() }
                // Outside strings only JSON's punctuation, numbers and literals.
                guard isJSONSpace(c) || c == 0x7B || c == 0x7D || c == 0x5B || c == 0x5D || c == 0x2C || c == 0x3A
                        || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x2B || c == 0x2E || c == 0x65 || c == 0x45
                        || jsonLiteralLetter(c) else { return nil }
                i += 1; scalar += 1
                continue
            }
            // A string: decode it, then drop it again if it was a key.
            let markBytes = o, markScalars = s
            i += 1; scalar += 1
            var closed = false
            while i < n {
                let b = src[i]
                if b < 0x80 {
                    if b == 0x22 { closed = true; break }
                    if b == 0x5C, i + 1 < n {
                        let e = src[i + 1]
                        if e == 0x75, let (v, used) = unicodeEscape(text, at: i) {
                            for u in String(Unicode.Scalar(v) ?? "\u{FFFD}").utf8 { out[o] = u; o += 1 }
                            starts[s] = scalar; ends[s] = scalar + Int32(used); s += 1
                            i += used; scalar += Int32(used); escapes += 1
                            continue
                        }
                        if let v = jsonEscape(e) {
                            out[o] = v; o += 1
                            starts[s] = scalar; ends[s] = scalar + 2; s += 1
                            i += 2; scalar += 2; escapes += 1
                            continue
                        }
                    }
                    out[o] = b; o += 1
                    starts[s] = scalar; ends[s] = scalar + 1; s += 1
                    i += 1; scalar += 1
                } else {
                    let len = b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
                    let end = min(n, i + len)
                    while i < end { out[o] = src[i]; o += 1; i += 1 }
                    starts[s] = scalar; ends[s] = scalar + 1; s += 1
                    scalar += 1
                }
            }
            guard closed else { return nil }
            i += 1; scalar += 1
            var k = i
            while k < n && isJSONSpace(src[k]) { k += 1 }
            let isKey = k < n && src[k] == 0x3A
            if isKey || o == markBytes || metadataValue {
                let key = UnsafeBufferPointer(start: out + markBytes, count: o - markBytes)
                if roleValue && !isKey, let object = objects.last, systemRoles.contains(where: { $0.elementsEqual(key) }) {
                    systemObjects.insert(object)
                }
                metadataValue = isKey && isMetadataKey(key)
                roleValue = metadataValue && key.elementsEqual(roleKey)
                if roleValue { messages = true }
                o = markBytes; s = markScalars
                continue
            }
            // One value per line; the line break stands for the closing quote.
            out[o] = 0x0A; o += 1
            starts[s] = scalar - 1; ends[s] = scalar; s += 1
            values += 1
            valueStarts.append(markBytes)
            valueObjects.append(objects.last ?? -1)
        }
        guard values > 0 else { return nil }
        let systemValues = valueObjects.map { systemObjects.contains($0) }
        return DecodedLayer(encoding: "json", text: String(decoding: UnsafeBufferPointer(start: out, count: o), as: UTF8.self),
                            mapping: .table(Array(UnsafeBufferPointer(start: starts, count: s)), Array(UnsafeBufferPointer(start: ends, count: s))),
                            escapes: escapes, messages: messages, valueStarts: valueStarts, systemValues: systemValues)
    }

    /// Keys whose values label a message rather than carry text (`"role": "user"`), so a chat
    /// message's text starts its own line as it would on its own.
    static let roleKey = Array("role".utf8)
    static let systemRoles = [Array("system".utf8), Array("developer".utf8)]
    static let metadataKeys: [[UInt8]] = [roleKey] + ["type", "name", "id", "model", "object"].map { Array($0.utf8) }

    static func isMetadataKey(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        guard key.count <= 6 else { return false }
        return metadataKeys.contains { $0.elementsEqual(key) }
    }

    /// `\uHHHH` at `i` (which holds the backslash): its value, a UTF-16 surrogate pair joined into
    /// one scalar, and the bytes it takes (6 or 12). Nil when four hex digits do not follow.
    static func unicodeEscape(_ s: UnsafeBufferPointer<UInt8>, at i: Int) -> (UInt32, Int)? {
        @inline(__always) func hex4(_ k: Int) -> UInt32? {
            guard k + 4 <= s.count else { return nil }
            var v: UInt32 = 0
            for j in k..<k + 4 { guard let h = hexValue(s[j]) else { return nil }; v = v << 4 | UInt32(h) }
            return v
        }
        guard let v = hex4(i + 2) else { return nil }
        if (0xD800...0xDBFF).contains(v), i + 12 <= s.count, s[i + 6] == 0x5C, s[i + 7] == 0x75,
           let low = hex4(i + 8), (0xDC00...0xDFFF).contains(low) {
            return (0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00), 12)
        }
        return (v, 6)
    }

    /// Starts with `{` and ends with `}`, or `[` and `]`, whitespace aside: maybe a JSON document.
    static func hasJSONShape(_ buf: UnsafeBufferPointer<UInt8>) -> Bool {
        var a = 0, z = buf.count - 1
        while a < z && isJSONSpace(buf[a]) { a += 1 }
        while z > a && isJSONSpace(buf[z]) { z -= 1 }
        guard a < z else { return false }
        return (buf[a] == 0x7B && buf[z] == 0x7D) || (buf[a] == 0x5B && buf[z] == 0x5D)
    }

    @inline(__always) static func isJSONSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    /// Letters of `true`, `false` and `null`.
    @inline(__always) static func jsonLiteralLetter(_ b: UInt8) -> Bool {
        switch b {
        case 0x74, 0x72, 0x75, 0x65, 0x66, 0x61, 0x6C, 0x73, 0x6E: return true
        default: return false
        }
    }

    /// The byte a JSON simple escape `\e` stands for. Backspace and form feed become spaces: they
    /// separate words and nothing else in the text depends on them.
    @inline(__always) static func jsonEscape(_ e: UInt8) -> UInt8? {
        switch e {
        case 0x6E: return 0x0A            // n
        case 0x72: return 0x0D            // r
        case 0x74: return 0x09            // t
        case 0x22, 0x5C, 0x2F: return e   // " \ /
        case 0x62, 0x66: return 0x20      // b f
        default: return nil
        }
    }

    static let namedEntities: [String: UInt32] = [
        "lt": 0x3C, "gt": 0x3E, "amp": 0x26, "quot": 0x22, "apos": 0x27, "nbsp": 0x20, "sol": 0x2F, "colon": 0x3A,
        "lpar": 0x28, "rpar": 0x29, "lsqb": 0x5B, "rsqb": 0x5D, "lbrack": 0x5B, "rbrack": 0x5D, "excl": 0x21,
        "quest": 0x3F, "period": 0x2E, "comma": 0x2C, "equals": 0x3D, "num": 0x23, "newline": 0x0A,
    ]

    /// An HTML entity at `i` (which holds "&"): its scalar value and byte length.
    private static func htmlEntity(_ s: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt32, Int)? {
        var j = i + 1
        let n = s.count
        if j < n && s[j] == 0x23 {
            j += 1
            var isHex = false
            if j < n && (s[j] | 0x20) == 0x78 { isHex = true; j += 1 }
            var v: UInt32 = 0
            let digitsStart = j
            while j < n && j - digitsStart < 8 {
                if isHex, let h = hexValue(s[j]) { v = v * 16 + UInt32(h) } else if !isHex, s[j] >= 0x30 && s[j] <= 0x39 { v = v * 10 + UInt32(s[j] - 0x30) } else { break }
                j += 1
            }
            guard j > digitsStart, Unicode.Scalar(v) != nil else { return nil }
            if j < n && s[j] == 0x3B { j += 1 }
            return (v, j - i)
        }
        var name = ""
        while j < n && j - i <= 8, (s[j] | 0x20) >= 0x61 && (s[j] | 0x20) <= 0x7A { name.unicodeScalars.append(Unicode.Scalar(s[j] | 0x20)); j += 1 }
        guard j < n, s[j] == 0x3B, let v = namedEntities[name] else { return nil }
        return (v, j + 1 - i)
    }

    /// `text` with its Unicode scalars in reverse order.
    static func reversed(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        out.append(contentsOf: text.unicodeScalars.reversed())
        return String(out)
    }

    /// Character codes written as decimal numbers ("73 103 110 111 114 101", "[73, 103, 110]",
    /// "2346 2367 2331", "26080 35270"): each run of at least eight numbers, all of them printable
    /// characters (ASCII from 32, or from U+00A0 up, no surrogates) or a tab or line break,
    /// separated by spaces, commas or semicolons, decoded where it reads as prose (a space, or an
    /// ideographic comma or full stop, among its characters): each run's byte range in `text`,
    /// in text order, at most `limit` of them, and whether it was read in octal. A run that is not
    /// decimal codes is read as octal bytes of UTF-8 when every number has three digits from 0 to
    /// 7 ("111 147 156 157 162 145 040", as `%03o` writes them; a space is 040).
    static func charCodes(_ text: UnsafeBufferPointer<UInt8>, limit: Int) -> [(range: Range<Int>, text: String, octal: Bool)] {
        var found: [(range: Range<Int>, text: String, octal: Bool)] = []
        let n = text.count
        var i = 0
        var decoded: [UInt8] = [], values: [UInt32] = [], octets: [UInt8] = []
        while i < n && found.count < limit {
            guard text[i] &- 0x30 < 10, i == 0 || !(text[i - 1] &- 0x30 < 10 || (text[i - 1] | 0x20) &- 0x61 < 26) else { i += 1; continue }
            // A run starting at i: number (separator+ number)*, read as decimal codes and as octal
            // bytes at once while either reading holds.
            let start = i
            var end = i, decimalEnd = i
            var j = i
            values.removeAll(keepingCapacity: true)
            octets.removeAll(keepingCapacity: true)
            var decimal = true, octal = true
            var prose = false, octalProse = false
            while j < n {
                var value = 0, octalValue = 0, digits = 0, octalDigits = true
                while j < n && text[j] &- 0x30 < 10 && digits < 8 {
                    let d = Int(text[j] &- 0x30)
                    value = value * 10 + d
                    octalValue = octalValue * 8 + d
                    if d > 7 { octalDigits = false }
                    digits += 1; j += 1
                }
                guard digits > 0, digits < 8, j == n || !(text[j] &- 0x30 < 10 || (text[j] | 0x20) &- 0x61 < 26) else { break }
                let decimalHolds = decimal && ((32...126).contains(value) || value == 9 || value == 10 || value == 13
                    || (value >= 0xA0 && value <= 0x10FFFF && !(0xD800...0xDFFF).contains(value)))
                let octalHolds = octal && digits == 3 && octalDigits && octalValue <= 0xFF
                    && (octalValue >= 32 || octalValue == 9 || octalValue == 10 || octalValue == 13) && octalValue != 127
                guard decimalHolds || octalHolds else { break }
                decimal = decimalHolds; octal = octalHolds
                if decimal {
                    values.append(UInt32(value))
                    if value == 0x20 || value == 0x3001 || value == 0x3002 || value == 0xFF0C { prose = true }
                    decimalEnd = j
                }
                if octal {
                    octets.append(UInt8(octalValue))
                    if octalValue == 0x20 { octalProse = true }
                }
                end = j
                var k = j, separators = 0
                while k < n && (text[k] == 0x20 || text[k] == 0x2C || text[k] == 0x3B) && separators < 3 { k += 1; separators += 1 }
                guard separators > 0, k < n, text[k] &- 0x30 < 10 else { break }
                j = k
            }
            if values.count >= 8 && prose {
                decoded.removeAll(keepingCapacity: true)
                for v in values { decoded.append(contentsOf: UTF8.encode(Unicode.Scalar(v)!)!) }
                if let s = readableText(decoded) { found.append((start..<decimalEnd, s, false)) }
                end = decimalEnd
            } else if octal && octets.count >= 8 && octalProse, let s = readableText(octets) {
                found.append((start..<end, s, true))
            } else {
                end = decimalEnd
            }
            i = max(end, start + 1)
        }
        return found
    }

    /// A quoted piece starting at `i` (`"…"`, `'…'` or `“…”`, at most `maxPiece` bytes on one
    /// line, its opening quote not inside a word): the piece's bytes and the index after it.
    static func quotedPiece(_ t: UnsafeBufferPointer<UInt8>, at i: Int) -> (piece: Range<Int>, end: Int)? {
        let n = t.count
        guard i < n else { return nil }
        if i > 0 && isAlnum(t[i - 1]) { return nil }
        // The closing quote: an ASCII quote, or ” / ’ (E2 80 9D / 99) after “ / ‘ (E2 80 9C / 98).
        let ascii: Bool
        let closeLast: UInt8
        let from: Int
        switch t[i] {
        case 0x22, 0x27: ascii = true; closeLast = t[i]; from = i + 1
        case 0xE2 where i + 2 < n && t[i + 1] == 0x80 && (t[i + 2] == 0x9C || t[i + 2] == 0x98):
            ascii = false; closeLast = t[i + 2] + 1; from = i + 3
        default: return nil
        }
        var j = from
        while j < n && j - from <= maxPiece {
            let b = t[j]
            if b == 0x0A { return nil }
            if ascii ? b == closeLast : (b == 0xE2 && j + 2 < n && t[j + 1] == 0x80 && t[j + 2] == closeLast) {
                return j > from ? (from..<j, j + (ascii ? 1 : 3)) : nil
            }
            j += 1
        }
        return nil
    }

    static let maxPiece = 64

    @inline(__always) static func isNameByte(_ b: UInt8) -> Bool { isAlnum(b) || b == 0x5F }
    @inline(__always) static func skipBlanks(_ t: UnsafeBufferPointer<UInt8>, _ k: Int) -> Int {
        var k = k
        while k < t.count && (t[k] == 0x20 || t[k] == 0x09) { k += 1 }
        return k
    }

    /// Whether `t[i..<j]` is one of `concatenateWords`, in any case.
    static func isConcatenateWord(_ t: UnsafeBufferPointer<UInt8>, _ i: Int, _ j: Int) -> Bool {
        let length = j - i
        guard length >= 4 && length <= 13 else { return false }
        return concatenateWords.contains { w in
            w.count == length && w.indices.allSatisfy { (t[i + $0] | 0x20) == w[$0] }
        }
    }
    /// Words asking for pieces to be joined (lower case; the engine's marker keywords).
    static let concatenateWords: [[UInt8]] = (["concat", "concatenate", "concatenating", "concatenation", "combine",
                                              "join", "merge"] as [String]).map { Array($0.utf8) }

    /// Quoted pieces written to be joined, the way "payload splitting" hides a phrase from a
    /// filter: a chain `'Acc' + 'ess' + ' Gran' + 'ted'`; with `lists` (the text holds one of
    /// `concatenateWords`), pieces listed with commas or "and" that start just after such a word
    /// (`Concatenate "ACC", "ESS GRA" and "NTED"`) or inside brackets (`"".join(['A', 'c', …])`;
    /// a list elsewhere in prose is left alone); and variables given pieces and then added up
    /// (`a = "…"; b = "…"; z = a + b`). The joined strings, one per line, or nil when nothing is
    /// joined. Only the joined strings: the rest of the text is read as it is.
    ///
    /// Without `lists` the text is not walked byte by byte: only its `+` signs (found with
    /// `memchr`) and, once a sum of names turns up, its `=` signs are looked at. With `lists` (a
    /// text the keyword pass saw a marker word in) one light pass finds the marker words and
    /// `memchr` the brackets.
    static func joinedPieces(_ t: UnsafeBufferPointer<UInt8>, lists: Bool) -> String? {
        let n = t.count
        guard n > 0, let base = t.baseAddress else { return nil }
        var out: [UInt8] = []
        // The lists joined, in text order: a `+` inside one is not looked at again.
        var listed: [Range<Int>] = []

        @inline(__always) func skipSpaces(_ k: Int) -> Int { skipBlanks(t, k) }
        @inline(__always) func isName(_ b: UInt8) -> Bool { isNameByte(b) }
        // After a piece: the index of the next piece if a joining separator leads to one.
        func joiner(after k: Int, list: Bool) -> Int? {
            var k = skipSpaces(k)
            guard k < n else { return nil }
            if t[k] == 0x2B {
                k = skipSpaces(k + 1)
            } else if list {
                if t[k] == 0x2C || t[k] == 0x26 || t[k] == 0x3B { k = skipSpaces(k + 1) }
                if k + 4 <= n && (t[k] | 0x20) == 0x61 && (t[k + 1] | 0x20) == 0x6E && (t[k + 2] | 0x20) == 0x64 && t[k + 3] == 0x20 {
                    k = skipSpaces(k + 4)
                }
            } else {
                return nil
            }
            return k
        }
        // The chain of pieces starting with the piece at `i`; written out when it has two or more.
        func chain(from i: Int, list: Bool) -> Int? {
            guard let first = quotedPiece(t, at: i) else { return nil }
            var pieces = [first.piece]
            var end = first.end
            while let k = joiner(after: end, list: list), let next = quotedPiece(t, at: k) {
                pieces.append(next.piece); end = next.end
            }
            guard pieces.count >= 2 else { return nil }
            for p in pieces { out.append(contentsOf: UnsafeBufferPointer(rebasing: t[p])) }
            out.append(0x0A)
            if list { listed.append(i..<end) }
            return end
        }

        // Lists just after a word asking to concatenate.
        if lists {
            var i = 0
            while i < n {
                let c = t[i] | 0x20
                guard (c == 0x63 || c == 0x6A || c == 0x6D) && (i == 0 || !isName(t[i - 1])) else { i += 1; continue }
                var j = i
                while j < n && j - i <= 13 && isAlnum(t[j]) { j += 1 }
                if isConcatenateWord(t, i, j) {
                    var k = j
                    while k < n && k - j <= 48 && t[k] != 0x22 && t[k] != 0x27 && t[k] != 0xE2 { k += 1 }
                    if k < n && k - j <= 48, let end = chain(from: k, list: true) { i = end; continue }
                }
                i = j
            }
            // And a bracketed list anywhere (`"".join(['A', 'c', 'c', …])`).
            var p = 0
            while p < n, let hit = memchr(base + p, 0x5B, n - p) {
                let bracket = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
                p = bracket + 1
                if let last = listed.last, last.contains(bracket) { continue }
                let k = skipSpaces(bracket + 1)
                if k < n, let end = chain(from: k, list: true) { p = end }
            }
            listed.sort { $0.lowerBound < $1.lowerBound }
        }

        // `+` signs: between two pieces, or between two names given pieces.
        var variables: [[UInt8]: Range<Int>]?
        var p = 0
        var after = 0
        var nextList = 0
        while p < n, let hit = memchr(base + p, 0x2B, n - p) {
            let plus = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
            p = plus + 1
            while nextList < listed.count && listed[nextList].upperBound <= plus { nextList += 1 }
            guard plus >= after, nextList == listed.count || !listed[nextList].contains(plus) else { continue }
            var b = plus - 1
            while b >= 0 && (t[b] == 0x20 || t[b] == 0x09) { b -= 1 }
            guard b >= 0 else { continue }
            if let open = openingQuote(t, closingAt: b) {
                if let end = chain(from: open, list: false) { after = end }
            } else if isName(t[b]) {
                var a = b
                while a > 0 && b - a < 16 && isName(t[a - 1]) { a -= 1 }
                guard t[a] > 0x39, a == 0 || !isName(t[a - 1]) else { continue }
                if variables == nil { variables = assignments(t) }
                guard let given = variables, !given.isEmpty else { continue }
                var values: [Range<Int>] = []
                if let v = given[Array(t[a...b])] { values.append(v) }
                var m = skipSpaces(b + 1)
                while m < n && t[m] == 0x2B {
                    let s = skipSpaces(m + 1)
                    var e = s
                    while e < n && e - s < 16 && isName(t[e]) { e += 1 }
                    guard e > s else { break }
                    if let v = given[Array(t[s..<e])] { values.append(v) }
                    m = skipSpaces(e)
                }
                after = m
                if values.count >= 2 {
                    for v in values { out.append(contentsOf: UnsafeBufferPointer(rebasing: t[v])) }
                    out.append(0x0A)
                }
            }
        }
        return out.isEmpty ? nil : String(decoding: out, as: UTF8.self)
    }

    /// The opening quote of the quoted piece whose closing quote ends at `b`, if there is one.
    static func openingQuote(_ t: UnsafeBufferPointer<UInt8>, closingAt b: Int) -> Int? {
        let ascii = t[b] == 0x22 || t[b] == 0x27
        // ” / ’ (E2 80 9D / 99) close “ / ‘ (E2 80 9C / 98); a 9D or 99 byte inside another letter does not.
        guard ascii || ((t[b] == 0x9D || t[b] == 0x99) && b >= 2 && t[b - 1] == 0x80 && t[b - 2] == 0xE2) else { return nil }
        let open = ascii ? t[b] : t[b] - 1
        var k = ascii ? b - 1 : b - 3
        let limit = max(0, k - maxPiece - 3)
        while k >= limit {
            let c = t[k]
            if c == 0x0A { return nil }
            let start = ascii ? (c == open ? k : -1) : (c == open && k >= 2 && t[k - 1] == 0x80 && t[k - 2] == 0xE2 ? k - 2 : -1)
            if start >= 0 { return quotedPiece(t, at: start)?.end == b + 1 ? start : nil }
            k -= 1
        }
        return nil
    }

    /// Names given a quoted piece (`a = "…"`, `b='…'`), found from the text's `=` signs; a piece
    /// that is itself the start of a `+` chain is not a name's value.
    static func assignments(_ t: UnsafeBufferPointer<UInt8>) -> [[UInt8]: Range<Int>] {
        let n = t.count
        guard let base = t.baseAddress else { return [:] }
        var found: [[UInt8]: Range<Int>] = [:]
        var p = 0
        while p < n, let hit = memchr(base + p, 0x3D, n - p) {
            let eq = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
            p = eq + 1
            if eq + 1 < n && t[eq + 1] == 0x3D { p = eq + 2; continue }
            var b = eq - 1
            while b >= 0 && (t[b] == 0x20 || t[b] == 0x09) { b -= 1 }
            guard b >= 0, isNameByte(t[b]) else { continue }
            var a = b
            while a > 0 && b - a < 16 && isNameByte(t[a - 1]) { a -= 1 }
            guard t[a] > 0x39, let value = quotedPiece(t, at: skipBlanks(t, eq + 1)) else { continue }
            let m = skipBlanks(t, value.end)
            if m < n && t[m] == 0x2B { continue }
            found[Array(t[a...b])] = value.piece
        }
        return found
    }

    /// `text` (valid UTF-8) with each word written backwards in place ("erongI lla suoiverp"):
    /// the scalars of every run between spaces and line breaks reversed, the words kept in order.
    static func reversedWords(_ text: UnsafeBufferPointer<UInt8>) -> String {
        var out = [UInt8](repeating: 0, count: text.count)
        let n = text.count
        var i = 0
        while i < n {
            let b = text[i]
            if b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D { out[i] = b; i += 1; continue }
            var j = i
            while j < n && text[j] != 0x20 && text[j] != 0x0A && text[j] != 0x09 && text[j] != 0x0D { j += 1 }
            // Copy the word's scalars last to first.
            var w = i, end = j
            while end > i {
                var start = end - 1
                while start > i && text[start] & 0xC0 == 0x80 { start -= 1 }
                for k in start..<end { out[w] = text[k]; w += 1 }
                end = start
            }
            i = j
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Text turned upside down ("ʇdɯoɹd ɯǝʇsʎs ɹnoʎ"): its scalars in reverse order, each turned
    /// back (ǝ → e, ʇ → t, and the ASCII letters that stand for each other: b/q, d/p, n/u).
    /// `text` is valid UTF-8.
    static func upsideDown(_ text: UnsafeBufferPointer<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var end = text.count
        while end > 0 {
            var start = end - 1
            while start > 0 && text[start] & 0xC0 == 0x80 { start -= 1 }
            let b0 = text[start]
            var v = UInt32(b0)
            if b0 >= 0xC0 {
                let len = end - start
                v = len == 2 ? UInt32(b0 & 0x1F) : len == 3 ? UInt32(b0 & 0x0F) : UInt32(b0 & 0x07)
                for k in (start + 1)..<end { v = v << 6 | UInt32(text[k] & 0x3F) }
            }
            if let back = turnedBack(v) { out.append(back) } else { out.append(contentsOf: UnsafeBufferPointer(rebasing: text[start..<end])) }
            end = start
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The ASCII character an upside-down one stands for.
    @inline(__always) static func turnedBack(_ v: UInt32) -> UInt8? {
        switch v {
        case 0x0250: return 0x61            // ɐ a
        case 0x71: return 0x62              // q b
        case 0x0254: return 0x63            // ɔ c
        case 0x70: return 0x64              // p d
        case 0x01DD: return 0x65            // ǝ e
        case 0x025F: return 0x66            // ɟ f
        case 0x0183: return 0x67            // ƃ g
        case 0x0265: return 0x68            // ɥ h
        case 0x1D09, 0x0131: return 0x69    // ᴉ ı i
        case 0x027E: return 0x6A            // ɾ j
        case 0x029E: return 0x6B            // ʞ k
        case 0x026F: return 0x6D            // ɯ m
        case 0x75: return 0x6E              // u n
        case 0x64: return 0x70              // d p
        case 0x62: return 0x71              // b q
        case 0x0279: return 0x72            // ɹ r
        case 0x0287: return 0x74            // ʇ t
        case 0x6E: return 0x75              // n u
        case 0x028C: return 0x76            // ʌ v
        case 0x028D: return 0x77            // ʍ w
        case 0x028E: return 0x79            // ʎ y
        case 0x05DF: return 0x6C            // ן l
        case 0x02D9: return 0x2E            // ˙ .
        case 0x00A1: return 0x21            // ¡ !
        case 0x00BF: return 0x3F            // ¿ ?
        case 0x27: return 0x2C              // ' ,
        case 0x2C: return 0x27              // , '
        default: return nil
        }
    }

    /// Letters of upside-down text that ordinary writing, IPA included, hardly uses: three of them
    /// in a text are what `upsideDown` is tried on.
    @inline(__always) static func isTurnedLetter(_ v: UInt32) -> Bool {
        v == 0x01DD || v == 0x1D09 || v == 0x0287 || v == 0x029E || v == 0x0183
    }

    /// `text` with each ASCII letter moved `shift` places on in the alphabet (case kept); a shift of
    /// 26 is Atbash (a↔z, b↔y, …). ROT13 is a shift of 13.
    static func shifted(_ text: String, by shift: Int) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { u -> Unicode.Scalar in
            let base: UInt32
            switch u.value {
            case 0x41...0x5A: base = 0x41
            case 0x61...0x7A: base = 0x61
            default: return u
            }
            let i = u.value - base
            return Unicode.Scalar(base + (shift == 26 ? 25 - i : (i + UInt32(shift)) % 26))!
        }))
    }

    /// The NATO spelling alphabet and the spellings people use for it.
    static let natoLetters: [String: UInt8] = {
        var m: [String: UInt8] = [:]
        let words = ["alfa", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett", "kilo",
                     "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform",
                     "victor", "whiskey", "xray", "yankee", "zulu"]
        for (i, w) in words.enumerated() { m[w] = 0x61 + UInt8(i) }
        m["alpha"] = 0x61; m["juliet"] = 0x6A; m["whisky"] = 0x77
        return m
    }()

    /// A text spelled in the NATO alphabet, read as the letters it spells: code words give their
    /// letters, a `/`, `|` or a line break (or "space") between them a space, other words stay as
    /// they are. Nil when fewer than eight letters come out.
    static func natoSpelled(_ text: UnsafeBufferPointer<UInt8>) -> String? {
        var out: [UInt8] = []
        var letters = 0
        var i = 0
        let n = text.count
        func space() { if let last = out.last, last != 0x20 { out.append(0x20) } }
        while i < n {
            let b = text[i]
            if b == 0x2F || b == 0x7C || b == 0x0A { space(); i += 1; continue }
            guard isAlnum(b) || b == 0x2D else { i += 1; continue }
            var j = i
            while j < n && (isAlnum(text[j]) || text[j] == 0x2D) { j += 1 }
            let word = String(decoding: UnsafeBufferPointer(rebasing: text[i..<j]), as: UTF8.self).lowercased()
            if let letter = natoLetters[word == "x-ray" ? "xray" : word] {
                out.append(letter); letters += 1
            } else if word == "space" {
                space()
            } else {
                space(); out.append(contentsOf: text[i..<j]); out.append(0x20)
            }
            i = j
        }
        guard letters >= 8 else { return nil }
        return String(decoding: out, as: UTF8.self)
    }

    static func rot13(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { u -> Unicode.Scalar in
            switch u.value {
            case 0x41...0x5A: return Unicode.Scalar((u.value - 0x41 + 13) % 26 + 0x41)!
            case 0x61...0x7A: return Unicode.Scalar((u.value - 0x61 + 13) % 26 + 0x61)!
            default: return u
            }
        }))
    }
}
