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

    /// What two members of a group saw when the second joined while the first held work.
    struct RebalanceRun {
        var revoked: [TopicPartition] = []
        /// The first member's assignment as seen from inside each `onRevoke`.
        var assignedWhileRevoking: [TopicPartition] = []
        var byA: [String] = [], byB: [String] = []
        var assignedToA: Set<Int32> = [], assignedToB: Set<Int32> = []
        /// The records that member A had polled but not committed, by partition.
        var unfinished: [Int32: Set<String>] = [:]
    }

    /// Member A reads all 80 records of 4 partitions and commits the first 15 of each; member B
    /// joins; both poll until B owns partitions and `done` says enough was read.
    func rebalance(strategy: String, group: String, done: (RebalanceRun) -> Bool) throws -> RebalanceRun {
        let cluster = try MockCluster(brokers: 1)
        try cluster.createTopic("in", partitions: 4, replicationFactor: 1)
        let producer = try KafkaProducer(config: KafkaConfig(["bootstrap.servers": cluster.bootstrapServers]))
        // Twenty on every partition, so whichever partitions the new member gets hold unfinished work.
        for i in 0..<80 {
            try producer.produce(topic: "in", key: Array("k\(i % 4)".utf8), value: Array("event-\(i)".utf8), headers: [],
                                 partition: Int32(i % 4), token: i)
        }
        XCTAssertTrue(producer.flush().allSatisfy { $0.error == nil })
        let config = KafkaConfig(["bootstrap.servers": cluster.bootstrapServers, "group.id": group,
                                  "partition.assignment.strategy": strategy,
                                  "session.timeout.ms": "6000", "heartbeat.interval.ms": "200"])
        let a = try KafkaConsumer(config: config, topics: ["in"])
        var held: [ConsumedMessage] = []
        var deadline = Date().addingTimeInterval(30)
        while held.count < 80 && Date() < deadline { held += try a.poll(max: 100, timeoutMs: 200) }
        XCTAssertEqual(held.count, 80)
        XCTAssertEqual(Set(a.assignment().map(\.partition)), [0, 1, 2, 3])
        var run = RebalanceRun()
        for m in held where m.offset >= 15 { run.unfinished[m.partition, default: []].insert(String(decoding: m.value, as: UTF8.self)) }
        try a.commit((0..<4).map { ("in", Int32($0), 15) })
        // The joining member may cause two rebalances: every revocation is kept.
        a.onRevoke = { partitions in
            run.revoked += partitions
            run.assignedWhileRevoking += a.assignment()
        }
        let b = try KafkaConsumer(config: config, topics: ["in"])
        deadline = Date().addingTimeInterval(40)
        // The joining member may take two rebalances to get in (its first join asks for a member id).
        while Date() < deadline && (run.revoked.isEmpty || b.assignment().isEmpty || !done(run)) {
            run.byA += try a.poll(max: 100, timeoutMs: 50).map { String(decoding: $0.value, as: UTF8.self) }
            run.byB += try b.poll(max: 100, timeoutMs: 50).map { String(decoding: $0.value, as: UTF8.self) }
        }
        run.assignedToA = Set(a.assignment().map(\.partition))
        run.assignedToB = Set(b.assignment().map(\.partition))
        a.onRevoke = nil
        a.close(); b.close()
        return run
    }

    /// The rebalance callback applies assignments itself: a member joining takes partitions over,
    /// the holder hears of it through `onRevoke` while the partitions are still its own (the moment
    /// to commit finished work; Kafka accepts commits while a rebalance is being prepared, the mock
    /// cluster does not), and after the rebalance the two members read on from the committed
    /// offsets: nothing committed again, nothing uncommitted lost.
    func testRebalanceRevokesWhileAssignedAndReassigns() throws {
        let run = try rebalance(strategy: "roundrobin", group: "g2") { Set($0.byA + $0.byB).count >= 20 && !$0.byB.isEmpty }
        XCTAssertEqual(Set(run.revoked.map(\.partition)), [0, 1, 2, 3], "eager assignment: every partition is revoked")
        XCTAssertEqual(Set(run.assignedWhileRevoking), Set(run.revoked), "still assigned while the owner is told")
        XCTAssertEqual(run.assignedWhileRevoking.count, run.revoked.count)
        XCTAssertEqual(Set(run.byA + run.byB), run.unfinished.values.reduce([], { $0.union($1) }),
                       "nothing committed is read again; nothing uncommitted is lost")
        XCTAssertFalse(run.assignedToB.isEmpty, "the new member owns partitions")
        XCTAssertFalse(run.byB.isEmpty, "and reads the unfinished work on them")
    }

    /// With cooperative-sticky assignment the holder gives up only the partitions that move, and
    /// keeps reading the others from where it is: the new member reads the moved partitions'
    /// uncommitted records again, the holder reads nothing twice.
    func testCooperativeRebalanceRevokesOnlyWhatMoves() throws {
        let run = try rebalance(strategy: "cooperative-sticky", group: "g3") { run in
            let moved = Set(run.revoked.map(\.partition))
            return !moved.isEmpty && Set(run.byB) == moved.reduce(into: Set<String>()) { $0.formUnion(run.unfinished[$1] ?? []) }
        }
        let moved = Set(run.revoked.map(\.partition))
        XCTAssertFalse(moved.isEmpty)
        XCTAssertLessThan(moved.count, 4, "incremental: only some partitions are revoked")
        XCTAssertTrue(moved.isSubset(of: Set(run.assignedWhileRevoking.map(\.partition))), "still assigned while the owner is told")
        XCTAssertEqual(run.assignedToB, moved, "the new member owns what moved")
        XCTAssertEqual(run.assignedToA, Set(0..<4).subtracting(moved), "the holder keeps the rest")
        XCTAssertEqual(Set(run.byB), moved.reduce(into: Set<String>()) { $0.formUnion(run.unfinished[$1] ?? []) },
                       "the moved partitions' uncommitted records are read again, by their new owner")
        XCTAssertEqual(run.byA, [], "the holder's position on the partitions it keeps is kept")
    }

    /// The embedded cluster keeps about 5 MiB of record batches per partition (librdkafka's mock
    /// `max_size`) and deletes the oldest past that, as retention would; the log start offset shows it.
    func testWatermarksShowTheEmbeddedClustersSizeCap() throws {
        let cluster = try MockCluster(brokers: 1)
        try cluster.createTopic("small", partitions: 1, replicationFactor: 1)
        try cluster.createTopic("big", partitions: 1, replicationFactor: 1)
        let producer = try KafkaProducer(config: KafkaConfig(["bootstrap.servers": cluster.bootstrapServers, "linger.ms": "5"]))
        let value = [UInt8](repeating: 0x61, count: 16 * 1024)
        for i in 0..<10 { try producer.produce(topic: "small", key: nil, value: value, partition: 0, token: i) }
        for i in 0..<448 { try producer.produce(topic: "big", key: nil, value: value, partition: 0, token: 100 + i) }   // 7 MiB
        XCTAssertTrue(producer.flush().allSatisfy { $0.error == nil })
        let small = try producer.watermarks(topic: "small", partition: 0)
        XCTAssertEqual(small.low, 0)
        XCTAssertEqual(small.high, 10)
        let big = try producer.watermarks(topic: "big", partition: 0)
        XCTAssertEqual(big.high, 448)
        XCTAssertGreaterThan(big.low, 0, "the oldest batches are gone past the cap")
        XCTAssertLessThan(big.low, 448 - 256, "about 5 MiB stays")
        XCTAssertThrowsError(try producer.watermarks(topic: "small", partition: 7, timeoutMs: 2_000))
    }

    /// A group whose committed position the broker has since deleted is moved to the log start by
    /// librdkafka, which says so only in its log: the consumer hands that over as an `OffsetReset`.
    func testAPositionTheBrokerDeletedIsReported() throws {
        let cluster = try MockCluster(brokers: 1)
        try cluster.createTopic("in", partitions: 1, replicationFactor: 1)
        let producer = try KafkaProducer(config: KafkaConfig(["bootstrap.servers": cluster.bootstrapServers, "linger.ms": "5"]))
        for i in 0..<10 { try producer.produce(topic: "in", key: nil, value: Array("early-\(i)".utf8), partition: 0, token: i) }
        XCTAssertTrue(producer.flush().allSatisfy { $0.error == nil })
        let config = KafkaConfig(["bootstrap.servers": cluster.bootstrapServers, "group.id": "g-reset",
                                  "session.timeout.ms": "6000", "heartbeat.interval.ms": "200"])
        do {
            let consumer = try KafkaConsumer(config: config, topics: ["in"])
            var read = 0
            let deadline = Date().addingTimeInterval(30)
            while read < 4 && Date() < deadline { read += try consumer.poll(max: 4 - read, timeoutMs: 200).count }
            XCTAssertEqual(read, 4)
            try consumer.commit([("in", 0, 4)])
            XCTAssertEqual(consumer.takeOffsetResets(), [])
            consumer.close()
        }
        // 7 MiB more: the embedded cluster drops the oldest batches, offset 4 among them.
        let big = [UInt8](repeating: 0x62, count: 16 * 1024)
        for i in 0..<448 { try producer.produce(topic: "in", key: nil, value: big, partition: 0, token: 100 + i) }
        XCTAssertTrue(producer.flush().allSatisfy { $0.error == nil })
        let start = try producer.watermarks(topic: "in", partition: 0).low
        XCTAssertGreaterThan(start, 10)

        let again = try KafkaConsumer(config: config, topics: ["in"])
        var first: Int64?
        var resets: [KafkaConsumer.OffsetReset] = []
        let deadline = Date().addingTimeInterval(30)
        while (first == nil || resets.isEmpty) && Date() < deadline {
            if let m = try again.poll(max: 10, timeoutMs: 200).first, first == nil { first = m.offset }
            resets += again.takeOffsetResets()
        }
        again.close()
        XCTAssertEqual(first, start, "reading resumes at the log start")
        XCTAssertEqual(resets.map(\.topic), ["in"])
        XCTAssertEqual(resets.first?.partition, 0)
        XCTAssertTrue(resets.first?.detail.contains("out of range") ?? false, resets.first?.detail ?? "")
    }

    func testOffsetResetParsesLibrdkafkasLine() {
        let line = "shieldflow.prompts.in [3]: offset reset (at offset 8 (leader epoch 8), broker 1) to offset BEGINNING (leader epoch -1): fetch failed due to requested offset not available on the broker: Broker: Offset out of range"
        let reset = KafkaConsumer.OffsetReset(logLine: line)
        XCTAssertEqual(reset?.topic, "shieldflow.prompts.in")
        XCTAssertEqual(reset?.partition, 3)
        XCTAssertEqual(reset?.detail, line)
        XCTAssertEqual(KafkaConsumer.OffsetReset(logLine: "[thrd:main]: in [0]: offset reset (at offset 4, broker 1) to cached BEGINNING offset 190")?.topic, "in")
        XCTAssertNil(KafkaConsumer.OffsetReset(logLine: "in [x]: offset reset (at offset 1)"))
        XCTAssertNil(KafkaConsumer.OffsetReset(logLine: "in [0]: committed offset 4"))
    }

    /// A broker that refuses a produce request as too large (as one does when a topic's
    /// max.message.bytes is below the producer's message.max.bytes) fails the records for good,
    /// and the report says so; other failures do not claim it.
    func testARecordTheBrokerRefusesAsTooLargeIsReportedSo() throws {
        let cluster = try MockCluster(brokers: 1)
        try cluster.createTopic("out", partitions: 1, replicationFactor: 1)
        let producer = try KafkaProducer(config: KafkaConfig(["bootstrap.servers": cluster.bootstrapServers, "message.timeout.ms": "5000"]))
        try producer.produce(topic: "out", key: nil, value: Array("warm-up".utf8), token: 0)
        XCTAssertEqual(producer.flush().map(\.error), [nil])
        cluster.failNext(apiKey: 0, count: 1, errorCode: 10)   // Produce: MESSAGE_TOO_LARGE
        try producer.produce(topic: "out", key: nil, value: Array("refused".utf8), token: 1)
        let refused = producer.flush()
        XCTAssertEqual(refused.count, 1)
        XCTAssertNotNil(refused.first?.error)
        XCTAssertEqual(refused.first?.recordTooLarge, true, "\(refused.first?.error ?? "")")
        try producer.produce(topic: "out", key: nil, value: Array("after".utf8), token: 2)
        let after = producer.flush()
        XCTAssertEqual(after.map(\.error), [nil], "the next record goes through")
        XCTAssertEqual(after.first?.recordTooLarge, false)
    }

    func testBadPropertyIsAClearError() {
        XCTAssertThrowsError(try KafkaProducer(config: KafkaConfig(["no.such.property": "1"]))) { error in
            XCTAssertTrue("\(error)".contains("no.such.property"))
        }
    }
}
