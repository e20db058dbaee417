import Foundation
import KafkaAdapter
import Logging
import ServiceLifecycle
import ShieldFlowCore
import ShieldFlowDetection

/// The inspector daemon's loop: poll a batch, decide it, produce decisions and dead letters, and
/// commit the batch's offsets only once the broker has acknowledged every one of them. The next
/// batch is decided while the broker acknowledges the previous one. A failed delivery stops the
/// loop without committing, so the batch is decided again after a restart (at-least-once;
/// decisions carry deterministic ids).
public final class Daemon: @unchecked Sendable {
    public struct Settings: Sendable {
        public var brokers: String
        public var groupId = "shieldflow-inspectors"
        public var batchSize = 500
        public var pollTimeoutMs: Int32 = 100
        /// Batches produced and awaiting acknowledgement before the loop waits for the oldest.
        public var maxBatchesInFlight = 4
        /// When a poll drains the input (a batch smaller than `batchSize`), send its decisions at
        /// once instead of letting them wait out the producer's `linger.ms` (see `run`).
        public var sendWhenDrained = true
        /// Threads that decode, scan, decide and serialise a batch's events (the trust round trip
        /// and producing stay on the loop's thread, in order).
        public var workers = Workers.defaultCount
        public var consumerProperties: [String: String] = [:]
        public var producerProperties: [String: String] = [:]
        /// Benchmark baseline only: re-produce every record unchanged to this topic instead of
        /// inspecting it (same consumer, producer, batching and commit path).
        public var relayTopic: String?
        public init(brokers: String) { self.brokers = brokers }
    }

    public struct Stats: Sendable {
        public var consumed = 0, decided = 0, deadLettered = 0, batches = 0
    }

    let settings: Settings
    /// `producibleBytes` of the producer's settings: the most a dead letter's value and headers take.
    let deadLetterBytes: Int
    let inspector: Inspector
    let logger: Logger
    public let metrics: MetricsRegistry
    public let health: Health
    let reporter: DatadogReporter?
    private let stopFlag = StopFlag()
    public private(set) var stats = Stats()

