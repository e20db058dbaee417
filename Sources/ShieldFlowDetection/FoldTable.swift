import Foundation

/// Per-scalar folding for the normalised view, computed once per process: NFKC, lower case,
/// diacritics stripped for Latin and Greek, typographic punctuation to ASCII, and format
/// characters (zero-width, bidi controls, soft hyphen, BOM) and combining marks dropped.
struct FoldTable: Sendable {
    /// What the normaliser does with a scalar.
    enum Entry: Sendable, Equatable {
        /// Keep it; `word` says whether it joins a word (letters, digits, marks) or separates words.
        case keep(word: Bool)
        case drop
        /// Replace it with `bytes`: ASCII word characters (`asciiWord`), an ASCII separator, or
        /// non-ASCII letters (`latin` is the confusable's Latin letter, 0 if none).
        case replace(ArraySlice<UInt8>, asciiWord: Bool, separator: Bool, latin: UInt8)
    }

    private struct Replacement: Sendable {
        var offset: Int32, length: Int32
        var asciiWord: Bool, separator: Bool, latin: UInt8
    }

    private let bmp: [UInt32]           // 0 keep-word, 1 drop, 2 keep-separator, ≥ 3: replacement index + 3
    private let replacements: [Replacement]
    private let pool: [UInt8]
    private let astral: [UInt32: UInt32]
    /// Latin letter for each BMP confusable scalar (0: not a confusable).
    let confusable: [UInt8]
    /// The confusables beyond the BMP (Old Italic, Warang Citi, mathematical Greek…).
    let astralConfusable: [UInt32: UInt8] = FoldTable.confusables.filter { $0.key >= 0x10000 }

    static let shared = FoldTable()

    /// The byte for the long s (ſ) in a word that mixes scripts, read as s or f
    /// (`Normalizer.resolveLookalikes`); like `ambiguousIL`, never a byte of valid UTF-8.
    static let ambiguousSF: UInt8 = 0xFE

    /// Confusable scalars to the Latin letter or ASCII punctuation mark they imitate: hand-picked
    /// letters from Cyrillic, Greek and IPA (lower case), then the rest of Unicode's list
    /// (`unicodeConfusables`: Armenian, Cherokee, Coptic, Lisu, digits of other scripts that look
    /// like o, capitals by their own shape, "ꓸ" for "."). A look-alike of capital I or l maps to
    /// `ambiguousIL`. Applied only within words that mix scripts (see `Normalizer`).
    static let confusables: [UInt32: UInt8] = {
        let pairs: [(String, Character)] = [
            ("аɑα", "a"), ("вʙ", "b"), ("сϲ", "c"), ("ԁ", "d"), ("еёєε", "e"), ("ɡ", "g"), ("һн", "h"),
            ("іїιıɩ", "i"), ("ј", "j"), ("кκ", "k"), ("м", "m"), ("п", "n"), ("оοσ", "o"),
            ("рρ", "p"), ("ԛ", "q"), ("г", "r"), ("ѕ", "s"), ("тτ", "t"), ("υ", "u"), ("ѵν", "v"),
            ("ԝω", "w"), ("хχ", "x"), ("уγ", "y"),
        ]
        var m: [UInt32: UInt8] = [:]
        for (chars, latin) in pairs { for s in chars.unicodeScalars { m[s.value] = latin.asciiValue! } }
        m[0x04CF] = ambiguousIL   // ӏ, the palochka: i to Unicode, l to the eye
        return unicodeConfusables.merging(m) { _, picked in picked }
    }()

