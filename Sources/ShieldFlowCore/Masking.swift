/// Replaces the spans of PII and secret findings with typed placeholders (`[REDACTED:EMAIL]`).
/// Overlapping or touching spans are merged; the placeholder names the type of the first finding
/// of a merged span. Offsets are Unicode scalar offsets into `text`.
public enum Masker {
    public struct Span: Sendable, Hashable {
        public var start: Int
        public var end: Int
        public var type: String
    }

    public static func placeholder(_ type: String) -> String { "[REDACTED:\(type.uppercased())]" }

    /// Merged, sorted spans of every finding whose category is a sensitive value.
    public static func spans(of findings: [Finding]) -> [Span] {
        merge(findings.filter { $0.category.isSensitiveValue }.map { Span(start: $0.start, end: $0.end, type: $0.type) })
    }

    static func merge(_ spans: [Span]) -> [Span] {
        var out: [Span] = []
        for s in spans.filter({ $0.end > $0.start }).sorted(by: { ($0.start, -$0.end) < ($1.start, -$1.end) }) {
            if let last = out.last, s.start <= last.end {
                out[out.count - 1].end = max(last.end, s.end)
            } else {
                out.append(s)
            }
        }
        return out
    }

    /// `text` with every sensitive span replaced, or nil when there is nothing to mask.
    public static func mask(_ text: String, findings: [Finding]) -> String? {
        let spans = spans(of: findings)
        guard !spans.isEmpty else { return nil }
        return replace(Array(text.unicodeScalars), spans: spans, in: 0..<text.unicodeScalars.count)
    }

    @inline(__always)
    static func appendUTF8(_ s: Unicode.Scalar, to out: inout [UInt8]) {
        let v = s.value
        if v < 0x80 {
            out.append(UInt8(truncatingIfNeeded: v))
        } else if v < 0x800 {
            out.append(UInt8(truncatingIfNeeded: 0xC0 | (v >> 6))); out.append(UInt8(truncatingIfNeeded: 0x80 | (v & 0x3F)))
        } else if v < 0x10000 {
            out.append(UInt8(truncatingIfNeeded: 0xE0 | (v >> 12))); out.append(UInt8(truncatingIfNeeded: 0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | (v & 0x3F)))
        } else {
            out.append(UInt8(truncatingIfNeeded: 0xF0 | (v >> 18))); out.append(UInt8(truncatingIfNeeded: 0x80 | ((v >> 12) & 0x3F)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | ((v >> 6) & 0x3F))); out.append(UInt8(truncatingIfNeeded: 0x80 | (v & 0x3F)))
        }
    }

    /// The scalars in `range` with `spans` replaced by placeholders, as UTF-8; optionally control
    /// characters as spaces. Returns the bytes and the number of scalars written.
    static func replaceUTF8(_ scalars: [Unicode.Scalar], spans: [Span], in range: Range<Int>, controlsAsSpaces: Bool) -> (bytes: [UInt8], scalars: Int) {
        var out: [UInt8] = []
        out.reserveCapacity(range.count + 24)
        var count = 0
        func copy(_ r: Range<Int>) {
            for k in r {
                let c = scalars[k]
                if controlsAsSpaces && (c.value < 0x20 || (0x7F...0x9F).contains(c.value)) { out.append(0x20) } else { appendUTF8(c, to: &out) }
            }
            count += r.count
        }
        var i = range.lowerBound
        for s in spans where s.end > range.lowerBound && s.start < range.upperBound {
            let a = max(s.start, i)
            if a > i { copy(i..<a) }
            let p = placeholder(s.type)
            out.append(contentsOf: p.utf8)
            count += p.unicodeScalars.count
            i = max(i, min(s.end, range.upperBound))
        }
        if i < range.upperBound { copy(i..<range.upperBound) }
        return (out, count)
    }

    /// The scalars in `range` with `spans` replaced by placeholders.
    static func replace(_ scalars: [Unicode.Scalar], spans: [Span], in range: Range<Int>) -> String {
        String(decoding: replaceUTF8(scalars, spans: spans, in: range, controlsAsSpaces: false).bytes, as: UTF8.self)
    }

    /// A short context window around `finding` with every sensitive span inside it replaced, so a
    /// finding can be logged or sent on without echoing what it found. Control characters become
    /// spaces.
    public static func excerpt(of finding: Finding, in scalars: [Unicode.Scalar], sensitive: [Span],
                               context: Int = 24, maxLength: Int = 160) -> String {
        // Bounded by `maxLength` however long the finding: an excerpt costs O(maxLength), not O(text).
        let lo = max(0, finding.start - context)
        let hi = min(scalars.count, min(max(finding.end, finding.start), finding.start + maxLength) + context)
        guard lo < hi else { return "" }
        var spans = sensitive
        if finding.category.isSensitiveValue {
            spans = merge(spans + [Span(start: finding.start, end: finding.end, type: finding.type)])
        }
        var (bytes, count) = replaceUTF8(scalars, spans: spans, in: lo..<hi, controlsAsSpaces: true)
        var truncated = false
        if count > maxLength {
            // Cut after `maxLength` scalars: the first byte of scalar number maxLength + 1.
            var seen = 0
            for (k, b) in bytes.enumerated() where b & 0xC0 != 0x80 {
                if seen == maxLength { bytes.removeSubrange(k...); break }
                seen += 1
            }
            truncated = true
        }
        // The ellipses go into the bytes: one string is made, not four joined.
        let ellipsis: [UInt8] = [0xE2, 0x80, 0xA6]
        if lo > 0 { bytes.insert(contentsOf: ellipsis, at: 0) }
        if truncated { bytes.append(contentsOf: ellipsis) }
        if hi < scalars.count { bytes.append(contentsOf: ellipsis) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
