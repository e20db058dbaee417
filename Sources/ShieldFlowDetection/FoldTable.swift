import Foundation

/// Per-scalar folding for the normalised view, computed once per process: NFKC, lower case,
/// diacritics stripped for Latin and Greek, typographic punctuation to ASCII, and format
/// characters (zero-width, bidi controls, soft hyphen, BOM) and combining marks dropped.
struct FoldTable: Sendable {
    enum Entry: Sendable, Equatable {
        case keep
        case drop
        case replace(ArraySlice<UInt8>)
    }

    private let bmp: [UInt32]           // 0 keep, 1 drop, else (offset << 8 | length) + 2 packed
    private let pool: [UInt8]
    private let astral: [UInt32: UInt32]

    static let shared = FoldTable()

    /// Confusable letters (after lower-casing) from Cyrillic, Greek and IPA to the Latin letter
    /// they imitate. Applied only within words that mix scripts (see `Normalizer`).
    static let confusables: [UInt32: UInt8] = {
        let pairs: [(String, Character)] = [
            ("аɑα", "a"), ("вʙ", "b"), ("сϲ", "c"), ("ԁ", "d"), ("еёєε", "e"), ("ɡ", "g"), ("һн", "h"),
            ("іїιıɩ", "i"), ("ј", "j"), ("кκ", "k"), ("ӏ", "l"), ("м", "m"), ("п", "n"), ("оοσ", "o"),
            ("рρ", "p"), ("ԛ", "q"), ("г", "r"), ("ѕ", "s"), ("тτ", "t"), ("υ", "u"), ("ѵν", "v"),
            ("ԝω", "w"), ("хχ", "x"), ("уγ", "y"),
        ]
        var m: [UInt32: UInt8] = [:]
        for (chars, latin) in pairs { for s in chars.unicodeScalars { m[s.value] = latin.asciiValue! } }
        return m
    }()

    init() {
        var bmp = [UInt32](repeating: 0, count: 0x10000)
        var pool: [UInt8] = []
        var astral: [UInt32: UInt32] = [:]
        let punct: [UInt32: String] = [
            0x2018: "'", 0x2019: "'", 0x201A: "'", 0x201B: "'", 0x2032: "'", 0x201C: "\"", 0x201D: "\"",
            0x201E: "\"", 0x2033: "\"", 0x00AB: "\"", 0x00BB: "\"", 0x2010: "-", 0x2011: "-", 0x2012: "-",
            0x2013: "-", 0x2014: "-", 0x2015: "-", 0x2212: "-", 0x00A0: " ", 0x3000: " ",
        ]
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
            var folded: String
            if let p = punct[v] {
                folded = p
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
            if folded.unicodeScalars.count == 1 && folded.unicodeScalars.first!.value == v { return 0 }
            let bytes = Array(folded.utf8)
            if bytes.isEmpty { return 1 }
            let packed = UInt32(pool.count) << 8 | UInt32(bytes.count)
            pool.append(contentsOf: bytes)
            return packed + 2
        }
        for v in UInt32(0x80)..<0x10000 where !(0xD800...0xDFFF).contains(v) {
            if let e = fold(v) { bmp[Int(v)] = e }
        }
        // Astral planes: mathematical alphanumerics, enclosed alphanumerics, tag characters are
        // handled by the engine itself.
        for range in [0x1D400...0x1D7FF, 0x1F100...0x1F1FF] as [ClosedRange<UInt32>] {
            for v in range { if let e = fold(v), e != 0 { astral[v] = e } }
        }
        self.bmp = bmp
        self.pool = pool
        self.astral = astral
    }

    static func isDiacriticBlock(_ v: UInt32) -> Bool {
        (0x0300...0x036F).contains(v) || (0x1AB0...0x1AFF).contains(v) || (0x1DC0...0x1DFF).contains(v)
            || (0x20D0...0x20FF).contains(v) || (0xFE20...0xFE2F).contains(v)
    }

    @inline(__always)
    func entry(_ v: UInt32) -> Entry {
        let e: UInt32 = v < 0x10000 ? bmp[Int(v)] : (astral[v] ?? (isFormatAstral(v) ? 1 : 0))
        switch e {
        case 0: return .keep
        case 1: return .drop
        default:
            let packed = e - 2
            let off = Int(packed >> 8), len = Int(packed & 0xFF)
            return .replace(pool[off..<off + len])
        }
    }

    private func isFormatAstral(_ v: UInt32) -> Bool {
        // Variation selectors supplement and other format/mark scalars outside the BMP.
        if (0xE0100...0xE01EF).contains(v) { return true }
        guard let s = Unicode.Scalar(v) else { return false }
        return s.properties.generalCategory == .format
    }
}