    /// Letters that fancy-text generators use and NFKC leaves alone, read as the Latin letter they
    /// show, in every word: small capitals ("ɪɢɴᴏʀᴇ"), regional indicator symbols ("🇮🇬🇳"; a flag
    /// such as 🇫🇷 reads "fr"), negative circled and squared capitals ("🅘🅖🅝", "🅸🅶🅽"; the
    /// blood-type emoji 🅰 reads "a") and the 26 letters of braille ("⠊⠛⠝⠕⠗⠑"; the capital sign ⠠ is
    /// dropped). Small capitals are also IPA letters ("kɪt" reads "kit"), which the rules never read
    /// as anything else.
    static let letterLike: [UInt32: UInt8] = {
        var m: [UInt32: UInt8] = [:]
        let small: [(String, Character)] = [
            ("ᴀ", "a"), ("ʙ", "b"), ("ᴄ", "c"), ("ᴅ", "d"), ("ᴇ", "e"), ("ꜰ", "f"), ("ɢ", "g"), ("ʜ", "h"), ("ɪ", "i"),
            ("ᴊ", "j"), ("ᴋ", "k"), ("ʟ", "l"), ("ᴍ", "m"), ("ɴ", "n"), ("ᴏ", "o"), ("ᴘ", "p"), ("ꞯ", "q"), ("ʀ", "r"),
            ("ꜱ", "s"), ("ᴛ", "t"), ("ᴜ", "u"), ("ᴠ", "v"), ("ᴡ", "w"), ("ʏ", "y"), ("ᴢ", "z"),
        ]
        for (c, latin) in small { m[c.unicodeScalars.first!.value] = latin.asciiValue! }
        // Regional indicators, and the negative circled and negative squared capitals (🅐, 🅰).
        for base: UInt32 in [0x1F1E6, 0x1F150, 0x1F170] {
            for k in 0..<26 { m[base + UInt32(k)] = 0x61 + UInt8(k) }
        }
        // Braille cells (dots 1–6 as bits 0–5) of a–z.
        let braille: [UInt32] = [0x01, 0x03, 0x09, 0x19, 0x11, 0x0B, 0x1B, 0x13, 0x0A, 0x1A, 0x05, 0x07, 0x0D,
                                 0x1D, 0x15, 0x0F, 0x1F, 0x17, 0x0E, 0x1E, 0x25, 0x27, 0x3A, 0x2D, 0x3D, 0x35]
        for (k, cell) in braille.enumerated() { m[0x2800 + cell] = 0x61 + UInt8(k) }
        return m
    }()

    /// The braille capital sign, dropped before the letter it marks.
    static let brailleCapital: UInt32 = 0x2820

