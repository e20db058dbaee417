/// Builds the normalised view of a text: lower-case UTF-8 after NFKC, diacritic stripping, removal of
/// invisible characters, confusable folding inside mixed-script words, character-split rejoining
/// ("i g n o r e") and leetspeak folding where it yields a known keyword word. Every view byte keeps
/// the Unicode scalar offset of the original scalar it came from (`map`), so matches on the view
/// point back at the text as given.
struct NormalizedView {
    var bytes: [UInt8] = []
    var map: [Int32] = []
    /// Unicode tag characters (U+E0000–E007F): their ASCII payload and the span they occupy.
    var tagPayload: [UInt8] = []
    var tagStart = -1
    var tagEnd = -1
    /// Letters only upside-down text uses (`Decoders.isTurnedLetter`).
    var turned = 0
    /// Emoji and other pictographs read as spaces (a prompt's classifier reading collapses the
    /// runs of spaces they leave).
    var pictographs = 0
    /// Look-alikes of capital I or l folded so far (`FoldTable.ambiguousIL` bytes, settled by
    /// `Normalizer.resolveLookalikes` before the view is used).
    var lookalikes = 0
    /// Where each transformation happened, as ranges of original scalar offsets, one list per kind
    /// (`Transform`). Each list is in text order and its ranges do not overlap, so whether a match
    /// covers one is a bisection: a match is said to come through a transformation only when it
    /// does (a spaced-out list elsewhere in a long prompt says nothing about this match).
    private var edits: [[(lo: Int32, hi: Int32)]] = Array(repeating: [], count: Transform.allCases.count)

    enum Transform: Int, CaseIterable {
        /// Scalars removed as invisible (zero-width, bidi controls, soft hyphen, variation selectors…).
        case invisible
        /// Letters replaced by confusable folding (Cyrillic/Greek look-alikes in Latin words).
        case confusable
        /// Words rejoined from spaced-out letters.
        case split
        /// Tokens leet-folded into a keyword word.
        case leet
    }

    mutating func record(_ kind: Transform, _ lo: Int32, _ hi: Int32) { edits[kind.rawValue].append((lo, hi)) }

    /// Adds ranges found after others of the same kind (`ranges` themselves in text order), keeping
    /// the list in text order and its ranges apart: one linear merge.
    mutating func merge(_ kind: Transform, _ ranges: [(Int32, Int32)]) {
        guard !ranges.isEmpty else { return }
        let old = edits[kind.rawValue]
        var out: [(lo: Int32, hi: Int32)] = []
        out.reserveCapacity(old.count + ranges.count)
        var a = 0, b = 0
        while a < old.count || b < ranges.count {
            let next: (lo: Int32, hi: Int32)
            if b == ranges.count || (a < old.count && old[a].lo <= ranges[b].0) { next = old[a]; a += 1 } else { next = (ranges[b].0, ranges[b].1); b += 1 }
            if let last = out.last, next.lo < last.hi { out[out.count - 1].hi = max(last.hi, next.hi) } else { out.append(next) }
        }
        edits[kind.rawValue] = out
    }

    /// How many times `kind` was applied.
    func count(_ kind: Transform) -> Int { edits[kind.rawValue].count }

    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        map.removeAll(keepingCapacity: true)
        tagPayload.removeAll(keepingCapacity: true)
        tagStart = -1; tagEnd = -1
        turned = 0
        pictographs = 0
        lookalikes = 0
        for k in edits.indices { edits[k].removeAll(keepingCapacity: true) }
    }

    /// Transformations applied anywhere in the text.
    var transforms: [String] { Transform.allCases.filter { count($0) > 0 }.map(\.name) }

    /// Transformations applied inside original scalars `start..<end` (an empty span: the scalar at
    /// `start`), for a finding's `via`.
    func transforms(from start: Int, to end: Int) -> [String] {
        let end = max(end, start + 1)
        return Transform.allCases.filter { kind in
            let list = edits[kind.rawValue]
            // The first range ending after `start`; the match covers it if it begins before `end`.
            var lo = 0, hi = list.count
            while lo < hi { let mid = (lo + hi) / 2; if Int(list[mid].hi) <= start { lo = mid + 1 } else { hi = mid } }
            return lo < list.count && Int(list[lo].lo) < end
        }.map(\.name)
    }
}

extension NormalizedView.Transform {
    /// The name a finding's `via` gives it.
    var name: String {
        switch self {
        case .invisible: "invisible"
        case .confusable: "confusable"
        case .split: "split"
        case .leet: "leet"
        }
    }
}

/// Hashes of the words that leetspeak folding may produce (FNV-1a, no allocation per lookup).
/// An open-addressed table of the hashes themselves (0 marks a free slot): a lookup is a multiply
/// and a probe or two, with no `Hasher` (the leet check looks up every letter-and-symbol token).
/// Words by their skeleton, the letters left when a, e, i, o and u are taken out ("prvs" is
/// "previous"): what a text written without vowels is read as. The first word of the list with a
/// skeleton wins it, so the list goes from the commonest words down.
struct SkeletonWords: Sendable {
    private let table: [[UInt8]: [UInt8]]

    init(_ list: [String]) {
        var table: [[UInt8]: [UInt8]] = [:]
        for word in list {
            let w = Array(word.lowercased().utf8)
            guard w.allSatisfy({ $0 &- 0x61 < 26 }) else { continue }
            let skeleton = w.filter { !"aeiou".utf8.contains($0) }
            if !skeleton.isEmpty && table[skeleton] == nil { table[skeleton] = w }
        }
        self.table = table
    }

    /// The word whose skeleton `letters` (lower-case) is.
    func word(_ letters: [UInt8]) -> [UInt8]? { table[letters] }

    /// A word's skeleton.
    static func skeleton(_ word: String) -> String { String(word.lowercased().filter { !"aeiou".contains($0) }) }
}

/// Words a misspelling is read as, found by first letter, last letter and length (a typo keeps
/// the first and last letters, and the length within one), or by the first letter and the rest
/// shuffled.
struct TypoWords: Sendable {
    /// Lower-case ASCII words.
    let words: [[UInt8]]
    /// Per (first, last) letter pair, the indices of the words that start and end so.
    private let byEnds: [[Int32]]
    /// Per (first, last) letter pair, one bit per token length that can be a typo of one of those
    /// words (the word's length and one either side): most tokens are turned away by it alone.
    private let lengths: [UInt32]
    /// Per word, the order-free hash of its letters after the first (`scrambledKey`): a word
    /// whose inner letters were shuffled ("isntrcutoins", "typoglycemia") is read by it. Open
    /// addressing (keys, then the word's index), looked up only for a token whose first letter
    /// and length some word has (`firstLengths`): most tokens are turned away by that bit alone.
    private let scrambledKeys: [UInt64]
    private let scrambledWords: [Int32]
    private let firstLengths: [UInt32]

