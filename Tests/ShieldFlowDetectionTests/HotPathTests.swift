@testable import ShieldFlowDetection
import XCTest

final class RepetitionTests: XCTestCase {
    /// The straightforward version (every token kept in arrays), as the reference for the ring.
    func reference(_ buf: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        var starts: [Int] = [], ends: [Int] = []
        var run = [0, 0, 0, 0, 0], runStart = [0, 0, 0, 0, 0]
        let n = buf.count
        func tokens(from: Int, _ body: (Int, Int) -> Bool) {
            var i = from
            while i < n {
                while i < n && Repetition.isSpace(buf[i]) { i += 1 }
                guard i < n else { return }
                let s = i
                while i < n && !Repetition.isSpace(buf[i]) { i += 1 }
                if !body(s, i) { return }
            }
        }
        var found: Range<Int>?
        tokens(from: 0) { s, e in
            starts.append(s); ends.append(e)
            let k = starts.count - 1
            if e - s >= 40, let p = Repetition.charPeriod(buf, s, e), !Repetition.isDecoration(buf, s, s + p) { found = s..<e; return false }
            for p in 1...4 where k >= p {
                if Repetition.equal(buf, starts[k], ends[k], starts[k - p], ends[k - p]) && !(p == 1 && Repetition.isDecoration(buf, s, e)) {
                    if run[p] == 0 { runStart[p] = starts[k - p] }
                    run[p] += 1
                    if run[p] >= (p == 1 ? Repetition.minSame - 1 : Repetition.minPeriodic - p) {
                        var end = e
                        tokens(from: e) { s2, e2 in
                            let j = starts.count - p
                            guard Repetition.equal(buf, s2, e2, starts[j], ends[j]) else { return false }
                            starts.append(s2); ends.append(e2); end = e2
                            return true
                        }
                        found = runStart[p]..<end
                        return false
                    }
                } else {
                    run[p] = 0
                }
            }
            return true
        }
        return found
    }

    func testFloodsOfEveryPeriodAndTheirExtent() {
        func flood(_ s: String) -> Range<Int>? { var s = s; return s.withUTF8 { Repetition.flood($0) } }
        XCTAssertEqual(flood("intro " + String(repeating: "ha ", count: 12) + "end"), 6..<(6 + 12 * 3 - 1))
        XCTAssertNotNil(flood(String(repeating: "ping pong ", count: 14)), "period 2")
        XCTAssertNotNil(flood(String(repeating: "a b c d ", count: 8)), "period 4")
        XCTAssertNotNil(flood("x " + String(repeating: "})", count: 30)), "a character period inside one token")
        XCTAssertNil(flood(String(repeating: "-", count: 80)), "decoration")
        XCTAssertNil(flood("Birth time:\n" + String(repeating: "↑-", count: 30)), "a line of arrows is decoration")
        XCTAssertNil(flood(String(repeating: "═", count: 50)), "a box-drawing rule is decoration")
        XCTAssertNil(flood(String(repeating: "•", count: 50)), "a rule of bullets is decoration")
        XCTAssertNotNil(flood(String(repeating: "ö ", count: 12)), "letters beyond ASCII still flood")
        XCTAssertNotNil(flood(String(repeating: "😀", count: 30)), "emoji still flood")
        XCTAssertNotNil(flood(String(repeating: "→]", count: 30)), "a bracket makes it a flood")
        XCTAssertNil(flood(String(repeating: "ha ", count: 9)), "nine repeats are not a flood")
        XCTAssertNil(flood("the cat sat on the mat and the dog sat on the log"))
    }

