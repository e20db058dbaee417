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

    /// Appends `placeholder(type)` as UTF-8 and returns its length in scalars; an ASCII type (every
    /// shipped one) is upper-cased byte by byte instead of through a new string.
    static func appendPlaceholder(_ type: String, to out: inout [UInt8]) -> Int {
        var ascii = true
        for b in type.utf8 where b >= 0x80 { ascii = false; break }
        guard ascii else {
            let p = placeholder(type)
            out.append(contentsOf: p.utf8)
            return p.unicodeScalars.count
        }
        // Built on the stack and appended once: one capacity check instead of one per byte.
        let n = type.utf8.count + 11
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: n) { p in
            var k = 0
            for b in "[REDACTED:".utf8 { p[k] = b; k += 1 }
            for b in type.utf8 { p[k] = b &- 0x61 < 26 ? b &- 0x20 : b; k += 1 }
            p[k] = 0x5D
            out.append(contentsOf: UnsafeBufferPointer(p))
        }
        return n
    }

    /// Merged, sorted spans of every finding whose category is a sensitive value.
    public static func spans(of findings: [Finding]) -> [Span] {
        var spans: [Span] = []
        for f in findings where f.category.isSensitiveValue && f.end > f.start {
            spans.append(Span(start: f.start, end: f.end, type: f.type))
        }
        return merge(spans)
    }

    static func merge(_ spans: [Span]) -> [Span] {
        // Most texts hold no value or one: nothing to sort or merge.
        guard spans.count > 1 else { return spans.allSatisfy { $0.end > $0.start } ? spans : [] }
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
        var text = text
        return text.withUTF8 { mask(ScalarIndexedText($0), findings: findings) }
    }

    /// `text` with every sensitive span replaced, or nil when there is nothing to mask.
    public static func mask(_ text: ScalarIndexedText, findings: [Finding]) -> String? {
        mask(text, sensitive: spans(of: findings))
    }

    /// `text` with `sensitive` (as `spans(of:)` returns them) replaced, or nil when there are none.
    public static func mask(_ text: ScalarIndexedText, sensitive spans: [Span]) -> String? {
        guard !spans.isEmpty else { return nil }
        return replace(text, spans: spans, in: 0..<text.scalarCount)
    }

    /// The scalars in `range` with `spans` replaced by placeholders, as UTF-8; optionally control
    /// characters (C0, DEL, C1) as spaces. Returns the bytes and the number of scalars written.
    static func replaceUTF8(_ text: ScalarIndexedText, spans: [Span], in range: Range<Int>, controlsAsSpaces: Bool,
                            prefix: [UInt8] = []) -> (bytes: [UInt8], scalars: Int) {
        var out: [UInt8] = []
        out.reserveCapacity(prefix.count + text.byteOffset(range.upperBound) - text.byteOffset(range.lowerBound) + 32)
        out.append(contentsOf: prefix)
        let count = replaceUTF8(text, spans: spans, in: range, controlsAsSpaces: controlsAsSpaces, appendingTo: &out)
        return (out, count)
    }

    /// `replaceUTF8` appending to `out` (a buffer reused across calls); returns the scalars written.
    static func replaceUTF8(_ text: ScalarIndexedText, spans: [Span], in range: Range<Int>, controlsAsSpaces: Bool,
                            appendingTo out: inout [UInt8]) -> Int {
        var count = 0
        let bytes = text.bytes
        func copy(_ r: Range<Int>) {
            let from = text.byteOffset(r.lowerBound), to = text.byteOffset(r.upperBound)
            count += r.count
            guard controlsAsSpaces else {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[from..<to]))
                return
            }
            // Runs without a control character are copied whole; each control becomes a space.
            var run = from, k = from
            while k < to {
                let b = bytes[k]
                let width = b < 0x20 || b == 0x7F ? 1 : b == 0xC2 && k + 1 < to && bytes[k + 1] &- 0x80 < 0x20 ? 2 : 0   // C0, DEL; C1 (U+0080–U+009F)
                guard width > 0 else { k += 1; continue }
                if run < k { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<k])) }
                out.append(0x20)
                k += width
                run = k
            }
            if run < to { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<to])) }
        }
        var i = range.lowerBound
        // The spans are sorted by start and do not overlap (`merge`), so their ends are sorted too:
        // the first one that can reach into the range is found by bisection, and the walk stops at
        // the range's end. An excerpt costs O(log n) in the spans, not O(n).
        var k = firstSpan(endingAfter: range.lowerBound, in: spans)
        // Spans mostly share a type: its placeholder is built once per call.
        var placeholderType: String? = nil
        var placeholder: [UInt8] = []
        var placeholderScalars = 0
        while k < spans.count && spans[k].start < range.upperBound {
            let s = spans[k]
            k += 1
            guard s.end > range.lowerBound else { continue }
            let a = max(s.start, i)
            if a > i { copy(i..<a) }
            if s.type != placeholderType {
                placeholder.removeAll(keepingCapacity: true)
                placeholderScalars = appendPlaceholder(s.type, to: &placeholder)
                placeholderType = s.type
            }
            out.append(contentsOf: placeholder)
            count += placeholderScalars
            i = max(i, min(s.end, range.upperBound))
        }
        if i < range.upperBound { copy(i..<range.upperBound) }
        return count
    }

    /// The index of the first of `spans` (sorted by start, not overlapping) that ends after
    /// `offset`, or `spans.count`.
    static func firstSpan(endingAfter offset: Int, in spans: [Span]) -> Int {
        var lo = 0, hi = spans.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if spans[mid].end <= offset { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The scalars in `range` with `spans` replaced by placeholders.
    static func replace(_ text: ScalarIndexedText, spans: [Span], in range: Range<Int>) -> String {
        String(decoding: replaceUTF8(text, spans: spans, in: range, controlsAsSpaces: false).bytes, as: UTF8.self)
    }

    static let ellipsis: [UInt8] = [0xE2, 0x80, 0xA6]

    /// A short context window around `finding` with every sensitive span inside it replaced, so a
    /// finding can be logged or sent on without echoing what it found. Control characters become
    /// spaces. `sensitive` is sorted and merged, as `spans(of:)` returns it.
    public static func excerpt(of finding: Finding, in text: ScalarIndexedText, sensitive: [Span],
                               context: Int = 24, maxLength: Int = 160) -> String {
        var buffer: [UInt8] = []
        return excerpt(of: finding, in: text, sensitive: sensitive, context: context, maxLength: maxLength, buffer: &buffer)
    }

    /// `excerpt` building its bytes in `buffer`, which a caller making many excerpts reuses.
    public static func excerpt(of finding: Finding, in text: ScalarIndexedText, sensitive: [Span],
                               context: Int = 24, maxLength: Int = 160, buffer bytes: inout [UInt8]) -> String {
        // Bounded by `maxLength` however long the finding: an excerpt costs O(maxLength), not O(text).
        // After a disclosed system prompt's opening comes the prompt itself: none of it is quoted.
        let after = finding.type == Finding.systemPromptLeakType ? 0 : context
        let lo = max(0, finding.start - context)
        let hi = min(text.scalarCount, min(max(finding.end, finding.start), finding.start + maxLength) + after)
        guard lo < hi else { return "" }
        var spans = sensitive
        // A value's own span is added unless a sensitive span already covers it (as the scan's
        // always does: merging it in would change nothing).
        let covering = firstSpan(endingAfter: finding.end - 1, in: sensitive)
        if finding.category.isSensitiveValue
            && !(covering < sensitive.count && sensitive[covering].start <= finding.start && finding.end <= sensitive[covering].end) {
            spans = merge(spans + [Span(start: finding.start, end: finding.end, type: finding.type)])
        }
        // The ellipses go into the bytes: one string is made, not four joined.
        let lead = lo > 0 ? ellipsis.count : 0
        bytes.removeAll(keepingCapacity: true)
        if lead > 0 { bytes.append(contentsOf: ellipsis) }
        let count = replaceUTF8(text, spans: spans, in: lo..<hi, controlsAsSpaces: true, appendingTo: &bytes)
        var truncated = false
        if count > maxLength {
            // Cut after `maxLength` scalars: the first byte of scalar number maxLength + 1.
            var seen = 0
            for k in lead..<bytes.count where bytes[k] & 0xC0 != 0x80 {
                if seen == maxLength { bytes.removeSubrange(k...); break }
                seen += 1
            }
            truncated = true
        }
        if truncated { bytes.append(contentsOf: ellipsis) }
        if hi < text.scalarCount { bytes.append(contentsOf: ellipsis) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A text's UTF-8 bytes addressed by Unicode scalar offsets, the offsets findings carry. ASCII text
/// (one byte per scalar) needs no table; other text gets the byte offset of each scalar, once.
/// It borrows the bytes: use it only while they are alive (inside `withUTF8`).
public struct ScalarIndexedText {
    public let bytes: UnsafeBufferPointer<UInt8>
    /// Byte offset of each scalar, then of the end; empty for ASCII text.
    private let starts: [Int32]
    public let scalarCount: Int

    public init(_ bytes: UnsafeBufferPointer<UInt8>) {
        precondition(bytes.count < Int(Int32.max), "text too large to index")
        self.bytes = bytes
        var high: UInt8 = 0
        for b in bytes { high |= b }
        if high < 0x80 {
            starts = []
            scalarCount = bytes.count
            return
        }
        var table: [Int32] = []
        table.reserveCapacity(bytes.count + 1)
        for (k, b) in bytes.enumerated() where b & 0xC0 != 0x80 { table.append(Int32(k)) }
        scalarCount = table.count
        table.append(Int32(bytes.count))
        starts = table
    }

    /// Where scalar `i` begins (or the end, for `scalarCount`).
    @inline(__always) public func byteOffset(_ i: Int) -> Int { starts.isEmpty ? i : Int(starts[i]) }

    /// The scalar that begins at byte `b` (a scalar boundary), or the one containing it.
    public func scalarOffset(ofByte b: Int) -> Int {
        guard !starts.isEmpty else { return b }
        var lo = 0, hi = scalarCount
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if Int(starts[mid]) <= b { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }
}
