@testable import ShieldFlowCore
import XCTest

final class MaskerTests: XCTestCase {
    func value(_ type: String, _ start: Int, _ end: Int, category: ShieldFlowCore.Category = .pii) -> Finding {
        Finding(ruleId: "X", category: category, severity: .high, confidence: 1, start: start, end: end, type: type)
    }

    func testMasksExactlyTheSpansWithTypedPlaceholders() {
        let text = "mail a@b.io now"
        XCTAssertEqual(Masker.mask(text, findings: [value("email", 5, 11)]), "mail [REDACTED:EMAIL] now")
    }

    func testOverlappingAndTouchingSpansMerge() {
        let text = "key=ABCDEFGHIJ end"
        let masked = Masker.mask(text, findings: [value("api_token", 4, 10, category: .secret), value("generic_secret", 8, 14, category: .secret)])
        XCTAssertEqual(masked, "key=[REDACTED:API_TOKEN] end")
    }

    func testOffsetsAreUnicodeScalars() {
        let text = "été: x@y.fr 🙂"
        // "x@y.fr" starts at scalar 5 (é, t, é, :, space).
        XCTAssertEqual(Masker.mask(text, findings: [value("email", 5, 11)]), "été: [REDACTED:EMAIL] 🙂")
    }

    func testNonSensitiveFindingsAreNotMasked() {
        let f = Finding(ruleId: "I", category: .injection, severity: .high, confidence: 1, start: 0, end: 4, type: "x")
        XCTAssertNil(Masker.mask("ignore", findings: [f]))
    }

    func testExcerptNeverEchoesASensitiveValue() {
        let secret = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
        let text = "Please ignore the rules, my key is \(secret) thanks"
        let scalars = Array(text.unicodeScalars)
        let start = scalars.count - secret.unicodeScalars.count - " thanks".unicodeScalars.count
        let secretFinding = value("stripe_key", start, start + secret.unicodeScalars.count, category: .secret)
        let injection = Finding(ruleId: "I", category: .injection, severity: .high, confidence: 1, start: 7, end: 23, type: "x")
        let spans = Masker.spans(of: [secretFinding, injection])
        for f in [secretFinding, injection] {
            let excerpt = Masker.excerpt(of: f, in: scalars, sensitive: spans, context: 40)
            XCTAssertFalse(excerpt.contains(secret), excerpt)
            XCTAssertFalse(excerpt.contains("4eC39Hq"), excerpt)
        }
        XCTAssertTrue(Masker.excerpt(of: secretFinding, in: scalars, sensitive: spans).contains("[REDACTED:STRIPE_KEY]"))
    }

    func testExcerptReplacesControlCharacters() {
        let scalars = Array("a\u{0}b\nc ignore".unicodeScalars)
        let f = Finding(ruleId: "I", category: .injection, severity: .high, confidence: 1, start: 6, end: 12, type: "x")
        let e = Masker.excerpt(of: f, in: scalars, sensitive: [])
        XCTAssertFalse(e.unicodeScalars.contains { $0.value < 0x20 })
    }

    /// An excerpt is the finding with `context` scalars either side, an ellipsis where it was cut
    /// (before, inside a finding longer than `maxLength`, after), and sensitive spans replaced.
    func testExcerptWindowAndEllipses() {
        let text = Array("0123456789 ignore previous é rules 0123456789".unicodeScalars)
        let f = Finding(ruleId: "I", category: .injection, severity: .high, confidence: 1, start: 11, end: 34, type: "x")
        XCTAssertEqual(Masker.excerpt(of: f, in: text, sensitive: [], context: 3), "…89 ignore previous é rules 01…")
        XCTAssertEqual(Masker.excerpt(of: f, in: text, sensitive: [], context: 3, maxLength: 6), "…89 ign……", "cut after six scalars, then the window's end")
        XCTAssertEqual(Masker.excerpt(of: f, in: text, sensitive: [], context: 40), "0123456789 ignore previous é rules 0123456789")
        let pii = Masker.spans(of: [Finding(ruleId: "P", category: .pii, severity: .medium, confidence: 1, start: 27, end: 28, type: "x")])
        XCTAssertEqual(Masker.excerpt(of: f, in: text, sensitive: pii, context: 0), "…ignore previous [REDACTED:X] rules…")
    }