    func testRingMatchesTheReferenceOnRandomTokenStreams() {
        var rng = RandomizedTests.SplitMix64(state: 3)
        func next(_ n: Int) -> Int { Int.random(in: 0..<n, using: &rng) }
        let vocabulary = ["a", "ab", "ha", "}", "foo", "==", "x1", "ö", "abcdefgh", "abcdefgx", "abcdefg", "ticket-1234567"]
        var floods = 0
        for _ in 0..<3000 {
            var words: [String] = []
            let period = 1 + next(4)
            let unit = (0..<period).map { _ in vocabulary[next(vocabulary.count)] }
            for _ in 0..<(next(90)) {
                if next(3) != 0 { words += unit } else { words.append(vocabulary[next(vocabulary.count)]) }
            }
            // Separators of every whitespace kind and width, and whitespace at either end, so token
            // edges fall anywhere in the tokenizer's eight-byte words.
            let separators = [" ", "\n", "  ", "\t", "\r\n", " \t  ", "         "]
            var text = String(separators[next(separators.count)].prefix(next(2)))
                + String(words.map { $0 + separators[next(separators.count)] }.joined().dropLast(next(2)))
            let (ours, theirs) = text.withUTF8 { (Repetition.flood($0), reference($0)) }
            XCTAssertEqual(ours, theirs, text)
            if ours != nil { floods += 1 }
        }
        XCTAssertGreaterThan(floods, 100, "the generator makes floods too")
    }
}

extension RepetitionTests {
    /// The early exit must not change which period is found: checked against the definition
    /// (the smallest p with at least 90% of positions equal to the one p before; p ≤ 8, or up to
    /// 32 with five copies whose first eight bytes come back exactly).
    func testCharPeriodMatchesTheDefinition() {
        var rng = RandomizedTests.SplitMix64(state: 5)
        func next(_ n: Int) -> Int { Int.random(in: 0..<n, using: &rng) }
        var periodic = 0
        for _ in 0..<5000 {
            let unit = (0..<(1 + next(next(2) == 0 ? 9 : 24))).map { _ in UInt8(0x61 + next(4)) }
            let length = 40 + next(80)
            var token = (0..<length).map { unit[$0 % unit.count] }
            for _ in 0..<next(length / 6 + 1) { token[next(length)] = UInt8(0x61 + next(26)) }   // noise
            // Periods above 8 need five copies and their first eight bytes back exactly.
            let longest = max(8, min(Repetition.maxWordPeriod, length / Repetition.minWordRepeats))
            let definition: Int? = (1...longest).first { p in
                if p > 8 && token[0..<8] != token[p..<(p + 8)] { return false }
                var same = 0
                for k in p..<length where token[k] == token[k - p] { same += 1 }
                return same * 10 >= (length - p) * 9
            }
            let ours = token.withUnsafeBufferPointer { Repetition.charPeriod($0, 0, length) }
            XCTAssertEqual(ours, definition, String(decoding: token, as: UTF8.self))
            if ours != nil { periodic += 1 }
        }
        XCTAssertGreaterThan(periodic, 500)
        XCTAssertGreaterThan(5000 - periodic, 500)
    }
}

final class FeaturePassTests: XCTestCase {
    /// The letter-run shortcut (and its space after a word) must give exactly what the byte-by-byte
    /// path gives.
    func testLetterRunsMatchTheByteByBytePath() {
        var rng = RandomizedTests.SplitMix64(state: 11)
        func next(_ n: Int) -> Int { Int.random(in: 0..<n, using: &rng) }
        let pieces = ["ignore", "abc", "fe80", "::", ":", "dead", "beef", " ", " ", "a", "b", "1", "22", "333", ".", "-", "Zz", "QmFzZTY0",
                      "%41", "&amp;", "&#65;", "\\x41", "h3ll0", "@", "$", "é", "日本語", "’", "—", "\n", "10.0.0.1", "ab cd ef 12 34 56 78 9a", "+/", "_", "0xab", "0x5f", "\t",
                      "\u{A0}", "\u{A0}\u{A0}", "1234", "(415)", "\u{A9}", ",", "73,", "103, ", "|", " | "]
        for _ in 0..<20_000 {
            let text = (0..<next(24)).map { _ in pieces[next(pieces.count)] }.joined(separator: next(3) == 0 ? "" : " ")
            let (fast, slow) = Array(text.utf8).withUnsafeBufferPointer { (DetectionEngine.features($0), DetectionEngine.features($0, letterRuns: false)) }
            XCTAssertEqual(fast, slow, text)
        }
    }
}