    init(_ list: [String]) {
        let unique = Array(Set(list.map { $0.lowercased() })).sorted().filter { $0.utf8.count >= 5 && $0.utf8.allSatisfy { $0 &- 0x61 < 26 } }
        let words = unique.map { Array($0.utf8) }
        self.words = words
        var table = [[Int32]](repeating: [], count: 26 * 26)
        for (k, w) in words.enumerated() { table[Int(w[0] - 0x61) * 26 + Int(w[w.count - 1] - 0x61)].append(Int32(k)) }
        byEnds = table
        lengths = table.map { ids in ids.reduce(UInt32(0)) { mask, k in
            let l = words[Int(k)].count
            return mask | (7 << UInt32(min(l - 1, 29)))
        } }
        var keys: [UInt64: Int32] = [:]
        var first = [UInt32](repeating: 0, count: 26)
        for (k, w) in words.enumerated() {
            let key = w.withUnsafeBufferPointer { Self.scrambledKey($0) }!
            keys[key] = keys[key] == nil ? Int32(k) : -1     // two words, one key: neither
            first[Int(w[0] - 0x61)] |= 1 << UInt32(min(w.count, 31))
        }
        firstLengths = first
        var size = 16
        while size < keys.count * 4 { size <<= 1 }
        var slots = [UInt64](repeating: 0, count: size), ids = [Int32](repeating: -1, count: size)
        for (key, k) in keys where k >= 0 && key != 0 {
            var i = Int(truncatingIfNeeded: key >> 40) & (size - 1)
            while slots[i] != 0 { i = (i + 1) & (size - 1) }
            slots[i] = key; ids[i] = k
        }
        scrambledKeys = slots
        scrambledWords = ids
    }

