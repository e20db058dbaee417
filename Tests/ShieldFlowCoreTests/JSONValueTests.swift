import Foundation
import ShieldFlowCore
import XCTest

final class JSONValueTests: XCTestCase {
    func parse(_ s: String) -> JSONValue? { try? JSONValue.parse(Array(s.utf8)) }

    func testValuesEscapesAndOrder() throws {
        let v = try XCTUnwrap(parse(#" {"b": [1, -2.5e3, true, false, null], "a": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", "b": {}} "#))
        guard case .object(let members) = v else { return XCTFail("an object") }
        XCTAssertEqual(members.map(\.key), ["b", "a", "b"], "document order, duplicates kept")
        XCTAssertEqual(v["a"], .string("x\"\\/\u{8}\u{c}\n\r\té😀"))
        XCTAssertEqual(v["b"], .object([]), "the last duplicate wins for lookups")
        XCTAssertEqual(members[0].value, .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null]))
        XCTAssertEqual(JSONValue.number("-2.5e3").double, -2500)
        XCTAssertEqual(parse(#""plain""#), .string("plain"), "any value at the top level")
        XCTAssertEqual(parse("0"), .number("0"))
    }

    func testCanonicalTextSortsKeysAndEscapesMinimally() throws {
        let v = try XCTUnwrap(parse(#"{"z":1,"a":{"y":"é/\u0001","b":[true,null]},"m":"q\"uote"}"#))
        XCTAssertEqual(v.canonicalText, #"{"a":{"b":[true,null],"y":"é/\u0001"},"m":"q\"uote","z":1}"#)
        XCTAssertEqual(try XCTUnwrap(parse(v.canonicalText)), try XCTUnwrap(parse(#"{"a":{"b":[true,null],"y":"é/\u0001"},"m":"q\"uote","z":1}"#)))
        XCTAssertEqual(v.strings(), ["z", "a", "y", "é/\u{1}", "b", "m", "q\"uote"])
    }

    func testInvalidDocumentsAreRefused() {
        let bad = ["", " ", "{", "}", "[1,]", "[,1]", #"{"a"}"#, #"{"a":}"#, #"{"a":1,}"#, #"{a:1}"#, "01", "1.", ".5", "-", "1e", "1e+",
                   "+1", "NaN", "Infinity", "tru", "nul", "\"abc", "\"a\u{1}b\"", #""\x""#, #""\u12""#, #""\ud800""#, #""\udc00x""#,
                   #""\ud800\u0041""#, "[1] [2]", "'a'", "[1 2]", "{\"a\":1 \"b\":2}", "\u{feff}{}"]
        for s in bad { XCTAssertNil(parse(s), "refused: \(s.debugDescription)") }
        XCTAssertNil(try? JSONValue.parse([0x22, 0xC3, 0x28, 0x22]), "invalid UTF-8 inside a string")
        XCTAssertNil(try? JSONValue.parse([0x22, 0xED, 0xA0, 0x80, 0x22]), "an encoded surrogate")
        XCTAssertNil(try? JSONValue.parse([0x22, 0xC0, 0xAF, 0x22]), "an overlong encoding")
        XCTAssertNil(parse(String(repeating: "[", count: 513) + String(repeating: "]", count: 513)))
        XCTAssertNotNil(parse(String(repeating: "[", count: 512) + String(repeating: "]", count: 512)))
    }

    /// The parser accepts exactly what Foundation's accepts on ordinary documents, and reads the
    /// same strings and numbers.
    func testAgreesWithFoundationOnGeneratedDocuments() throws {
        var rng = SplitMix(seed: 7)
        let pieces = ["{", "}", "[", "]", ",", ":", "\"k\"", "\"v\\n\"", "1", "-0.5", "2e3", "true", "null", " ", "\"é\"", "\"\\u00e9\""]
        var agreed = 0
        for _ in 0..<3000 {
            let n = Int(rng.next() % 9) + 1
            let text = (0..<n).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
            let ours = try? JSONValue.parse(Array(text.utf8))
            let theirs = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            XCTAssertEqual(ours != nil, theirs != nil, "accepts \(text.debugDescription)")
            if let ours, let theirs, let s = theirs as? String { XCTAssertEqual(ours, .string(s)) }
            if let ours, let theirs, let n = theirs as? NSNumber, ours.double != nil { XCTAssertEqual(ours.double, n.doubleValue) }
            if ours != nil { agreed += 1 }
        }
        XCTAssertGreaterThan(agreed, 100, "the generator produces valid documents too")
    }

    func testUTF8Check() {
        XCTAssertTrue(UTF8Check.isValid(Array("plain ascii text, long enough for the word loop".utf8)))
        XCTAssertTrue(UTF8Check.isValid(Array("ﬁ é 😀 \u{10FFFF}".utf8)))
        for bad: [UInt8] in [[0xFF], [0xC3], [0xE2, 0x82], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80],
                             Array("0123456789".utf8) + [0xE9]] {
            XCTAssertFalse(UTF8Check.isValid(bad), "\(bad)")
            XCTAssertNil(String(validating: bad, as: UTF8.self), "the standard library agrees on \(bad)")
        }
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
