/// Shannon entropy over sliding windows of token-like runs, for spotting dumps of encoded or random
/// data in responses and tool outputs. Prose never forms long runs; a single lockfile hash or commit
/// id forms one short run. A dump is a region of high-entropy windows of at least `minRegion`
/// characters.
struct EntropyAnalysis: Sendable {
    struct Region: Sendable { var start: Int; var end: Int; var bits: Double }

    var regions: [Region] = []
    /// 1 − (characters in high-entropy regions / non-space characters), in [0, 1].
    var tokenHealth: Double = 1

    static let window = 64
    static let minRun = 20
    static let minRegion = 256
    /// Bits per character for a window to count as random: base64-like and hex-like alphabets.
    static let base64Bits = 4.9
    static let hexBits = 3.6

    @inline(__always) static func isTokenByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
            || b == 0x2B || b == 0x2F || b == 0x3D || b == 0x5F || b == 0x2D
    }

    /// Analyses `text` (UTF-8). Offsets in regions are byte offsets; the engine maps them.
    static func analyse(_ text: UnsafeBufferPointer<UInt8>) -> EntropyAnalysis {
        var result = EntropyAnalysis()
        let n = text.count
        var nonSpace = 0
        // Gather runs of token bytes ≥ minRun, and group runs separated by ≤ 4 non-token bytes.
        var groups: [(start: Int, end: Int, chars: [UInt8])] = []
        var i = 0
        var current: (start: Int, end: Int, chars: [UInt8])? = nil
        while i < n {
            let b = text[i]
            if b > 0x20 { nonSpace += 1 }
            guard isTokenByte(b) else { i += 1; continue }
            var j = i
            while j < n && isTokenByte(text[j]) { j += 1 }
            nonSpace += (j - i) - 1
            if j - i >= minRun {
                if var g = current, i - g.end <= 4 {
                    g.end = j; g.chars.append(contentsOf: text[i..<j]); current = g
                } else {
                    if let g = current { groups.append(g) }
                    current = (i, j, Array(text[i..<j]))
                }
            }
            i = j
        }
        if let g = current { groups.append(g) }

        var flagged = 0
        for g in groups where g.chars.count >= minRegion {
            var high = 0, windows = 0, sumBits = 0.0
            var w = 0
            while w + window <= g.chars.count {
                let slice = g.chars[w..<w + window]
                let bits = shannon(slice)
                let hexish = slice.allSatisfy { Decoders.hexValue($0) != nil }
                windows += 1
                sumBits += bits
                if bits >= (hexish ? hexBits : base64Bits) { high += 1 }
                w += window / 2
            }
            if windows > 0 && Double(high) / Double(windows) >= 0.8 {
                result.regions.append(Region(start: g.start, end: g.end, bits: sumBits / Double(windows)))
                flagged += g.chars.count
            }
        }
        result.tokenHealth = nonSpace == 0 ? 1 : max(0, 1 - Double(flagged) / Double(nonSpace))
        return result
    }

    static func shannon(_ bytes: ArraySlice<UInt8>) -> Double {
        var counts = [Int](repeating: 0, count: 256)
        for b in bytes { counts[Int(b)] += 1 }
        let n = Double(bytes.count)
        var h = 0.0
        for c in counts where c > 0 { let p = Double(c) / n; h -= p * log2(p) }
        return h
    }
}

import Foundation