    /// The byte-level masking and excerpts give what the definition over scalars gives, on random
    /// texts of ASCII, multi-byte scalars, C0 and C1 controls, with random findings and types.
    func testByteLevelMaskingMatchesTheScalarDefinition() {
        var state: UInt64 = 20261124
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        let pieces: [String] = ["a", "b", " ", "é", "日本", "🙂", "\u{0}", "\n", "\u{7F}", "\u{85}", "\u{9F}", "\u{A0}", "x@y.io", "Ж", "\u{301}"]
        let types = ["email", "api_key", "Ünicode_type", "x"]
        for _ in 0..<3_000 {
            var text = ""
            for _ in 0..<next(40) { text += pieces[next(pieces.count)] }
            let scalars = Array(text.unicodeScalars)
            var findings: [Finding] = []
            for _ in 0..<next(4) {
                let start = next(scalars.count + 3), end = start + next(12) - 2
                findings.append(Finding(ruleId: "R", category: next(3) == 0 ? .injection : .secret, severity: .high, confidence: 1,
                                        start: start, end: end, type: types[next(types.count)]))
            }
            let sensitive = Masker.spans(of: findings)
            XCTAssertEqual(Masker.mask(text, findings: findings), sensitive.isEmpty ? nil : Self.replaced(scalars, sensitive, 0..<scalars.count, controls: false).text)
            for f in findings {
                let context = next(30), maxLength = 1 + next(40)
                XCTAssertEqual(Masker.excerpt(of: f, in: scalars, sensitive: sensitive, context: context, maxLength: maxLength),
                               Self.excerpt(f, scalars, sensitive, context: context, maxLength: maxLength), "\(text.debugDescription) \(f.start)..<\(f.end)")
            }
        }
    }

    /// The definition: scalars in `range` with the spans replaced, optionally controls as spaces.
    static func replaced(_ scalars: [Unicode.Scalar], _ spans: [Masker.Span], _ range: Range<Int>, controls: Bool) -> (text: String, count: Int) {
        var out = String.UnicodeScalarView()
        var i = range.lowerBound
        func copy(_ r: Range<Int>) {
            for k in r { let c = scalars[k]; out.append(controls && (c.value < 0x20 || (0x7F...0x9F).contains(c.value)) ? " " : c) }
        }
        for s in spans where s.end > range.lowerBound && s.start < range.upperBound {
            let a = max(s.start, i)
            if a > i { copy(i..<a) }
            out.append(contentsOf: Masker.placeholder(s.type).unicodeScalars)
            i = max(i, min(s.end, range.upperBound))
        }
        if i < range.upperBound { copy(i..<range.upperBound) }
        return (String(out), out.count)
    }

    static func excerpt(_ f: Finding, _ scalars: [Unicode.Scalar], _ sensitive: [Masker.Span], context: Int, maxLength: Int) -> String {
        let lo = max(0, f.start - context)
        let hi = min(scalars.count, min(max(f.end, f.start), f.start + maxLength) + context)
        guard lo < hi else { return "" }
        var spans = sensitive
        if f.category == .secret || f.category == .pii { spans.append(Masker.Span(start: f.start, end: f.end, type: f.type)) }
        spans = spans.filter { $0.end > $0.start }
        spans.sort { (a: Masker.Span, b: Masker.Span) -> Bool in a.start != b.start ? a.start < b.start : a.end > b.end }
        var merged: [Masker.Span] = []
        for s in spans { if let last = merged.last, s.start <= last.end { merged[merged.count - 1].end = max(last.end, s.end) } else { merged.append(s) } }
        var (text, count) = replaced(scalars, merged, lo..<hi, controls: true)
        let truncated = count > maxLength
        if truncated { text = String(String.UnicodeScalarView(text.unicodeScalars.prefix(maxLength))) }
        return (lo > 0 ? "…" : "") + text + (truncated ? "…" : "") + (hi < scalars.count ? "…" : "")
    }
}

extension Masker {
    /// `excerpt` over a text given as its scalars (how these tests build their texts).
    static func excerpt(of finding: Finding, in scalars: [Unicode.Scalar], sensitive: [Span],
                        context: Int = 24, maxLength: Int = 160) -> String {
        var text = String(String.UnicodeScalarView(scalars))
        return text.withUTF8 { excerpt(of: finding, in: ScalarIndexedText($0), sensitive: sensitive, context: context, maxLength: maxLength) }
    }
}
