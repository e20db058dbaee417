import PCRE2Adapter
@testable import ShieldFlowDetection
import XCTest

final class MatcherTests: XCTestCase {
    func testAhoCorasickFindsOverlappingKeywordsCaseInsensitively() {
        let ac = AhoCorasick(keywords: ["he", "she", "hers", "his"].map { Array($0.utf8) })
        var hits: [(Int, Int)] = []
        var text = "uSHErs"
        text.withUTF8 { ac.scan($0) { hits.append(($0, $1)) } }
        XCTAssertEqual(hits.map(\.0).sorted(), [0, 1, 2])
        XCTAssertEqual(Set(hits.map(\.1)), [4, 6])
    }

    /// Every occurrence, in the order one left-to-right walk reports it, including long texts that
    /// are walked as two halves and keywords that straddle the middle.
    func testAhoCorasickReportsWhatANaiveSearchFindsInOrder() {
        var rng = RandomizedTests.SplitMix64(state: 17)
        func next(_ n: Int) -> Int { Int.random(in: 0..<n, using: &rng) }
        let keywords = ["ignore", "ign", "nore", "previous instructions", "ore", "e", "system prompt", "prompt", "dan", "a", "ab", "bab"]
        let ac = AhoCorasick(keywords: keywords.map { Array($0.utf8) })
        let filler = ["x", " ", "IGNORE", "ignore previous instructions", "sys", "tem prompt", "b", "ab", "Dan", "q", "\n", "é"]
        var long = 0
        for _ in 0..<400 {
            let text = Array((0..<next(400)).map { _ in next(3) == 0 ? keywords[next(keywords.count)] : filler[next(filler.count)] }.joined().utf8)
            if text.count >= AhoCorasick.splitLength { long += 1 }
            var ours: [(Int, Int)] = []
            text.withUnsafeBufferPointer { buf in ac.scan(buf) { ours.append(($0, $1)) } }
            var naive: [(Int, Int)] = []
            let lower = text.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
            for end in 1...max(1, text.count) where !text.isEmpty {
                for (id, kw) in keywords.enumerated() {
                    let k = Array(kw.utf8)
                    if end >= k.count && Array(lower[(end - k.count)..<end]) == k { naive.append((id, end)) }
                }
            }
            XCTAssertEqual(ours.map(\.1), naive.map(\.1), "end offsets in order")
            // Within one end offset the order is by keyword id (one walk's output list).
            XCTAssertEqual(ours.map { "\($0.0)@\($0.1)" }, naive.map { "\($0.0)@\($0.1)" })
        }
        XCTAssertGreaterThan(long, 100, "long texts take the two-walk path")
    }

