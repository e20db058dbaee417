import Foundation

/// Hashed n-gram features of normalised text, shared by training (`shieldflow model features`) and
/// inference, so the two cannot drift apart.
///
/// Features of one window of lower-case, normalised UTF-8 bytes:
/// - byte n-grams of length 3, 4 and 5 (FNV-1a, one hash per length),
/// - word unigrams and bigrams (words: runs of ASCII letters/digits or non-ASCII bytes).
/// Each occurrence adds 1 to its bucket; the vector is scaled by 1/√(occurrences).
public struct TextFeaturizer: Sendable {
    public let dimensionBits: Int
    public var dimension: Int { 1 << dimensionBits }
    /// Windows over long texts: an attack in the middle of a long document is scored on its own.
    public static let window = 1024
    public static let stride = 512

    public init(dimensionBits: Int = 18) { self.dimensionBits = dimensionBits }

    // FNV-1a, and the step from a hash to its bucket for each kind of feature: the one definition
    // that training (through `forEachFeature`) and inference (`LinearClassifier.score`) share.
    static let fnvOffset: UInt32 = 2_166_136_261
    static let fnvPrime: UInt32 = 16_777_619
    /// Words hash from their own seed, apart from byte n-grams.
    static let wordSeed: UInt32 = fnvOffset ^ 0x5757
    @inline(__always) static func gram3Bucket(_ h: UInt32, _ mask: UInt32) -> Int { Int((h ^ 0x3333) & mask) }
    @inline(__always) static func gram4Bucket(_ h: UInt32, _ mask: UInt32) -> Int { Int((h ^ 0x4444_4444) & mask) }
    @inline(__always) static func gram5Bucket(_ h: UInt32, _ mask: UInt32) -> Int { Int(((h &* 0x9E37_79B1) >> 7) & mask) }
    @inline(__always) static func unigramBucket(_ h: UInt32, _ mask: UInt32) -> Int { Int(((h &* 0x85EB_CA6B) >> 5) & mask) }
    @inline(__always) static func bigramBucket(_ previous: UInt32, _ h: UInt32, _ mask: UInt32) -> Int {
        Int((((previous &* 31 ^ h) &* 0xC2B2_AE35) >> 9) & mask)
    }