    /// One random 64-bit number per letter: a sum of them is the same in any order.
    private static let letterKeys: [UInt64] = (0..<26).map { (i: Int) -> UInt64 in
        var z = UInt64(i + 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The token's first letter and length, and its other letters in any order (nil when a byte
    /// is not an ASCII letter).
    static func scrambledKey(_ token: UnsafeBufferPointer<UInt8>) -> UInt64? {
        let first = token[0] | 0x20
        guard first &- 0x61 < 26 else { return nil }
        var key = (UInt64(first) << 8 | UInt64(token.count)) &* 0xD6E8_FEB8_6659_FD93
        for i in 1..<token.count {
            let c = token[i] | 0x20
            guard c &- 0x61 < 26 else { return nil }
            key &+= letterKeys[Int(c &- 0x61)]
        }
        return key
    }

    /// The word whose letters `token` holds with the first one in place and the rest shuffled
    /// (checked letter by letter, not only by the key), or nil.
    func unscrambled(_ token: UnsafeBufferPointer<UInt8>) -> Int? {
        let first = token[0] | 0x20
        guard first &- 0x61 < 26, token.count < 32,
              firstLengths[Int(first &- 0x61)] & (1 << UInt32(token.count)) != 0,
              let key = Self.scrambledKey(token) else { return nil }
        let mask = scrambledKeys.count - 1
        var i = Int(truncatingIfNeeded: key >> 40) & mask
        while scrambledKeys[i] != key {
            if scrambledKeys[i] == 0 { return nil }
            i = (i + 1) & mask
        }
        let k = scrambledWords[i]
        let w = words[Int(k)]
        guard w.count == token.count else { return nil }
        var counts = [Int](repeating: 0, count: 26)
        for i in 1..<w.count { counts[Int(w[i] &- 0x61)] += 1; counts[Int((token[i] | 0x20) &- 0x61)] -= 1 }
        return counts.allSatisfy { $0 == 0 } ? Int(k) : nil
    }

    /// The word that `token` (ASCII letters, any case) is a typo of, or nil: nil too when the token
    /// is spelt right or is a word of the list's stem plus an ending ("prompts" is no typo).
    func match(_ token: UnsafeBufferPointer<UInt8>) -> Int? {
        let m = token.count
        let first = token[0] | 0x20, last = token[m - 1] | 0x20
        guard first &- 0x61 < 26, last &- 0x61 < 26 else { return nil }
        let pair = Int(first - 0x61) * 26 + Int(last - 0x61)
        guard m < 32 else { return nil }
        if lengths.withUnsafeBufferPointer({ $0[pair] }) & (1 << UInt32(m)) != 0 {
            var found: Int?
            for k in byEnds[pair] {
                let w = words[Int(k)]
                guard abs(w.count - m) <= 1 else { continue }
                switch Self.distance(token, w) {
                case 0: return nil                                  // spelt right
                case 1: if found == nil { found = Int(k) }
                default: break
                }
            }
            if let found { return found }
        }
        return unscrambled(token)
    }

    /// 0 when equal (case aside), 1 when one typo apart (two neighbours swapped; in words of seven
    /// letters or more also one letter dropped, added or changed), 2 otherwise.
    static func distance(_ t: UnsafeBufferPointer<UInt8>, _ w: [UInt8]) -> Int {
        let m = t.count, k = w.count
        @inline(__always) func c(_ i: Int) -> UInt8 { t[i] | 0x20 }
        var i = 0
        while i < min(m, k) && c(i) == w[i] { i += 1 }
        if i == m && m == k { return 0 }
        let long = min(m, k) >= 7
        if m == k {
            // Swapped neighbours, or one letter changed.
            if i + 1 < m && c(i) == w[i + 1] && c(i + 1) == w[i] && Self.equal(t, w, from: i + 2, to: i + 2) { return 1 }
            if long && Self.equal(t, w, from: i + 1, to: i + 1) { return 1 }
            return 2
        }
        guard long else { return 2 }
        // One letter added (the token is longer) or dropped.
        return m == k + 1 ? (Self.equal(t, w, from: i + 1, to: i) ? 1 : 2) : (Self.equal(t, w, from: i, to: i + 1) ? 1 : 2)
    }

    /// Whether the token from `a` on equals the word from `b` on (case aside).
    @inline(__always) static func equal(_ t: UnsafeBufferPointer<UInt8>, _ w: [UInt8], from a: Int, to b: Int) -> Bool {
        guard t.count - a == w.count - b else { return false }
        var i = a, j = b
        while i < t.count { if t[i] | 0x20 != w[j] { return false }; i += 1; j += 1 }
        return true
    }
}

struct WordSet: Sendable {
    private let slots: [UInt64]
    private let mask: Int
    /// Bytes in the longest word: a longer token cannot be one of them.
    let longest: Int
    /// The (first, last) pairs of lower-case ASCII letters the words begin and end with, one bit
    /// per pair: a cheap no before hashing a candidate.
    private let ends: [UInt64]

    init(_ words: some Sequence<String>) {
        let words = Array(words)
        longest = words.map(\.utf8.count).max() ?? 0
        var ends = [UInt64](repeating: 0, count: 11)
        for w in words {
            guard let first = w.utf8.first, let last = w.utf8.last, first &- 0x61 < 26, last &- 0x61 < 26 else { continue }
            let bit = Int(first - 0x61) * 26 + Int(last - 0x61)
            ends[bit >> 6] |= 1 << UInt64(bit & 63)
        }
        self.ends = ends
        let hashes = Set(words.map { Self.hash(Array($0.utf8)[...]) }).filter { $0 != 0 }
        var size = 16
        while size < hashes.count * 4 { size <<= 1 }
        var table = [UInt64](repeating: 0, count: size)
        for h in hashes {
            var i = Self.slot(h, size - 1)
            while table[i] != 0 { i = (i + 1) & (size - 1) }
            table[i] = h
        }
        slots = table
        mask = size - 1
    }

    @inline(__always) static func slot(_ h: UInt64, _ mask: Int) -> Int { Int(truncatingIfNeeded: (h &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask }

    func contains(_ bytes: ArraySlice<UInt8>) -> Bool { contains(hash: Self.hash(bytes)) }

    /// Whether some word begins with the lower-case letter `first` and ends with `last` (false
    /// for a byte that is not one).
    @inline(__always) func mayHold(first: UInt8, last: UInt8) -> Bool {
        guard first &- 0x61 < 26, last &- 0x61 < 26 else { return false }
        let bit = Int(first &- 0x61) &* 26 &+ Int(last &- 0x61)
        return ends[bit >> 6] & (1 << UInt64(bit & 63)) != 0
    }

    func contains(hash h: UInt64) -> Bool {
        guard h != 0 else { return false }
        var i = Self.slot(h, mask)
        while true {
            let v = slots[i]
            if v == h { return true }
            if v == 0 { return false }
            i = (i + 1) & mask
        }
    }
    /// FNV-1a, 64 bits.
    static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return h
    }
}

/// The vocabulary words by their squeezed spelling (each run of one letter written once: "all" →
/// "al", "access" → "aces"), with the length of each run, for reading stuttered words
/// (`Decoders.destutteredWords`). A squeezed spelling two words share ("biter", "bitter") is
/// dropped: the reading would have to guess.
struct StutterWords: Sendable {
    private var table: [UInt64: [UInt8]] = [:]
    /// Tokens longer than this are not read: a word stretched that far is no longer written to be
    /// read, and long letter runs (hex digests, base64) skip the lookup.
    static let longestToken = 48

    init(_ words: some Sequence<String>) {
        var ambiguous = Set<UInt64>()
        for w in words {
            let bytes = Array(w.utf8)
            guard bytes.count >= 3, bytes.allSatisfy({ $0 &- 0x61 < 26 }) else { continue }
            var h: UInt64 = 0xcbf29ce484222325
            var runs: [UInt8] = []
            var k = 0
            while k < bytes.count {
                var m = k + 1
                while m < bytes.count && bytes[m] == bytes[k] { m += 1 }
                h = (h ^ UInt64(bytes[k])) &* 0x100000001b3
                runs.append(UInt8(m - k))
                k = m
            }
            if let other = table[h], other != runs { ambiguous.insert(h) } else { table[h] = runs }
        }
        for h in ambiguous { table[h] = nil }
    }

    var isEmpty: Bool { table.isEmpty }

    /// The run lengths of the vocabulary word whose squeezed spelling hashes to `squeezed`.
    func word(squeezed: UInt64) -> [UInt8]? { table[squeezed] }
}

enum Normalizer {
    /// Fills `view` from `text` (valid UTF-8). Words are written straight into the view; a word that
    /// mixes scripts has its confusable letters folded in place when it ends.
    /// The word being written into the view: where it began and which of its letters are
    /// confusables to fold if the word turns out to mix scripts.
    private struct Word {
        var start = 0
        var pending: [(at: Int, length: Int, latin: UInt8)] = []
        var hasLatin = false
        var letters = 0
        var previousLatin = false

        @inline(__always)
        mutating func end(_ view: inout NormalizedView, _ text: UnsafeBufferPointer<UInt8>) {
            if pending.isEmpty {
                if view.bytes.count > start { previousLatin = hasLatin }
            } else {
                foldConfusables(&view, text: text)
            }
            start = view.bytes.count
            hasLatin = false
            letters = 0
        }

        /// Whether the text is Turkish (or Azerbaijani), where the dotless ı is a letter of its own
        /// rather than a look-alike: -1 not yet known.
        var turkish: Int8 = -1

        mutating func foldConfusables(_ view: inout NormalizedView, text: UnsafeBufferPointer<UInt8>) {
            let foldIt = hasLatin || (pending.count == letters && previousLatin)
            previousLatin = hasLatin || foldIt
            defer { pending.removeAll(keepingCapacity: true) }
            guard foldIt else { return }
            // Compact in place: each confusable (2–3 bytes) becomes one Latin byte.
            var w = pending[0].at
            var r = w
            var k = 0
            while r < view.bytes.count {
                if k < pending.count && pending[k].at == r {
                    // ı still reads as i, but in Turkish text it is spelling, not evasion.
                    let dotless = view.bytes[r] == 0xC4 && pending[k].length == 2 && view.bytes[r + 1] == 0xB1
                    if dotless && turkish < 0 { turkish = Normalizer.isTurkish(text) ? 1 : 0 }
                    view.bytes[w] = pending[k].latin
                    if pending[k].latin >= FoldTable.ambiguousSF { view.lookalikes &+= 1 }
                    view.map[w] = view.map[r]
                    if !(dotless && turkish == 1) { view.record(.confusable, view.map[r], view.map[r] + 1) }
                    w += 1; r += pending[k].length; k += 1
                } else {
                    view.bytes[w] = view.bytes[r]; view.map[w] = view.map[r]
                    w += 1; r += 1
                }
            }
            view.bytes.removeLast(view.bytes.count - w)
            view.map.removeLast(view.map.count - w)
        }
    }

    /// Fills `view` from `text` (valid UTF-8). Words are written straight into the view; a word that
    /// mixes scripts has its confusable letters folded in place when it ends.
    static func build(_ text: UnsafeBufferPointer<UInt8>, into view: inout NormalizedView,
                      vocabulary: WordSet, fold: FoldTable = .shared) {
        view.reset()
        view.bytes.reserveCapacity(text.count + 16)
        view.map.reserveCapacity(text.count + 16)
        var word = Word()
        var i = 0
        var scalarIndex: Int32 = 0
        let n = text.count
        while i < n {
            let b0 = text[i]
            let idx = scalarIndex
            scalarIndex &+= 1
            if b0 < 0x80 && word.pending.isEmpty {
                // A run of ASCII: copied in one go, lower-cased in place, the word state kept in
                // registers (no confusable can be pending inside it).
                var j = i + 1
                while j < n && text[j] < 0x80 { j &+= 1 }
                let count = j - i
                let base = view.bytes.count
                view.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[i..<j]))
                view.map.append(contentsOf: idx..<(idx + Int32(count)))
                var start = word.start, hasLatin = word.hasLatin, letters = word.letters, previousLatin = word.previousLatin
                view.bytes.withUnsafeMutableBufferPointer { out in
                    for k in base..<(base + count) {
                        var b = out[k]
                        if b >= 0x41 && b <= 0x5A { b |= 0x20; out[k] = b }
                        if b >= 0x61 && b <= 0x7A {
                            hasLatin = true; letters &+= 1
                        } else if b < 0x30 || b > 0x39 {
                            if k > start { previousLatin = hasLatin }
                            hasLatin = false; letters = 0
                            start = k + 1
                        }
                    }
                }
                word.start = start; word.hasLatin = hasLatin; word.letters = letters; word.previousLatin = previousLatin
                scalarIndex = idx + Int32(count)
                i = j
                continue
            }
            if b0 < 0x80 {
                i &+= 1
                var b = b0
                if b >= 0x41 && b <= 0x5A { b |= 0x20 }
                if (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) {
                    if b >= 0x61 { word.hasLatin = true; word.letters &+= 1 }
                    view.bytes.append(b); view.map.append(idx)
                } else {
                    word.end(&view, text)
                    view.bytes.append(b); view.map.append(idx)
                    word.start = view.bytes.count
                }
                continue
            }
            // Decode one multi-byte scalar (input is valid UTF-8).
            var v: UInt32
            var len: Int
            if b0 < 0xE0 { v = UInt32(b0 & 0x1F); len = 2 } else if b0 < 0xF0 { v = UInt32(b0 & 0x0F); len = 3 } else { v = UInt32(b0 & 0x07); len = 4 }
            var k = 1
            while k < len && i + k < n { v = v << 6 | UInt32(text[i + k] & 0x3F); k += 1 }
            let start = i
            i += len
            if v >= 0xE0000 && v <= 0xE007F {
                if view.tagStart < 0 { view.tagStart = Int(idx) }
                view.tagEnd = Int(idx) + 1
                let ascii = v - 0xE0000
                if ascii >= 0x20 && ascii < 0x7F { view.tagPayload.append(UInt8(ascii)) }
                continue
            }
            if Decoders.isTurnedLetter(v) { view.turned &+= 1 }
            switch fold.entry(v) {
            case .drop:
                view.record(.invisible, idx, idx + 1)
            case .keep(let isWord):
                if !isWord { word.end(&view, text) }
                let at = view.bytes.count
                if !isWord && isPictograph(v) {
                    // An emoji or other pictograph reads as a space: "ignore 🙂 all 🙂 previous"
                    // is "ignore all previous" to a keyword whose spaces match any run of them.
                    view.bytes.append(0x20); view.map.append(idx)
                    view.pictographs &+= 1
                    word.start = view.bytes.count
                    continue
                }
                for j in start..<i { view.bytes.append(text[j]); view.map.append(idx) }
                if isWord {
                    word.letters &+= 1
                    if v < 0x10000 {
                        if fold.confusable[Int(v)] != 0 { word.pending.append((at, len, fold.confusable[Int(v)])) }
                    } else if let latin = fold.astralConfusable[v] {
                        word.pending.append((at, len, latin))
                    }
                } else {
                    word.start = view.bytes.count
                }
            case .replace(let bytes, let asciiWord, let separator, let latin):
                if separator { word.end(&view, text) }
                let at = view.bytes.count
                for c in bytes { view.bytes.append(c); view.map.append(idx) }
                if asciiWord {
                    word.hasLatin = true; word.letters &+= bytes.count
                } else if separator {
                    word.start = view.bytes.count
                } else {
                    word.letters &+= 1
                    if latin != 0 { word.pending.append((at, bytes.count, latin)) }
                }
            }
        }
        word.end(&view, text)
        if view.lookalikes > 0 || view.count(.confusable) >= homoglyphFolds { resolveLookalikes(&view, vocabulary: vocabulary) }
        rejoinSplitLetters(&view)
        foldLeet(&view, vocabulary: vocabulary)
    }

    /// Confusables folded in a text from which on it is written in look-alikes throughout (as
    /// PyRIT's homoglyph converter writes every character), so that `resolveLookalikes` also reads
    /// the look-alikes that are plain Latin letters.
    static let homoglyphFolds = 6

    /// A place in a word that reads two ways (`resolveLookalikes`), by its first and second reading.
    private enum TwoWays {
        case capitalIOrL   // a look-alike of capital I or l: i, l
        case firstL        // a word's first l: l, i
        case rn            // rn, m
        case longS         // ſ: s, f
    }

    /// Settles what the confusable fold cannot alone, by whichever reading makes a vocabulary word:
    /// a look-alike of capital I or l (`FoldTable.ambiguousIL`) is i or l ("а𝐈𝐈" is "all",
    /// "𝐈gnore" "ignore"), and the long s (ſ) in such a word is s or f. In text written in
    /// look-alikes throughout (`homoglyphFolds`), "rn" is also tried as m and a word's first l as
    /// i: Unicode's list gives "rn" as the only look-alike of m and l as the only one of I
    /// ("systern", "lgnore"). Up to five such places are tried in a word; a word that makes no
    /// vocabulary word takes the likelier reading (see `fallback`).
    static func resolveLookalikes(_ view: inout NormalizedView, vocabulary: WordSet) {
        let throughout = view.count(.confusable) >= homoglyphFolds
        let marker = FoldTable.ambiguousIL
        let n = view.bytes.count
        var drop: [Int] = []
        var changed: [(Int32, Int32)] = []
        // The places of one word that read two ways; bit k of a reading's mask picks the second
        // way for place k.
        var places: [(at: Int, kind: TwoWays)] = []
        view.bytes.withUnsafeMutableBufferPointer { bytes in
            var i = 0
            while i < n {
                let b = bytes[i]
                guard b &- 0x61 < 26 || b &- 0x30 < 10 || b >= FoldTable.ambiguousSF else { i &+= 1; continue }
                var j = i
                places.removeAll(keepingCapacity: true)
                while j < n {
                    let c = bytes[j]
                    if c == marker {
                        places.append((j, .capitalIOrL))
                    } else if c == FoldTable.ambiguousSF {
                        places.append((j, .longS))
                    } else if c &- 0x61 >= 26 && c &- 0x30 >= 10 {
                        break
                    } else if throughout && c == 0x72 && j + 1 < n && bytes[j + 1] == 0x6E {
                        places.append((j, .rn))
                    } else if throughout && c == 0x6C && j == i {
                        places.append((j, .firstL))
                    }
                    j &+= 1
                }
                guard !places.isEmpty else { i = j; continue }
                let tried = min(places.count, 5)
                // Without a vocabulary word, text in look-alikes throughout reads a look-alike
                // after a word's first letter as l, rn as m (far more common in English), and a
                // first l as i when alone or before a letter no English word has after a first l
                // ("lgnore", "ln"); other text keeps i, rn and l.
                var fallback: UInt32 = 0
                if throughout {
                    for k in 0..<tried {
                        let at = places[k].at
                        switch places[k].kind {
                        case .capitalIOrL: if at > i { fallback |= 1 << UInt32(k) }
                        case .firstL:
                            let next = at + 1 < j ? bytes[at + 1] : 0x20
                            if next &- 0x61 >= 26 || !"aeiouyl".utf8.contains(next) { fallback |= 1 << UInt32(k) }
                        case .rn, .longS: fallback |= 1 << UInt32(k)
                        }
                    }
                }
                var chosen = fallback
                if j - i >= 3 && j - i <= vocabulary.longest + tried {
                    for mask in 0..<(UInt32(1) << UInt32(tried)) {
                        var h: UInt64 = 0xcbf29ce484222325
                        var p = 0, q = i
                        while q < j {
                            var c = bytes[q]
                            var step = 1
                            if p < places.count && places[p].at == q {
                                let second = p < tried && (mask >> UInt32(p)) & 1 == 1
                                switch places[p].kind {
                                case .capitalIOrL: c = second ? 0x6C : 0x69
                                case .firstL: if second { c = 0x69 }
                                case .rn: if second { c = 0x6D; step = 2 }
                                case .longS: c = second ? 0x66 : 0x73
                                }
                                p += 1
                            } else if c == 0x30 {
                                c = 0x6F   // a look-alike of O can be the digit; leetspeak folds it after
                            }
                            h = (h ^ UInt64(c)) &* 0x100000001b3
                            q &+= step
                        }
                        if vocabulary.contains(hash: h) { chosen = mask; break }
                    }
                }
                for (k, place) in places.enumerated() {
                    let second = k < tried && (chosen >> UInt32(k)) & 1 == 1
                    switch place.kind {
                    case .capitalIOrL: bytes[place.at] = second ? 0x6C : 0x69
                    case .firstL:
                        if second { bytes[place.at] = 0x69; changed.append((view.map[place.at], view.map[place.at] + 1)) }
                    case .rn:
                        if second { bytes[place.at] = 0x6D; drop.append(place.at + 1); changed.append((view.map[place.at], view.map[place.at + 1] + 1)) }
                    case .longS: bytes[place.at] = second ? 0x66 : 0x73
                    }
                }
                i = j
            }
        }
        // The double quotation mark's look-alike is two apostrophes ('' for "), always so in
        // PyRIT's homoglyph text.
        if throughout {
            view.bytes.withUnsafeBufferPointer { bytes in
                var k = 0
                while k + 1 < n {
                    if bytes[k] == 0x27 && bytes[k + 1] == 0x27 { drop.append(k + 1); k += 2 } else { k += 1 }
                }
            }
            if !drop.isEmpty { drop.sort() }
            for k in drop where view.bytes[k] == 0x27 { view.bytes[k - 1] = 0x22 }
        }
        if !changed.isEmpty { view.merge(.confusable, changed) }
        guard !drop.isEmpty else { return }
        var w = drop[0]
        view.bytes.withUnsafeMutableBufferPointer { bytes in
            view.map.withUnsafeMutableBufferPointer { map in
                var d = 0
                for r in drop[0]..<n {
                    if d < drop.count && drop[d] == r { d += 1; continue }
                    bytes[w] = bytes[r]; map[w] = map[r]; w += 1
                }
            }
        }
        view.bytes.removeLast(n - w)
        view.map.removeLast(n - w)
    }

    /// Whether `text` has a letter of the Turkish alphabet besides ı (ğ, ş, İ, ç, ö, ü, either case):
    /// then its ı is a Turkish letter. English written with ı for i ("ıgnore prevıous ınstructıons")
    /// has none of them; text that adds one still matches every rule through the fold, and only
    /// loses the `SF-OBF-EVASION` finding.
    static func isTurkish(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = text.count
        while i + 1 < n {
            let b = text[i]
            if b >= 0xC3 && b <= 0xC5 {
                let c = text[i + 1]
                switch b {
                case 0xC3: if c == 0xA7 || c == 0x87 || c == 0xB6 || c == 0x96 || c == 0xBC || c == 0x9C { return true }
                case 0xC4: if c == 0x9F || c == 0x9E || c == 0xB0 { return true }
                default: if c == 0x9F || c == 0x9E { return true }
                }
                i += 2
            } else {
                i += 1
            }
        }
        return false
    }

    /// Emoji, dingbats and other pictographic symbols (general category So, and Sk for the skin-tone
    /// modifiers), from the arrows block up: never part of a word.
    static func isPictograph(_ v: UInt32) -> Bool {
        guard v >= 0x2190, let scalar = Unicode.Scalar(v) else { return false }
        let category = scalar.properties.generalCategory
        return category == .otherSymbol || category == .modifierSymbol
    }

    @inline(__always) static func isAlnum(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
    @inline(__always) static func isSplitSeparator(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x2E || b == 0x2D || b == 0x5F || b == 0x2A || b == 0x2F || b == 0x7C || b == 0x2C || b == 0x2B || b == 0x7E
    }

    /// Quotes and brackets that wrap each letter of a split word: `"i","g"`, `[i][g]`, `(i) (g)`.
    @inline(__always) static func isWrapper(_ b: UInt8, opening: Bool) -> Bool {
        switch b {
        case 0x22, 0x27, 0x60: return true                    // " ' `
        case 0x5B, 0x28, 0x7B: return opening                 // [ ( {
        case 0x5D, 0x29, 0x7D: return !opening                // ] ) }
        default: return false
        }
    }

    /// "i g n o r e" / "i.g.n.o.r.e" → "ignore": runs of at least four one-character tokens
    /// separated by one or two separator characters lose their separators. A gap unlike the run's
    /// usual one marks a word boundary and reads as one space: "i g n o r e  a l l" (two spaces
    /// between words) → "ignore all", "i.g.n.o.r.e a.l.l" → "ignore all". When every gap is the
    /// same, the words cannot be told apart and the run reads as one token. A character of another
    /// script is one character too ("и г н о р и р у й", "忽 略"; a combining mark that a split
    /// left standing alone goes back onto its letter).
    static func rejoinSplitLetters(_ view: inout NormalizedView) {
        let n = view.bytes.count
        guard n >= 7 else { return }
        var keep = [Bool]()
        var boundaries: [Int] = []
        var runs: [(Int, Int)] = []
        view.bytes.withUnsafeBufferPointer { bytes in
            forEachSplitRun(n, byte: { bytes[$0] }, charLength: { splitCharLength(bytes, $0) },
                            separator: { isSplitSeparator(bytes[$0]) }) { first, last in
                if keep.isEmpty { keep = [Bool](repeating: true, count: n) }
                runs.append((first, last))
                let end = last + splitCharLength(bytes, last)
                var p = first
                while p < end {
                    let length = splitCharLength(bytes, p)
                    if length == 0 { keep[p] = false; p += 1 } else { p += length }
                }
                markWordBoundaries(bytes, first, last, into: &boundaries)
                // The wrappers around the whole run go too: `[i][g]…[e]` reads as `ig…e`.
                if first > 0, end < n, isWrapper(bytes[first - 1], opening: true), isWrapper(bytes[end], opening: false) {
                    keep[first - 1] = false; keep[end] = false
                }
                return true
            }
        }
        for (first, last) in runs { view.record(.split, view.map[first], view.map[last] + 1) }
        guard !keep.isEmpty else { return }
        for p in boundaries { keep[p] = true; view.bytes[p] = 0x20 }
        var w = 0
        for r in 0..<n where keep[r] {
            view.bytes[w] = view.bytes[r]; view.map[w] = view.map[r]; w += 1
        }
        view.bytes.removeLast(n - w)
        view.map.removeLast(n - w)
    }

    /// The length in bytes of the character that starts at `p` of the view when it can be a split
    /// word's character: a lower-case ASCII letter or digit (1), or a scalar outside ASCII that is
    /// not punctuation, a symbol or a space (Latin-1 punctuation, U+2000–U+2BFF, CJK punctuation
    /// other than the ideographic comma and full stop, which end words of a split sentence, emoji);
    /// otherwise 0 (a continuation byte too).
    @inline(__always) static func splitCharLength(_ bytes: UnsafeBufferPointer<UInt8>, _ p: Int) -> Int {
        let b = bytes[p]
        if b < 0x80 { return isAlnum(b) ? 1 : 0 }
        guard b >= 0xC2 else { return 0 }
        let length = b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
        guard p + length <= bytes.count else { return 0 }
        let b1 = bytes[p + 1]
        switch b {
        case 0xC2: return b1 >= 0xC0 ? length : 0                          // U+0080–U+00BF
        case 0xE2: return b1 >= 0xB0 ? length : 0                          // U+2000–U+2BFF
        case 0xE3:                                                          // U+3000–U+303F but 、 and 。
            return b1 != 0x80 || bytes[p + 2] == 0x81 || bytes[p + 2] == 0x82 ? length : 0
        case 0xF0: return b1 == 0x9F ? 0 : length                          // U+1F000–U+1FFFF
        default: return length
        }
    }

    /// The gaps of the split run `first...last` that differ from its most common gap (in length or
    /// in bytes): the first byte of each, which becomes the space between two rejoined words.
    static func markWordBoundaries(_ bytes: UnsafeBufferPointer<UInt8>, _ first: Int, _ last: Int, into boundaries: inout [Int]) {
        // A gap's shape: its length and its first and last bytes (gaps are at most four bytes:
        // a closing wrapper, two separators, an opening wrapper).
        var gaps: [(start: Int, shape: UInt32)] = []
        var p = first + splitCharLength(bytes, first)
        while p < last {
            let start = p
            while p < last && splitCharLength(bytes, p) == 0 { p += 1 }
            gaps.append((start, UInt32(p - start) << 16 | UInt32(bytes[start]) << 8 | UInt32(bytes[p - 1])))
            p += splitCharLength(bytes, p)   // past the character
        }
        // The usual gap: the most common shape, the shorter one on a tie (words are further apart).
        // Counted by sorting the shapes (no hashing per gap: a text can hold thousands of runs).
        var shapes = gaps.map(\.shape)
        shapes.sort()
        var usual: UInt32 = 0, most = 0, distinct = 0
        var k = 0
        while k < shapes.count {
            var j = k
            while j < shapes.count && shapes[j] == shapes[k] { j += 1 }
            distinct += 1
            if j - k > most { most = j - k; usual = shapes[k] }   // ascending: a tie keeps the smaller shape
            k = j
        }
        guard distinct > 1 else { return }
        for g in gaps where g.shape != usual { boundaries.append(g.start) }
    }

    /// Whether `rejoinSplitLetters` would rejoin anything in the lower-case form of ASCII `text`:
    /// the same scan without building the view, so text that merely has short tokens ("x = a + b",
    /// "a) b) c) d)") needs no view.
    static func hasSplitRun(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard text.count >= 7 else { return false }
        var found = false
        forEachSplitRun(text.count, byte: { text[$0] }, charLength: { let b = text[$0]; return isAlnum(b &- 0x41 < 26 ? b | 0x20 : b) ? 1 : 0 },
                        separator: { isSplitSeparator(text[$0]) }) { _, _ in found = true; return false }
        return found
    }

    /// Runs of at least four single characters (`charLength` gives a character's length in bytes
    /// at its first byte, 0 where none that can be split starts), each separated from the next by
    /// one or two separator characters ("i g n o r e", "i.g.n.o.r.e"), or each quoted or bracketed
    /// (`"i","g","n"`, `'i' 'g' 'n'`, `[i][g][n]`): `body(first, last)` gets the positions of a
    /// run's first and last character, in order, until it returns false.
    @inline(__always)
    static func forEachSplitRun(_ n: Int, byte: (Int) -> UInt8, charLength: (Int) -> Int, separator: (Int) -> Bool,
                                _ body: (Int, Int) -> Bool) {
        // Whether a character ends just before `i` (its first byte is found past continuation bytes).
        @inline(__always) func characterBefore(_ i: Int) -> Bool {
            guard i > 0 else { return false }
            var q = i - 1
            while q > 0 && byte(q) & 0xC0 == 0x80 { q -= 1 }
            return charLength(q) > 0
        }
        var i = 0
        while i < n {
            let length = charLength(i)
            guard length > 0 else { i &+= 1; continue }
            guard !characterBefore(i), i + length >= n || charLength(i + length) == 0 else {
                // The rest of a longer word.
                i &+= length
                while i < n { let l = charLength(i); if l == 0 { break }; i &+= l }
                continue
            }
            // A run's gaps hold up to two separators; up to four between its words when its letters
            // are further apart ("t o   s h o w   y o u": three-letter words, one space between
            // letters and three between words, read as one run). Tried wide first: a run whose
            // wide gaps are not outnumbered by narrow ones is read again with narrow gaps only.
            var last = i, lastLength = length, count = 1
            var maxSeparators = 4
            while true {
                last = i; lastLength = length; count = 1
                var narrow = 0, wide = 0
                var j = i + length
                while j < n {
                    // The gap: a closing quote or bracket, separators, an opening one. Both or
                    // neither: `(a) b` is not a wrapped run.
                    var k = j
                    let closed = k < n && isWrapper(byte(k), opening: false)
                    if closed { k += 1 }
                    let separators = k
                    while k < n && k - separators < maxSeparators && separator(k) { k += 1 }
                    let opened = k < n && isWrapper(byte(k), opening: true)
                    if opened { k += 1 }
                    guard closed == opened, k > j, k < n else { break }
                    let l = charLength(k)
                    guard l > 0, k + l >= n || charLength(k + l) == 0 else { break }
                    if k - separators - (opened ? 1 : 0) > 2 { wide += 1 } else { narrow += 1 }
                    last = k; lastLength = l
                    count += 1
                    j = k + l
                }
                if wide == 0 || narrow > wide || maxSeparators == 2 { break }
                maxSeparators = 2
            }
            if count >= 4 && !body(i, last) { return }
            i = last + lastLength
        }
    }

    @inline(__always) static func leetLetter(_ b: UInt8, oneAs: UInt8) -> UInt8 {
        switch b {
        case 0x30: return 0x6F            // 0 → o
        case 0x31: return oneAs           // 1 → i or l
        case 0x33: return 0x65            // 3 → e
        case 0x34, 0x40: return 0x61      // 4 @ → a
        case 0x35, 0x24: return 0x73      // 5 $ → s
        case 0x37: return 0x74            // 7 → t
        case 0x21: return 0x69            // ! → i
        case 0x7C: return 0x6C            // | → l
        case 0x38: return 0x62            // 8 → b
        case 0x39: return 0x67            // 9 → g
        case 0x28, 0x5B, 0x7B, 0x3C: return 0x63 // ( [ { < → c
        case 0x5E: return 0x61            // ^ → a
        default: return b
        }
    }

    /// An ASCII capital as its lower-case letter; any other byte as it is.
    @inline(__always) static func asciiLower(_ b: UInt8) -> UInt8 { b &- 0x41 < 26 ? b | 0x20 : b }

    @inline(__always) static func isLeetSymbol(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39 && b != 0x32 && b != 0x36) || b == 0x40 || b == 0x24 || b == 0x21 || b == 0x7C
            || isLeetBracket(b) || b == 0x5E
    }

    /// `(`, `[`, `{` and `<`, which leetspeak writes for c ("4((355 (0d3"). Before a word they are
    /// punctuation more often, so a token that begins with them is also tried without them.
    @inline(__always) static func isLeetBracket(_ b: UInt8) -> Bool {
        b == 0x28 || b == 0x5B || b == 0x7B || b == 0x3C
    }

    /// Whether `b` ends a leet token as punctuation rather than as a letter: "!" and "|" after a
    /// word, and the brackets.
    @inline(__always) static func isLeetTrailer(_ b: UInt8) -> Bool {
        b == 0x21 || b == 0x7C || isLeetBracket(b)
    }

    /// Whether a vocabulary word begins and ends with the letters the leet token `[i, end)` begins
    /// and ends with (a `1` either i or l): most tokens end no vocabulary word.
    @inline(__always)
    static func leetEndsMayHold(_ text: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int, vocabulary: WordSet) -> Bool {
        let a = asciiLower(text[i]), z = asciiLower(text[end - 1])
        let firsts: (UInt8, UInt8) = a == 0x31 ? (0x69, 0x6C) : (leetLetter(a, oneAs: 0x69), 0)
        let lasts: (UInt8, UInt8) = z == 0x31 ? (0x69, 0x6C) : (leetLetter(z, oneAs: 0x69), 0)
        return vocabulary.mayHold(first: firsts.0, last: lasts.0) || vocabulary.mayHold(first: firsts.1, last: lasts.0)
            || vocabulary.mayHold(first: firsts.0, last: lasts.1) || vocabulary.mayHold(first: firsts.1, last: lasts.1)
    }

    /// The leet token `[i, end)` (lower-case ASCII letters and leet characters) read as a
    /// vocabulary word: a bit mask saying which of its first four `1`s read as l (the others, and
    /// any after the fourth, as i), or nil. "f0110w1n9" is "following" with 1 as l, l and i.
    @inline(__always)
    static func leetWord(_ text: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int, vocabulary: WordSet) -> UInt32? {
        guard leetEndsMayHold(text, i, end, vocabulary: vocabulary) else { return nil }
        var ones = 0
        for k in i..<end where text[k] == 0x31 { ones &+= 1 }
        let combinations: UInt32 = 1 << UInt32(min(ones, 4))
        for m in 0..<combinations {
            var h: UInt64 = 0xcbf29ce484222325
            var bit: UInt32 = 0
            for k in i..<end {
                h = (h ^ UInt64(leetByte(asciiLower(text[k]), mask: m, ones: &bit))) &* 0x100000001b3
            }
            if vocabulary.contains(hash: h) { return m }
        }
        return nil
    }

    /// The letter a leet byte stands for, a `1` by bit `ones` of the mask (l when set, i when not,
    /// i after the fourth); `ones` counts the `1`s seen.
    @inline(__always) static func leetByte(_ c: UInt8, mask m: UInt32, ones bit: inout UInt32) -> UInt8 {
        guard c == 0x31 else { return leetLetter(c, oneAs: 0x69) }
        defer { bit &+= 1 }
        return bit < 4 && (m >> bit) & 1 == 1 ? 0x6C : 0x69
    }

    /// Writes the letters the leet token `[i, end)` stands for, with `leetWord`'s mask for its `1`s.
    @inline(__always)
    static func applyLeet(_ bytes: UnsafeMutableBufferPointer<UInt8>, _ i: Int, _ end: Int, mask m: UInt32) {
        var bit: UInt32 = 0
        for k in i..<end { bytes[k] = leetByte(bytes[k], mask: m, ones: &bit) }
    }

    /// The parts of the token `[i, j)` that read as vocabulary words in leetspeak, each with the
    /// mask of `leetWord`, given to `body`; returns whether there was one. The token is read
    /// without trailing "!", "|" or brackets, and failing that without leading brackets ("(1gn0r3"
    /// as well as "(0d3"); failing both, the pieces between brackets inside it are read one by one
    /// ("5m4r7GP7(z)", "pr1n7(1gn0r3"). A part needs a leet character, a letter or a leet
    /// character that is not a digit, and three bytes or more.
    @inline(__always)
    static func forEachLeetSpan(_ text: UnsafeBufferPointer<UInt8>, _ i: Int, _ j: Int, vocabulary: WordSet,
                                _ body: (Int, Int, UInt32) -> Void) -> Bool {
        // Leading brackets read as c only beside other leet characters: "(0d3" is "code", while
        // "{url}" in a format string is not "curl". A part without letters needs a leet character
        // that is not a digit ("4((355" is "access"), so that numbers stay numbers.
        @inline(__always) func read(_ start: Int, _ from: Int, _ end: Int) -> UInt32? {
            guard end - start >= 3 && end - start <= vocabulary.longest else { return nil }
            var letters = 0, leet = 0, symbols = 0
            for k in from..<end {
                let c = text[k] | 0x20
                if c &- 0x61 < 26 { letters &+= 1 } else { leet &+= 1; if c &- 0x30 >= 10 { symbols &+= 1 } }
            }
            guard (letters > 0 || symbols > 0) && leet > 0 else { return nil }
            return leetWord(text, start, end, vocabulary: vocabulary)
        }
        var end = j
        while end > i && isLeetTrailer(text[end - 1]) { end -= 1 }
        var first = i
        while first < end && isLeetBracket(text[first]) { first += 1 }
        if let m = read(i, first, end) { body(i, end, m); return true }
        if first > i, let m = read(first, first, end) { body(first, end, m); return true }
        var found = false, k = first
        while k < end {
            var e = k
            while e < end && !isLeetBracket(text[e]) { e += 1 }
            guard e < end || k > first else { break }   // no bracket inside: the token was read whole
            var last = e
            while last > k && isLeetTrailer(text[last - 1]) { last -= 1 }
            if last > k, let m = read(k, k, last) { body(k, last, m); found = true }
            k = e + 1
        }
        return found
    }

    /// Whether the token `[i, j)` stands as a word: no digit that is not a leet character (2, 6)
    /// touches it. Inside hex, hashes and serial numbers those digits cut pieces out of one long
    /// token, and a piece that happens to fold into a keyword ("acce55" in a hex dump) is no reason
    /// to build the view. (`foldLeet` itself is unchanged: when the view is built for another
    /// reason, it folds as the classifier's training features did.)
    @inline(__always) static func isWord(_ text: UnsafeBufferPointer<UInt8>, _ i: Int, _ j: Int) -> Bool {
        (i == 0 || text[i - 1] &- 0x30 >= 10) && (j == text.count || text[j] &- 0x30 >= 10)
    }

    /// Whether any ASCII token with leet characters folds into a vocabulary word (`forEachLeetSpan`), so
    /// the view is built only when leetspeak can change what matches.
    static func hasLeetWord(_ text: UnsafeBufferPointer<UInt8>, vocabulary: WordSet) -> Bool {
        var i = 0
        let n = text.count
        while i < n {
            let b = asciiLower(text[i])
            guard (b >= 0x61 && b <= 0x7A) || isLeetSymbol(b) else { i += 1; continue }
            var j = i, leet = 0
            while j < n {
                let c = asciiLower(text[j])
                if c < 0x61 || c > 0x7A {
                    guard isLeetSymbol(c) else { break }
                    leet += 1
                }
                j += 1
            }
            if leet > 0 && j - i >= 3 && isWord(text, i, j)
                && forEachLeetSpan(text, i, j, vocabulary: vocabulary, { _, _, _ in }) {
                return true
            }
            i = j
        }
        return false
    }

    /// Folds a token mixing letters and leet characters only when the folded token is a known
    /// keyword word: "1gn0r3" → "ignore", while "2+2", "v1.2" or "mp3" stay as they are.
    static func foldLeet(_ view: inout NormalizedView, vocabulary: WordSet) {
        var folded: [(Int, Int)] = []
        readLeetWords(&view, vocabulary: vocabulary, into: &folded)
        guard !folded.isEmpty else { return }
        // Each pass finds its words in text order; the passes' lists are merged one by one.
        var again: [(Int, Int)] = [], throughout: [(Int, Int)] = []
        // The text is leetspeak: its letters of two and three characters are joined, and the words
        // they completed read again.
        if let drops = joinLeetDigraphs(&view) {
            @inline(__always) func moved(_ p: Int) -> Int {
                var lo = 0, hi = drops.count
                while lo < hi { let mid = (lo + hi) / 2; if drops[mid] < p { lo = mid + 1 } else { hi = mid } }
                return p - lo
            }
            folded = folded.map { (moved($0.0), moved($0.1)) }
            readLeetWords(&view, vocabulary: vocabulary, into: &again)
        }
        let n = view.bytes.count
        view.bytes.withUnsafeMutableBufferPointer { bytes in
            // A keyword written in leet makes the text leetspeak: garak writes each of i e a o s t
            // as 1 3 4 0 5 7 half the time, so the words around the keywords are leet too ("f0rm4t
            // 7h3 instructi0ns 45 4 li5t"). Every word that mixes letters with 0 1 3 4 5 7 is
            // folded, and a word of one to three of those digits alone ("4", "45", "70"). Not `@`
            // or `$`, which code puts before names ("$tableName", "@Override").
            @inline(__always) func leetDigit(_ c: UInt8) -> Bool {
                c == 0x30 || c == 0x31 || c == 0x33 || c == 0x34 || c == 0x35 || c == 0x37
            }
            var i = 0
            while i < n {
                let b = bytes[i]
                guard b &- 0x61 < 26 || b &- 0x30 < 10 else { i &+= 1; continue }
                var j = i
                var letters = 0, leet = 0, others = 0
                while j < n {
                    let c = bytes[j]
                    if c &- 0x61 < 26 { letters &+= 1 } else if leetDigit(c) { leet &+= 1 } else if c &- 0x30 < 10 { others &+= 1 } else { break }
                    j &+= 1
                }
                if leet > 0 && others == 0 && (letters > 0 || leet <= 3) {
                    // 1 is i unless l makes a vocabulary word ("411" is "all").
                    let m = j - i <= vocabulary.longest ? leetWord(UnsafeBufferPointer(bytes), i, j, vocabulary: vocabulary) ?? 0 : 0
                    applyLeet(bytes, i, j, mask: m)
                    throughout.append((i, j))
                }
                i = j
            }
        }
        for list in [folded, again, throughout] { view.merge(.leet, list.map { (view.map[$0.0], view.map[$0.1 - 1] + 1) }) }
    }

    /// Folds each token mixing letters and leet characters that reads as a vocabulary word
    /// (`forEachLeetSpan`), adding its span to `folded`.
    static func readLeetWords(_ view: inout NormalizedView, vocabulary: WordSet, into folded: inout [(Int, Int)]) {
        let n = view.bytes.count
        view.bytes.withUnsafeMutableBufferPointer { bytes in
            var i = 0
            while i < n {
                let b = bytes[i]
                guard (b >= 0x61 && b <= 0x7A) || isLeetSymbol(b) else { i &+= 1; continue }
                var j = i
                var leet = 0
                while j < n {
                    let c = bytes[j]
                    if c &- 0x61 >= 26 {
                        guard isLeetSymbol(c) else { break }
                        leet &+= 1
                    }
                    j &+= 1
                }
                if leet > 0 && j - i >= 3 {
                    _ = forEachLeetSpan(UnsafeBufferPointer(bytes), i, j, vocabulary: vocabulary) { start, end, m in
                        applyLeet(bytes, start, end, mask: m)
                        folded.append((start, end))
                    }
                }
                i = j
            }
        }
    }

    /// Leetspeak's letters of more than one character that PyRIT writes for a a third of the time:
    /// `/\` and `/-\`. In text known to be leetspeak, one inside a word or two against a letter or
    /// a leet character make every one of them an a (a path, a regular expression or ASCII art in
    /// ordinary text is not read); the view shrinks by the characters joined. Returns the view
    /// positions removed, in order, or nil when nothing was joined.
    static func joinLeetDigraphs(_ view: inout NormalizedView) -> [Int]? {
        let n = view.bytes.count
        guard view.bytes.contains(0x5C) else { return nil }
        var found: [(at: Int, length: Int)] = []
        var against = 0
        view.bytes.withUnsafeBufferPointer { b in
            @inline(__always) func wordy(_ c: UInt8) -> Bool { c &- 0x61 < 26 || isLeetSymbol(c) }
            var k = 0
            while k + 1 < n {
                guard b[k] == 0x2F else { k &+= 1; continue }
                let length = b[k + 1] == 0x5C ? 2 : (k + 2 < n && b[k + 1] == 0x2D && b[k + 2] == 0x5C ? 3 : 0)
                guard length > 0 else { k &+= 1; continue }
                // Inside a word it counts twice: one is enough there.
                if k > 0 && wordy(b[k - 1]) { against &+= 1 }
                if k + length < n && wordy(b[k + length]) { against &+= 1 }
                found.append((k, length))
                k &+= length
            }
        }
        guard against >= 2 else { return nil }
        view.merge(.leet, found.map { (view.map[$0.at], view.map[$0.at + $0.length - 1] + 1) })
        var drops: [Int] = []
        drops.reserveCapacity(found.count)
        var w = found[0].at
        view.bytes.withUnsafeMutableBufferPointer { bytes in
            view.map.withUnsafeMutableBufferPointer { map in
                var r = w, f = 0
                while r < n {
                    if f < found.count && found[f].at == r {
                        bytes[w] = 0x61; map[w] = map[r]
                        for d in (r + 1)..<(r + found[f].length) { drops.append(d) }
                        r += found[f].length; w += 1; f += 1
                    } else {
                        bytes[w] = bytes[r]; map[w] = map[r]
                        r += 1; w += 1
                    }
                }
            }
        }
        view.bytes.removeLast(n - w)
        view.map.removeLast(n - w)
        return drops
    }
}

extension Unicode.GeneralCategory {
    var isPunctuationOrSymbol: Bool {
        switch self {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation, .mathSymbol, .currencySymbol,
             .modifierSymbol, .otherSymbol, .spaceSeparator, .lineSeparator, .paragraphSeparator, .control:
            return true
        default:
            return false
        }
    }
}
