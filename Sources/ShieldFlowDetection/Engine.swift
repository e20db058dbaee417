import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCRE2Adapter
import ShieldFlowCore

/// The outcome of scanning one text.
public struct ScanResult: Sendable {
    public var action: Action
    public var findings: [Finding]
    /// The text with PII/secret spans replaced, when the action is `allow_masked`.
    public var maskedText: String?
    /// 1 − share of the text in high-entropy dumps (1 = healthy), for responses and tool output.
    public var tokenHealth: Double
}

/// The text the classifier scores when it differs from the input (`classifierReading`): the
/// first `count` bytes of `bytes`, and where each stretch of them starts in the input.
struct ClassifierReading {
    var bytes: [UInt8] = []
    var count = 0
    /// (reading index, input index) at which each stretch starts, in order, the first at (0, 0):
    /// inside a stretch the reading copies the input byte for byte.
    var segments: [(reading: Int32, input: Int32)] = []

    /// The input index of the reading's byte `o`.
    func inputIndex(_ o: Int) -> Int {
        var lo = 0, hi = segments.count   // the last segment starting at or before `o`
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if Int(segments[mid].reading) <= o { lo = mid } else { hi = mid }
        }
        return Int(segments[lo].input) + o - Int(segments[lo].reading)
    }

    /// The reading as text (tests).
    var text: String { String(decoding: bytes[0..<count], as: UTF8.self) }
}

/// Per-thread working memory for scans (match data, view buffers, hit sets), like Hyperscan's
/// scratch. Create one per worker and reuse it; an engine value can be shared by all workers.
public final class ScanScratch {
    let pcre = PCRE2Scratch()
    var view = NormalizedView()
    /// Keyword hits of the layer being scanned (moved into a local while a layer is scanned, so the
    /// hot loops pay no dynamic exclusivity checks on class properties).
    var hits = LayerHits()
    /// Lower-cased copy of an ASCII text, for intent rules when no view is built.
    var lower: [UInt8] = []
    /// Whether `lower` holds the top layer's text (a decoded layer may have used it since).
    var lowerIsTop = false
    /// The top layer's (confirmed) feature pass, for the classifier.
    var topFeatures: DetectionEngine.Features?
    /// The text being scanned follows earlier turns of its conversation (see `RuleSpec.openingOnly`).
    var followsTurns = false
    /// Depth of the layer whose text `view` holds (−1: none yet in this scan), so the classifier
    /// reuses the top layer's view instead of building it again.
    var viewDepth = -1
    /// Another reading of the top layer (JSON's text, words joined by underscores on a prompt),
    /// which the classifier scores instead of the raw text.
    var transport: DecodedLayer?
    /// Payloads decoded from the top layer (base64, hex, character codes, ROT13, escapes, text
    /// written backwards or upside down, Unicode tags, joined pieces), for the classifier to read
    /// when the text as written did not reach its threshold.
    var payloads: [DecodedLayer] = []
    /// The classifier's input with inter-word spacing collapsed and encoded runs dropped.
    var reading = ClassifierReading()
    /// Per-rule pattern runs and time, collected when `collectStats` is on (`bench --rule-stats`).
    public var collectStats = false
    public private(set) var ruleRuns: [String: (runs: Int, findings: Int, nanoseconds: UInt64)] = [:]
    public private(set) var viewsBuilt = 0
    public private(set) var layersScanned = 0
    public init() {}

    func record(_ rule: String, findings: Int, nanoseconds: UInt64) {
        var e = ruleRuns[rule, default: (0, 0, 0)]
        e.runs += 1; e.findings += findings; e.nanoseconds += nanoseconds
        ruleRuns[rule] = e
    }
    /// Forgets what the top layer left behind (features, view, lower-case copy) before another
    /// text is read as the top layer.
    func forgetTopLayer() {
        topFeatures = nil
        viewDepth = -1
        lowerIsTop = false
    }
    func countView() { viewsBuilt += 1 }
    func countLayer() { layersScanned += 1 }
}

/// Keyword hits of one layer, as the automaton reports them: sets the rule bits and widens their
/// windows. A struct passed `inout`, so the per-hit updates need no runtime exclusivity checks.
struct HitSink: KeywordSink {
    let engine: DetectionEngine
    /// The text the automaton is walking (the raw bytes or the view) and which rules it serves:
    /// nil for all, true for the normalised (intent) rules only, false for the raw ones only.
    var subject: UnsafeBufferPointer<UInt8>
    var normalizedOnly: Bool?
    var hits = LayerHits()
    /// A ROT13 marker keyword was seen (the text is decoded as a hidden layer).
    var rot13 = false
    /// A word written backwards was seen (the text is read reversed as a hidden layer).
    var reversed = false
    /// A word asking to concatenate was seen (quoted pieces listed with commas are joined).
    var concatenate = false
    /// Per letter shift (1–25; 26 for Atbash), the common words seen written in that shift, one bit
    /// per word of `DetectionEngine.shiftWords` (inline: no allocation, even for "max" or "zoo").
    var shiftVotes = SIMD32<UInt16>()
    var anyShift = false
    /// A cipher was named ("caesar", "atbash", "cipher"): one shifted word is enough to decode.
    var cipherNamed = false
    /// Words of the NATO spelling alphabet ("India Golf November Oscar Romeo Echo").
    var nato: Int32 = 0
    /// Attack words written without their vowels ("gnr", "prvs", "nstrctns").
    var skeletons: Int32 = 0
    /// Common and attack words in pig Latin ("ethay", "gnoreiay", "eviouspray").
    var pigLatin: Int32 = 0

    init(engine: DetectionEngine, subject: UnsafeBufferPointer<UInt8>, normalizedOnly: Bool?) {
        self.engine = engine
        self.subject = subject
        self.normalizedOnly = normalizedOnly
    }

    @inline(__always) mutating func keyword(_ kw: Int, end: Int) {
        let e = engine
        var start = end - Int(e.keywordLength[kw])
        if let spaced = e.spacedKeywords[kw] { start = AhoCorasick.start(of: spaced, end: end, in: subject) }
        if e.keywordWhole[kw] {
            if start > 0 && DetectionEngine.isWordByte(subject[start - 1]) { return }
            if end < subject.count && DetectionEngine.isWordByte(subject[end]) { return }
        }
        if kw >= e.rot13Keywords.lowerBound {   // the marker keywords come last and map to no rule
            if e.rot13Keywords.contains(kw) { rot13 = true } else if e.reversedKeywords.contains(kw) { reversed = true }
            else if e.concatenateKeywords.contains(kw) { concatenate = true }
            else if e.natoKeywords.contains(kw) { nato &+= 1 }
            else if e.skeletonKeywords.contains(kw) { skeletons &+= 1 }
            else if e.pigLatinKeywords.contains(kw) { pigLatin &+= 1 }
            else if e.cipherKeywords.contains(kw) { cipherNamed = true }
            else if e.shiftKeywords.contains(kw) {
                let code = Int(e.shiftMarker[kw &- e.shiftKeywords.lowerBound])
                shiftVotes[code >> 4] |= 1 << UInt16(code & 15)
                anyShift = true
            }
            return
        }
        for r32 in e.keywordRules[kw] {
            let r = Int(r32)
            let normalized = e.rules[r].normalized
            if let only = normalizedOnly, normalized != only { continue }
            // Read, update, write back once: each array write checks that the buffer is unique.
            var w = hits.window[r]
            w.count &+= 1
            // An intent rule's window stops growing after `maxKeywordHits`: thousands of decoy
            // keywords cannot buy unbounded regex work (the flood is reported instead).
            if normalized && w.count > DetectionEngine.maxKeywordHits { hits.window[r] = w; continue }
            if Int32(start) < w.lo { w.lo = Int32(start) }
            if Int32(end) > w.hi { w.hi = Int32(end) }
            hits.window[r] = w
            DetectionEngine.set(&hits.raw, r)
            hits.spans.append(KeywordSpan(rule: r32, start: Int32(start), end: Int32(end)))
        }
    }
}

/// The hull of one rule's keyword hits in a layer, and their number.
struct RuleWindow {
    var lo: Int32 = .max
    var hi: Int32 = 0
    var count: Int32 = 0
}

/// Which rules a layer's keywords triggered and where.
struct LayerHits {
    /// One bit per rule.
    var raw: [UInt64] = []
    /// Per rule, the hull of its keyword hits and their number.
    var window: [RuleWindow] = []
    /// Every (rule, keyword span): a rule's pattern runs on the merged windows around its own hits,
    /// not on the hull from the first hit to the last.
    var spans: [KeywordSpan] = []
}

struct KeywordSpan: Comparable {
    var rule: Int32
    var start: Int32
    var end: Int32
    static func < (a: KeywordSpan, b: KeywordSpan) -> Bool { a.rule != b.rule ? a.rule < b.rule : a.start < b.start }
}

/// Which detectors decide: the rules, the learned classifier, or both (for `eval` comparisons).
public enum DetectorMode: String, Sendable, CaseIterable {
    case both
    case rules
    case classifier
}

public struct EngineLimits: Sendable, Hashable {
    /// Longest text scanned, in UTF-8 bytes; the rest is reported by a validation finding.
    public var maxTextBytes = 64 * 1024
    /// Nesting of decoded layers (base64 inside URL escapes inside …).
    public var maxDecodeDepth = 3
    /// Decoded layers examined per text, across all depths.
    public var maxDecodedLayers = 16
    public init() {}
}

/// Two-stage detection: one Aho–Corasick pass finds every rule keyword (on the original bytes and,
/// when the text needs it, on the normalised view), then only the triggered rules run their PCRE2
/// patterns. Immutable and `Sendable`: rebuild from a new `RuleSet` and swap to reload.
public final class DetectionEngine: Sendable {
    public let ruleSet: RuleSet
    public let policy: VerdictPolicy
    public let limits: EngineLimits
    public let classifier: ClassifierSettings?
    public let mode: DetectorMode
    let rules: [CompiledRule]
    /// Keywords that are pure ASCII (every text) and those with non-ASCII bytes (non-ASCII views
    /// only): two small automata instead of one whose byte classes blow up the table.
    let matcher: AhoCorasick
    let unicodeMatcher: AhoCorasick
    let keywordRules: [[Int32]]
    let keywordLength: [Int32]
    let keywordWhole: [Bool]
    /// The bytes of each keyword with a space in it (nil for the others): a space matches a run of
    /// whitespace, so such an occurrence's start is found by walking back over it.
    let spacedKeywords: [[UInt8]?]
    let ruleWindow: [Int32]
    let rot13Keywords: Range<Int>
    /// The keyword ids of `reversedMarkers` (they follow the ROT13 ones; no rule maps to either).
    let reversedKeywords: Range<Int>
    /// The keyword ids of `concatenateMarkers`.
    let concatenateKeywords: Range<Int>
    /// The keyword ids of `natoWords`, `cipherNames` and the shifted `shiftWords` (the last markers);
    /// per shifted marker, its shift (high bits) and word (low four bits).
    let natoKeywords: Range<Int>
    let cipherKeywords: Range<Int>
    /// The keyword ids of `skeletonMarkers` and `pigLatinMarkers`.
    let skeletonKeywords: Range<Int>
    let pigLatinKeywords: Range<Int>
    let shiftKeywords: Range<Int>
    let shiftMarker: [UInt16]
    let digitRules: [(rule: Int, minDigits: Int)]
    let shapeRules: [(rule: Int, shape: Shape)]
    let alwaysRules: [Int]
    let vocabulary: WordSet
    /// The vocabulary by squeezed spelling, for prompts written with stuttered letters.
    let stutterWords: StutterWords
    /// The vocabulary and everyday English words (`Decoders.segmentationWords`): what a text
    /// written without spaces is cut into.
    let segmentationWords: WordSet
    /// The words attacks turn on, by first and last letter, that a misspelling is read as.
    let typoWords: TypoWords
    /// Words by their skeleton, that a word written without vowels is read as.
    let skeletonWords: SkeletonWords
    /// One bit per intent (normalised) rule, as `LayerHits.raw` has one per rule.
    let intentRules: [UInt64]
    let wordCount: Int

    /// Keyword hits per intent rule and text beyond which the rule's window stops growing.
    static let maxKeywordHits: Int32 = 128

    /// Words that a word one typo away from is read as (on prompts with an intent keyword and no
    /// finding): what instruction overrides, prompt extraction and jailbreaks are made of.
    static let typoVocabulary = ["ignore", "disregard", "forget", "previous", "earlier", "above", "instructions",
                                 "instruction", "directions", "directives", "prompt", "system", "password", "passcode",
                                 "secret", "reveal", "repeat", "print", "output", "bypass", "override", "pretend",
                                 "jailbreak", "developer", "restrictions", "unrestricted", "unfiltered", "uncensored",
                                 "guidelines", "policies", "filters", "access", "granted", "respond", "response",
                                 "translate", "everything", "anything", "initial", "original", "hidden",
                                 "confidential", "rules", "opposite", "character", "roleplay", "persona", "enabled",
                                 "activated", "simulate", "following", "previously", "entire", "verbatim"]

    /// Words leetspeak folding may produce besides the keywords' own words.
    static let leetVocabulary = ["all", "any", "previous", "prior", "above", "earlier", "instructions", "instruction", "rules",
                                 "system", "prompt", "password", "secret", "reveal", "jailbreak", "ignore", "disregard",
                                 "forget", "bypass", "override", "developer", "mode", "restrictions", "filters", "hack",
                                 "hacker", "admin", "unlock", "access", "granted", "your", "you", "now", "are", "the",
                                 "evil", "unfiltered", "uncensored", "dan", "pwned", "kill", "bomb", "weapon", "drugs"]