final class DigitRunTests: XCTestCase {
    /// The feature pass records where runs of enough digits are, separators included as
    /// `maxDigits` counts them, and gives up listing them past the cap.
    func testFeaturePassRecordsDigitRuns() {
        func runs(_ text: String) -> ([Int32], Bool) {
            let f = Array(text.utf8).withUnsafeBufferPointer { DetectionEngine.features($0) }
            return (f.digitRuns, f.digitRunsOverflow)
        }
        XCTAssertEqual(runs("call (607) 938-3774 today, or 12 34").0, [6, 19, 10])
        XCTAssertEqual(runs("v1.2.3 and 1234567 are short").0, [])
        XCTAssertEqual(runs("12345678").0, [0, 8, 8])
        XCTAssertEqual(runs("a 1234 -  5678 b").0, [], "four separators end a run")
        XCTAssertEqual(runs("(842)  957-4762").0, [1, 15, 10], "a doubled space after a bracket")
        XCTAssertEqual(runs("4111\t1111\u{A0}1111  1111").0, [0, 21, 16], "a tab and a no-break space separate groups")
        XCTAssertEqual(runs("1234 5678\u{E9}1234 5678").0, [0, 9, 8, 11, 20, 8], "a non-ASCII letter ends a run")
        let many = (0..<(DetectionEngine.maxDigitRuns + 1)).map { _ in "123-45-6789" }.joined(separator: " and ")
        XCTAssertEqual(runs(many).0.count, 3 * DetectionEngine.maxDigitRuns)
        XCTAssertTrue(runs(many).1)
    }

    /// The digit-gated rules search around each run of digits, not the whole text: values far
    /// apart in a long text are all found, at their places, with few runs (windows) and with more
    /// than the cap (the whole text).
    func testDigitGatedRulesFindEveryValueAroundItsRun() {
        let filler = String(repeating: "The quarterly report lists revenue by region and notes the new office. ", count: 14)
        for count in [3, DetectionEngine.maxDigitRuns + 4] {
            var text = ""
            var expected: [String] = []
            for k in 0..<count {
                let ssn = "\(100 + k)-4\(k % 10)-\(1000 + k)"
                expected.append(ssn)
                text += filler + "SSN \(ssn) on file, updated 2026-02-1\(k % 10). "
            }
            let r = scan(text)
            let found = r.findings.filter { $0.ruleId == "SF-PII-SSN" }.map { covered(text, $0) }
            XCTAssertEqual(found, expected, "\(count) values")
            XCTAssertEqual(r.action, .allowMasked)
        }
    }
}

final class SplitRunTests: XCTestCase {
    /// The pre-check must say yes exactly when building the view would rejoin split letters.
    func testSplitRunCheckAgreesWithTheView() {
        var rng = RandomizedTests.SplitMix64(state: 29)
        func next(_ n: Int) -> Int { Int.random(in: 0..<n, using: &rng) }
        let pieces = ["i", "G", "n", "o", "7", "x", "ab", "Cd", "ignore", "=", "+", " ", " ", "  ", ".", "-", "_", "*", "/", "|", ",", "~",
                      "\n", "(", "1.", "a)", "!"]
        var rejoined = 0
        for _ in 0..<20_000 {
            let text = (0..<next(30)).map { _ in pieces[next(pieces.count)] }.joined(separator: next(2) == 0 ? "" : " ")
            var view = NormalizedView()
            let (check, viewRejoined) = Array(text.utf8).withUnsafeBufferPointer { buf -> (Bool, Bool) in
                Normalizer.build(buf, into: &view, vocabulary: WordSet([]))
                return (Normalizer.hasSplitRun(buf), view.count(.split) > 0)
            }
            XCTAssertEqual(check, viewRejoined, text)
            if viewRejoined { rejoined += 1 }
        }
        XCTAssertGreaterThan(rejoined, 300, "the generator makes split runs too")
        XCTAssertGreaterThan(20_000 - rejoined, 1000, "and text without them")
    }

    func testShortTokensAloneNeedNoView() throws {
        let engine = Fixtures.engine
        for text in ["x = a + b", "a) b) c) d) e)", "if a < b and c > d then e"] {
            XCTAssertFalse(Array(text.utf8).withUnsafeBufferPointer { engine.needsView($0).splitCandidate }, text)
        }
        XCTAssertTrue(Array("please i g n o r e this".utf8).withUnsafeBufferPointer { engine.needsView($0).splitCandidate })
    }
}

