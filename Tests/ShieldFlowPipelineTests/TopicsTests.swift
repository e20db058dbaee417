import KafkaAdapter
import ShieldFlowPipeline
import XCTest

final class TopicsTests: XCTestCase {
    func testShippedFileDeclaresEveryTopicWithDefaults() throws {
        let specs = try TopicsFile.load(path: InspectorTests.root.appendingPathComponent("topics.yaml").path)
        XCTAssertEqual(specs.map(\.name), ["shieldflow.deadletter", "shieldflow.decisions", "shieldflow.prompts.in",
                                           "shieldflow.responses.in", "shieldflow.tools.in"])
        let prompts = specs.first { $0.name == "shieldflow.prompts.in" }!
        XCTAssertEqual(prompts.replicationFactor, 3)
        XCTAssertEqual(prompts.configs["min.insync.replicas"], "2", "defaults merge into every topic")
        XCTAssertEqual(prompts.configs["cleanup.policy"], "delete")
    }

    func testPlanCreatesGrowsReportsDriftAndNeverShrinks() throws {
        let specs = try TopicsFile.parse("""
        defaults: {replication_factor: 3, configs: {min.insync.replicas: 2}}
        topics:
          a: {partitions: 6}
          b: {partitions: 6}
          c: {partitions: 6}
          d: {partitions: 6, configs: {retention.ms: 1000}}
          e: {partitions: 6}
        """)
        let existing: [String: KafkaAdmin.TopicInfo] = [
            "b": .init(partitions: 3, replicationFactor: 3), "c": .init(partitions: 12, replicationFactor: 1),
            "d": .init(partitions: 6, replicationFactor: 3), "e": .init(partitions: 6, replicationFactor: 3),
        ]
        let configs = ["d": ["min.insync.replicas": "2", "retention.ms": "5000"], "e": ["min.insync.replicas": "2"]]
        let plan = TopicsFile.plan(specs, existing: existing, configs: configs)
        XCTAssertEqual(plan.map(\.action), [.create, .addPartitions, .drift, .drift, .ok])
        XCTAssertTrue(plan[2].detail.contains("never shrunk") && plan[2].detail.contains("replication factor 1"), plan[2].detail)
        XCTAssertTrue(plan[3].detail.contains("retention.ms=5000, declared 1000"), plan[3].detail)
    }

    func testMistakesAreNamed() {
        XCTAssertThrowsError(try TopicsFile.parse("topics:\n  a: {partition: 3}\n")) { XCTAssertTrue("\($0)".contains("unknown key `partition`")) }
        XCTAssertThrowsError(try TopicsFile.parse("topics: {}\n")) { XCTAssertTrue("\($0)".contains("non-empty")) }
        XCTAssertThrowsError(try TopicsFile.parse("topics:\n  a: {partitions: 0}\n")) { XCTAssertTrue("\($0)".contains("partitions")) }
    }
}