    /// The words of three or more ASCII letters written literally in a pattern, lower-cased (an
    /// escape such as `\b` or `\s` is not part of the word after it).
    static func literalWords(_ pattern: String) -> Set<String> {
        var out = Set<String>(), word = "", escaped = false
        for c in pattern.unicodeScalars {
            if escaped { escaped = false; word = ""; continue }
            if c == "\\" { escaped = true }
            if c.isASCII && c.properties.isAlphabetic {
                word.unicodeScalars.append(c)
            } else {
                if word.count >= 3 { out.insert(word.lowercased()) }
                word = ""
            }
        }
        if word.count >= 3 { out.insert(word.lowercased()) }
        return out
    }

    /// Words whose ROT13 form in a text makes the engine decode the text as ROT13.
    static let rot13Triggers = ["ignore", "instructions", "previous", "disregard", "system prompt", "jailbreak",
                                "password", "reveal", "forget", "bypass", "override", "secret"]
    /// Whole words that make the engine decode a text as ROT13: the ROT13 forms of English's
    /// commonest words ("gur", "lbh", "naq": no English word), so any English sentence in ROT13 is
    /// read, not only one with a trigger word above; and the cipher's name, which a text that asks
    /// for its own decoding carries.
    static let rot13Markers = ["the", "you", "and"].map(Decoders.rot13) + ["rot13", "rot-13", "rot 13"]
    /// Whole words that make the engine read a text backwards ("snoitcurtsni suoiverp lla erongi"):
    /// English's commonest words and the words attacks turn on, reversed. None of them is a word
    /// when read forwards, so ordinary text costs nothing.
    static let reversedMarkers = ["the", "you", "your", "ignore", "instructions", "previous", "prompt", "password",
                                  "system", "reveal", "forget", "secret", "above", "rules", "access", "granted"].map { String($0.reversed()) }
    /// Whole words asking for pieces to be joined: with one of them, quoted pieces listed with
    /// commas or "and" are read joined (`Decoders.joinedPieces`).
    static let concatenateMarkers = Decoders.concatenateWords.map { String(decoding: $0, as: UTF8.self) }
    /// English's commonest words and the words attacks turn on: written in a Caesar shift (other
    /// than ROT13, which has its own markers) or in Atbash, two of them in the same shift make the
    /// engine read the text shifted back. One shifted word can be a word of its own ("max" is
    /// "the" shifted by 19), two in the same shift are not.
    static let shiftWords = ["the", "you", "and", "all", "your", "ignore", "previous", "instructions", "prompt",
                             "system", "password", "secret", "access", "granted", "say", "correct"]
    /// Attack words written without their vowels (skeletons no English word has): two of them
    /// make the engine read the text's vowel-less words as the words they stand for.
    static let skeletonMarkers = ["ignore", "previous", "instructions", "instruction", "prompt", "password", "system",
                                  "reveal", "forget", "disregard", "secret", "access", "granted", "restrictions",
                                  "jailbreak", "everything", "respond", "response", "pretend", "override", "correct",
                                  "translate", "answer", "following", "nothing", "without", "explanation",
                                  "english"].map(SkeletonWords.skeleton)
    /// Common and attack words in pig Latin, both ways it is written: the first letter, or the
    /// consonants before the first vowel, moved to the end before "ay" ("hetay", "ethay"), and a
    /// word starting with a vowel given "ay", "way" or "yay". Two of them make the engine read the
    /// text's words ending in "ay" as the words they stand for.
    static let pigLatinMarkers: [String] = {
        let words = ["the", "you", "your", "all", "and", "ignore", "previous", "instructions", "prompt", "system",
                     "password", "secret", "reveal", "forget", "say", "access", "granted", "rules", "above", "now"]
        var forms = Set<String>()
        for w in words {
            let vowel = w.firstIndex(where: { "aeiou".contains($0) }) ?? w.startIndex
            if vowel == w.startIndex {
                for tail in ["ay", "way", "yay", "hay"] { forms.insert(w + tail) }
            } else {
                forms.insert(String(w[vowel...]) + String(w[..<vowel]) + "ay")
            }
            forms.insert(String(w.dropFirst()) + String(w.prefix(1)) + "ay")
        }
        return forms.sorted()
    }()
    /// What a text written without vowels is read as: English's commonest words first (a shared
    /// skeleton goes to the first), then the words attacks turn on, then everyday words.
    static let skeletonVocabulary = ["the", "and", "you", "your", "all", "to", "of", "in", "is", "it", "this", "that", "what",
                                     "with", "for", "are", "be", "as", "on", "not", "now", "say", "tell", "me", "my", "we",
                                     "from", "have", "do", "any", "only", "just", "no", "above", "before", "said", "says",
                                     "text", "write", "print", "output", "rules", "secret", "password", "prompt", "system",
                                     "ignore", "previous", "instructions", "instruction", "reveal", "forget", "disregard",
                                     "access", "granted", "denied", "restrictions", "jailbreak", "everything", "respond",
                                     "response", "pretend", "override", "developer", "mode", "unfiltered", "uncensored",
                                     "repeat", "following", "words", "word", "begin", "start", "answer", "correct",
                                     "translate", "english", "nothing", "without", "explanation", "complete", "grant",
                                     "input", "user", "key", "entered", "provided", "given", "code", "phrase"]
                                    + typoVocabulary + Decoders.segmentationWords
    /// Names of ciphers: with one of them, a single shifted word is enough.
    static let cipherNames = ["caesar", "atbash", "cipher", "ciphertext"]
    /// The NATO spelling alphabet (and the spellings people use): a text mostly made of these is
    /// read as the letters they spell.
    static let natoWords = Decoders.natoLetters.keys.sorted()

    public struct InvalidRules: Error, CustomStringConvertible {
        public let problems: [RuleProblem]
        public var description: String { problems.map(\.description).joined(separator: "\n") }
    }

    /// - Throws: `InvalidRules` when the rule set has errors: a broken rule never silently
    ///   disappears from a running engine.
    public init(ruleSet: RuleSet, policy: VerdictPolicy = .default, limits: EngineLimits = EngineLimits(),
                classifier: ClassifierSettings? = nil, mode: DetectorMode = .both) throws {
        guard ruleSet.errors.isEmpty else { throw InvalidRules(problems: ruleSet.errors) }
        self.ruleSet = ruleSet
        self.policy = policy
        self.limits = limits
        self.classifier = classifier
        self.mode = mode
        rules = ruleSet.rules
        var keywordIndex: [[UInt8]: Int] = [:]
        var keywords: [[UInt8]] = []
        var whole: [Bool] = []
        var mapping: [[Int32]] = []
        var digit: [(Int, Int)] = []
        var shapes: [(Int, Shape)] = []
        var always: [Int] = []
        var vocab = Set<String>()
        for (r, rule) in rules.enumerated() {
            let all = rule.foldedKeywords.map { ($0, false) } + rule.wholeWords.map { ($0, true) }
            for (kw, isWhole) in all {
                let key = isWhole ? [0] + kw : kw
                let id: Int
                if let existing = keywordIndex[key] { id = existing } else {
                    id = keywords.count
                    keywordIndex[key] = id
                    keywords.append(kw)
                    whole.append(isWhole)
                    mapping.append([])
                }
                mapping[id].append(Int32(r))
                if rule.normalized {
                    for w in String(decoding: kw, as: UTF8.self).split(whereSeparator: { !$0.isLetter }) where w.count >= 3 && w.allSatisfy(\.isASCII) {
                        vocab.insert(String(w))
                    }
                }
            }
            // Leetspeak folds into the words an intent rule's pattern needs too, not only into its
            // keywords: "pr1n7 y0ur 1n57ruc710n5" needs "print" and "your" as much as "instructions".
            if rule.normalized, let pattern = rule.spec.pattern { vocab.formUnion(Self.literalWords(pattern)) }
            if let m = rule.spec.minDigits { digit.append((r, m)) }
            if let s = rule.spec.prefilter.flatMap(Shape.init(rawValue:)) { shapes.append((r, s)) }
            if all.isEmpty && rule.spec.minDigits == nil && rule.spec.prefilter == nil { always.append(r) }
        }
        // Marker keywords (after every rule's): they map to no rule, and their ids say which kind.
        func markers(_ words: [String], whole isWhole: Bool = true) -> Range<Int> {
            let start = keywords.count
            for w in words {
                keywords.append(Array(w.utf8))
                whole.append(isWhole)
                mapping.append([])
            }
            return start..<keywords.count
        }
        let triggers = markers(Self.rot13Triggers.map(Decoders.rot13), whole: false)
        rot13Keywords = triggers.lowerBound..<markers(Self.rot13Markers).upperBound
        reversedKeywords = markers(Self.reversedMarkers)
        concatenateKeywords = markers(Self.concatenateMarkers)
        natoKeywords = markers(Self.natoWords)
        cipherKeywords = markers(Self.cipherNames)
        skeletonKeywords = markers(Self.skeletonMarkers)
        pigLatinKeywords = markers(Self.pigLatinMarkers)
        let shifts = Array((1...26).filter { $0 != 13 })
        shiftKeywords = markers(shifts.flatMap { shift in Self.shiftWords.map { Decoders.shifted($0, by: shift) } })
        shiftMarker = shifts.flatMap { shift in Self.shiftWords.indices.map { UInt16(shift << 4 | $0) } }
        let asciiIds = keywords.indices.filter { keywords[$0].allSatisfy { $0 < 0x80 } }
        let unicodeIds = keywords.indices.filter { !keywords[$0].allSatisfy { $0 < 0x80 } }
        matcher = AhoCorasick(keywords: asciiIds.map { keywords[$0] }, ids: asciiIds, flexibleWhitespace: true)
        unicodeMatcher = AhoCorasick(keywords: unicodeIds.map { keywords[$0] }, ids: unicodeIds, flexibleWhitespace: true)
        spacedKeywords = keywords.map { $0.contains(0x20) ? $0 : nil }
        keywordRules = mapping
        keywordLength = keywords.map { Int32($0.count) }
        keywordWhole = whole
        ruleWindow = rules.map { Int32($0.spec.window ?? 320) }
        digitRules = digit
        shapeRules = shapes
        alwaysRules = always
        vocabulary = WordSet(vocab.union(Self.leetVocabulary))
        stutterWords = StutterWords(vocab.union(Self.leetVocabulary))
        segmentationWords = WordSet(vocab.union(Self.leetVocabulary).union(Decoders.segmentationWords))
        typoWords = TypoWords(Self.typoVocabulary)
        // Then the words the rules' keywords and patterns are made of, shorter first: a jailbreak
        // template without vowels needs "model", "abide" and "confines" as much as "ignore".
        skeletonWords = SkeletonWords(Self.skeletonVocabulary + vocab.sorted { ($0.count, $0) < ($1.count, $1) })
        var intent = [UInt64](repeating: 0, count: rules.count / 64 + 1)
        for (r, rule) in rules.enumerated() where rule.normalized { Self.set(&intent, r) }
        intentRules = intent
        precondition(Self.shiftWords.count <= 16, "shift votes hold one bit per word in a UInt16")
        wordCount = rules.count / 64 + 1
    }