final class ByteMaskTests: XCTestCase {
    /// Each byte value in each lane, among neighbours of every kind: only its own lane answers.
    func testNotLowerMaskIsExactPerByte() {
        for neighbour: UInt8 in [0x61, 0x7A, 0x00, 0x60, 0x7B, 0xFF, 0xE1, 0x41] {
            for lane in 0..<8 {
                for b in 0...255 {
                    var bytes = [UInt8](repeating: neighbour, count: 8)
                    bytes[lane] = UInt8(b)
                    let w = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                    var expected: UInt64 = 0
                    for (k, x) in bytes.enumerated() where !(0x61...0x7A).contains(x) { expected |= 0x80 << UInt64(8 * k) }
                    XCTAssertEqual(DetectionEngine.notLowerMask(w), expected, "lane \(lane) byte \(b) among \(neighbour)")
                    var spaces: UInt64 = 0
                    for (k, x) in bytes.enumerated() where [0x20, 0x0A, 0x0D, 0x09].contains(x) { spaces |= 0x80 << UInt64(8 * k) }
                    XCTAssertEqual(Repetition.spaceMask(w), spaces, "lane \(lane) byte \(b) among \(neighbour)")
                }
            }
        }
    }
}

final class WordSetTests: XCTestCase {
    func testHoldsExactlyItsWords() {
        let words = (0..<500).map { "w\($0)x" } + DetectionEngine.leetVocabulary
        let set = WordSet(words)
        for w in words { XCTAssertTrue(set.contains(Array(w.utf8)[...]), w) }
        for w in ["", "w500x", "ignor", "ignores", "x0w", "previously"] { XCTAssertFalse(set.contains(Array(w.utf8)[...]), w) }
    }
}

final class EncodedRunTests: XCTestCase {
    /// The class-table loop must find exactly the runs the character-by-character version finds.
    func reference(_ text: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var runs: [Range<Int>] = []
        var i = 0
        let n = text.count
        while i < n {
            if Decoders.hexValue(text[i]) != nil && (i == 0 || !Decoders.isAlnum(text[i - 1])) && i + 2 < n
                && (text[i + 2] == 0x20 || text[i + 2] == 0x2C || (text[i + 1] | 0x20) == 0x78),
               let end = Decoders.hexPairRun(text, from: i) {
                runs.append(i..<end); i = end; continue
            }
            guard Decoders.base64Alphabet[Int(text[i])] >= 0 else { i += 1; continue }
            var j = i
            var upper = false, lower = false, digit = false, hexOnly = true
            while j < n && (Decoders.base64Alphabet[Int(text[j])] >= 0 || text[j] == UInt8(ascii: "=")) {
                let c = text[j]
                if c >= 0x41 && c <= 0x5A { upper = true }
                if c >= 0x61 && c <= 0x7A { lower = true }
                if c >= 0x30 && c <= 0x39 { digit = true }
                if Decoders.hexValue(c) == nil { hexOnly = false }
                j += 1
            }
            let len = j - i
            if (hexOnly && len >= 16 && len % 2 == 0) || (len >= 16 && ((upper && lower) || (digit && (upper || lower)))) {
                runs.append(i..<j)
            }
            i = j + 1
        }
        return runs
    }

    func testClassTableMatchesTheCharacterChecks() {
        var rng = RandomizedTests.SplitMix64(state: 41)
        func next(_ n: Int) -> Int { Int.random(in: 0..<n, using: &rng) }
        let pieces = ["QmFzZTY0", "aGVsbG8", "==", "=", "deadbeef", "CAFE", "0123", "xyz", "+/", "-_", " ", ".", "é", "ZZ", "9", "g", "G", "de ad be ef 01 02 03 04 ", "0x41, ", "41 "]
        var found = 0
        for _ in 0..<20_000 {
            let text = (0..<next(12)).map { _ in pieces[next(pieces.count)] }.joined(separator: next(4) == 0 ? " " : "")
            let (ours, theirs) = Array(text.utf8).withUnsafeBufferPointer { buf in
                (Decoders.encodedRuns(buf).map(\.range), reference(buf))
            }
            XCTAssertEqual(ours, theirs, text)
            found += theirs.count
        }
        XCTAssertGreaterThan(found, 2000, "the generator makes runs")
    }
}
