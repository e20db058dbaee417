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
}
