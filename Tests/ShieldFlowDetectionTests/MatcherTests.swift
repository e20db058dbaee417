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
