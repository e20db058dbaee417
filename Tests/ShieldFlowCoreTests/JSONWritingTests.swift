import Foundation
import ShieldFlowCore
import XCTest

final class JSONWritingTests: XCTestCase {
    func record(masked: Bool, policy: Bool, unavailable: Bool) -> DecisionRecord {
        let f = Finding(ruleId: "SF-PII-001", category: .pii, severity: .medium, confidence: 0.97, start: 3, end: 19, type: "email",
                        excerpt: "a \"quoted\" \\ path/with/slashes\ttab\u{1}ctl 🙂 é")
        return DecisionRecord(
            decisionId: "d-1", eventId: "e\n1", sessionId: "s/1", kind: .toolCall, action: policy ? .denyTool : .allowMasked,
            findings: [DecisionFinding(f, field: "messages[1].content"), DecisionFinding(f, field: "prompt")],
            maskedText: masked ? "mail [REDACTED:EMAIL] now" : nil, maskedField: masked ? "prompt" : nil,
            trust: unavailable ? .unavailable : TrustChange(before: 100, after: 0.1 + 0.2),
            source: SourceRecord(topic: "shieldflow.tools.in", partition: 4, offset: 1_234_567_890_123, timestamp: masked ? 1_700_000_000_123 : nil),
            traceId: masked ? "4bf92f3577b34da6a3ce929d0e0e4736" : nil,
            inspector: InspectorInfo(instance: "host:1", version: "0.3.0", rulesVersion: "r-abc", modelVersion: policy ? "sf-injection-1" : nil),
            incident: policy ? Incident(severity: .high, title: "Denied tool_call: revoked", ruleIds: ["a", "b"], confidence: 1) : nil,
            policy: policy ? PolicyReason(code: .rateLimit, detail: "calls 11 > 10 per 60 s",
                                          limit: LimitReport(name: "calls:shell/exec", max: 10, windowSeconds: 60, current: 11)) : nil,
            latencyMs: 0.123)
    }

    func testSameBytesAsJSONEncoderWithSortedKeys() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for masked in [false, true] {
            for policy in [false, true] {
                for unavailable in [false, true] {
                    let r = record(masked: masked, policy: policy, unavailable: unavailable)
                    let mine = r.jsonBytes()
                    let theirs = Array(try encoder.encode(r))
                    if mine != theirs {
                        // Same document even if a number were spelled differently.
                        let a = try JSONSerialization.jsonObject(with: Data(mine)) as! NSDictionary
                        let b = try JSONSerialization.jsonObject(with: Data(theirs)) as! NSDictionary
                        XCTAssertEqual(a, b, "\n\(String(decoding: mine, as: UTF8.self))\n\(String(decoding: theirs, as: UTF8.self))")
                    }
                    let back = try JSONDecoder().decode(DecisionRecord.self, from: Data(mine))
                    XCTAssertEqual(back, r)
                }
            }
        }
    }

    func testNumbersAndNesting() {
        var w = JSONBytes()
        w.beginArray()
        for x: Int64 in [0, 7, -5, 10, 1_234_567_890_123, .max, .min] { w.value(x) }
        for x: Double in [0, -3, 2.5, 0.1 + 0.2, 1e20, -1e-7] { w.value(x) }
        w.beginObject(); w.key("a"); w.beginArray(); w.beginArray(); w.endArray(); w.beginObject(); w.endObject(); w.endArray()
        w.field("b", "x"); w.endObject()
        w.beginArray(); w.endArray()
        w.endArray()
        XCTAssertEqual(String(decoding: w.bytes, as: UTF8.self),
                       "[0,7,-5,10,1234567890123,9223372036854775807,-9223372036854775808,0,-3,2.5,0.30000000000000004,1e+20,-1e-07,"
                       + #"{"a":[[],{}],"b":"x"},[]]"#)
    }

    /// The buffer starts tiny and grows mid-string, mid-number and mid-key; every string comes
    /// back intact through Foundation's parser.
    func testGrowthAndEscapesRoundTrip() throws {
        let strings = ["", "plain", String(repeating: "\u{1}\"\\\n", count: 300), "é🙂\u{7F}\u{1F}/" + String(repeating: "x", count: 5000),
                       (0..<32).map { String(UnicodeScalar(UInt8($0))) }.joined()]
        var w = JSONBytes(capacity: 1)
        w.beginObject()
        w.key("n"); w.beginArray(); w.value(Int64.min); w.value(0.1); w.endArray()
        w.key("s"); w.beginArray(); for x in strings { w.value(x) }; w.endArray()
        w.endObject()
        let back = try JSONSerialization.jsonObject(with: Data(w.bytes)) as! [String: Any]
        XCTAssertEqual(back["s"] as? [String], strings)
        XCTAssertEqual((back["n"] as? [NSNumber])?.map(\.doubleValue), [Double(Int64.min), 0.1])
    }

    /// Strings that need no escape are copied eight bytes at a time: a byte that does need one (or
    /// sits next to the threshold) at any position of a word or of the tail still gets escaped.
    func testEveryPositionOfTheWordAtATimeEscapeCheck() throws {
        for length in 1...19 {
            for position in 0..<length {
                for byte: UInt8 in [0x00, 0x09, 0x0A, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7F] {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[position] = byte
                    let text = String(decoding: bytes, as: UTF8.self)
                    var w = JSONBytes(capacity: 4)
                    w.beginArray(); w.value(text); w.endArray()
                    let out = w.bytes
                    XCTAssertFalse(out.contains { $0 < 0x20 }, "a raw control byte in \(out)")
                    let back = try JSONSerialization.jsonObject(with: Data(out)) as! [String]
                    XCTAssertEqual(back, [text], "byte \(byte) at \(position) of \(length)")
                    let escaped = byte < 0x20 || byte == 0x22 || byte == 0x5C
                    XCTAssertEqual(out.count > length + 4, escaped, "byte \(byte) at \(position) of \(length): escaped only when it must be")
                }
            }
        }
    }

    /// Numbers rounded to thousandths take a fast path; it must print exactly what Swift's
    /// shortest round-trip `description` prints, and everything else still goes through it.
    func testFractionsPrintAsDescriptionDoes() {
        var values: [Double] = (1..<200_000).flatMap { k in [Double(k) / 1000, -Double(k) / 1000] }
        values += [0.1 + 0.2, 1e-7, 0.0005, 0.0015, 999_999_999.999, 1_000_000_000.5, 123_456.789, 0.97, 0.123456, 1e20, -2.5e-3]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 { values.append((Double(Int.random(in: -1_000_000_000_000...1_000_000_000_000, using: &rng)) / 1000)) }
        for _ in 0..<20_000 { values.append(Double.random(in: -1000...1000, using: &rng)) }
        for x in values where x != x.rounded() {
            var w = JSONBytes(capacity: 4)
            w.value(x)
            XCTAssertEqual(String(decoding: w.bytes, as: UTF8.self), x.description, "\(x)")
        }
    }
}