    @inline(__always) static func isWordByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b >= 0x80
    }

    /// Calls `body(bucket)` for every feature occurrence in `bytes`; returns the occurrence count.
    @inline(__always)
    func forEachFeature(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Int) -> Void) -> Int {
        let mask = UInt32(dimension - 1)
        let n = bytes.count
        var occurrences = 0
        // Byte 3-, 4-, 5-grams: one incremental FNV-1a pass per start position.
        if n >= 3 {
            for i in 0...(n - 3) { ngrams(bytes, at: i, count: n) { _, bucket in body(bucket); occurrences += 1 } }
        }
        // Word unigrams and bigrams.
        var i = 0
        var previous: UInt32 = 0
        while i < n {
            guard Self.isWordByte(bytes[i]) else { i += 1; continue }
            let start = i
            while i < n && Self.isWordByte(bytes[i]) { i += 1 }
            let h = Self.wordHash(bytes, start, i)
            occurrences += wordFeatures(h, previous: previous, mask: mask, body)
            previous = h
        }
        return occurrences
    }

    @inline(__always) static func wordHash(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt32 {
        wordHash(bytes.baseAddress.unsafelyUnwrapped, start, end)
    }

    @inline(__always) static func wordHash(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> UInt32 {
        var h = wordSeed
        for k in start..<end { h = (h ^ UInt32(p[k])) &* fnvPrime }
        return h
    }

    /// A word's unigram bucket and, after another word, the bigram's; returns how many.
    @inline(__always) func wordFeatures(_ h: UInt32, previous: UInt32, mask: UInt32, _ body: (Int) -> Void) -> Int {
        body(Self.unigramBucket(h, mask))
        guard previous != 0 else { return 1 }
        body(Self.bigramBucket(previous, h, mask))
        return 2
    }

    /// Byte n-gram buckets starting at `i` (3-, 4- and 5-gram, as far as `n` allows), as
    /// `forEachFeature` visits them.
    @inline(__always) func ngrams(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int, count n: Int, _ body: (_ length: Int, _ bucket: Int) -> Void) {
        let mask = UInt32(dimension - 1)
        let pr = Self.fnvPrime
        var h = Self.fnvOffset
        h = (h ^ UInt32(bytes[i])) &* pr
        h = (h ^ UInt32(bytes[i + 1])) &* pr
        h = (h ^ UInt32(bytes[i + 2])) &* pr
        body(3, Self.gram3Bucket(h, mask))
        guard i + 3 < n else { return }
        h = (h ^ UInt32(bytes[i + 3])) &* pr
        body(4, Self.gram4Bucket(h, mask))
        guard i + 4 < n else { return }
        h = (h ^ UInt32(bytes[i + 4])) &* pr
        body(5, Self.gram5Bucket(h, mask))
    }

    /// Byte windows over `count` bytes: one window for short texts, overlapping ones for long texts.
    public static func windows(count: Int) -> [Range<Int>] {
        guard count > window else { return [0..<count] }
        var out: [Range<Int>] = []
        var start = 0
        while true {
            let end = min(count, start + window)
            out.append(start..<end)
            if end == count { break }
            start += stride
        }
        return out
    }
}

/// A linear model over `TextFeaturizer` features with int8-quantised weights: score =
/// σ(bias + scale · Σ wᵢ / √n). Loaded from a versioned `.sfm` file written by the training pipeline.
public struct LinearClassifier: Sendable {
    public let version: String
    public let featurizer: TextFeaturizer
    public let bias: Float
    public let scale: Float
    /// Probability at or above which a window is reported, calibrated on the development split:
    /// for prompts, and (stricter) for tool output, where documents and code read differently.
    public let threshold: Float
    public let toolOutputThreshold: Float
    let weights: [Int8]

    public struct FormatError: Error, CustomStringConvertible {
        public let description: String
    }

    /// File layout (little endian): "SFM1", UInt32 dimension bits, Float32 bias, Float32 scale,
    /// Float32 prompt threshold, Float32 tool-output threshold, UInt16 version length, version UTF-8,
    /// then 2^bits Int8 weights.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FormatError(description: "cannot read model file \(path)")
        }
        try self.init(data: data)
    }

    public init(data: Data) throws {
        let bytes = [UInt8](data)
        var offset = 0
        func take(_ n: Int) throws -> ArraySlice<UInt8> {
            guard offset + n <= bytes.count else { throw FormatError(description: "model file truncated") }
            defer { offset += n }
            return bytes[offset..<offset + n]
        }
        func u32() throws -> UInt32 { try take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        func f32() throws -> Float { Float(bitPattern: try u32()) }
        guard try Array(take(4)) == Array("SFM1".utf8) else { throw FormatError(description: "not a ShieldFlow model (magic)") }
        let bits = Int(try u32())
        guard (10...24).contains(bits) else { throw FormatError(description: "unsupported dimension 2^\(bits)") }
        bias = try f32()
        scale = try f32()
        threshold = try f32()
        toolOutputThreshold = try f32()
        let vlen = Int(try take(2).reversed().reduce(0) { $0 << 8 | UInt16($1) })
        version = String(decoding: try take(vlen), as: UTF8.self)
        weights = try take(1 << bits).map { Int8(bitPattern: $0) }
        guard offset == bytes.count else { throw FormatError(description: "trailing bytes in model file") }
        featurizer = TextFeaturizer(dimensionBits: bits)
    }

    /// Probability that one window of normalised bytes is an injection or jailbreak.
    @inline(__always)
    public func probability(_ window: UnsafeBufferPointer<UInt8>) -> Float {
        var sum: Int32 = 0
        let n = weights.withUnsafeBufferPointer { w in
            featurizer.forEachFeature(window) { sum &+= Int32(w[$0]) }
        }
        guard n > 0 else { return 1 / (1 + exp(-bias)) }
        let z = bias + scale * Float(sum) / Float(n).squareRoot()
        return 1 / (1 + exp(-z))
    }

    /// The highest window probability over `bytes`, and that window: the same result, bit for bit,
    /// as `probability` (the training featurizer's own walk) on each of `TextFeaturizer.windows`, in
    /// one tight pass without closures or allocations for a text of one window.
    public func score(_ bytes: UnsafeBufferPointer<UInt8>) -> (probability: Float, window: Range<Int>) {
        let n = bytes.count
        guard let p = bytes.baseAddress, n > 0 else { return (probability(bytes), 0..<n) }
        return weights.withUnsafeBufferPointer { wb in
            let w = wb.baseAddress.unsafelyUnwrapped
            let mask = UInt32(featurizer.dimension - 1)
            guard n > TextFeaturizer.window else {
                let grams = Self.gramSum(p, from: 0, to: n, count: n, weights: w, mask: mask)
                let words = Self.wordSum(p, from: 0, to: n, weights: w, mask: mask)
                return (sigmoid(grams &+ words.sum, count: Self.gramCount(n) + words.count), 0..<n)
            }
            return scoreWindows(p, count: n, weights: w, mask: mask)
        }
    }

    /// Long texts: windows of 1,024 bytes every 512, so a window's n-gram sum is the sum of two
    /// 512-byte blocks of start positions, less the grams that run past a window's end. Each
    /// byte's n-grams are hashed once; words are hashed once and again only where a window's edge
    /// cuts them.
    func scoreWindows(_ p: UnsafePointer<UInt8>, count n: Int, weights w: UnsafePointer<Int8>, mask: UInt32) -> (probability: Float, window: Range<Int>) {
        let stride = TextFeaturizer.stride, span = TextFeaturizer.window
        let blockCount = (n + stride - 1) / stride
        var blocks = [Int32](repeating: 0, count: blockCount)
        for b in 0..<blockCount {
            blocks[b] = Self.gramSum(p, from: b * stride, to: min(n, b * stride + stride), count: n, weights: w, mask: mask)
        }
        var words: [(start: Int32, end: Int32, hash: UInt32)] = []
        words.reserveCapacity(n / 6)
        var i = 0
        while i < n {
            guard TextFeaturizer.isWordByte(p[i]) else { i &+= 1; continue }
            let start = i
            while i < n && TextFeaturizer.isWordByte(p[i]) { i &+= 1 }
            words.append((Int32(start), Int32(i), TextFeaturizer.wordHash(p, start, i)))
        }
        var best: (Float, Range<Int>) = (0, 0..<0)
        var firstWord = 0
        var s = 0
        while true {
            let e = min(n, s + span)
            let b = s / stride
            var sum = blocks[b] &+ (b + 1 < blockCount && e > (b + 1) * stride ? blocks[b + 1] : 0)
            if e < n {
                // Grams starting in the window's last four bytes that end past it.
                for k in max(s, e - 4)..<e {
                    for len in 3...5 where k + len > e && k + len <= n { sum &-= Self.gram(p, at: k, length: len, weights: w, mask: mask) }
                }
            }
            var count = Self.gramCount(e - s)
            while firstWord < words.count && Int(words[firstWord].end) <= s { firstWord += 1 }
            var previous: UInt32 = 0
            var k = firstWord
            while k < words.count && Int(words[k].start) < e {
                let word = words[k]
                let (a, z) = (Int(word.start), Int(word.end))
                let h = a >= s && z <= e ? word.hash : TextFeaturizer.wordHash(p, max(a, s), min(z, e))
                Self.addWord(h, previous: previous, weights: w, mask: mask, sum: &sum, count: &count)
                previous = h
                k += 1
            }
            let prob = sigmoid(sum, count: count)
            if prob > best.0 { best = (prob, s..<e) }
            if e == n { break }
            s += stride
        }
        return best
    }

    @inline(__always) func sigmoid(_ sum: Int32, count: Int) -> Float {
        guard count > 0 else { return 1 / (1 + exp(-bias)) }
        let z = bias + scale * Float(sum) / Float(count).squareRoot()
        return 1 / (1 + exp(-z))
    }

    /// How many byte n-grams a window of `m` bytes has.
    @inline(__always) static func gramCount(_ m: Int) -> Int { max(0, m - 2) + max(0, m - 3) + max(0, m - 4) }

    /// The first FNV-1a step of every byte value.
    static let fnvFirst: [UInt32] = (0..<256).map { (TextFeaturizer.fnvOffset ^ UInt32($0)) &* TextFeaturizer.fnvPrime }

    /// Summed weights of the 3-, 4- and 5-grams starting at `lo..<hi` that end by `n` (the hashes of
    /// `TextFeaturizer.ngrams`, one multiply saved by a table for the first byte).
    @inline(__always)
    static func gramSum(_ p: UnsafePointer<UInt8>, from lo: Int, to hi: Int, count n: Int, weights w: UnsafePointer<Int8>, mask: UInt32) -> Int32 {
        let pr = TextFeaturizer.fnvPrime
        var s3: Int32 = 0, s4: Int32 = 0, s5: Int32 = 0
        fnvFirst.withUnsafeBufferPointer { first in
            let t = first.baseAddress.unsafelyUnwrapped
            var i = lo
            let full = min(hi, n - 4)   // every start before this has all three grams
            while i < full {
                var h = (t[Int(p[i])] ^ UInt32(p[i &+ 1])) &* pr
                h = (h ^ UInt32(p[i &+ 2])) &* pr
                s3 &+= Int32(w[TextFeaturizer.gram3Bucket(h, mask)])
                h = (h ^ UInt32(p[i &+ 3])) &* pr
                s4 &+= Int32(w[TextFeaturizer.gram4Bucket(h, mask)])
                h = (h ^ UInt32(p[i &+ 4])) &* pr
                s5 &+= Int32(w[TextFeaturizer.gram5Bucket(h, mask)])
                i &+= 1
            }
            while i < min(hi, n - 2) {
                var h = (t[Int(p[i])] ^ UInt32(p[i &+ 1])) &* pr
                h = (h ^ UInt32(p[i &+ 2])) &* pr
                s3 &+= Int32(w[TextFeaturizer.gram3Bucket(h, mask)])
                if i + 3 < n {
                    h = (h ^ UInt32(p[i &+ 3])) &* pr
                    s4 &+= Int32(w[TextFeaturizer.gram4Bucket(h, mask)])
                }
                i &+= 1
            }
        }
        return s3 &+ s4 &+ s5
    }

    /// The weight of the one `length`-gram at `i`.
    static func gram(_ p: UnsafePointer<UInt8>, at i: Int, length: Int, weights w: UnsafePointer<Int8>, mask: UInt32) -> Int32 {
        var h = TextFeaturizer.fnvOffset
        for k in 0..<length { h = (h ^ UInt32(p[i + k])) &* TextFeaturizer.fnvPrime }
        switch length {
        case 3: return Int32(w[TextFeaturizer.gram3Bucket(h, mask)])
        case 4: return Int32(w[TextFeaturizer.gram4Bucket(h, mask)])
        default: return Int32(w[TextFeaturizer.gram5Bucket(h, mask)])
        }
    }

    /// Adds a word's unigram and, after another word, the bigram.
    @inline(__always)
    static func addWord(_ h: UInt32, previous: UInt32, weights w: UnsafePointer<Int8>, mask: UInt32, sum: inout Int32, count: inout Int) {
        sum &+= Int32(w[TextFeaturizer.unigramBucket(h, mask)])
        count &+= 1
        guard previous != 0 else { return }
        sum &+= Int32(w[TextFeaturizer.bigramBucket(previous, h, mask)])
        count &+= 1
    }

    /// Summed weights and number of the word unigrams and bigrams of `lo..<hi`.
    @inline(__always)
    static func wordSum(_ p: UnsafePointer<UInt8>, from lo: Int, to hi: Int, weights w: UnsafePointer<Int8>, mask: UInt32) -> (sum: Int32, count: Int) {
        var sum: Int32 = 0, count = 0
        var previous: UInt32 = 0
        var i = lo
        while i < hi {
            guard TextFeaturizer.isWordByte(p[i]) else { i &+= 1; continue }
            var h = TextFeaturizer.wordSeed
            repeat { h = (h ^ UInt32(p[i])) &* TextFeaturizer.fnvPrime; i &+= 1 } while i < hi && TextFeaturizer.isWordByte(p[i])
            addWord(h, previous: previous, weights: w, mask: mask, sum: &sum, count: &count)
            previous = h
        }
        return (sum, count)
    }
}

/// How the engine uses a classifier.
public struct ClassifierSettings: Sendable {
    public var classifier: LinearClassifier
    /// Reported probability thresholds (default: the model's calibrated ones).
    public var threshold: Float
    public var toolOutputThreshold: Float
    /// Multiplies the finding's confidence, so the classifier can weigh more or less than rules.
    public var weight: Double

    public init(classifier: LinearClassifier, threshold: Float? = nil, weight: Double = 1) {
        self.classifier = classifier
        self.threshold = threshold ?? classifier.threshold
        self.toolOutputThreshold = max(threshold ?? classifier.toolOutputThreshold, classifier.toolOutputThreshold)
        self.weight = weight
    }
}