    /// Scans `text` as it would appear on `surface`. `followsTurns`: the text is a chat message
    /// with earlier turns before it (user, assistant or tool messages), so rules that presume
    /// nothing precedes it (`RuleSpec.openingOnly`) are skipped.
    public func scan(_ text: String, surface: Surface, scratch: ScanScratch? = nil, followsTurns: Bool = false) -> ScanResult {
        let scratch = scratch ?? ScanScratch()
        scratch.followsTurns = followsTurns
        var text = text
        var findings: [Finding] = []
        var health = 1.0
        text.withUTF8 { all in
            var buf = all
            if all.count > limits.maxTextBytes {
                var cut = limits.maxTextBytes
                while cut > 0 && all[cut] & 0xC0 == 0x80 { cut -= 1 }
                buf = UnsafeBufferPointer(rebasing: all[0..<cut])
                let start = Self.scalarCount(all, upTo: cut)
                findings.append(Finding(ruleId: "SF-VAL-SIZE", category: .validation, severity: .medium, confidence: 1,
                                        start: start, end: start + Self.scalarCount(UnsafeBufferPointer(rebasing: all[cut...]), upTo: all.count - cut),
                                        type: "oversize", via: []))
            }
            if let nul = buf.firstIndex(of: 0) {
                let at = Self.scalarCount(buf, upTo: nul)
                findings.append(Finding(ruleId: "SF-VAL-NUL", category: .validation, severity: .low, confidence: 1,
                                        start: at, end: at + 1, type: "nul_byte"))
            }
            var layers = 0
            scratch.transport = nil
            scratch.payloads.removeAll(keepingCapacity: true)
            scratch.forgetTopLayer()
            if mode != .classifier {
                scanLayer(buf, surface: surface, depth: 0, scratch: scratch, layers: &layers, into: &findings)
            }
            if mode != .rules, let settings = classifier, surface == .prompt || surface == .toolOutput {
                let threshold = surface == .prompt ? settings.threshold : settings.toolOutputThreshold
                // On tool output a rule's finding that could block together with the classifier's
                // lets the classifier speak from its prompt threshold (see `SurfacePolicy.corroboratedConfidence`).
                var floor: ClassifierFloor?
                if surface == .toolOutput && settings.threshold < threshold {
                    let p = policy.policy(for: surface)
                    if let agree = p.corroboratedConfidence, findings.contains(where: p.corroborates) {
                        floor = ClassifierFloor(threshold: settings.threshold, confidence: min(0.7, agree))
                    }
                }
                let before = findings.count
                // Text in JSON (a document, or escapes) is scored as the text it stands for: the
                // model never saw `\n` or `\u0438` as characters, nor keys and braces.
                if let layer = scratch.transport ?? (mode == .classifier ? reading(of: buf, surface: surface) : nil) {
                    var decoded = layer.text
                    decoded.withUTF8 { text in
                        guard layer.messages && layer.systemValues.contains(true) else {
                            scratch.forgetTopLayer()
                            classify(text, settings: settings, threshold: threshold, floor: floor, surface: surface, scratch: scratch, into: &findings)
                            return
                        }
                        // A chat request with the application's system message: the other messages
                        // are scored one by one, the highest counting, and the system message is not
                        // scored. It is instructions to the model by design ("You are a helpful
                        // assistant"), what the classifier learned to flag, and in one window with a
                        // user's question it read as a persona set-up plus an instruction. The rules
                        // still read it, role forgery and jailbreak patterns included.
                        var best: Finding?
                        for (k, from) in layer.valueStarts.enumerated() where !layer.systemValues[k] {
                            let to = k + 1 < layer.valueStarts.count ? layer.valueStarts[k + 1] : text.count
                            scratch.forgetTopLayer()
                            var one: [Finding] = []
                            classify(UnsafeBufferPointer(rebasing: text[from..<to]), settings: settings, threshold: threshold,
                                     floor: floor, surface: surface, scratch: scratch, into: &one)
                            guard var f = one.first, f.confidence > best?.confidence ?? 0 else { continue }
                            let shift = Self.scalarCount(text, upTo: from)
                            f.start += shift; f.end += shift
                            best = f
                        }
                        if let best { findings.append(best) }
                    }
                    for i in before..<findings.count {
                        (findings[i].start, findings[i].end) = layer.parentRange(findings[i].start, findings[i].end)
                        findings[i].via = [layer.encoding]
                    }
                } else {
                    classify(buf, settings: settings, threshold: threshold, floor: floor, surface: surface, scratch: scratch, into: &findings)
                    if let floor, findings.count == before {
                        classifyAround(findings, in: buf, settings: settings, threshold: threshold, floor: floor,
                                       surface: surface, scratch: scratch, into: &findings)
                    }
                }
                if findings.count == before && !scratch.payloads.isEmpty {
                    classifyPayloads(scratch.payloads, parentBytes: buf.count, budget: max(buf.count, Self.payloadBudgetFloor), settings: settings,
                                     threshold: threshold, floor: floor, surface: surface, scratch: scratch, into: &findings)
                }
            }
            if surface != .prompt && mode != .classifier {
                let e = EntropyAnalysis.analyse(buf)
                health = e.tokenHealth
                for region in e.regions {
                    let start = Self.scalarCount(buf, upTo: region.start)
                    let end = start + Self.scalarCount(UnsafeBufferPointer(rebasing: buf[region.start..<region.end]), upTo: region.end - region.start)
                    findings.append(Finding(ruleId: "SF-EXF-ENTROPY", category: .exfiltration, severity: .medium,
                                            confidence: min(0.95, 0.5 + (region.bits - 4) / 4), start: start, end: end,
                                            type: "high_entropy"))
                }
            }
        }
        guard !findings.isEmpty else {
            return ScanResult(action: policy.action(for: findings, on: surface), findings: findings, maskedText: nil, tokenHealth: health)
        }
        var masked: String?
        var action = Action.allow
        text.withUTF8 { bytes in
            let indexed = ScalarIndexedText(bytes)
            findings = Self.deduplicate(Self.everyOccurrence(of: findings, in: indexed))
            action = policy.action(for: findings, on: surface)
            let sensitive = Masker.spans(of: findings)
            var buffer: [UInt8] = []
            for i in findings.indices {
                findings[i].excerpt = Masker.excerpt(of: findings[i], in: indexed, sensitive: sensitive, buffer: &buffer)
            }
            if action == .allowMasked { masked = Masker.mask(indexed, sensitive: sensitive) }
        }
        return ScanResult(action: action, findings: findings, maskedText: masked, tokenHealth: health)
    }

    /// Scans raw bytes: invalid UTF-8 is replaced (U+FFFD) and reported, never a crash.
    public func scan(bytes: [UInt8], surface: Surface, scratch: ScanScratch? = nil, followsTurns: Bool = false) -> ScanResult {
        if let valid = String(validating: bytes, as: UTF8.self) {
            return scan(valid, surface: surface, scratch: scratch, followsTurns: followsTurns)
        }
        let repaired = String(decoding: bytes, as: UTF8.self)
        var result = scan(repaired, surface: surface, scratch: scratch, followsTurns: followsTurns)
        let first = repaired.unicodeScalars.firstIndex(of: "\u{FFFD}").map { repaired.unicodeScalars.distance(from: repaired.unicodeScalars.startIndex, to: $0) } ?? 0
        result.findings.insert(Finding(ruleId: "SF-VAL-UTF8", category: .validation, severity: .medium, confidence: 1,
                                       start: first, end: first + 1, type: "invalid_utf8", excerpt: ""), at: 0)
        return result
    }

    // MARK: - One layer

    struct Features: Equatable {
        var nonASCII = false
        var maxDigits = 0
        var encodedCandidate = false
        var escapes = 0
        /// `=` at the end of a line: a quoted-printable soft break, or code that goes on.
        var softBreaks = 0
        /// `,`, `;`, `!` or `?` between two ASCII letters ("a,ccess", "instruc;tions"; not `.` or
        /// `:`, which abbreviations, file names and URLs hold).
        var innerMarks = 0
        var splitCandidate = false
        var leetCandidate = false
        var hasUpper = false
        var ipv4Shape = false
        var ipv6Shape = false
        /// Starts with `{` or `[` and ends with `}` or `]` (whitespace aside): maybe a JSON document.
        var jsonShape = false
        /// A lone `_` or a `-` between two letters, and spaces: words joined like `ignore_all_previous`.
        var joiners = 0
        var spaces = 0
        /// Tabs, and spaces after a space: spacing the classifier reads collapsed (on prompts).
        var irregularSpacing = 0
        /// Runs of at least `digitRunFloor` digits (separators allowed, as `maxDigits` counts
        /// them), as (start, end, digits) triples, at most `maxDigitRuns` of them; the
        /// digit-gated rules search around these instead of the whole text.
        var digitRuns: [Int32] = []
        var digitRunsOverflow = false
        /// Numbers of two to five digits followed by a comma ("73, 103, 110", "2346, 2367"): maybe
        /// character codes.
        var commaNumbers = 0
        /// Pipes standing alone between spaces ("ignore | all | previous"): words fenced apart.
        var pipes = 0
        /// Runs of lower-case letters with a letter doubled ("alll", "ignnore"; also "all",
        /// "letter"): when a third of a prompt's words have one, letters may be stuttered to
        /// hide keywords.
        var doubledWords = 0
        /// Line breaks right after a one-character token ("I\ng\nn\no"): maybe text written one
        /// character per line.
        var singleLines = 0
        /// The longest run of lower-case ASCII letters: words run together make long ones.
        var longestLowerRun = 0
        /// The longest run of printable ASCII without a space (`!` to `~`): Ascii85, base85 and
        /// uuencoded lines are long runs with punctuation among their letters.
        var longestToken = 0
        /// The longest run of non-ASCII bytes: base2048's letters and ecoji's emoji are long runs.
        var longestHighRun = 0

        /// Whether normalisation can change the text (after `needsView` confirmed the candidates).
        var viewNeeded: Bool { nonASCII || splitCandidate || leetCandidate }
    }

