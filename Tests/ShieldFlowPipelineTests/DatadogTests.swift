import Foundation
import ShieldFlowCore
import ShieldFlowPipeline
import XCTest

final class DatadogTests: XCTestCase {
    func tempDir() -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("sf-spool-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: d) }
        return d
    }

    func testSpoolKeepsOrderAcrossRestartsAndDropsTheOldestOverItsCap() throws {
        let dir = tempDir()
        var spool = try Spool(directory: dir, maxBytes: 1000)
        for i in 0..<3 { XCTAssertTrue(spool.append(endpoint: "events", body: Array(repeating: UInt8(65 + i), count: 300))) }
        XCTAssertEqual(spool.depth, 3)
        XCTAssertTrue(spool.append(endpoint: "series", body: Array(repeating: 90, count: 300)))
        XCTAssertEqual(spool.depth, 3, "over 1000 bytes: the oldest went")
        XCTAssertEqual(spool.dropped, 1)
        XCTAssertEqual(try Data(contentsOf: spool.entries()[0]).first, 66, "B is now the oldest")
        for e in spool.entries() { try FileManager.default.removeItem(at: e) }
        spool = try Spool(directory: dir, maxBytes: 1000)
        spool.append(endpoint: "events", body: [1])
        XCTAssertEqual(spool.entries()[0].lastPathComponent, String(format: "%020d", 5) + ".events.body", "numbering continues after a drained restart")
    }

    func testEventTextIsBoundedAndCarriesTheKafkaLinkWithoutValues() throws {
        let f = Finding(ruleId: "SF-INJ-001", category: .injection, severity: .high, confidence: 0.95, start: 0, end: 10, type: "override",
                        excerpt: String(repeating: "x", count: 5000))
        let d = DecisionRecord(decisionId: "d-1", eventId: "e-1", sessionId: "s-1", kind: .prompt, action: .block,
                               findings: Array(repeating: DecisionFinding(f, field: "prompt"), count: 5), maskedText: nil, maskedField: nil,
                               trust: TrustChange(before: 100, after: 60), source: SourceRecord(topic: "shieldflow.prompts.in", partition: 3, offset: 42),
                               traceId: "abc", inspector: InspectorInfo(instance: "i", version: "v", rulesVersion: "r"),
                               incident: Incident(severity: .high, title: "Blocked prompt: injection (SF-INJ-001)", ruleIds: ["SF-INJ-001"], confidence: 0.95),
                               latencyMs: 1)
        let body = try JSONSerialization.jsonObject(with: Data(DatadogPayloads.event(d, aggregationKey: "k", attached: false, baseTags: ["env:t"], host: "h"))) as! [String: Any]
        let text = body["text"] as! String
        XCTAssertLessThanOrEqual(text.count, 4000)
        XCTAssertTrue(text.contains("offset 42") && text.contains("d-1") && text.contains("SF-INJ-001"))
        XCTAssertEqual(body["alert_type"] as? String, "error")
        XCTAssertFalse((body["tags"] as! [String]).contains { $0.hasPrefix("session") })
    }

    func testDogStatsDLines() {
        let lines = DogStatsD.lines(points: [.init(metric: "shieldflow.blocks", type: 1, value: 3, tags: ["kind:prompt"]),
                                             .init(metric: "shieldflow.consumer_lag", type: 3, value: 7, tags: [])],
                                    distributions: ["shieldflow.trust_score": [60, 35.5]], baseTags: ["env:t", "service:shieldflow"])
        XCTAssertEqual(lines, ["shieldflow.blocks:3.0|c|#env:t,service:shieldflow,kind:prompt", "shieldflow.consumer_lag:7.0|g|#env:t,service:shieldflow",
                               "shieldflow.trust_score:60.0|d|#env:t,service:shieldflow", "shieldflow.trust_score:35.5|d|#env:t,service:shieldflow"])
    }

    func testWebhookTokenComparison() {
        XCTAssertTrue(DatadogWebhook.constantTimeEqual(Array("secret".utf8), Array("secret".utf8)))
        XCTAssertFalse(DatadogWebhook.constantTimeEqual(Array("secreT".utf8), Array("secret".utf8)))
        XCTAssertFalse(DatadogWebhook.constantTimeEqual(Array("secret-longer".utf8), Array("secret".utf8)))
        XCTAssertFalse(DatadogWebhook.constantTimeEqual([], Array("secret".utf8)))
        XCTAssertFalse(DatadogWebhook.constantTimeEqual([], []), "an empty secret authenticates nothing")
    }
}
