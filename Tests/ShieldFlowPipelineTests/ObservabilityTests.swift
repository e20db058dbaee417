import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ShieldFlowPipeline
import XCTest

final class ObservabilityTests: XCTestCase {
    func testPrometheusTextHasCumulativeBucketsAndEscapedLabels() {
        let m = MetricsRegistry()
        m.increment("shieldflow_decisions_total", [("action", "block"), ("kind", "prompt")])
        m.increment("shieldflow_decisions_total", [("action", "block"), ("kind", "prompt")], by: 2)
        m.increment("shieldflow_dead_letters_total", [("reason", "a\"b\\c\nd")])
        m.observe("shieldflow_decision_latency_seconds", 0.0003)
        m.observe("shieldflow_decision_latency_seconds", 0.002)
        m.observe("shieldflow_decision_latency_seconds", 5)
        m.replace("shieldflow_consumer_lag", [([("topic", "t"), ("partition", "0")], 7)])
        m.replace("shieldflow_consumer_lag", [([("topic", "t"), ("partition", "1")], 3)])
        let text = m.render()
        XCTAssertTrue(text.contains("# TYPE shieldflow_decisions_total counter\n"))
        XCTAssertTrue(text.contains("shieldflow_decisions_total{action=\"block\",kind=\"prompt\"} 3\n"))
        XCTAssertTrue(text.contains(#"shieldflow_dead_letters_total{reason="a\"b\\c\nd"} 1"#))
        XCTAssertTrue(text.contains("shieldflow_decision_latency_seconds_bucket{le=\"0.0005\"} 1\n"))
        XCTAssertTrue(text.contains("shieldflow_decision_latency_seconds_bucket{le=\"0.0025\"} 2\n"))
        XCTAssertTrue(text.contains("shieldflow_decision_latency_seconds_bucket{le=\"1.0\"} 2\n"))
        XCTAssertTrue(text.contains("shieldflow_decision_latency_seconds_bucket{le=\"+Inf\"} 3\n"))
        XCTAssertTrue(text.contains("shieldflow_decision_latency_seconds_count 3\n"))
        XCTAssertFalse(text.contains("partition=\"0\""), "a partition no longer assigned disappears")
        XCTAssertTrue(text.contains("shieldflow_consumer_lag{partition=\"1\",topic=\"t\"} 3\n") || text.contains("shieldflow_consumer_lag{topic=\"t\",partition=\"1\"} 3\n"))
    }

    func testOpsServerAnswersHealthReadinessAndMetrics() throws {
        let m = MetricsRegistry(), h = Health()
        let server = try OpsServer(host: "127.0.0.1", port: 0, metrics: m, health: h)
        server.start()
        defer { server.stop() }
        func get(_ path: String) -> (Int, String) {
            let sem = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var out = (0, "")
            URLSession.shared.dataTask(with: URL(string: "http://127.0.0.1:\(server.port)\(path)")!) { d, r, _ in
                out = ((r as? HTTPURLResponse)?.statusCode ?? 0, d.map { String(decoding: $0, as: UTF8.self) } ?? "")
                sem.signal()
            }.resume()
            sem.wait()
            return out
        }
        XCTAssertEqual(get("/readyz").0, 503, "not ready before the first poll")
        h.setReady(true)
        XCTAssertEqual(get("/readyz").0, 200)
        XCTAssertEqual(get("/healthz").0, 200)
        m.increment("shieldflow_batches_total")
        XCTAssertTrue(get("/metrics").1.contains("shieldflow_batches_total 1"))
        XCTAssertEqual(get("/other").0, 404)
    }
}
