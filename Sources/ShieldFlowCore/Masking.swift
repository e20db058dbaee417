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

    /// The scalars in `range` with `spans` replaced by placeholders.
    static func replace(_ scalars: [Unicode.Scalar], spans: [Span], in range: Range<Int>) -> String {
        var out = String.UnicodeScalarView()
        var i = range.lowerBound
        for s in spans where s.end > range.lowerBound && s.start < range.upperBound {
            let a = max(s.start, i)
            if a > i { out.append(contentsOf: scalars[i..<a]) }
            out.append(contentsOf: placeholder(s.type).unicodeScalars)
            i = max(i, min(s.end, range.upperBound))
        }
        if i < range.upperBound { out.append(contentsOf: scalars[i..<range.upperBound]) }
        return String(out)
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
        var text = replace(scalars, spans: spans, in: lo..<hi)
        text = String(String.UnicodeScalarView(text.unicodeScalars.map {
            ($0.value < 0x20 || (0x7F...0x9F).contains($0.value)) ? " " : $0
        }))
        if text.unicodeScalars.count > maxLength {
            text = String(String.UnicodeScalarView(text.unicodeScalars.prefix(maxLength))) + "…"
        }
        return (lo > 0 ? "…" : "") + text + (hi < scalars.count ? "…" : "")
    }
}
