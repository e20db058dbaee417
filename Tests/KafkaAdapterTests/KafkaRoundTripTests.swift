import Foundation
import KafkaAdapter
import XCTest

/// Against librdkafka's mock cluster (real Kafka protocol on loopback).
final class KafkaRoundTripTests: XCTestCase {
    func testProduceConsumeCommitAndResume() throws {
        let cluster = try MockCluster(brokers: 3)
        try cluster.createTopic("in", partitions: 3, replicationFactor: 3)
        let producer = try KafkaProducer(config: KafkaConfig(["bootstrap.servers": cluster.bootstrapServers]))
        for i in 0..<60 {
            try producer.produce(topic: "in", key: Array("session-\(i % 7)".utf8), value: Array("event-\(i)".utf8),
                                 headers: [("traceparent", Array("00-\(String(repeating: "a", count: 32))-\(String(repeating: "b", count: 16))-01".utf8))],
                                 token: i)
        }
        let reports = producer.flush()
        XCTAssertEqual(reports.count, 60)
        XCTAssertTrue(reports.allSatisfy { $0.error == nil })
        XCTAssertEqual(Set(reports.map(\.token)), Set(0..<60))

        let config = KafkaConfig(["bootstrap.servers": cluster.bootstrapServers, "group.id": "g1",
                                  "session.timeout.ms": "6000", "heartbeat.interval.ms": "500"])
        var seen: [String: (Int32, Int64)] = [:]
        var partitionOf: [String: Int32] = [:]
        do {
            let consumer = try KafkaConsumer(config: config, topics: ["in"])
            let deadline = Date().addingTimeInterval(30)
            var batch: [ConsumedMessage] = []
            while seen.count < 40 && Date() < deadline {
                for m in try consumer.poll(max: 100, timeoutMs: 200) where seen.count < 40 {
                    let v = String(decoding: m.value, as: UTF8.self)
                    seen[v] = (m.partition, m.offset)
                    batch.append(m)
                    XCTAssertEqual(m.headers["traceparent"]?.count, 55)
                    let key = String(decoding: m.key ?? [], as: UTF8.self)
                    if let p = partitionOf[key] { XCTAssertEqual(p, m.partition, "a key stays on one partition") }
                    partitionOf[key] = m.partition
                }
            }
            XCTAssertEqual(seen.count, 40)
            // Commit the next offset after the highest processed message of each partition.
            var next: [Int32: Int64] = [:]
            for m in batch { next[m.partition] = max(next[m.partition] ?? 0, m.offset + 1) }
            try consumer.commit(next.map { ("in", $0.key, $0.value) })
            consumer.close()
        }
        // A new member of the group resumes after the committed offsets: messages beyond them may
        // repeat (at-least-once), nothing before them does, and nothing is lost.
        let again = try KafkaConsumer(config: config, topics: ["in"])
        var rest = Set<String>()
        let deadline = Date().addingTimeInterval(30)
        while rest.count + seen.count < 60 && Date() < deadline {
            for m in try again.poll(max: 100, timeoutMs: 200) { rest.insert(String(decoding: m.value, as: UTF8.self)) }
        }
        again.close()
        XCTAssertEqual(rest.union(seen.keys).count, 60, "every event consumed")
        XCTAssertEqual(rest.intersection(seen.keys).count, 0, "nothing before the committed offsets is delivered again")
    }

    /// The rebalance callback applies assignments itself: a member joining takes partitions over,
    /// the holder hears of it through `onRevoke` while the partitions are still its own (the moment
    /// to commit finished work; Kafka accepts commits while a rebalance is being prepared, the mock
    /// cluster does not), and after the rebalance the two members read on from the committed
    /// offsets: nothing committed again, nothing uncommitted lost.
    func testRebalanceRevokesWhileAssignedAndReassigns() throws {
        let cluster = try MockCluster(brokers: 1)
        try cluster.createTopic("in", partitions: 4, replicationFactor: 1)
        let producer = try KafkaProducer(config: KafkaConfig(["bootstrap.servers": cluster.bootstrapServers]))
        // Twenty on every partition, so whichever partitions the new member gets hold unfinished work.
        for i in 0..<80 {
            try producer.produce(topic: "in", key: Array("k\(i % 4)".utf8), value: Array("event-\(i)".utf8), headers: [],
                                 partition: Int32(i % 4), token: i)
        }
        XCTAssertTrue(producer.flush().allSatisfy { $0.error == nil })
        let config = KafkaConfig(["bootstrap.servers": cluster.bootstrapServers, "group.id": "g2",
                                  "session.timeout.ms": "6000", "heartbeat.interval.ms": "200"])
        let a = try KafkaConsumer(config: config, topics: ["in"])
        var held: [ConsumedMessage] = []
        var deadline = Date().addingTimeInterval(30)
        while held.count < 80 && Date() < deadline { held += try a.poll(max: 100, timeoutMs: 200) }
        XCTAssertEqual(held.count, 80)
        XCTAssertEqual(Set(a.assignment().map(\.partition)), [0, 1, 2, 3])
        // A commits its first 60 (a prefix of each partition) and holds the other 20 unfinished.
        let finished = held.sorted { $0.offset < $1.offset }.prefix(60)
        var next: [Int32: Int64] = [:]
        for m in finished { next[m.partition] = max(next[m.partition] ?? 0, m.offset + 1) }
        try a.commit(next.map { ("in", $0.key, $0.value) })
        var revoked: [TopicPartition] = [], assignedWhileRevoking: [TopicPartition] = []
        // The joining member may cause two rebalances: every revocation is kept.
        a.onRevoke = { partitions in
            revoked += partitions
            assignedWhileRevoking += a.assignment()
        }
        let b = try KafkaConsumer(config: config, topics: ["in"])
        var byA: [String] = [], byB: [String] = []
        deadline = Date().addingTimeInterval(40)
        // The joining member may take two rebalances to get in (its first join asks for a member id).
        while Date() < deadline && (revoked.isEmpty || b.assignment().isEmpty || byB.isEmpty || Set(byA + byB).count < 20) {
            byA += try a.poll(max: 100, timeoutMs: 50).map { String(decoding: $0.value, as: UTF8.self) }
            byB += try b.poll(max: 100, timeoutMs: 50).map { String(decoding: $0.value, as: UTF8.self) }
        }
        XCTAssertEqual(Set(revoked.map(\.partition)), [0, 1, 2, 3], "eager assignment: every partition is revoked")
        XCTAssertEqual(Set(assignedWhileRevoking), Set(revoked), "still assigned while the owner is told")
        XCTAssertEqual(assignedWhileRevoking.count, revoked.count)
        let unfinished = Set(held.map { String(decoding: $0.value, as: UTF8.self) }).subtracting(finished.map { String(decoding: $0.value, as: UTF8.self) })
        XCTAssertEqual(Set(byA + byB), unfinished, "nothing committed is read again; nothing uncommitted is lost")
        XCTAssertFalse(b.assignment().isEmpty, "the new member owns partitions")
        XCTAssertFalse(byB.isEmpty, "and reads the unfinished work on them")
        a.onRevoke = nil
        a.close(); b.close()
    }

    func testBadPropertyIsAClearError() {
        XCTAssertThrowsError(try KafkaProducer(config: KafkaConfig(["no.such.property": "1"]))) { error in
            XCTAssertTrue("\(error)".contains("no.such.property"))
        }
    }
}
