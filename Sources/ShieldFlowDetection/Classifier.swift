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
        var h: UInt32 = 2_166_136_261 ^ 0x5757
        for k in start..<end { h = (h ^ UInt32(bytes[k])) &* 16_777_619 }
        return h
    }

    /// A word's unigram bucket and, after another word, the bigram's; returns how many.
    @inline(__always) func wordFeatures(_ h: UInt32, previous: UInt32, mask: UInt32, _ body: (Int) -> Void) -> Int {
        body(Int(((h &* 0x85EB_CA6B) >> 5) & mask))
        guard previous != 0 else { return 1 }
        body(Int((((previous &* 31 ^ h) &* 0xC2B2_AE35) >> 9) & mask))
        return 2
    }

    /// Byte n-gram buckets starting at `i` (3-, 4- and 5-gram, as far as `n` allows), as
    /// `forEachFeature` visits them.
    @inline(__always) func ngrams(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int, count n: Int, _ body: (_ length: Int, _ bucket: Int) -> Void) {
        let mask = UInt32(dimension - 1)
        var h: UInt32 = 2_166_136_261
        h = (h ^ UInt32(bytes[i])) &* 16_777_619
        h = (h ^ UInt32(bytes[i + 1])) &* 16_777_619
        h = (h ^ UInt32(bytes[i + 2])) &* 16_777_619
        body(3, Int((h ^ 0x3333) & mask))
        guard i + 3 < n else { return }
        h = (h ^ UInt32(bytes[i + 3])) &* 16_777_619
        body(4, Int((h ^ 0x4444_4444) & mask))
        guard i + 4 < n else { return }
        h = (h ^ UInt32(bytes[i + 4])) &* 16_777_619
        body(5, Int(((h &* 0x9E37_79B1) >> 7) & mask))
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

    /// The highest window probability over `bytes`, and that window.
    public func score(_ bytes: UnsafeBufferPointer<UInt8>) -> (probability: Float, window: Range<Int>) {
        let windows = TextFeaturizer.windows(count: bytes.count)
        guard windows.count > 1 else { return (probability(bytes), 0..<bytes.count) }
        return scoreWindows(bytes, windows)
    }

    /// The same result as scoring each window on its own, with every byte hashed once: windows
    /// overlap by half, so n-gram weights become prefix sums over start positions and only the
    /// words cut by a window's edges are hashed again.
    func scoreWindows(_ bytes: UnsafeBufferPointer<UInt8>, _ windows: [Range<Int>]) -> (probability: Float, window: Range<Int>) {
        let n = bytes.count
        let mask = UInt32(featurizer.dimension - 1)
        // prefix[len - 3][i]: summed weights of the len-grams starting before i.
        var pre3 = [Int32](repeating: 0, count: n + 1), pre4 = pre3, pre5 = pre3
        var words: [(start: Int, end: Int, hash: UInt32)] = []
        weights.withUnsafeBufferPointer { w in
            pre3.withUnsafeMutableBufferPointer { p3 in
                pre4.withUnsafeMutableBufferPointer { p4 in
                    pre5.withUnsafeMutableBufferPointer { p5 in
                        for i in 0..<n {
                            var a: Int32 = 0, b: Int32 = 0, c: Int32 = 0
                            if i + 3 <= n {
                                featurizer.ngrams(bytes, at: i, count: n) { len, bucket in
                                    switch len { case 3: a = Int32(w[bucket]); case 4: b = Int32(w[bucket]); default: c = Int32(w[bucket]) }
                                }
                            }
                            p3[i + 1] = p3[i] &+ a; p4[i + 1] = p4[i] &+ b; p5[i + 1] = p5[i] &+ c
                        }
                    }
                }
            }
        }
        var i = 0
        while i < n {
            guard TextFeaturizer.isWordByte(bytes[i]) else { i += 1; continue }
            let start = i
            while i < n && TextFeaturizer.isWordByte(bytes[i]) { i += 1 }
            words.append((start, i, TextFeaturizer.wordHash(bytes, start, i)))
        }
        let prefix = [pre3, pre4, pre5]
        var best: (Float, Range<Int>) = (0, 0..<0)
        var firstWord = 0
        weights.withUnsafeBufferPointer { w in
            for win in windows {
                let (s, e) = (win.lowerBound, win.upperBound)
                var sum: Int32 = 0, count = 0
                for (k, len) in [3, 4, 5].enumerated() where e - s >= len {
                    sum &+= prefix[k][e - len + 1] &- prefix[k][s]
                    count += e - s - len + 1
                }
                while firstWord < words.count && words[firstWord].end <= s { firstWord += 1 }
                var previous: UInt32 = 0
                var k = firstWord
                while k < words.count && words[k].start < e {
                    let word = words[k]
                    let h = word.start >= s && word.end <= e ? word.hash : TextFeaturizer.wordHash(bytes, max(word.start, s), min(word.end, e))
                    count += featurizer.wordFeatures(h, previous: previous, mask: mask) { sum &+= Int32(w[$0]) }
                    previous = h
                    k += 1
                }
                let p: Float
                if count == 0 { p = 1 / (1 + exp(-bias)) } else {
                    let z = bias + scale * Float(sum) / Float(count).squareRoot()
                    p = 1 / (1 + exp(-z))
                }
                if p > best.0 { best = (p, win) }
            }
        }
        return best
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
