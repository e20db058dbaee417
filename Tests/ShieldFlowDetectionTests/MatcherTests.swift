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
}
