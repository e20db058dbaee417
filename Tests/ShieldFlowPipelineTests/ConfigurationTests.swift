import ShieldFlowPipeline
import XCTest

final class ConfigurationTests: XCTestCase {
    let yaml = """
    brokers: k1:9092,k2:9092
    batch_size: 250
    workers: 3
    kafka:
      common:
        security.protocol: SASL_SSL
      consumer:
        session.timeout.ms: 10000
      producer:
        linger.ms: 5
    """

    func testFileThenEnvironmentWithPassThrough() throws {
        let c = try DaemonConfiguration.load(yaml: yaml, environment: [
            "SHIELDFLOW_BATCH_SIZE": "100", "SHIELDFLOW_KAFKA_CONSUMER_SASL_MECHANISM": "SCRAM-SHA-512", "PATH": "/bin",
        ])
        XCTAssertEqual(c.brokers, "k1:9092,k2:9092")
        XCTAssertEqual(c.batchSize, 100, "the environment overrides the file")
        XCTAssertEqual(c.workers, 3)
        XCTAssertEqual(c.consumer["security.protocol"], "SASL_SSL")
        XCTAssertEqual(c.producer["security.protocol"], "SASL_SSL")
        XCTAssertEqual(c.consumer["session.timeout.ms"], "10000")
        XCTAssertEqual(c.consumer["sasl.mechanism"], "SCRAM-SHA-512")
        XCTAssertEqual(c.producer["linger.ms"], "5")
        XCTAssertNil(c.producer["sasl.mechanism"])
    }

    func testDefaultsWithoutAFile() throws {
        let c = try DaemonConfiguration.load(yaml: nil, environment: [:])
        XCTAssertNil(c.brokers, "no brokers: the embedded cluster")
        XCTAssertEqual(c.groupId, "shieldflow-inspectors")
        XCTAssertEqual(c.batchSize, 500)
        XCTAssertNil(c.workers, "the daemon's default (Workers.defaultCount)")
    }

    func testMistakesAreClearErrors() {
        for (y, env, needle) in [("batch_size: lots", [:], "batch_size"), ("brokerz: x", [:], "brokerz"),
                                 ("a: [", [:], "YAML"), (nil, ["SHIELDFLOW_BATCH_SIZE": "0"], "batch_size"),
                                 (nil, ["SHIELDFLOW_WORKERS": "0"], "workers"), ("workers: two", [:], "workers")] as [(String?, [String: String], String)] {
            XCTAssertThrowsError(try DaemonConfiguration.load(yaml: y, environment: env)) { error in
                XCTAssertTrue("\(error)".contains(needle), "\(error)")
            }
        }
    }

    func testShippedExampleLoads() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("shieldflow.example.yaml"), encoding: .utf8)
        let c = try DaemonConfiguration.load(yaml: text, environment: [:])
        XCTAssertEqual(c.batchSize, 500)
        XCTAssertEqual(c.consumer["session.timeout.ms"], "10000")
    }

    func testTrustStorePolicyAndAssignmentSettings() throws {
        let c = try DaemonConfiguration.load(yaml: "redis_url: redis://cache:6380/2\nfail_mode: open\npolicy: /etc/shieldflow/policy.yaml\n",
                                             environment: ["SHIELDFLOW_ASSIGNMENT": "cooperative-sticky", "SHIELDFLOW_TEST_REDIS_URL": "ignored"])
        XCTAssertEqual(c.redisURL, "redis://cache:6380/2")
        XCTAssertTrue(c.failOpen)
        XCTAssertEqual(c.policy, "/etc/shieldflow/policy.yaml")
        XCTAssertEqual(c.consumer["partition.assignment.strategy"], "cooperative-sticky")
        XCTAssertFalse(try DaemonConfiguration.load(yaml: nil, environment: [:]).failOpen, "fail closed by default")
        XCTAssertThrowsError(try DaemonConfiguration.load(yaml: "fail_mode: maybe\n", environment: [:]))
        XCTAssertThrowsError(try DaemonConfiguration.load(yaml: "redis_url: localhost:6379\n", environment: [:]))
    }
}