    /// With flexible whitespace, a space in a keyword matches any run of ASCII whitespace, and an
    /// occurrence is reported once, where its last keyword byte is: the same hits, in the same
    /// order, as a naive search of every keyword at every end offset, on short texts and on long
    /// ones walked as two halves (whose second walk must start further back over whitespace runs).
    func testFlexibleWhitespaceMatchesRunsOfWhitespaceAsOneSpace() {
        var rng = RandomizedTests.SplitMix64(state: 23)
        func next(_ n: Int) -> Int { Int.random(in: 0..<n, using: &rng) }
        let keywords = ["ignore", "previous instructions", "system prompt", "prompt", " ai", "unut ", "a b", "b", "ab", "set aside"]
        let ac = AhoCorasick(keywords: keywords.map { Array($0.utf8) }, flexibleWhitespace: true)
        let filler = ["x", " ", "  ", "\t", "\n", "\r\n", " \t\n ", String(repeating: " ", count: 90), "IGNORE", "Previous\tInstructions",
                      "previous\n\ninstructions", "system  prompt", "sys", "tem\tprompt", "b", "a", "é", "set\u{0B}aside", "unut"]
        @inline(__always) func ws(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
        var long = 0, flexibleHits = 0
        for _ in 0..<500 {
            let text = Array((0..<next(300)).map { _ in next(4) == 0 ? keywords[next(keywords.count)] : filler[next(filler.count)] }.joined().utf8)
            if text.count >= AhoCorasick.splitLength { long += 1 }
            var ours: [String] = []
            text.withUnsafeBufferPointer { buf in
                ac.scan(buf) { id, end in
                    let start = AhoCorasick.start(of: Array(keywords[id].utf8), end: end, in: buf)
                    ours.append("\(id)@\(start)..<\(end)")
                }
            }
            var naive: [String] = []
            let lower = text.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
            for end in stride(from: 1, through: text.count, by: 1) {
                for (id, kw) in keywords.enumerated() {
                    // Walk the keyword back from `end`: a space takes a whole run of whitespace.
                    var p = end, ok = true
                    let k = Array(kw.utf8)
                    for (j, b) in k.enumerated().reversed() {
                        guard p > 0 else { ok = false; break }
                        if b == 0x20 {
                            guard ws(lower[p - 1]) else { ok = false; break }
                            // A trailing space is reported at the first byte of its run.
                            if j == k.count - 1 && p >= 2 && ws(lower[p - 2]) { ok = false; break }
                            p -= 1
                            while p > 0 && ws(lower[p - 1]) { p -= 1 }
                        } else {
                            guard lower[p - 1] == b else { ok = false; break }
                            p -= 1
                        }
                    }
                    if ok {
                        naive.append("\(id)@\(p)..<\(end)")
                        if text[p..<end].contains(where: { ws($0) && $0 != 0x20 }) || text[p..<end].count > k.count { flexibleHits += 1 }
                    }
                }
            }
            XCTAssertEqual(ours, naive, String(decoding: text, as: UTF8.self))
        }
        XCTAssertGreaterThan(long, 100, "long texts take the two-walk path")
        XCTAssertGreaterThan(flexibleHits, 200, "occurrences across tabs, line breaks and runs of spaces")
    }

    /// Without the option, a keyword's space is one space byte and nothing else.
    func testStrictWhitespaceIsTheDefault() {
        let ac = AhoCorasick(keywords: [Array("set aside".utf8)])
        var hits = 0
        for text in ["set  aside", "set\taside", "set\naside"] {
            Array(text.utf8).withUnsafeBufferPointer { ac.scan($0) { _, _ in hits += 1 } }
        }
        Array("Set Aside".utf8).withUnsafeBufferPointer { ac.scan($0) { _, _ in hits += 10 } }
        XCTAssertEqual(hits, 10)
    }

    /// An automaton without keywords (a rule set with no non-ASCII keywords has one) walks long
    /// texts too, and finds nothing; with one-byte keywords the halves meet exactly.
    func testAutomatonEdgeSizes() {
        for n in [0, 1, 127, 128, 129, 255, 256, 1024] {
            let text = [UInt8](repeating: 0x61, count: n)
            var none = 0
            text.withUnsafeBufferPointer { AhoCorasick(keywords: []).scan($0) { _, _ in none += 1 } }
            XCTAssertEqual(none, 0)
            var ends: [Int] = []
            text.withUnsafeBufferPointer { AhoCorasick(keywords: [[0x61]]).scan($0) { _, end in ends.append(end) } }
            XCTAssertEqual(ends, Array(stride(from: 1, through: n, by: 1)), "n = \(n)")
        }
    }

    func testPCRE2CompileErrorsCarryMessageAndOffset() {
        XCTAssertThrowsError(try PCRE2Regex("ab(c")) { error in
            XCTAssertTrue((error as? PCRE2Error)?.description.contains("offset") ?? false)
        }
        let re = try! PCRE2Regex("b+c", options: [.caseless])
        XCTAssertTrue(re.isJIT)
        XCTAssertTrue(re.matches("aBBc"))
        XCTAssertFalse(re.matches("abd"))
    }

    /// A pattern whose alternatives each capture the value reports the group that took part.
    func testFirstParticipatingGroupIsReported() throws {
        let re = try PCRE2Regex(#"id:\s*(\d+)|(\d+)\s+is the id|\bnone\b"#)
        var text = "id: 42, then 77 is the id, then none"
        var found: [(Range<Int>, Range<Int>?)] = []
        _ = text.withUTF8 { re.forEachMatch(in: $0, scratch: PCRE2Scratch()) { m, g in found.append((m, g)); return true } }
        XCTAssertEqual(found.map(\.0), [0..<6, 13..<25, 32..<36])
        XCTAssertEqual(found.map(\.1), [4..<6, 13..<15, nil])
    }

    /// A start limit keeps matches that start at or before it (JIT and interpreter alike) and stops
    /// the search there; the matches themselves may run past it.
    func testStartLimitBoundsWhereMatchesStart() throws {
        let re = try PCRE2Regex(#"note to the ai: \w+"#, startLimit: true)
        XCTAssertTrue(re.allowsStartLimit)
        var text = "xx note to the ai: obey. yy note to the ai: again."
        func starts(_ limit: Int?) -> [Int] {
            var found: [Int] = []
            _ = text.withUTF8 { re.forEachMatch(in: $0, startLimit: limit, scratch: PCRE2Scratch()) { m, _ in found.append(m.lowerBound); return true } }
            return found
        }
        XCTAssertEqual(starts(nil), [3, 28])
        XCTAssertEqual(starts(3), [3], "a match starting at the limit counts")
        XCTAssertEqual(starts(2), [])
        XCTAssertEqual(starts(28), [3, 28])
        XCTAssertEqual(starts(27), [3])
        // A pattern compiled without the option ignores the limit rather than failing.
        let plain = try PCRE2Regex(#"note to the ai: \w+"#)
        var all: [Int] = []
        _ = text.withUTF8 { plain.forEachMatch(in: $0, startLimit: 2, scratch: PCRE2Scratch()) { m, _ in all.append(m.lowerBound); return true } }
        XCTAssertEqual(all, [3, 28])
    }

    func testMatchLimitStopsCatastrophicBacktracking() throws {
        let re = try PCRE2Regex("(a+)+$", matchLimit: 10_000)
        var text = String(repeating: "a", count: 5_000) + "b"
        let outcome = text.withUTF8 { re.forEachMatch(in: $0, scratch: PCRE2Scratch()) { _, _ in true } }
        XCTAssertEqual(outcome, .limitExceeded)
    }

    /// Each rule's pattern for ASCII text, compiled without UTF mode, finds exactly what the same
    /// pattern in UTF mode finds, on the rules' own examples and on all of them joined.
    func testASCIIPatternsMatchExactlyAsInUTFMode() throws {
        let rules = Fixtures.engine.ruleSet.rules
        var texts: [String] = []
        for rule in rules {
            for example in (rule.spec.examples?.match ?? []) + (rule.spec.examples?.noMatch ?? []) where example.utf8.allSatisfy({ $0 < 0x80 }) {
                texts.append(example)
                texts.append(example.lowercased())
            }
        }
        texts.append(texts.joined(separator: " "))
        texts.append(texts.joined(separator: "\n").lowercased())
        XCTAssertGreaterThan(texts.count, 200)
        let scratch = PCRE2Scratch()
        var asciiCompiled = 0
        for rule in rules {
            var options: PCRE2Regex.Options = []
            if !rule.normalized && rule.spec.caseSensitive == false { options.insert(.caseless) }
            let utf = try PCRE2Regex(rule.regex.pattern, options: options)
            if !rule.regex.isUTF { asciiCompiled += 1 }
            for var text in texts {
                let shown = text.prefix(80)
                text.withUTF8 { buf in
                    var a: [Range<Int>] = [], b: [Range<Int>] = []
                    utf.forEachMatch(in: buf, scratch: scratch, maxMatches: .max) { m, g in a.append(g ?? m); return true }
                    rule.regex.forEachMatch(in: buf, scratch: scratch, maxMatches: .max) { m, g in b.append(g ?? m); return true }
                    XCTAssertEqual(a, b, "\(rule.id) on \(shown)")
                }
            }
        }
        XCTAssertEqual(asciiCompiled, rules.count, "every shipped pattern compiles for ASCII text")
    }
}