    final class StopFlag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        var isSet: Bool { lock.withLock { value } }
        func set() { lock.withLock { value = true } }
    }

    public init(settings: Settings, inspector: Inspector, logger: Logger, metrics: MetricsRegistry = MetricsRegistry(), health: Health = Health(),
                reporter: DatadogReporter? = nil) {
        self.reporter = reporter
        self.settings = settings
        deadLetterBytes = Self.producibleBytes(settings.producerProperties)
        self.inspector = inspector
        self.logger = logger
        self.metrics = metrics
        self.health = health
    }

    /// Asks the loop to finish its current batch, commit and leave the group.
    public func stop() { stopFlag.set() }

    public func run() async throws {
        var consumerProps = settings.consumerProperties
        consumerProps["bootstrap.servers"] = settings.brokers
        consumerProps["group.id"] = settings.groupId
        consumerProps["session.timeout.ms"] = consumerProps["session.timeout.ms"] ?? "10000"
        consumerProps["heartbeat.interval.ms"] = consumerProps["heartbeat.interval.ms"] ?? "1000"
        // Eager assignment by default: with Debian's librdkafka 2.0.2 the cooperative-sticky path
        // rewinds partitions taken over from a dead member to their start (librdkafka #4637, fixed
        // in later releases); measured here as 4,948 duplicate decisions out of 10,000 events,
        // against 0 with roundrobin. `assignment` (SHIELDFLOW_ASSIGNMENT) in the configuration overrides it.
        consumerProps["partition.assignment.strategy"] = consumerProps["partition.assignment.strategy"] ?? "roundrobin"
        var producerProps = settings.producerProperties
        producerProps["bootstrap.servers"] = settings.brokers
        producerProps["linger.ms"] = producerProps["linger.ms"] ?? producerProps["queue.buffering.max.ms"] ?? "2"
        producerProps["queue.buffering.max.ms"] = nil
        // Linger lets a produce request carry more records, which pays only while more are coming.
        // A batch smaller than `batchSize` means the poll drained the input: nothing else is about
        // to join these decisions, and holding them for linger.ms only delays the agents waiting
        // for them. So the loop then flushes, which makes librdkafka send at once, and waits for the
        // acknowledgements at most as long as linger would have held the records (at most 50 ms),
        // committing the batch as soon as they arrive. Under load batches are full and linger
        // batches as before. Measured in `bench pipeline` at 5,000 events/s: p50 5.1 -> 3.5 ms,
        // p99 8.0 -> 6.4 ms, with the same throughput.
        let drainedFlushMs: Int32? = settings.sendWhenDrained
            ? Double(producerProps["linger.ms"] ?? "").flatMap { $0 > 0 ? Int32(min(50, $0.rounded(.up))) : nil } : nil
        let topics = inspector.topics
        let consumer = try KafkaConsumer(config: KafkaConfig(consumerProps), topics: [topics.prompts, topics.responses, topics.tools])
        let producer = try KafkaProducer(config: KafkaConfig(producerProps))
        defer { consumer.close() }
        let workers = Workers(count: settings.workers)
        logger.info("consuming", metadata: ["group": "\(settings.groupId)", "topics": "\(topics.prompts),\(topics.responses),\(topics.tools)",
                                            "workers": .stringConvertible(workers.count)])
        var lastLag = DispatchTime.now().uptimeNanoseconds
        defer { health.setReady(false); metrics.set("shieldflow_ready", [], 0) }
        // Batches overlap: while the broker acknowledges earlier batches, the next ones are polled,
        // decided and produced. A batch is committed, in order, once every one of its records is
        // acknowledged; the loop waits only when `maxBatchesInFlight` are outstanding.
        var deliveries = Deliveries()
        var inFlight: [Batch] = []
        var sequence = 0
        // A rebalance is about to take partitions away (a member joined, left or scaled out):
        // finish the batches in hand and commit them while they are still ours, so their next
        // owner starts after them instead of deciding them again. Called inside `consumer.poll`,
        // on this thread, so nothing else touches the batches meanwhile.
        consumer.onRevoke = { [self] revoked in
            metrics.increment("shieldflow_rebalances_total")
            var committed = 0
            while let first = inFlight.first {
                // Acknowledged in time and not failed: commit it now. Otherwise it stays in hand
                // for the loop, which handles it as always (its next owner may decide it again,
                // with the same decision ids).
                let deadline = DispatchTime.now().uptimeNanoseconds + Self.revokePatienceNs
                while !deliveries.isComplete(first) && DispatchTime.now().uptimeNanoseconds < deadline {
                    deliveries.absorb(producer.poll(timeoutMs: 20))
                }
                guard deliveries.isComplete(first), deliveries.failure[first.sequence] == nil,
                      (try? finish(first, deliveries: &deliveries, producer: producer, consumer: consumer, commitNow: true)) != nil else { break }
                inFlight.removeFirst()
                committed += 1
            }
            logger.info("partitions revoked", metadata: ["partitions": .stringConvertible(revoked.count), "batches_committed": .stringConvertible(committed),
                                                         "batches_left": .stringConvertible(inFlight.count)])
        }
        consumer.onAssign = { [logger] assigned in
            logger.info("partitions assigned", metadata: ["partitions": .stringConvertible(assigned.count)])
        }
        defer { consumer.onRevoke = nil; consumer.onAssign = nil }   // before `close`, which revokes too
        while !stopFlag.isSet {
            let messages = try consumer.poll(max: settings.batchSize, timeoutMs: inFlight.isEmpty ? settings.pollTimeoutMs : 2)
            health.loopTick()
            if !health.isReady { health.setReady(true); metrics.set("shieldflow_ready", [], 1) }
            let now = DispatchTime.now().uptimeNanoseconds
            if now - lastLag > 1_000_000_000 {
                lastLag = now
                let lag = consumer.lag()
                metrics.replace("shieldflow_consumer_lag", lag.map { ([("topic", $0.topic), ("partition", String($0.partition))], Double($0.lag)) })
                reporter?.setConsumerLag(Double(lag.reduce(0) { $0 + $1.lag }))
            }
            for reset in consumer.takeOffsetResets() {
                // The broker deleted records this group had not read (retention shorter than the
                // lag, or the embedded cluster's size cap): librdkafka moved on without them, so
                // they get no decision. Nothing here can bring them back; say so loudly.
                metrics.increment("shieldflow_offset_resets_total", [("topic", reset.topic), ("partition", String(reset.partition))])
                logger.error("records deleted by the broker before they were read: they get no decision",
                             metadata: ["topic": "\(reset.topic)", "partition": .stringConvertible(reset.partition), "librdkafka": "\(reset.detail)"])
            }
            for failure in consumer.takeCommitFailures() {
                // A failed commit loses nothing: a later batch's commit covers these offsets, and a
                // rebalance in between only replays decisions (same ids). So log, count, and go on.
                metrics.increment("shieldflow_commit_failures_total")
                logger.warning("offset commit failed; the next batch's commit covers it", metadata: ["error": "\(failure)"])
            }
            if !messages.isEmpty {
                sequence += 1
                inFlight.append(try await decideAndProduce(messages, sequence: sequence, producer: producer, workers: workers))
                if let drainedFlushMs, messages.count < settings.batchSize {
                    deliveries.absorb(producer.flush(timeoutMs: drainedFlushMs))
                }
            } else if inspector.hasUnrecordedEvents {
                // Idle after a trust-store outage: record the events decided without it as soon
                // as it answers, before another member could replay them with trust.
                try? await inspector.recordDecidedWithoutTrust()
            }
            deliveries.absorb(producer.poll(timeoutMs: 0))
            while let first = inFlight.first, inFlight.count > settings.maxBatchesInFlight || deliveries.isComplete(first) {
                try finish(first, deliveries: &deliveries, producer: producer, consumer: consumer)
                inFlight.removeFirst()
            }
        }
        // Stopping: the batches in hand are finished (acknowledged and committed) before leaving.
        for batch in inFlight { try finish(batch, deliveries: &deliveries, producer: producer, consumer: consumer, commitNow: true) }
        logger.info("stopped", metadata: ["consumed": .stringConvertible(stats.consumed), "decided": .stringConvertible(stats.decided), "dead_lettered": .stringConvertible(stats.deadLettered)])
    }

    /// The largest record value the producer can send: its `message.max.bytes` (librdkafka's
    /// default 1,000,000) less room for the record's key and headers. A record over it fails at
    /// once, and one that failed would stop its partition on that record for good, so decisions
    /// (`Inspector.maxDecisionBytes`) and dead letters are kept under it.
    public static func producibleBytes(_ producerProperties: [String: String]) -> Int {
        max(4_096, (producerProperties["message.max.bytes"].flatMap { Int($0) } ?? 1_000_000) - 8_192)
    }

    /// What a delivery refused as too large means and how to fix it. ShieldFlow keeps every record
    /// under the producer's `message.max.bytes` (`producibleBytes`), and librdkafka keeps batches
    /// under it too, so the broker refuses one only when the topic allows less than the producer
    /// sends. Restarting cannot help: the same batch would be refused again.
    static let tooLargeHint = "; the broker refused a record or batch as larger than the topic allows: "
        + "kafka.producer message.max.bytes (librdkafka's default 1000000) must not exceed max.message.bytes "
        + "of the decision and dead-letter topics; lower it, or raise the topics' limit"

    /// How long a rebalance waits for a batch in hand to be acknowledged before leaving it to the
    /// loop: the whole group waits meanwhile.
    static let revokePatienceNs: UInt64 = 5_000_000_000

    /// A batch produced and not yet committed.
    struct Batch {
        var sequence: Int
        var messages: [ConsumedMessage]
        var outcomes: [Outcome]
    }

    /// Delivery reports by batch (a report's token is the batch's sequence number and the record's
    /// index): reports of batch N+1 may arrive while waiting for those of batch N.
    struct Deliveries {
        var acknowledged: [Int: Int] = [:]
        var failure: [Int: String] = [:]
        func isComplete(_ batch: Batch) -> Bool {
            failure[batch.sequence] != nil || (acknowledged[batch.sequence] ?? 0) >= batch.messages.count
        }
        mutating func absorb(_ reports: [DeliveryReport]) {
            // Reports come mostly batch by batch: count a run locally, one dictionary update per run.
            var batch = -1, run = 0
            for r in reports {
                let b = r.token >> 32
                if b != batch {
                    if run > 0 { acknowledged[batch, default: 0] += run }
                    batch = b; run = 0
                }
                if let e = r.error, failure[b] == nil { failure[b] = r.recordTooLarge ? e + Daemon.tooLargeHint : e }
                run += 1
            }
            if run > 0 { acknowledged[batch, default: 0] += run }
        }
    }

    /// Decides a batch and enqueues its decisions and dead letters (or, as the relay, the records).
    func decideAndProduce(_ messages: [ConsumedMessage], sequence: Int, producer: KafkaProducer, workers: Workers) async throws -> Batch {
        metrics.increment("shieldflow_events_consumed_total", by: Double(messages.count))
        let topics = inspector.topics
        let token = { (i: Int) in sequence << 32 | i }
        if let relay = settings.relayTopic {
            for (i, m) in messages.enumerated() {
                try producer.produce(topic: relay, key: m.key, value: m.value,
                                     headers: [("shieldflow.source", Array("\(m.topic)/\(m.partition)/\(m.offset)".utf8))], token: token(i))
            }
            return Batch(sequence: sequence, messages: messages, outcomes: [])
        }
        let records = messages.map { m in
            InputRecord(source: SourceRecord(topic: m.topic, partition: m.partition, offset: m.offset, timestamp: m.timestamp),
                        value: m.value, traceparent: m.headers["traceparent"].map { String(decoding: $0, as: UTF8.self) })
        }
        let inspected = try await inspector.inspectAndSerialize(records, workers: workers)
        let outcomes = inspected.outcomes
        var tally = BatchTally(capacity: outcomes.count)
        defer { tally.add(to: metrics) }
        for i in outcomes.indices {
            var headers: [(String, [UInt8])] = []
            if let tp = messages[i].headers["traceparent"] { headers.append(("traceparent", tp)) }
            switch outcomes[i] {
            case .decision:
                // The source offset also rides in a header, so consumers can route or join
                // without parsing the value.
                headers.append(("shieldflow.source", Array("\(messages[i].topic)/\(messages[i].partition)/\(messages[i].offset)".utf8)))
                try producer.produce(topic: topics.decisions, key: inspected.keys[i], value: inspected.values[i], headers: headers, token: token(i))
                stats.decided += 1
            case .deadLetter(let dl):
                // The original bytes and headers travel unchanged; the reason rides in headers.
                headers += [("shieldflow.reason", Array(dl.reason.rawValue.utf8)), ("shieldflow.detail", Array(dl.detail.utf8)),
                            ("shieldflow.source.topic", Array(dl.source.topic.utf8)),
                            ("shieldflow.source.partition", Array(String(dl.source.partition).utf8)),
                            ("shieldflow.source.offset", Array(String(dl.source.offset).utf8))]
                // An input larger than the producer can send (the input topic may allow more) is
                // cut to what fits, its full size in a header, and original headers that do not fit
                // are left out; the whole record stays in the input topic at the offset the
                // headers name.
                var room = deadLetterBytes
                for (k, v) in messages[i].headers where k != "traceparent" && k.utf8.count + v.count <= room {
                    headers.append((k, v))
                    room -= k.utf8.count + v.count
                }
                var value = messages[i].value
                if value.count > room {
                    headers.append(("shieldflow.truncated", Array(String(value.count).utf8)))
                    value = Array(value.prefix(room))
                }
                try producer.produce(topic: topics.deadLetter, key: messages[i].key, value: value, headers: headers, token: token(i))
                stats.deadLettered += 1
            }
            tally.count(outcomes[i])   // once enqueued, as before: a produce that throws is not counted
        }
        return Batch(sequence: sequence, messages: messages, outcomes: outcomes)
    }

    /// Waits for every delivery report of `batch`, then reports it to Datadog and commits its
    /// offsets. A broker that is down only delays the reports (librdkafka retries until
    /// message.timeout.ms): keep waiting and stay live. A delivery that failed for good, or a stop
    /// request that outlasts a 10 s grace, ends the loop without committing: the batch is decided
    /// again after a restart, with the same decision ids.
    func finish(_ batch: Batch, deliveries: inout Deliveries, producer: KafkaProducer, consumer: KafkaConsumer,
                commitNow: Bool = false) throws {
        let count = batch.messages.count
        var waitedSince = DispatchTime.now().uptimeNanoseconds
        var stopSeen: UInt64?
        while (deliveries.acknowledged[batch.sequence] ?? 0) < count && deliveries.failure[batch.sequence] == nil {
            deliveries.absorb(producer.poll(timeoutMs: 50))
            health.loopTick()
            let now = DispatchTime.now().uptimeNanoseconds
            if stopFlag.isSet {
                if stopSeen == nil { stopSeen = now }
                if now - stopSeen! > 10_000_000_000 { break }
            }
            if now - waitedSince > 10_000_000_000 {
                waitedSince = now
                logger.warning("deliveries pending; waiting for the brokers",
                               metadata: ["acknowledged": "\(deliveries.acknowledged[batch.sequence] ?? 0)", "batch": "\(count)"])
            }
        }
        let acknowledged = deliveries.acknowledged.removeValue(forKey: batch.sequence) ?? 0
        if let failure = deliveries.failure.removeValue(forKey: batch.sequence) {
            throw KafkaError(description: "a delivery of a \(count)-record batch failed (\(failure)); not committing")
        }
        guard acknowledged >= count else {
            throw KafkaError(description: "\(acknowledged) of \(count) deliveries acknowledged when stopping; not committing")
        }
        // Decided and acknowledged: now Datadog may hear about it (the reporter only spools).
        if let reporter {
            for outcome in batch.outcomes {
                switch outcome {
                case .decision(let d): reporter.record(d, tokenHealth: d.tokenHealth)
                case .deadLetter(let dl): reporter.recordDeadLetter(reason: dl.reason.rawValue)
                }
            }
        }
        // Every record of the batch is decided and acknowledged: commit past the highest offset
        // of each partition (earlier offsets were committed with earlier batches).
        var next: [(topic: String, partition: Int32, offset: Int64)] = []   // a batch spans a few partitions
        for m in batch.messages {
            if let k = next.firstIndex(where: { $0.partition == m.partition && $0.topic == m.topic }) {
                next[k].offset = max(next[k].offset, m.offset + 1)
            } else {
                next.append((m.topic, m.partition, m.offset + 1))
            }
        }
        // A failed commit loses nothing: the next batch's commit covers these offsets, and a
        // rebalance in between only replays decisions (same ids). So log, count, and go on.
        // Asynchronous while running (failures arrive through `takeCommitFailures`), synchronous
        // when stopping, so the last commit is done before the group is left.
        do {
            let offsets = next.map { ($0.topic, $0.partition, $0.offset) }
            if commitNow { try consumer.commit(offsets) } else { try consumer.commitAsync(offsets) }
        } catch {
            metrics.increment("shieldflow_commit_failures_total")
            logger.warning("offset commit failed; the next batch's commit covers it", metadata: ["error": "\(error)"])
        }
        stats.consumed += count
        stats.batches += 1
        metrics.increment("shieldflow_batches_total")
    }
}

/// The daemon as a swift-service-lifecycle service: on SIGTERM/SIGINT it stops polling, finishes the
/// batch in hand (decide, produce, flush, commit) and leaves the group.
public struct DaemonService: Service {
    let daemon: Daemon
    public init(_ daemon: Daemon) { self.daemon = daemon }
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await daemon.run()
        } onGracefulShutdown: {
            daemon.stop()
        }
    }
}

/// `/healthz`, `/readyz` and `/metrics` until the group shuts down (after the daemon, so the last
/// scrape sees the final counts).
public struct OpsService: Service {
    let server: OpsServer
    public init(_ server: OpsServer) { self.server = server }
    public func run() async throws {
        server.start()
        try? await gracefulShutdown()
        server.stop()
    }
}