    /// `byteFlags` as a raw pointer for the hot loop (allocated once, never freed).
    nonisolated(unsafe) static let flagTable: UnsafeMutablePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        for i in 0..<256 { p[i] = byteFlags[i] }
        return p
    }()

    static let byteFlags: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 256)
        for b in 0..<256 {
            let c = UInt8(b)
            var f: UInt8 = 0
            if c >= 0x30 && c <= 0x39 { f |= digit }
            if (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A { f |= letter }
            if f != 0 || c == 0x2B || c == 0x2F || c == 0x5F || c == 0x2D { f |= b64 }
            // Digit-group separators: space, tab, - . ( ) /. (A no-break space, C2 A0, is one
            // too; the feature pass checks for its two bytes.)
            if c == 0x20 || c == 0x09 || c == 0x2D || c == 0x2E || c == 0x28 || c == 0x29 || c == 0x2F { f |= sep }
            if c == 0x25 || c == 0x26 || c == 0x5C || c == 0x3D { f |= escape }
            // Not the brackets and `^` that `Normalizer.isLeetSymbol` also reads: code is full of
            // "f(x", and a leet text has digits in its words besides ("4((355 9r4n73d").
            if c == 0x40 || c == 0x24 || c == 0x21 || c == 0x7C { f |= leetSym }
            if (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) { f |= hex }
            t[b] = f
        }
        return t
    }()
    /// Digit runs at least this long are recorded in `Features.digitRuns`; a rule gated on fewer
    /// digits searches the whole text.
    static let digitRunFloor = 8
    static let maxDigitRuns = 32

    static let digit: UInt8 = 1, letter: UInt8 = 2, b64: UInt8 = 4, sep: UInt8 = 8, escape: UInt8 = 16, leetSym: UInt8 = 32, hex: UInt8 = 64

    /// One pass over the bytes: the cheap facts that decide which later stages run.
    @inline(__always)
    static func features(_ buf: UnsafeBufferPointer<UInt8>, letterRuns: Bool = true) -> Features {
        var f = Features()
        var digits = 0, seps = 0, b64Run = 0, b64Mixed = false
        var digitStart = 0, digitEnd = 0     // the current digit run: first digit, past the last
        var tokenLetters = 0, tokenLeet = 0, tokenLen = 0, singles = 0
        var groupDigits = 0, groups = 0      // dotted quad
        var hexChars = 0, colons = 0         // hex groups and colons
        var pairRun = 0, tokenNonHex = false // "57 68 61 …": two-hex-digit tokens in a row
        var lowerRun = 0, lowerDoubled = false // the byte-by-byte path's lower-case run
        var tokenRun = 0, highRun = 0          // printable ASCII without a space; non-ASCII bytes
        var high: UInt8 = 0
        let n = buf.count
        let flags = flagTable
        guard let base = buf.baseAddress else { return f }
        do {
            let buf = base
            var i = 0
            while i < n {
                let b = buf[i]
                if letterRuns && b >= 0x61 && b <= 0x7A {
                    // The commonest case by far: a run of lower-case letters, applied at once
                    // (the same effect as the per-letter path below, letter by letter).
                    let s = i
                    i &+= 1
                    // Eight bytes at a time: the end of the run is the first byte outside a–z (a
                    // byte loop mispredicts its exit once per word).
                    var open = true
                    while open && i &+ 8 <= n {
                        let other = Self.notLowerMask(UnsafeRawPointer(buf + i).loadUnaligned(as: UInt64.self))
                        if other != 0 { i &+= other.trailingZeroBitCount &>> 3; open = false } else { i &+= 8 }
                    }
                    if open { while i < n && buf[i] &- 0x61 < 26 { i &+= 1 } }
                    let run = i &- s
                    if run >= 2 && Self.hasDoubledLetter(buf, s, i, n) { f.doubledWords &+= 1 }
                    if run > f.longestLowerRun { f.longestLowerRun = run }
                    tokenRun &+= run; highRun = 0
                    if tokenRun > f.longestToken { f.longestToken = tokenRun }
                    // Hex letters (a–f) at the end of the run; the run's first non-hex letter is
                    // looked for only when colons came before (an IPv6 shape in the making).
                    var trailingHex = 0
                    while trailingHex < run && buf[i &- 1 &- trailingHex] <= 0x66 { trailingHex &+= 1 }
                    if trailingHex < run {
                        tokenNonHex = true
                        if colons >= 2 {
                            var firstNonHex = 0
                            while buf[s &+ firstNonHex] <= 0x66 { firstNonHex &+= 1 }
                            if hexChars &+ firstNonHex >= 2 { f.ipv6Shape = true }
                        }
                        colons = 0
                        hexChars = trailingHex
                    } else {
                        hexChars &+= run
                    }
                    if digits > 0 { endDigitRun(&f, digits, digitStart, digitEnd); digits = 0; seps = 0 }
                    b64Run &+= run; tokenLen &+= run; tokenLetters &+= run
                    groups = 0; groupDigits = 0
                    if i < n && buf[i] == 0x20 {
                        // The space after a word, the next commonest byte: only the counters a
                        // space after a letter changes (the digit and dotted-quad ones are at
                        // rest after a letter run; the byte-by-byte path below is the definition).
                        if b64Run >= 16 && b64Mixed { f.encodedCandidate = true }
                        b64Run = 0; b64Mixed = false
                        tokenRun = 0
                        f.spaces &+= 1
                        let pair = tokenLen == 2 ? !tokenNonHex
                            : tokenLen == 4 && buf[i &- 4] == 0x30 && buf[i &- 3] | 0x20 == 0x78 && hexValue(buf[i &- 2]) && hexValue(buf[i &- 1])
                        if pair { pairRun &+= 1; if pairRun >= 8 { f.encodedCandidate = true } } else { pairRun = 0 }
                        tokenNonHex = false
                        if tokenLeet > 0 && tokenLen >= 3 { f.leetCandidate = true }
                        if tokenLen == 1 { singles &+= 1; if singles >= 4 { f.splitCandidate = true } } else { singles = 0 }
                        tokenLen = 0; tokenLetters = 0; tokenLeet = 0
                        if colons >= 2 && hexChars >= 2 { f.ipv6Shape = true }
                        colons = 0; hexChars = 0
                        i &+= 1
                    }
                    continue
                }
                if letterRuns && b &- 0x30 < 10 {
                    // A run of digits, applied at once: each digit only adds to the counters it
                    // continues (the digit run, the base64 run, the token as a leet character, the
                    // dotted-quad group and the hex run), as the per-byte path below does.
                    let s = i
                    i &+= 1
                    while i < n && buf[i] &- 0x30 < 10 { i &+= 1 }
                    let run = i &- s
                    if digits == 0 { digitStart = s }
                    digits &+= run; seps = 0; digitEnd = i
                    b64Run &+= run; b64Mixed = true
                    tokenLen &+= run; tokenLeet &+= run
                    groupDigits &+= run
                    hexChars &+= run
                    tokenRun &+= run; highRun = 0
                    if tokenRun > f.longestToken { f.longestToken = tokenRun }
                    high |= b
                    continue
                }
                if letterRuns && b >= 0x80 && i > 0 && buf[i &- 1] >= 0x80 && digits == 0 {
                    // Inside a run of non-ASCII bytes: its first byte already reset every run and
                    // token counter, so the rest change nothing. (A digit run stays open only
                    // across a no-break space; its bytes take the path below.)
                    high |= 0x80
                    let s = i
                    repeat { i &+= 1 } while i < n && buf[i] >= 0x80
                    highRun &+= i &- s
                    if highRun > f.longestHighRun { f.longestHighRun = highRun }
                    continue
                }
                high |= b
                if b &- 0x21 < 0x5E {
                    tokenRun &+= 1; highRun = 0
                    if tokenRun > f.longestToken { f.longestToken = tokenRun }
                } else if b >= 0x80 {
                    tokenRun = 0; highRun &+= 1
                    if highRun > f.longestHighRun { f.longestHighRun = highRun }
                } else {
                    tokenRun = 0; highRun = 0
                }
                // (The letter-run path counts a run with a doubled letter when it reads the run;
                // byte by byte, at the byte after it.)
                if !letterRuns {
                    if b &- 0x61 < 26 {
                        if lowerRun > 0 && buf[i &- 1] == b { lowerDoubled = true }
                        lowerRun &+= 1
                        if lowerRun > f.longestLowerRun { f.longestLowerRun = lowerRun }
                    } else {
                        if lowerDoubled { f.doubledWords &+= 1 }
                        lowerRun = 0; lowerDoubled = false
                    }
                }
                let fl = flags[Int(b)]
                if fl == letter | b64 | hex || fl == letter | b64 {
                    // The common case: a letter continues the current word.
                    if b < 0x61 { f.hasUpper = true; if b64Run > 0 && buf[i - 1] >= 0x61 { b64Mixed = true } }
                    if fl & hex == 0 { tokenNonHex = true }
                    if digits > 0 { endDigitRun(&f, digits, digitStart, digitEnd); digits = 0; seps = 0 }
                    b64Run &+= 1; tokenLen &+= 1; tokenLetters &+= 1
                    if fl & hex != 0 { hexChars &+= 1 } else { if colons >= 2 && hexChars >= 2 { f.ipv6Shape = true }; colons = 0; hexChars = 0 }
                    if groups != 0 || groupDigits != 0 { groups = 0; groupDigits = 0 }
                    i &+= 1
                    continue
                }
                if fl & digit != 0 {
                    if digits == 0 { digitStart = i }
                    digits &+= 1; seps = 0; digitEnd = i &+ 1
                } else if fl & sep != 0 && digits > 0 && seps < 3 {
                    // Up to three separators between digit groups: "(842)  957", a tab or no-break space.
                    seps &+= 1
                } else if b >= 0x80 && digits > 0 && (b == 0xC2 ? seps < 3 && i &+ 1 < n && buf[i &+ 1] == 0xA0 : b == 0xA0 && buf[i &- 1] == 0xC2) {
                    // A no-break space (C2 A0) between digit groups: one separator, at its first byte.
                    if b == 0xC2 { seps &+= 1 }
                } else {
                    if digits > 0 {
                        endDigitRun(&f, digits, digitStart, digitEnd)
                        if b == 0x2C && digits &- 2 < 4 { f.commaNumbers &+= 1 }
                    }
                    digits = 0; seps = 0
                }
                if fl & b64 != 0 { b64Run &+= 1; if fl & letter == 0 { b64Mixed = true } } else {
                    if b64Run >= 16 && b64Mixed { f.encodedCandidate = true }
                    b64Run = 0; b64Mixed = false
                }
                if b == 0x20 {
                    f.spaces &+= 1
                    if i > 0 && (buf[i &- 1] == 0x20 || buf[i &- 1] == 0x09) { f.irregularSpacing &+= 1 }
                } else if b == 0x09 {
                    f.irregularSpacing &+= 1
                } else if b == 0x7C {
                    if i > 0 && i &+ 1 < n && buf[i &- 1] == 0x20 && buf[i &+ 1] == 0x20 { f.pipes &+= 1 }
                } else if b == 0x5F ? i > 0 && i &+ 1 < n && buf[i &- 1] != 0x5F && buf[i &+ 1] != 0x5F
                            : b == 0x2D && i > 0 && i &+ 1 < n
                                && flags[Int(buf[i &- 1])] & letter != 0 && flags[Int(buf[i &+ 1])] & letter != 0 {
                    f.joiners &+= 1
                } else if (b == 0x2C || b == 0x3B || b == 0x21 || b == 0x3F) && i > 0 && i &+ 1 < n
                            && flags[Int(buf[i &- 1])] & letter != 0 && flags[Int(buf[i &+ 1])] & letter != 0 {
                    f.innerMarks &+= 1
                }
                if fl & escape != 0 && i + 2 < n {
                    // Only real escapes count: %XX, &#…, &name;, \x, \u, and JSON's \n \r \t \" \\ \/;
                    // quoted-printable's `=XX=YY` for a UTF-8 lead and continuation byte, and its
                    // soft line breaks (`=` at a line's end, not after a space or another `=`).
                    let c1 = buf[i + 1]
                    switch b {
                    case 0x25: if hexValue(c1) && hexValue(buf[i + 2]) { f.escapes &+= 1 }
                    case 0x3D:
                        if c1 == 0x0A || (c1 == 0x0D && buf[i + 2] == 0x0A) {
                            if i > 0 && buf[i &- 1] != 0x3D && buf[i &- 1] != 0x20 && buf[i &- 1] != 0x09 { f.softBreaks &+= 1 }
                        } else if Decoders.quotedPrintablePair(buf, i, n) {
                            f.escapes &+= 2
                        }
                    case 0x26:
                        if c1 == 0x23 {
                            f.escapes &+= 1
                        } else if flags[Int(c1)] & letter != 0 {
                            var k = i + 2
                            while k < min(n, i + 10) && flags[Int(buf[k])] & letter != 0 { k += 1 }
                            if k < n && buf[k] == 0x3B { f.escapes &+= 1 }
                        }
                    default:
                        switch c1 {
                        case 0x78, 0x75, 0x6E, 0x72, 0x74, 0x22, 0x5C, 0x2F: f.escapes &+= 1
                        default: break
                        }
                    }
                }
                if fl & (letter | digit | leetSym) != 0 {
                    tokenLen &+= 1
                    if fl & hex == 0 { tokenNonHex = true }
                    if fl & letter != 0 { tokenLetters &+= 1 } else { tokenLeet &+= 1 }
                } else {
                    // A byte pair: "57" or "0x57" (C and Python byte arrays).
                    let pair = tokenLen == 2 ? !tokenNonHex
                        : tokenLen == 4 && buf[i &- 4] == 0x30 && buf[i &- 3] | 0x20 == 0x78 && hexValue(buf[i &- 2]) && hexValue(buf[i &- 1])
                    if pair { pairRun &+= 1; if pairRun >= 8 { f.encodedCandidate = true } } else if tokenLen > 0 { pairRun = 0 }
                    tokenNonHex = false
                    if tokenLetters > 0 && tokenLeet > 0 && tokenLen >= 3 { f.leetCandidate = true }
                    if tokenLen == 1 { singles &+= 1; if singles >= 4 { f.splitCandidate = true } } else if tokenLen > 1 || b == 0x0A { singles = 0 }
                    // A line ending in a one-character token, or in a digit and one (PyRIT's math
                    // obfuscation writes each character on a line as "i = 8i - 7i").
                    if b == 0x0A && (tokenLen == 1 || (tokenLen == 2 && flags[Int(buf[i &- 2])] & digit != 0)) { f.singleLines &+= 1 }
                    tokenLen = 0; tokenLetters = 0; tokenLeet = 0
                }
                if fl & digit != 0 {
                    groupDigits &+= 1
                } else if b == 0x2E && groupDigits >= 1 && groupDigits <= 3 {
                    groups &+= 1; groupDigits = 0
                } else {
                    if groups >= 3 && groupDigits >= 1 && groupDigits <= 3 { f.ipv4Shape = true }
                    groups = 0; groupDigits = 0
                }
                if fl & hex != 0 {
                    hexChars &+= 1
                } else if b == 0x3A {
                    colons &+= 1
                } else {
                    if colons >= 2 && hexChars >= 2 { f.ipv6Shape = true }
                    colons = 0; hexChars = 0
                }
                i &+= 1
            }
        }
        if digits > 0 { endDigitRun(&f, digits, digitStart, digitEnd) }
        if lowerDoubled { f.doubledWords &+= 1 }
        if b64Run >= 16 && b64Mixed { f.encodedCandidate = true }
        if groups >= 3 && groupDigits >= 1 && groupDigits <= 3 { f.ipv4Shape = true }
        if colons >= 2 && hexChars >= 2 { f.ipv6Shape = true }
        if tokenLetters > 0 && tokenLeet > 0 && tokenLen >= 3 { f.leetCandidate = true }
        f.nonASCII = high & 0x80 != 0
        f.jsonShape = Decoders.hasJSONShape(buf)
        return f
    }

    /// A prompt's words read apart from what hides them: joined by dots, slashes, plus signs or
    /// camel case with nearly no spaces; keyword words cut by hyphens ("ig-nore", "instru-ctions");
    /// words fenced apart by pipes ("ignore | all | previous", not a markdown table); or keyword
    /// words with stuttered letters ("ignoree alll previouss instructionss").
    func promptWordsReading(_ buf: UnsafeBufferPointer<UInt8>, _ f: Features, depth: Int = 0) -> DecodedLayer? {
        let spaceless = f.spaces * 16 < buf.count
        if spaceless, let layer = Decoders.spacelessWords(buf) { return depth == 0 ? cutRunTogether(layer) : layer }
        if f.joiners + f.innerMarks >= 2,
           let layer = Decoders.hyphenatedWords(buf, vocabulary: vocabulary, marks: f.innerMarks > 0) { return layer }
        if f.pipes >= 4 && f.pipes * 3 >= f.spaces { return Decoders.unfencedWords(buf) }
        // Stuttered letters double a letter in most words; ordinary prose doubles one in a word
        // of seven or so ("all", "letter", "see"), so the reading is tried only where a third do.
        if f.doubledWords >= 2 && f.doubledWords &* 3 >= f.spaces &+ 1,
           let layer = Decoders.destutteredWords(buf, words: stutterWords) { return layer }
        if f.singleLines >= 8, let layer = Decoders.verticalText(buf) { return layer }
        // Words run together with nothing between them: cut where the words are.
        // (A run of twelve letters has a lower-case run of eleven at least, unless it is capitals.)
        // In the text as written only: a decoded payload run together is a disguise twice over,
        // and cutting the letters of every decoded blob would cost every blob.
        if spaceless && depth == 0 && (f.longestLowerRun >= 11 || f.hasUpper) { return Decoders.segmentedWords(buf, words: segmentationWords) }
        return nil
    }

    /// A words reading of a prompt with nearly no spaces whose words may still run together
    /// ("You.areahelpfulbot", "secret_phrase=youareabot"): cut them too, in one reading of the text
    /// as written (a reading of a reading would only be scanned one level deeper).
    func cutRunTogether(_ layer: DecodedLayer) -> DecodedLayer {
        var text = layer.text
        let cut = text.withUTF8 { Decoders.segmentedWords($0, words: segmentationWords) }
        return cut.map { layer.then($0) } ?? layer
    }

    @inline(__always) static func endDigitRun(_ f: inout Features, _ digits: Int, _ start: Int, _ end: Int) {
        if digits > f.maxDigits { f.maxDigits = digits }
        guard digits >= digitRunFloor else { return }
        if f.digitRuns.count >= 3 * maxDigitRuns { f.digitRunsOverflow = true; return }
        f.digitRuns.append(Int32(start)); f.digitRuns.append(Int32(end)); f.digitRuns.append(Int32(digits))
    }

    /// The feature pass, with the split-letter and leetspeak candidates of ASCII text confirmed, so
    /// a view is built only when normalisation can change something: non-ASCII text, a run of
    /// split letters to rejoin, or a leet token that folds into a vocabulary word.
    func needsView(_ buf: UnsafeBufferPointer<UInt8>) -> Features {
        var f = Self.features(buf)
        guard !f.nonASCII else { return f }
        if f.splitCandidate { f.splitCandidate = Normalizer.hasSplitRun(buf) }
        if f.leetCandidate && !f.splitCandidate { f.leetCandidate = Normalizer.hasLeetWord(buf, vocabulary: vocabulary) }
        return f
    }

    /// Whether every byte is ASCII, eight at a time.
    static func isASCII(_ buf: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = buf.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        var acc: UInt64 = 0
        var i = 0
        while i + 8 <= buf.count { acc |= raw.loadUnaligned(fromByteOffset: i, as: UInt64.self); i += 8 }
        while i < buf.count { acc |= UInt64(buf[i]); i += 1 }
        return acc & 0x8080_8080_8080_8080 == 0
    }

    /// ASCII lower case of `buf` into `scratch.lower` (grown as needed).
    static func lowerCase(_ buf: UnsafeBufferPointer<UInt8>, into scratch: ScanScratch) {
        if scratch.lower.count < buf.count { scratch.lower = [UInt8](repeating: 0, count: buf.count * 2) }
        scratch.lowerIsTop = false
        scratch.lower.withUnsafeMutableBufferPointer { lower in
            for i in 0..<buf.count { let b = buf[i]; lower[i] = b &- 0x41 < 26 ? b | 0x20 : b }
        }
    }

    /// Whether two neighbouring bytes of `s..<e` are equal: eight neighbour pairs at a time (the
    /// bytes against the bytes one further on, a zero byte of their XOR), byte by byte near the end
    /// of the text.
    @inline(__always) static func hasDoubledLetter(_ buf: UnsafePointer<UInt8>, _ s: Int, _ e: Int, _ n: Int) -> Bool {
        var k = s
        while k &+ 1 < e {
            if k &+ 9 <= n {
                let raw = UnsafeRawPointer(buf + k)
                let d = raw.loadUnaligned(as: UInt64.self) ^ raw.loadUnaligned(fromByteOffset: 1, as: UInt64.self)
                // A borrow can only mark a lane above a real zero lane, so "any marked lane among
                // the pairs inside the run" is exact.
                var zero = (d &- 0x0101_0101_0101_0101) & ~d & 0x8080_8080_8080_8080
                let pairs = min(8, e &- 1 &- k)
                if pairs < 8 { zero &= (1 << UInt64(pairs &* 8)) &- 1 }
                if zero != 0 { return true }
                k &+= 8
            } else {
                if buf[k] == buf[k &+ 1] { return true }
                k &+= 1
            }
        }
        return false
    }

    /// The high bit of every byte of `w` that is not a lower-case ASCII letter (exact per byte:
    /// the sums stay inside each byte).
    @inline(__always) static func notLowerMask(_ w: UInt64) -> UInt64 {
        let low7 = w & 0x7F7F_7F7F_7F7F_7F7F
        let atLeastA = low7 &+ 0x1F1F_1F1F_1F1F_1F1F      // high bit: ≥ 0x61
        let pastZ = low7 &+ 0x0505_0505_0505_0505         // high bit: ≥ 0x7B
        let lower = atLeastA & ~pastZ & ~w & 0x8080_8080_8080_8080
        return ~lower & 0x8080_8080_8080_8080
    }

    @inline(__always) static func hexValue(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x66)
    }

    @inline(__always) static func set(_ bits: inout [UInt64], _ i: Int) { bits[i >> 6] |= 1 << UInt64(i & 63) }

    func scanLayer(_ buf: UnsafeBufferPointer<UInt8>, surface: Surface, depth: Int, scratch: ScanScratch,
                   layers: inout Int, into out: inout [Finding]) {
        let f = needsView(buf)
        let useView = f.viewNeeded
        if depth == 0 { scratch.topFeatures = f }
        if scratch.collectStats { scratch.countLayer(); if useView { scratch.countView() } }
        var h = LayerHits()
        swap(&h, &scratch.hits)
        if h.raw.count != wordCount {
            h.raw = [UInt64](repeating: 0, count: wordCount)
            h.window = [RuleWindow](repeating: RuleWindow(), count: rules.count)
        }
        h.spans.removeAll(keepingCapacity: true)
        var viewIsASCII = !f.nonASCII
        // The hits move into the sink for the keyword passes and back out after them.
        var sink = HitSink(engine: self, subject: buf, normalizedOnly: useView ? false : nil)
        swap(&h, &sink.hits)
        matcher.scan(buf, into: &sink)
        if useView {
            Normalizer.build(buf, into: &scratch.view, vocabulary: vocabulary)
            scratch.viewDepth = depth
            scratch.view.bytes.withUnsafeBufferPointer { v in
                // Typographic quotes and dashes fold to ASCII: such a view needs neither the
                // non-ASCII keywords nor the patterns' UTF mode.
                viewIsASCII = !f.nonASCII || Self.isASCII(v)
                sink.subject = v
                sink.normalizedOnly = true
                matcher.scan(v, into: &sink)
                if !viewIsASCII { unicodeMatcher.scan(v, into: &sink) }
            }
        } else if f.hasUpper {
            Self.lowerCase(buf, into: scratch)
            scratch.lowerIsTop = depth == 0
        }
        swap(&h, &sink.hits)
        let rot13 = sink.rot13, reversed = sink.reversed, concatenate = sink.concatenate
        let nato = sink.nato, skeletons = sink.skeletons, pigLatin = sink.pigLatin
        // Whether an intent rule's keyword was seen (so a misspelt attack may be near); read before
        // stage two clears the bits.
        var intentKeyword = false
        for w in 0..<wordCount where h.raw[w] & intentRules[w] != 0 { intentKeyword = true; break }
        // Shifts in which two of the common words were seen (or one, when a cipher was named): at
        // most two of them, the best supported first.
        var shifts: [Int] = []
        if sink.anyShift {
            let need = sink.cipherNamed ? 1 : 2, votes = sink.shiftVotes
            shifts = (1...26).filter { votes[$0].nonzeroBitCount >= need }
                .sorted { votes[$0].nonzeroBitCount > votes[$1].nonzeroBitCount }
            if shifts.count > 2 { shifts.removeLast(shifts.count - 2) }
        }
        for (r, m) in digitRules where f.maxDigits >= m {
            Self.set(&h.raw, r)
            if m < Self.digitRunFloor || f.digitRunsOverflow || rules[r].normalized {
                h.window[r].lo = 0; h.window[r].hi = Int32.max
                continue
            }
            // Around each run of enough digits (raw-text offsets: these rules read the raw text),
            // as around a keyword: a value these rules find holds such a run.
            var k = 0
            while k < f.digitRuns.count {
                let (start, end, digits) = (f.digitRuns[k], f.digitRuns[k + 1], Int(f.digitRuns[k + 2]))
                k += 3
                guard digits >= m else { continue }
                h.window[r].lo = min(h.window[r].lo, start); h.window[r].hi = max(h.window[r].hi, end)
                h.spans.append(KeywordSpan(rule: Int32(r), start: start, end: end))
            }
        }
        for (r, shape) in shapeRules where shape == .ipv4 ? f.ipv4Shape : f.ipv6Shape {
            Self.set(&h.raw, r); h.window[r].lo = 0; h.window[r].hi = Int32.max
        }
        for r in alwaysRules { Self.set(&h.raw, r); h.window[r].lo = 0; h.window[r].hi = Int32.max }

        // Stage two: the triggered rules' patterns, each on a window around its keyword hits.
        let viaView = useView ? scratch.view.transforms : []
        let surfaceBit = surface.bit
        let skipOpening = scratch.followsTurns
        var floodReported = false
        h.spans.sort()
        var cursor = 0
        for w in 0..<wordCount {
            var word = h.raw[w]
            h.raw[w] = 0
            while word != 0 {
                let r = w << 6 | word.trailingZeroBitCount
                word &= word - 1
                let rule = rules[r]
                let lo = Int(h.window[r].lo), hi = Int(h.window[r].hi)
                let hits = h.window[r].count
                h.window[r] = RuleWindow()
                if rule.normalized && hits > Self.maxKeywordHits && !floodReported {
                    floodReported = true
                    out.append(Finding(ruleId: "SF-OBF-KEYWORD-FLOOD", category: .obfuscation, severity: .high, confidence: 0.75,
                                       start: 0, end: 0, type: "keyword_flood:\(rule.id)"))
                }
                // This rule's keyword spans (sorted by rule, then start).
                while cursor < h.spans.count && h.spans[cursor].rule < Int32(r) { cursor += 1 }
                let firstSpan = cursor
                while cursor < h.spans.count && h.spans[cursor].rule == Int32(r) { cursor += 1 }
                let lastSpan = cursor
                guard rule.surfaceBits & surfaceBit != 0, !(skipOpening && rule.openingOnly) else { continue }
                let before = out.count
                let t0 = scratch.collectStats ? DispatchTime.now().uptimeNanoseconds : 0
                func run(_ subject: UnsafeBufferPointer<UInt8>, unicode: Bool, onView: Bool) {
                    let regex = unicode ? rule.unicodeRegex : rule.regex
                    assert(unicode || Self.isASCII(subject), "the ASCII regex searches only ASCII text")
                    let after = Int(ruleWindow[r])
                    // `lastHit`: where the window's last keyword hit ends. A rule whose matches hold a
                    // keyword starts no match past it.
                    func window(_ lo: Int, _ hi: Int, lastHit: Int?) {
                        // Snap the window to scalar boundaries: PCRE2's JIT does not re-check UTF-8.
                        var from = max(0, min(lo, subject.count))
                        while from > 0 && subject[from] & 0xC0 == 0x80 { from -= 1 }
                        var to = min(subject.count, hi)
                        while to < subject.count && subject[to] & 0xC0 == 0x80 { to += 1 }
                        match(rule, regex: regex, in: UnsafeBufferPointer(rebasing: subject[0..<to]), from: from,
                              startLimit: rule.matchHoldsKeyword ? lastHit.map { min($0, to) } : nil, onView: onView,
                              nonASCII: f.nonASCII, via: onView ? viaView : [], scratch: scratch, into: &out)
                    }
                    if hi == Int(Int32.max) || firstSpan == lastSpan {
                        if hi == Int(Int32.max) { window(0, subject.count, lastHit: nil) } else { window(lo - 160, hi + after, lastHit: hi) }
                        return
                    }
                    // One run per group of hits whose windows overlap.
                    var k = firstSpan
                    while k < lastSpan {
                        let from = Int(h.spans[k].start) - 160
                        var last = Int(h.spans[k].end)
                        var to = last + after
                        k += 1
                        while k < lastSpan && Int(h.spans[k].start) - 160 <= to {
                            last = max(last, Int(h.spans[k].end)); to = max(to, last + after); k += 1
                        }
                        window(from, to, lastHit: last)
                    }
                }
                if rule.normalized && useView {
                    scratch.view.bytes.withUnsafeBufferPointer { run($0, unicode: !viewIsASCII, onView: true) }
                } else if rule.normalized && f.hasUpper {
                    scratch.lower.withUnsafeBufferPointer { run(UnsafeBufferPointer(rebasing: $0[0..<buf.count]), unicode: false, onView: false) }
                } else {
                    run(buf, unicode: f.nonASCII, onView: false)
                }
                if scratch.collectStats {
                    scratch.record(rule.id, findings: out.count - before, nanoseconds: DispatchTime.now().uptimeNanoseconds - t0)
                }
            }
        }
        swap(&h, &scratch.hits)

        // Repeated-token floods (prompts and tool arguments: the surfaces an attacker types into).
        if surface == .prompt || surface == .toolArgs, buf.count >= 20 {
            if let flood = Repetition.flood(buf) {
                let start = f.nonASCII ? Self.scalarCount(buf, upTo: flood.lowerBound) : flood.lowerBound
                let end = f.nonASCII ? start + Self.scalarCount(UnsafeBufferPointer(rebasing: buf[flood]), upTo: flood.count) : flood.upperBound
                out.append(Finding(ruleId: "SF-OBF-REPEAT", category: .obfuscation, severity: .high, confidence: 0.8,
                                   start: start, end: end, type: "repeated_tokens"))
            } else if f.nonASCII && useView,
                      let flood = scratch.view.bytes.withUnsafeBufferPointer({ Repetition.flood($0) }), !flood.isEmpty {
                // Tokens separated by no-break or ideographic spaces, or written in full-width or
                // look-alike letters: the view reads them as the plain tokens they imitate.
                let map = scratch.view.map
                out.append(Finding(ruleId: "SF-OBF-REPEAT", category: .obfuscation, severity: .high, confidence: 0.8,
                                   start: Int(map[flood.lowerBound]), end: Int(map[flood.upperBound - 1]) + 1,
                                   type: "repeated_tokens", via: scratch.view.transforms))
            }
        }
        // A match that only normalisation exposed (look-alike letters, spaced or leet letters) is
        // itself evasion.
        if useView && (scratch.view.count(.confusable) > 0 || scratch.view.count(.split) > 0 || scratch.view.count(.leet) > 0),
           let exposed = out.first(where: { !$0.via.isEmpty && !$0.category.isSensitiveValue && $0.category != .validation }) {
            out.append(Finding(ruleId: "SF-OBF-EVASION", category: .obfuscation, severity: .high, confidence: 0.85,
                               start: exposed.start, end: exposed.end, type: "normalization_evasion", via: exposed.via))
        }

        // Hidden layers: Unicode tag characters, encoded runs, escapes, ROT13.
        var hidden: [DecodedLayer] = []
        if useView && scratch.view.tagStart >= 0 {
            let (a, b) = (scratch.view.tagStart, scratch.view.tagEnd)
            out.append(Finding(ruleId: "SF-OBF-TAGS", category: .obfuscation, severity: .high, confidence: 0.9,
                               start: a, end: b, type: "unicode_tags", via: ["tags"]))
            if !scratch.view.tagPayload.isEmpty {
                hidden.append(DecodedLayer(encoding: "tags", text: String(decoding: scratch.view.tagPayload, as: UTF8.self),
                                           mapping: .collapse(a, b)))
            }
        }
        guard depth < limits.maxDecodeDepth else { return }
        if f.encodedCandidate {
            func decoded(_ run: (range: Range<Int>, hex: Bool)) -> Bool {
                if run.hex { return decoded(run, as: "hex") }
                // Base32 (upper-case letters and 2–7) decodes as base64 too, to bytes that are no text.
                // Its alphabet is checked on the run's start (a long run is probed there first, and
                // the decoder turns away any other character).
                let head = run.range.lowerBound ..< min(run.range.upperBound, run.range.lowerBound + 256)
                return decoded(run, as: "base64")
                    || (Decoders.isBase32(UnsafeBufferPointer(rebasing: buf[head])) && decoded(run, as: "base32"))
            }
            func decoded(_ run: (range: Range<Int>, hex: Bool), as encoding: String) -> Bool {
                func decode(_ slice: ArraySlice<UInt8>) -> [UInt8]? {
                    switch encoding {
                    case "hex": return Decoders.decodeHex(slice)
                    case "base32": return Decoders.decodeBase32(slice)
                    default: return Decoders.decodeBase64(slice)
                    }
                }
                // A long run is decoded whole only when its first 128 characters decode to text:
                // random or binary data (images, keys, compressed blobs) is turned away cheaply.
                if run.range.count > 256 {
                    // A cut may split a hex pair, a `0x` prefix or a line break: up to four shorter cuts.
                    let start = run.range.lowerBound
                    let probe = (124...128).reversed().lazy.compactMap { (cut: Int) -> [UInt8]? in
                        decode(Array(buf[start ..< start + cut])[...])
                    }.first
                    guard let probe, Decoders.mayBeText(probe) else { return false }
                }
                guard let bytes = decode(Array(buf[run.range])[...]), let text = Decoders.readableText(bytes) else { return false }
                let a = f.nonASCII ? Self.scalarCount(buf, upTo: run.range.lowerBound) : run.range.lowerBound
                hidden.append(DecodedLayer(encoding: encoding, text: text, mapping: .collapse(a, a + run.range.count)))
                return true
            }
            func pieces(of range: Range<Int>, joiningLines: Bool) -> [(range: Range<Int>, hex: Bool)] {
                let base = range.lowerBound
                return Decoders.encodedRuns(UnsafeBufferPointer(rebasing: buf[range]), joiningLines: joiningLines).map {
                    ($0.range.lowerBound + base ..< $0.range.upperBound + base, $0.hex)
                }
            }
            for run in Decoders.encodedRuns(buf, joiningLines: true) where !decoded(run) {
                // A run joined over lines that is not text as a whole: without its last line (a
                // word that happened to stand alone on the next line), then its lines one by one.
                guard let lastBreak = buf[run.range].lastIndex(of: 0x0A) else { continue }
                var head = run.range.lowerBound ..< lastBreak
                if head.count > 0 && buf[head.upperBound - 1] == 0x0D { head = head.lowerBound ..< head.upperBound - 1 }
                if pieces(of: head, joiningLines: true).contains(where: decoded) { continue }
                for piece in pieces(of: run.range, joiningLines: false) { _ = decoded(piece) }
            }
        }
        // Character codes as decimal or octal numbers: a long run of digit groups, or many numbers before commas.
        // No more runs than layers can be scanned; scalar offsets are counted on from the last run.
        if f.maxDigits >= 16 || f.commaNumbers >= 8 {
            var byte = 0, scalar = 0
            for (range, text, octal) in Decoders.charCodes(buf, limit: limits.maxDecodedLayers) {
                var a = range.lowerBound, b = range.upperBound
                if f.nonASCII {
                    scalar += Self.scalarCount(UnsafeBufferPointer(rebasing: buf[byte..<a]), upTo: a - byte)
                    a = scalar
                    scalar += Self.scalarCount(UnsafeBufferPointer(rebasing: buf[range]), upTo: range.count)
                    b = scalar
                    byte = range.upperBound
                }
                // Digit groups that are character codes are not a card or an SSN ("2346 2367 2331
                // 2354" is Devanagari, and passes Luhn): what they say is read in the decoded layer.
                out.removeAll { $0.category.isSensitiveValue && $0.start >= a && $0.end <= b }
                hidden.append(DecodedLayer(encoding: octal ? "octal_codes" : "char_codes", text: text, mapping: .collapse(a, b)))
            }
        }
        // Ascii85, base85 and uuencoded lines: long runs of printable ASCII with punctuation
        // among letters and digits, decoded when they give text.
        if f.longestToken >= 20 {
            func offset(_ byte: Int) -> Int { f.nonASCII ? Self.scalarCount(buf, upTo: byte) : byte }
            for run in Decoders.base85Layers(buf, limit: limits.maxDecodedLayers) {
                hidden.append(DecodedLayer(encoding: run.encoding, text: run.text,
                                           mapping: .collapse(offset(run.range.lowerBound), offset(run.range.upperBound))))
            }
            for block in Decoders.uuencodedLayers(buf, limit: limits.maxDecodedLayers) {
                hidden.append(DecodedLayer(encoding: "uuencode", text: block.text,
                                           mapping: .collapse(offset(block.range.lowerBound), offset(block.range.upperBound))))
            }
        }
        // Bytes written as Unicode characters: base2048's letters, ecoji's emoji, base65536's
        // ideographs and hexagrams are reported by shape, as hidden text (their tables are not
        // shipped); text smuggled in variation selectors or invisible operators ("sneaky bits")
        // is decoded and read, and is itself a finding, as Unicode tags are.
        if f.longestHighRun >= 16 {
            for run in Decoders.unicodeEncodedRuns(buf, limit: 4) {
                let a = Self.scalarCount(buf, upTo: run.range.lowerBound)
                let b = a + Self.scalarCount(UnsafeBufferPointer(rebasing: buf[run.range]), upTo: run.range.count)
                if Decoders.invisibleEncodings.contains(run.encoding) {
                    out.append(Finding(ruleId: "SF-OBF-INVISIBLE", category: .obfuscation, severity: .high,
                                       confidence: 0.9, start: a, end: b, type: "invisible_text", via: [run.encoding]))
                    if let text = run.text { hidden.append(DecodedLayer(encoding: run.encoding, text: text, mapping: .collapse(a, b))) }
                } else {
                    out.append(Finding(ruleId: "SF-OBF-BINARY-TEXT", category: .obfuscation, severity: .high,
                                       confidence: 0.72, start: a, end: b, type: "binary_text", via: [run.encoding]))
                }
            }
        }
        // A JSON document is read as its string values (their escapes decoded; escapes that hide
        // something are found again inside them). Otherwise text with escapes gets its escape layer.
        // Its rules run when the strings hold escapes, or are chat messages (a rule anchored at the
        // start of a text reads each message's start). Other plainly written strings show the rules
        // nothing the raw text does not; the classifier still reads the values (see `scan`).
        if f.jsonShape, let layer = Decoders.jsonDocument(buf) {
            if layer.escapes > 0 || layer.messages { hidden.append(layer) }
            if depth == 0 { scratch.transport = layer }
        } else if f.escapes >= 2 || f.softBreaks > 0, let layer = Decoders.decodeEscapes(buf) {
            hidden.append(layer)
            if depth == 0 && layer.encoding == "json" { scratch.transport = layer }
        }
        // Words joined by underscores or hyphens instead of spaces (more joiners than spaces):
        // read again with spaces, as the phrases the rules and the classifier know.
        if f.joiners > f.spaces {
            var layer = Decoders.separateWords(buf)
            if surface == .prompt && depth == 0 && f.spaces * 16 < buf.count { layer = cutRunTogether(layer) }
            hidden.append(layer)
            // The classifier reads it on prompts; a tool's output joined by underscores is paths,
            // identifiers and logs, which the model was not trained to read as prose.
            if depth == 0 && scratch.transport == nil && surface == .prompt { scratch.transport = layer }
        } else if surface == .prompt, let layer = promptWordsReading(buf, f, depth: depth) {
            // Only prompts: on other surfaces space-poor text is minified code, URLs and
            // identifiers, and pipes are tables, shell pipelines and logs, which cost a second
            // scan and hide no one's message.
            hidden.append(layer)
            if depth == 0 && scratch.transport == nil && !layer.partial { scratch.transport = layer }
        } else if surface == .prompt && depth == 0 && intentKeyword
                    && !out.contains(where: { !$0.category.isSensitiveValue && $0.category != .validation }),
                  let layer = Decoders.correctedWords(buf, words: typoWords) {
            // A prompt with an intent rule's keyword and no finding: words one typo away from the
            // words attacks turn on ("ignroe", "prevoius", "instrcutions") are read as those words.
            hidden.append(layer)
            if scratch.transport == nil { scratch.transport = layer }
        }
        // Pieces written to be joined ("payload splitting"), in the text as given, on the surfaces
        // an attacker types into: a `+` or a word asking to concatenate is the cheap gate.
        if depth == 0 && (surface == .prompt || surface == .toolArgs)
            && (concatenate || (buf.count > 0 && memchr(buf.baseAddress!, 0x2B, buf.count) != nil)),
           let joined = Decoders.joinedPieces(buf, lists: concatenate) {
            let count = f.nonASCII ? Self.scalarCount(buf, upTo: buf.count) : buf.count
            hidden.append(DecodedLayer(encoding: "joined_pieces", text: joined, mapping: .collapse(0, count)))
        }
        // Text written backwards is read reversed in the text as given only: the reversed reading
        // of a text that holds words both ways would hold them both ways again, down to the depth
        // limit (64 KiB of "the eht " took 8 ms that way).
        let readReversed = reversed && depth == 0
        // Text turned upside down is read the right way up, as text written backwards is.
        let readTurned = depth == 0 && useView && scratch.view.turned >= 3
        if rot13 || readReversed || readTurned || !shifts.isEmpty {
            let text = String(decoding: buf, as: UTF8.self)
            let count = text.unicodeScalars.count
            if rot13 { hidden.append(DecodedLayer(encoding: "rot13", text: Decoders.rot13(text), mapping: .collapse(0, count))) }
            for shift in shifts {
                // Written with a shift of k letters: read back by shifting 26 - k (Atbash is its own inverse).
                hidden.append(DecodedLayer(encoding: shift == 26 ? "atbash" : "caesar",
                                           text: Decoders.shifted(text, by: shift == 26 ? 26 : 26 - shift), mapping: .collapse(0, count)))
            }
            if readReversed {
                // The whole text backwards, and each word backwards in its place.
                hidden.append(DecodedLayer(encoding: "reversed", text: Decoders.reversed(text), mapping: .collapse(0, count)))
                hidden.append(DecodedLayer(encoding: "reversed", text: Decoders.reversedWords(buf), mapping: .collapse(0, count)))
            }
            if readTurned { hidden.append(DecodedLayer(encoding: "upside_down", text: Decoders.upsideDown(buf), mapping: .collapse(0, count))) }
        }
        // A text spelled out in the NATO alphabet, on the surfaces an attacker types into: most of
        // its words are code words.
        if depth == 0 && nato >= 8 && nato &* 2 >= f.spaces && (surface == .prompt || surface == .toolArgs),
           let spelled = Decoders.natoSpelled(buf) {
            let count = f.nonASCII ? Self.scalarCount(buf, upTo: buf.count) : buf.count
            // Spelled with no word breaks (as garak's encoder does), the letters run together: cut.
            let layer = cutRunTogether(DecodedLayer(encoding: "nato", text: spelled, mapping: .collapse(0, count)))
            hidden.append(layer)
            // The classifier reads what is spelled: a soup of code words is no text it learned, and
            // an ordinary question spelled out scored as an attack on one prompt in seven.
            if scratch.transport == nil && !layer.partial { scratch.transport = layer }
        }
        // A text written without vowels, on the surfaces an attacker types into: two attack words'
        // skeletons ("gnr", "prvs") make its vowel-less words read as the words they stand for;
        // in a short text (a line or two), one does ("Wht r y nstrctns?").
        if depth == 0 && (skeletons >= 2 || (skeletons == 1 && buf.count <= 160)) && (surface == .prompt || surface == .toolArgs),
           let layer = Decoders.vowelledWords(buf, words: skeletonWords) {
            hidden.append(layer)
        }
        // Pig Latin, likewise: two common or attack words in it ("ethay", "gnoreiay") make its
        // words ending in "ay" read as the words they stand for.
        if depth == 0 && pigLatin >= 2 && (surface == .prompt || surface == .toolArgs),
           let layer = Decoders.pigLatinWords(buf, words: segmentationWords) {
            hidden.append(layer)
            // The classifier reads the words it stands for: pig Latin itself is no text it
            // learned, and it scored one benign prompt in five written so as an attack.
            if scratch.transport == nil && surface == .prompt { scratch.transport = layer }
        }
        for layer in hidden {
            guard layers < limits.maxDecodedLayers else { break }
            layers += 1
            var inner: [Finding] = []
            var text = layer.text
            text.withUTF8 { scanLayer($0, surface: surface, depth: depth + 1, scratch: scratch, layers: &layers, into: &inner) }
            inner.removeAll { $0.category == .validation }
            // Digits read backwards are not a value anyone wrote (a reversed order number can pass
            // a card's checksum); the text's values are found in the text itself.
            if layer.encoding == "reversed" || layer.encoding == "upside_down" { inner.removeAll { $0.category.isSensitiveValue } }
            if depth == 0 && !layer.isReading && scratch.payloads.count < Self.maxClassifiedPayloads {
                scratch.payloads.append(layer)
            }
            if layer.isReading {
                // Values are read in the text itself: joining words does not hide one, and splitting
                // a token at its underscores only yields pieces of it.
                if layer.isWordsReading { inner.removeAll { $0.category.isSensitiveValue } }
                // Text still in JSON (an agent forwarding a message or a document), or words joined
                // by underscores: read as the text it stands for. Another reading of the same text,
                // not a hidden payload, so no obfuscation finding; what the raw text already showed
                // is deduplicated later.
                for var finding in inner {
                    (finding.start, finding.end) = layer.parentRange(finding.start, finding.end)
                    finding.via = [layer.encoding] + finding.via
                    out.append(finding)
                }
                continue
            }
            if inner.isEmpty, Self.encodedTextEncodings.contains(layer.encoding),
               layer.text.split(whereSeparator: { $0 == " " }).count >= 4, case .collapse(let a, let b) = layer.mapping {
                // Words hidden in base64, base32, hex, base85 or uuencode: reported, weighed with
                // everything else.
                out.append(Finding(ruleId: "SF-OBF-ENCODED-TEXT", category: .obfuscation, severity: .high,
                                   confidence: 0.72, start: a, end: b, type: "encoded_text", via: [layer.encoding]))
            }
            guard !inner.isEmpty else { continue }
            var lo = Int.max, hi = 0
            var worst = Severity.info
            for var finding in inner {
                (finding.start, finding.end) = layer.parentRange(finding.start, finding.end)
                finding.via = [layer.encoding] + finding.via
                lo = min(lo, finding.start); hi = max(hi, finding.end)
                if !finding.category.isSensitiveValue { worst = max(worst, finding.severity) }
                out.append(finding)
            }
            if layer.encoding != "tags" {
                out.append(Finding(ruleId: "SF-OBF-ENCODED", category: .obfuscation, severity: max(worst, .medium),
                                   confidence: 0.9, start: lo, end: hi, type: "encoded_payload", via: [layer.encoding]))
            }
        }
    }

    /// Encodings whose decoded words are hidden text even when no rule matches them.
    static let encodedTextEncodings: Set<String> = ["base64", "base32", "hex", "char_codes", "octal_codes", "ascii85", "base85", "uuencode"]

    @inline(__always) static func isWordByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A) || b == 0x5F || b >= 0x80
    }

    private func match(_ rule: CompiledRule, regex: PCRE2Regex, in subject: UnsafeBufferPointer<UInt8>, from: Int,
                       startLimit: Int? = nil, onView: Bool, nonASCII: Bool, via: [String], scratch: ScanScratch,
                       into out: inout [Finding]) {
        // Every value is masked, however many there are; intent rules need only a few matches.
        let cap = rule.category.isSensitiveValue ? Int.max : 64
        let outcome = regex.forEachMatch(in: subject, from: from, startLimit: startLimit, scratch: scratch.pcre,
                                         maxMatches: cap) { m, group in
            let range = group ?? m
            if let validate = rule.validator {
                guard validate(UnsafeBufferPointer(rebasing: subject[range])) else { return true }
            }
            let start: Int, end: Int
            if onView {
                start = Int(scratch.view.map[range.lowerBound])
                end = range.isEmpty ? start : Int(scratch.view.map[range.upperBound - 1]) + 1
            } else if nonASCII {
                start = Self.scalarCount(subject, upTo: range.lowerBound)
                end = start + Self.scalarCount(UnsafeBufferPointer(rebasing: subject[range]), upTo: range.count)
            } else {
                start = range.lowerBound; end = range.upperBound
            }
            // On the view, the transformations this match came through (none: the text said it plainly).
            let through = onView && !via.isEmpty ? scratch.view.transforms(from: start, to: end) : via
            out.append(Finding(ruleId: rule.id, category: rule.category, severity: rule.severity,
                               confidence: rule.confidence, start: start, end: end, type: rule.type, via: through))
            return true
        }
        if outcome == .limitExceeded {
            out.append(Finding(ruleId: "SF-VAL-REGEX-LIMIT", category: .validation, severity: .low, confidence: 1,
                               start: 0, end: 0, type: "match_limit:\(rule.id)"))
        }
    }

    /// The reading the classifier scores when the rules did not run (classifier-only mode): the
    /// same choice `scanLayer` makes for the top layer.
    func reading(of buf: UnsafeBufferPointer<UInt8>, surface: Surface) -> DecodedLayer? {
        let f = Self.features(buf)
        if f.jsonShape, let layer = Decoders.jsonDocument(buf) { return layer }
        if f.escapes >= 2, let layer = Decoders.decodeEscapes(buf), layer.encoding == "json" { return layer }
        guard surface == .prompt else { return nil }
        if f.joiners > f.spaces { return Decoders.separateWords(buf) }
        if f.spaces * 16 < buf.count { return Decoders.spacelessWords(buf) }
        return nil
    }

    /// Runs of base64, hex or URL-safe token characters at least this long are not prose: the
    /// classifier does not read them (their decoded content is scanned by the rules).
    static let encodedRunFloor = 64

    /// `bytes` as the classifier reads it, into `reading`: with `collapse`, every run of spaces
    /// and tabs between two characters (not at a line's start or end: indentation is kept) as one
    /// space; with `dropEncoded`, every run of at least `encodedRunFloor` base64/hex characters,
    /// letters and digits both, as one space (mapped to the run's last byte). False when nothing
    /// changed. Unchanged stretches are copied whole, and only the edits are recorded for mapping
    /// back (a map entry per byte cost more than the scoring it served).
    static func classifierReading(_ b: UnsafeBufferPointer<UInt8>, collapse: Bool, dropEncoded: Bool,
                                  into reading: inout ClassifierReading) -> Bool {
        let n = b.count
        // The segments are moved out while the copy loop holds `reading.bytes` (an access to
        // `reading` inside it would overlap) and moved back at the end.
        var segments = reading.segments
        reading.segments = []
        segments.removeAll(keepingCapacity: true)
        segments.append((0, 0))
        defer { reading.segments = segments }
        reading.count = 0
        guard let src = b.baseAddress else { return false }
        if reading.bytes.count < n { reading.bytes = [UInt8](repeating: 0, count: max(n, 2 * reading.bytes.count)) }
        @inline(__always) func blank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
        @inline(__always) func lineEnd(_ c: UInt8) -> Bool { c == 0x0A || c == 0x0D }
        @inline(__always) func token(_ c: UInt8) -> Bool {
            c &- 0x61 < 26 || c &- 0x41 < 26 || c &- 0x30 < 10 || c == 0x2B || c == 0x2F || c == 0x3D || c == 0x2D || c == 0x5F
        }
        var changed = false
        var o = 0
        reading.bytes.withUnsafeMutableBufferPointer { outBuffer in
            let out = outBuffer.baseAddress.unsafelyUnwrapped
            var i = 0
            var pending = 0   // input bytes [pending, i) are still to be copied to `out` at `o`
            @inline(__always) func flush(_ upTo: Int) {
                if upTo > pending { (out + o).update(from: src + pending, count: upTo &- pending); o &+= upTo &- pending }
            }
            while i < n {
                let c = src[i]
                if collapse && blank(c) && i > 0 && !blank(src[i &- 1]) && !lineEnd(src[i &- 1]) {
                    var j = i &+ 1
                    while j < n && blank(src[j]) { j &+= 1 }
                    if j < n && !lineEnd(src[j]) {
                        if j &- i > 1 || c != 0x20 {
                            // One space, mapped to the run's first byte (the stretch being copied
                            // reaches it); the next stretch starts after the run.
                            flush(i)
                            out[o] = 0x20
                            o &+= 1
                            segments.append((Int32(o), Int32(j)))
                            pending = j
                            changed = true
                        }
                        i = j
                        continue
                    }
                }
                if dropEncoded && token(c) && (i == 0 || !token(src[i &- 1])) {
                    // Encoded data mixes letters and digits; a rule of `=====` or `-----` is layout.
                    var j = i, letters = false, digits = false
                    while j < n && token(src[j]) {
                        if src[j] &- 0x30 < 10 { digits = true } else if (src[j] | 0x20) &- 0x61 < 26 { letters = true }
                        j &+= 1
                    }
                    if j &- i >= encodedRunFloor && letters && digits {
                        // Mapped to the run's last byte: a window that starts here starts at its end.
                        flush(i)
                        segments.append((Int32(o), Int32(j &- 1)))
                        out[o] = 0x20
                        o &+= 1
                        pending = j
                        changed = true
                    }
                    i = j
                    continue
                }
                i &+= 1
            }
            flush(n)
        }
        reading.count = o
        return changed
    }

    /// The classifier's second look at a long tool output that a rule flagged and the whole-text
    /// windows did not: the lines around each of the first four agreeing rule findings, at most
    /// 1,024 bytes, scored on their own. An instruction planted in a document is usually its own
    /// line or paragraph, and a 1 KiB window of surrounding prose dilutes it below the threshold.
    func classifyAround(_ ruleFindings: [Finding], in buf: UnsafeBufferPointer<UInt8>, settings: ClassifierSettings,
                        threshold: Float, floor: ClassifierFloor, surface: Surface, scratch: ScanScratch,
                        into out: inout [Finding]) {
        let cap = 1024
        guard buf.count > cap / 2 else { return }
        let p = policy.policy(for: surface)
        let indexed = ScalarIndexedText(buf)
        var tried: [Range<Int>] = []
        var best: Finding?
        for f in ruleFindings where p.corroborates(f) && !f.isLearned && f.end <= indexed.scalarCount {
            guard tried.count < 4 else { break }
            let (fa, fb) = (indexed.byteOffset(f.start), indexed.byteOffset(f.end))
            var a = fa, b = fb
            while a > 0 && buf[a - 1] != 0x0A { a -= 1 }
            while b < buf.count && buf[b] != 0x0A { b += 1 }
            if b - a > cap {
                // A long line: the 1,024 bytes around the finding, cut on character boundaries.
                a = max(a, min(fa, (fa + fb) / 2 - cap / 2))
                b = min(b, a + cap)
                while a < b && buf[a] & 0xC0 == 0x80 { a += 1 }
                while b > a && b < buf.count && buf[b] & 0xC0 == 0x80 { b -= 1 }
            }
            guard b - a < buf.count, !tried.contains(a..<b) else { continue }
            tried.append(a..<b)
            scratch.forgetTopLayer()
            var one: [Finding] = []
            classify(UnsafeBufferPointer(rebasing: buf[a..<b]), settings: settings, threshold: threshold, floor: floor,
                     surface: surface, scratch: scratch, into: &one)
            guard var found = one.first, found.confidence > best?.confidence ?? 0 else { continue }
            let shift = indexed.scalarOffset(ofByte: a)
            found.start += shift; found.end += shift
            best = found
        }
        if let best { out.append(best) }
    }

    /// The most decoded payloads of one text the classifier reads (`classifyPayloads`), and the
    /// bytes it reads in them: as many as the text has, or this floor on a short text. (A text
    /// written backwards has two readings as long as itself; 64 KiB of it took 1 ms more when the
    /// classifier read both.)
    static let maxClassifiedPayloads = 4
    static let payloadBudgetFloor = 8192

    /// Scores what the top layer's decoders found hidden in it (text encoded, reversed, turned
    /// upside down, split into pieces): the model reads an attack it knows in plain words, and
    /// the rules alone catch only the phrasings they list. The first payload that reaches the
    /// threshold is reported on the span it was decoded from, through its encoding, and as an
    /// encoded payload (obfuscation) unless the rules already reported one there.
    func classifyPayloads(_ payloads: [DecodedLayer], parentBytes: Int, budget: Int, settings: ClassifierSettings, threshold: Float,
                          floor: ClassifierFloor?, surface: Surface, scratch: ScanScratch, into out: inout [Finding]) {
        var budget = budget
        for layer in payloads where layer.text.utf8.count <= budget {
            // Escapes decoded in place that shorten the text by less than a tenth (a few `&amp;`
            // or `%20` in a long text) leave the words the classifier already read.
            if case .table = layer.mapping, layer.text.utf8.count * 10 > parentBytes * 9 { continue }
            budget -= layer.text.utf8.count
            var one: [Finding] = []
            var text = layer.text
            text.withUTF8 { decoded in
                scratch.forgetTopLayer()
                classify(decoded, settings: settings, threshold: threshold, floor: floor, surface: surface, scratch: scratch, into: &one)
            }
            guard var found = one.first else { continue }
            (found.start, found.end) = layer.parentRange(found.start, found.end)
            found.via = [layer.encoding]
            if !out.contains(where: { $0.ruleId == "SF-OBF-ENCODED" && $0.start <= found.start && found.end <= $0.end }) {
                out.append(Finding(ruleId: "SF-OBF-ENCODED", category: .obfuscation, severity: .high, confidence: found.confidence,
                                   start: found.start, end: found.end, type: "encoded_payload", via: [layer.encoding]))
            }
            out.append(found)
            return
        }
    }

    /// A lower reporting threshold for the classifier, used when another detector's finding is there
    /// to agree with it: a probability from `threshold` up to the surface's own threshold is reported
    /// with a confidence from `confidence` up to 0.7.
    struct ClassifierFloor {
        var threshold: Float
        var confidence: Double
    }

    /// Scores the normalised text with the learned classifier and reports the best window when it
    /// reaches the threshold. Confidence rises from 0.7 at the threshold to 1 at certainty, times
    /// the configured weight. With a `floor`, a probability from the floor's threshold up is
    /// reported too, below 0.7 (see `ClassifierFloor`).
    func classify(_ buf: UnsafeBufferPointer<UInt8>, settings: ClassifierSettings, threshold: Float,
                  floor: ClassifierFloor? = nil, surface: Surface, scratch: ScanScratch, into out: inout [Finding]) {
        let reportAt = min(threshold, floor?.threshold ?? threshold)
        // Plain ASCII text needs no view: its normalised form is its lower-case form (byte offsets are
        // scalar offsets). Everything else is scored on the same view the rules see.
        let f = scratch.topFeatures ?? needsView(buf)
        // On prompts, tabs and runs of spaces between words are read as one space: the model
        // hashes spacing as written, and typing it differently must not move the score. (Tool
        // output keeps its spacing: aligned columns and indentation are part of what it learned.)
        var collapse = surface == .prompt && f.irregularSpacing > 0
        // Long base64/hex runs (images in notebook output, attachments, keys) are not prose: the
        // model read them as attacks. What they encode is decoded and scanned by the rules.
        let dropEncoded = f.encodedCandidate
        func score(_ bytes: UnsafeBufferPointer<UInt8>) -> (Float, Range<Int>) {
            guard collapse || dropEncoded,
                  Self.classifierReading(bytes, collapse: collapse, dropEncoded: dropEncoded, into: &scratch.reading) else {
                return settings.classifier.score(bytes)
            }
            let r = scratch.reading
            let (p, w) = r.bytes.withUnsafeBufferPointer { settings.classifier.score(UnsafeBufferPointer(rebasing: $0[0..<r.count])) }
            guard !w.isEmpty else { return (p, w) }
            return (p, r.inputIndex(w.lowerBound)..<r.inputIndex(w.upperBound - 1) + 1)
        }
        let p: Float, window: Range<Int>, start: Int, end: Int
        if f.viewNeeded {
            // The rules' view is reused unless a decoded layer's view replaced it (or none was built).
            if scratch.viewDepth != 0 { Normalizer.build(buf, into: &scratch.view, vocabulary: vocabulary) }
            // Emoji between words leave runs of spaces in the view: read as one space, as typed
            // spacing is.
            if surface == .prompt && scratch.view.pictographs > 0 { collapse = true }
            (p, window) = scratch.view.bytes.withUnsafeBufferPointer { score($0) }
            guard p >= reportAt, !window.isEmpty else { return }
            start = Int(scratch.view.map[window.lowerBound])
            end = Int(scratch.view.map[window.upperBound - 1]) + 1
        } else {
            // Text without capitals is its own lower-case form; otherwise the rules' copy is reused
            // when no decoded layer has overwritten it.
            if !f.hasUpper {
                (p, window) = score(buf)
            } else {
                if !scratch.lowerIsTop { Self.lowerCase(buf, into: scratch) }
                (p, window) = scratch.lower.withUnsafeBufferPointer { score(UnsafeBufferPointer(rebasing: $0[0..<buf.count])) }
            }
            guard p >= reportAt, !window.isEmpty else { return }
            (start, end) = (window.lowerBound, window.upperBound)
        }
        let t = Double(threshold)
        var raw = 0.7 + 0.3 * (Double(p) - t) / max(1e-6, 1 - t)
        if p < threshold, let floor {   // reported only because a floor lowered `reportAt`
            let f = Double(floor.threshold)
            raw = floor.confidence + (0.7 - floor.confidence) * (Double(p) - f) / max(1e-6, t - f)
        }
        let confidence = min(1, raw * settings.weight)
        out.append(Finding(ruleId: "SF-ML-\(settings.classifier.version)", category: .injection, severity: .high,
                           confidence: (confidence * 1000).rounded() / 1000, start: start, end: end, type: Finding.learnedType))
    }

    /// The normalised view of `text` that keywords and normalised patterns match on (`scan --view`),
    /// built whether or not a scan would need it. Bytes the view holds that are not UTF-8 (a fold
    /// can cut a scalar) are shown as U+FFFD.
    public func normalizedView(_ text: String) -> String {
        withView(text) { String(decoding: $0, as: UTF8.self) }
    }

    /// The classifier's feature vectors of `text`, one per window, for the training pipeline.
    public func classifierFeatures(_ text: String, featurizer: TextFeaturizer) -> [[Int]] {
        withView(text) { v in
            TextFeaturizer.windows(count: v.count).map { w in
                var idx: [Int] = []
                _ = featurizer.forEachFeature(UnsafeBufferPointer(rebasing: v[w])) { idx.append($0) }
                return idx
            }
        }
    }

    /// `body` over the normalised view of `text`, built whether or not a scan would need it.
    private func withView<T>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        var copy = text
        let scratch = ScanScratch()
        copy.withUTF8 { Normalizer.build($0, into: &scratch.view, vocabulary: vocabulary) }
        return scratch.view.bytes.withUnsafeBufferPointer(body)
    }

    /// Unicode scalars in the first `bytes` bytes of valid UTF-8.
    static func scalarCount(_ buf: UnsafeBufferPointer<UInt8>, upTo bytes: Int) -> Int {
        var n = 0
        for i in 0..<min(bytes, buf.count) where buf[i] & 0xC0 != 0x80 { n += 1 }
        return n
    }

    /// Once a PII or secret value is known, every other occurrence of it in the text is reported too,
    /// also where the pattern's boundaries did not match (values glued together, occurrences
    /// inside a decoded layer's span): a found value is never left readable elsewhere. Values are
    /// compared as UTF-8: a value begins with a lead byte, so a byte match is a scalar match.
    static func everyOccurrence(of findings: [Finding], in text: ScalarIndexedText) -> [Finding] {
        // The first 256 distinct values, each with the first finding of it.
        var values: [(value: [UInt8], finding: Finding)] = []
        // Each value's hash beside it: a repeat is found by comparing hashes, and bytes only when
        // they agree (values that share a long prefix, such as card numbers from one issuer, made a
        // byte-by-byte search compare hundreds of bytes per finding).
        var hashes: [UInt64] = []
        for f in findings where f.category.isSensitiveValue && f.end - f.start >= 6 && f.end <= text.scalarCount && values.count < 256 {
            let value = UnsafeBufferPointer(rebasing: text.bytes[text.byteOffset(f.start)..<text.byteOffset(f.end)])
            let h = WordSet.hash(value)
            if hashes.indices.contains(where: { hashes[$0] == h && values[$0].value.elementsEqual(value) }) { continue }
            hashes.append(h)
            values.append((Array(value), f))
        }
        guard !values.isEmpty else { return findings }
        var out = findings
        // The spans already reported, as sorted (start, end) keys.
        var known: [Int] = []
        for f in findings where f.category.isSensitiveValue { known.append(f.start << 32 | (f.end & 0xFFFF_FFFF)) }
        known.sort()
        func isKnown(_ key: Int) -> Bool {
            var lo = 0, hi = known.count
            while lo < hi { let mid = (lo + hi) / 2; if known[mid] < key { lo = mid + 1 } else { hi = mid } }
            return lo < known.count && known[lo] == key
        }
        // One pass over the text for all values at once. A position whose first six bytes begin
        // some value (a filter on the stack) is hashed once per distinct value length, and each
        // hash is looked up among the values of that length: the cost per position does not grow
        // with values that share a long prefix (card numbers from one issuer, addresses at one
        // domain). Each value keeps its own resume point, so its occurrences are found left to
        // right without overlapping one another, as a separate search per value would.
        let bytes = text.bytes
        var flat: [UInt8] = []
        var at: [Int] = []
        for entry in values { at.append(flat.count); flat.append(contentsOf: entry.value) }
        at.append(flat.count)
        // The distinct value lengths, ascending, and an open-addressed table of the values keyed by
        // their hash mixed with their length (a lookup is a probe or two, no branchy bisection).
        var lengths: [Int] = []
        for length in values.map(\.value.count).sorted() where lengths.last != length { lengths.append(length) }
        @inline(__always) func mixed(_ h: UInt64, _ length: Int) -> UInt64 { (h ^ UInt64(length) &* 0x9E37_79B9_7F4A_7C15) | 1 }
        // At least four slots per value (a text with one address gets a table of sixteen).
        var slots = 16
        while slots < 4 * values.count { slots <<= 1 }
        let shift = UInt64(64 - slots.trailingZeroBitCount)
        var slotKey = [UInt64](repeating: 0, count: slots)
        var slotValue = [Int32](repeating: 0, count: slots)
        for v in values.indices {   // `hashes` are the values' FNV-1a hashes (`WordSet.hash`), as below
            let key = mixed(hashes[v], at[v + 1] - at[v])
            var slot = Int(truncatingIfNeeded: key >> shift) & (slots - 1)
            while slotKey[slot] != 0 { slot = (slot + 1) & (slots - 1) }
            slotKey[slot] = key; slotValue[slot] = Int32(v)
        }
        var resume = [Int](repeating: 0, count: values.count)
        var found: [Int] = []
        flat.withUnsafeBufferPointer { flat in
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 64) { filter in
            guard let base = bytes.baseAddress else { return }
            // A 4,096-bit filter on a position's first six bytes (every value has six).
            @inline(__always) func bit(_ p: UnsafePointer<UInt8>) -> Int {
                var x: UInt64 = 0
                for j in 0..<6 { x |= UInt64(p[j]) << UInt64(8 * j) }
                return Int(truncatingIfNeeded: (x &* 0x9E37_79B9_7F4A_7C15) >> 52) & 4095
            }
            filter.initialize(repeating: 0)
            for v in values.indices { let k = bit(flat.baseAddress! + at[v]); filter[k >> 6] |= 1 << UInt64(k & 63) }
            var i = 0
            let n = bytes.count
            while i + 6 <= n {
                let quad = bit(base + i)
                guard filter[quad >> 6] & (1 << UInt64(quad & 63)) != 0 else { i += 1; continue }
                found.removeAll(keepingCapacity: true)
                // FNV-1a extends a prefix's hash: one walk up to the longest length serves them all.
                var h: UInt64 = 0xcbf2_9ce4_8422_2325
                var k = 0
                for length in lengths {
                    guard i + length <= n else { break }
                    while k < length { h = (h ^ UInt64(base[i + k])) &* 0x100_0000_01b3; k += 1 }
                    let key = mixed(h, length)
                    var slot = Int(truncatingIfNeeded: key >> shift) & (slots - 1)
                    while slotKey[slot] != 0 {
                        if slotKey[slot] == key { found.append(Int(slotValue[slot])) }
                        slot = (slot + 1) & (slots - 1)
                    }
                }
                if found.count > 1 { found.sort() }
                for v in found {
                    let count = at[v + 1] - at[v]
                    guard i >= resume[v], UnsafeBufferPointer(start: base + i, count: count)
                            .elementsEqual(UnsafeBufferPointer(rebasing: flat[at[v]..<at[v] + count])) else { continue }
                    resume[v] = i + count
                    let f = values[v].finding
                    let start = text.scalarOffset(ofByte: i)
                    let end = start + (f.end - f.start)
                    if !isKnown(start << 32 | (end & 0xFFFF_FFFF)) {
                        var copy = f
                        copy.start = start; copy.end = end
                        out.append(copy)
                    }
                }
                i += 1
            }
        }
        }
        return out
    }

    /// Drops repeats of a rule over overlapping spans (a payload seen plain and decoded), keeping the
    /// first; orders by position.
    static func deduplicate(_ findings: [Finding]) -> [Finding] {
        guard findings.count > 1 else { return findings }
        var out: [Finding] = []
        // Per rule, its last finding in `out`. A rule's findings there do not overlap one another
        // and come in order of start, so only the last can overlap a later one: one lookup per
        // finding instead of a search of `out` (quadratic in a text full of values). A text has
        // findings of a few rules, at most of every rule: a list beats hashing the ids.
        var last: [(rule: String, at: Int)] = []
        for f in findings.sorted(by: { ($0.start, $0.end, $0.ruleId) < ($1.start, $1.end, $1.ruleId) }) {
            let r = last.firstIndex { $0.rule == f.ruleId }
            // One rule's overlapping findings become one, over both spans: a value found twice with
            // different extents (in the text and in another reading of it) is masked in full.
            if let r, case let k = last[r].at, out[k].start < max(f.end, f.start + 1) && f.start < max(out[k].end, out[k].start + 1) {
                out[k].end = max(out[k].end, f.end)
                continue
            }
            if let r { last[r].at = out.count } else { last.append((f.ruleId, out.count)) }
            out.append(f)
        }
        return out
    }
}