    init() {
        var bmp = [UInt32](repeating: 0, count: 0x10000)
        var pool: [UInt8] = []
        var replacements: [Replacement] = []
        var astral: [UInt32: UInt32] = [:]
        var confusable = [UInt8](repeating: 0, count: 0x10000)
        for (v, latin) in Self.confusables where v < 0x10000 { confusable[Int(v)] = latin }
        var punct: [UInt32: String] = [
            0x2018: "'", 0x2019: "'", 0x201A: "'", 0x201B: "'", 0x2032: "'", 0x201C: "\"", 0x201D: "\"",
            0x201E: "\"", 0x2033: "\"", 0x00AB: "\"", 0x00BB: "\"", 0x2010: "-", 0x2011: "-", 0x2012: "-",
            0x2013: "-", 0x2014: "-", 0x2015: "-", 0x2212: "-", 0x00A0: " ", 0x3000: " ",
        ]
        for (v, ascii) in Self.unicodePunctuation where punct[v] == nil { punct[v] = String(UnicodeScalar(ascii)) }
        func isWord(_ s: Unicode.Scalar) -> Bool {
            let p = s.properties
            if p.isAlphabetic || p.numericType != nil { return true }
            if p.isWhitespace || p.generalCategory.isPunctuationOrSymbol { return false }
            return true
        }
        func fold(_ v: UInt32) -> UInt32? {
            guard let scalar = Unicode.Scalar(v) else { return nil }
            let props = scalar.properties
            switch props.generalCategory {
            case .format: return 1
            case .nonspacingMark, .enclosingMark:
                // Diacritic blocks (what "Zalgo" text floods); marks of other scripts are parts of
                // their letters and stay.
                if Self.isDiacriticBlock(v) { return 1 }
            default: break
            }
            // Variation selectors (emoji or text presentation, "🅰️" is 🅰 and VS16) are invisible, as
            // their supplement's are (`entry`).
            if v == Self.brailleCapital || (0xFE00...0xFE0F).contains(v) { return 1 }
            // Symbols that imitate a letter ("⍺", "℮", "×") are word characters, folded with the
            // word they sit in like any confusable.
            if Self.unicodeWordSymbols.contains(v) { return 0 }
            var folded: String
            if let p = punct[v] {
                folded = p
            } else if let letter = Self.letterLike[v] {
                folded = String(UnicodeScalar(letter))
            } else {
                folded = String(Character(scalar)).precomposedStringWithCompatibilityMapping
                let latinOrGreek = (0x00C0...0x024F).contains(v) || (0x0370...0x03FF).contains(v)
                    || (0x1E00...0x1FFF).contains(v)
                if latinOrGreek {
                    folded = String(String.UnicodeScalarView(folded.decomposedStringWithCanonicalMapping
                        .unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }))
                }
                folded = folded.lowercased()
            }
            if folded.unicodeScalars.count == 1 && folded.unicodeScalars.first!.value == v {
                return isWord(scalar) ? 0 : 2
            }
            let bytes = Array(folded.utf8)
            if bytes.isEmpty { return 1 }
            let first = folded.unicodeScalars.first!
            let asciiWord = bytes.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) }
            let separator = !asciiWord && (first.isASCII || !isWord(first))
            // A capital by its own shape (Greek Ν is n, its small ν is v), else the folded form's.
            var latin = Self.confusables[v] ?? (first.value < 0x10000 ? confusable[Int(first.value)] : Self.confusables[first.value] ?? 0)
            // Capital I written in another alphabet's letters (𝐈, Ｉ, Ⅰ) may stand for l, and the
            // long s (ſ, s to NFKC) for the f it looks like.
            let capitalI = asciiWord && bytes == [0x69] && String(Character(scalar)).precomposedStringWithCompatibilityMapping == "I"
            if capitalI { latin = Self.ambiguousIL }
            if v == 0x017F { latin = Self.ambiguousSF }
            replacements.append(Replacement(offset: Int32(pool.count), length: Int32(bytes.count),
                                            asciiWord: asciiWord && latin == 0, separator: separator, latin: latin))
            pool.append(contentsOf: bytes)
            return UInt32(replacements.count - 1) + 3
        }
        for v in UInt32(0x80)..<0x10000 where !(0xD800...0xDFFF).contains(v) {
            if let e = fold(v) { bmp[Int(v)] = e }
        }
        // Astral planes: mathematical and enclosed alphanumerics (tag characters are handled by the
        // engine itself).
        for range in [0x1D400...0x1D7FF, 0x1F100...0x1F1FF] as [ClosedRange<UInt32>] {
            for v in range { if let e = fold(v), e >= 3 { astral[v] = e } }
        }
        // Other alphabets' punctuation beyond the BMP folds like the BMP's; their look-alike
        // letters, marks and symbols join words (a mark such as the musical augmentation dot would
        // otherwise separate them).
        for (v, _) in Self.unicodePunctuation where v >= 0x10000 { if let e = fold(v), e >= 3 { astral[v] = e } }
        for (v, _) in Self.confusables where v >= 0x10000 && astral[v] == nil { astral[v] = 0 }
        self.bmp = bmp
        self.pool = pool
        self.replacements = replacements
        self.astral = astral
        self.confusable = confusable
    }

    static func isDiacriticBlock(_ v: UInt32) -> Bool {
        (0x0300...0x036F).contains(v) || (0x1AB0...0x1AFF).contains(v) || (0x1DC0...0x1DFF).contains(v)
            || (0x20D0...0x20FF).contains(v) || (0xFE20...0xFE2F).contains(v)
    }

    @inline(__always)
    func entry(_ v: UInt32) -> Entry {
        let e: UInt32
        if v < 0x10000 {
            e = bmp[Int(v)]
        } else if let a = astral[v] {
            e = a
        } else if (0xE0100...0xE01EF).contains(v) || Unicode.Scalar(v)?.properties.generalCategory == .format {
            e = 1
        } else {
            e = Unicode.Scalar(v).map { $0.properties.isAlphabetic || $0.properties.numericType != nil } ?? false ? 0 : 2
        }
        switch e {
        case 0: return .keep(word: true)
        case 1: return .drop
        case 2: return .keep(word: false)
        default:
            let r = replacements[Int(e - 3)]
            return .replace(pool[Int(r.offset)..<Int(r.offset + r.length)], asciiWord: r.asciiWord,
                            separator: r.separator, latin: r.latin)
        }
    }
}