extension DetectionEngine {
    /// Nanoseconds spent in each stage over `texts` (for `bench engine --phases`): the feature pass,
    /// the keyword pass, the normalised view, and the whole scan.
    public func profilePhases(_ texts: [String], surface: Surface) -> [String: Double] {
        var t: [String: UInt64] = [:]
        let scratch = ScanScratch()
        var sink = 0
        func time(_ name: String, _ body: () -> Void) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            t[name, default: 0] += DispatchTime.now().uptimeNanoseconds - t0
        }
        var copies = texts
        for i in copies.indices { copies[i].withUTF8 { _ in } }   // make every text contiguous UTF-8
        time("baseline-sum") { for i in copies.indices { copies[i].withUTF8 { buf in var s = 0; for b in buf { s &+= Int(b) }; sink &+= s } } }
        time("features") { for i in copies.indices { copies[i].withUTF8 { sink &+= Self.features($0).maxDigits } } }
        time("keywords") { for i in copies.indices { copies[i].withUTF8 { matcher.scan($0) { kw, _ in sink &+= kw } } } }
        time("view") { for i in copies.indices { copies[i].withUTF8 { Normalizer.build($0, into: &scratch.view, vocabulary: vocabulary); sink &+= scratch.view.bytes.count } } }
        // Upper bound: every text parsed for joined pieces, as if each held a word asking for it.
        time("joined-pieces") { for i in copies.indices { copies[i].withUTF8 { sink &+= Decoders.joinedPieces($0, lists: true)?.utf8.count ?? 0 } } }
        time("scan") { for i in copies.indices { sink &+= scan(copies[i], surface: surface, scratch: scratch).findings.count } }
        if let model = classifier?.classifier {
            // The classifier alone, on already-normalised bytes (the view is timed above).
            var views: [[UInt8]] = []
            for i in copies.indices { copies[i].withUTF8 { Normalizer.build($0, into: &scratch.view, vocabulary: vocabulary) }; views.append(scratch.view.bytes) }
            time("classifier") { for v in views { v.withUnsafeBufferPointer { sink &+= Int(model.score($0).probability * 10) } } }
        }
        let bytes = Double(texts.reduce(0) { $0 + $1.utf8.count })
        t["ac-states"] = UInt64(matcher.stateCount) * UInt64(bytes)
        t["ac-classes"] = UInt64(matcher.classCountValue) * UInt64(bytes)
        var out = t.mapValues { Double($0) / bytes }   // ns per byte
        out["checksum"] = Double(sink % 2)
        return out
    }
}
