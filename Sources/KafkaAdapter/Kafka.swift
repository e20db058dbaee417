import CKafkaShim
import Foundation

/// The one module that touches librdkafka: a handle, the mock cluster, a producer with delivery
/// reports and a consumer-group consumer with manual commits, behind small Swift types.
public struct KafkaError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(description: String) { self.description = description }
    init(_ d: String) { description = d }
    init(_ err: rd_kafka_resp_err_t, _ context: String) { description = "\(context): \(String(cString: rd_kafka_err2str(err)))" }
}

/// librdkafka configuration properties (`bootstrap.servers`, SASL/SSL, …), passed through as given.
public struct KafkaConfig: Sendable {
    public var properties: [String: String]
    public init(_ properties: [String: String] = [:]) { self.properties = properties }

    func make() throws -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        var err = [CChar](repeating: 0, count: 512)
        for (k, v) in properties.sorted(by: { $0.key < $1.key }) {
            if rd_kafka_conf_set(conf, k, v, &err, err.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw KafkaError("kafka property \(k): \(text(err))")
            }
        }
        return conf
    }
}

/// A NUL-terminated C buffer as a String.
func text(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

func newHandle(_ type: rd_kafka_type_t, _ conf: OpaquePointer) throws -> OpaquePointer {
    var err = [CChar](repeating: 0, count: 512)
    guard let rk = rd_kafka_new(type, conf, &err, err.count) else {
        rd_kafka_conf_destroy(conf)
        throw KafkaError("rd_kafka_new: \(text(err))")
    }
    return rk
}

/// librdkafka's in-process mock cluster: real Kafka protocol on loopback, for development and
/// tests. It does not emulate transactions: ShieldFlow builds on at-least-once.
public final class MockCluster: @unchecked Sendable {
    private let rk: OpaquePointer
    private let cluster: OpaquePointer
    public let bootstrapServers: String

    public init(brokers: Int = 3) throws {
        // The mock brokers' sockets take this handle's settings. With Nagle on (librdkafka's default)
        // a response written in two pieces waits for the client's delayed ACK: every client of the
        // cluster stalled for ~40 ms several times a second (p99 50 ms through a no-op relay, 15
        // ms without). Real Kafka brokers set TCP_NODELAY.
        let conf = try KafkaConfig(["log_level": "3", "socket.nagle.disable": "true"]).make()
        rk = try newHandle(RD_KAFKA_PRODUCER, conf)
        guard let c = rd_kafka_mock_cluster_new(rk, Int32(brokers)) else {
            rd_kafka_destroy(rk)
            throw KafkaError("cannot start the mock cluster")
        }
        cluster = c
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(c))
    }

    /// Fault injection for tests: take a broker down or up, add round-trip latency, or make the next
    /// `count` requests of an API fail with a Kafka error code (Produce = 0, Fetch = 1, OffsetCommit = 8).
    public func setBroker(_ id: Int32, up: Bool) {
        if up { _ = rd_kafka_mock_broker_set_up(cluster, id) } else { _ = rd_kafka_mock_broker_set_down(cluster, id) }
    }

    public func setRoundTrip(_ id: Int32, milliseconds: Int) { _ = rd_kafka_mock_broker_set_rtt(cluster, id, Int32(milliseconds)) }

    public func failNext(apiKey: Int16, count: Int, errorCode: Int32) {
        let errors = [rd_kafka_resp_err_t](repeating: rd_kafka_resp_err_t(rawValue: errorCode), count: count)
        errors.withUnsafeBufferPointer { rd_kafka_mock_push_request_errors_array(cluster, apiKey, count, $0.baseAddress) }
    }

    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int) throws {
        let err = rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(replicationFactor))
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "create topic \(name)") }
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(rk)
    }
}

/// A partition of a topic.
public struct TopicPartition: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public init(topic: String, partition: Int32) { self.topic = topic; self.partition = partition }

    static func list(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) -> [TopicPartition] {
        guard let list else { return [] }
        return (0..<Int(list.pointee.cnt)).map { TopicPartition(topic: String(cString: list.pointee.elems[$0].topic), partition: list.pointee.elems[$0].partition) }
    }
}

/// A message as consumed.
public struct ConsumedMessage: Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var timestamp: Int64?
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [String: [UInt8]]
}

/// Delivery outcome of one produced message.
public struct DeliveryReport: Sendable {
    public var token: Int
    public var error: String?
    public var partition: Int32
    public var offset: Int64
    /// The broker refused the record, or the batch it travelled in, as too large for the topic
    /// (`max.message.bytes`): sending it again cannot succeed.
    public var recordTooLarge = false
}

/// An idempotent producer (`enable.idempotence=true`, `acks=all`). Delivery reports are collected
/// by `poll`/`flush` and handed back by token.
public final class KafkaProducer: @unchecked Sendable {
    final class Reports { var items: [DeliveryReport] = [] }
    private let rk: OpaquePointer
    private let reports = Reports()
    private let lock = NSLock()

    public init(config: KafkaConfig) throws {
        var props = config.properties
        props["enable.idempotence"] = props["enable.idempotence"] ?? "true"
        props["acks"] = props["acks"] ?? "all"
        let conf = try KafkaConfig(props).make()
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(reports).toOpaque())
        rd_kafka_conf_set_dr_msg_cb(conf) { _, msg, opaque in
            guard let msg, let opaque else { return }
            let reports = Unmanaged<Reports>.fromOpaque(opaque).takeUnretainedValue()
            let m = msg.pointee
            let error = m.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : String(cString: rd_kafka_err2str(m.err))
            reports.items.append(DeliveryReport(token: Int(bitPattern: m._private), error: error, partition: m.partition, offset: m.offset,
                                                recordTooLarge: m.err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE || m.err == RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE))
        }
        rk = try newHandle(RD_KAFKA_PRODUCER, conf)
    }

    /// Enqueues one message; `token` comes back in its delivery report. Partition −1 lets the
    /// partitioner choose by key.
    public func produce(topic: String, key: [UInt8]?, value: [UInt8], headers: [(String, [UInt8])] = [], partition: Int32 = -1,
                        token: Int) throws {
        var hdrs: OpaquePointer?
        if !headers.isEmpty {
            hdrs = rd_kafka_headers_new(headers.count)
            for (name, v) in headers { _ = v.withUnsafeBytes { rd_kafka_header_add(hdrs, name, -1, $0.baseAddress, $0.count) } }
        }
        while true {
            let err = value.withUnsafeBytes { vb in
                (key ?? []).withUnsafeBytes { kb in
                    sf_produce(rk, topic, partition, key == nil ? nil : kb.baseAddress, key?.count ?? 0, vb.baseAddress, vb.count, hdrs,
                               UnsafeMutableRawPointer(bitPattern: token))
                }
            }
            if err == RD_KAFKA_RESP_ERR_NO_ERROR { return }
            if err == RD_KAFKA_RESP_ERR__QUEUE_FULL { rd_kafka_poll(rk, 10); continue }
            if let hdrs { rd_kafka_headers_destroy(hdrs) }
            throw KafkaError(err, "produce to \(topic)")
        }
    }

    /// The partition's log start and end offsets as the leader reports them now. A log start past
    /// 0 means the broker deleted the oldest records (retention, or the embedded cluster's size cap).
    public func watermarks(topic: String, partition: Int32, timeoutMs: Int32 = 5_000) throws -> (low: Int64, high: Int64) {
        var low: Int64 = -1, high: Int64 = -1
        let err = rd_kafka_query_watermark_offsets(rk, topic, partition, &low, &high, timeoutMs)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, "watermarks of \(topic) [\(partition)]") }
        return (low, high)
    }

    /// Serves delivery callbacks for up to `timeoutMs` and returns the reports gathered so far.
    public func poll(timeoutMs: Int32 = 0) -> [DeliveryReport] {
        lock.lock(); defer { lock.unlock() }
        rd_kafka_poll(rk, timeoutMs)
        defer { reports.items.removeAll(keepingCapacity: true) }
        return reports.items
    }

    /// Waits until every enqueued message is delivered or failed, or `timeoutMs` passes, and returns
    /// the reports so far. Meanwhile librdkafka sends what is queued at once (linger.ms is ignored
    /// for the duration of the call).
    public func flush(timeoutMs: Int32 = 10_000) -> [DeliveryReport] {
        lock.lock(); defer { lock.unlock() }
        _ = rd_kafka_flush(rk, timeoutMs)
        defer { reports.items.removeAll(keepingCapacity: true) }
        return reports.items
    }

    deinit {
        _ = rd_kafka_flush(rk, 5_000)
        rd_kafka_destroy(rk)
    }
}

/// A high-level consumer in a consumer group (roundrobin assignment by default) with auto-commit off: the caller commits exactly the
/// offsets it has finished.
public final class KafkaConsumer: @unchecked Sendable {
    /// State shared with librdkafka's callbacks, which run on the thread that polls (or closes).
    final class Callbacks: @unchecked Sendable {
        let lock = NSLock()
        /// Failures of asynchronous commits, reported by the commit callback.
        var failures: [String] = []
        /// Called before partitions are given up in a rebalance, while they are still assigned.
        var onRevoke: (([TopicPartition]) -> Void)?
        var onAssign: (([TopicPartition]) -> Void)?
        /// Partitions revoked during the current `poll` call: messages already taken from them
        /// are dropped, because their new owner reads them again from the committed offset.
        var revoked: [TopicPartition] = []
        /// Positions the broker no longer had, reported by librdkafka's log (any thread).
        var offsetResets: [OffsetReset] = []
    }

    /// librdkafka moved a partition's position because the broker no longer holds the offset it
    /// was at (`auto.offset.reset` after "Offset out of range"): the records in between were
    /// deleted (retention, or the embedded cluster's size cap) before this group read them.
    public struct OffsetReset: Sendable, Equatable {
        public var topic: String
        public var partition: Int32
        /// librdkafka's own line (offsets, broker, the new position).
        public var detail: String

        /// Parses librdkafka's `OFFSET` warning: "[thrd:main]: <topic> [<partition>]: offset reset
        /// (at offset …" (the thread prefix optional).
        public init?(logLine line: String) {
            var text = Substring(line)
            if text.hasPrefix("[thrd:"), let end = text.range(of: "]: ") { text = text[end.upperBound...] }
            guard let marker = text.range(of: "]: offset reset "), let open = text[..<marker.lowerBound].range(of: " [", options: .backwards),
                  let partition = Int32(text[open.upperBound..<marker.lowerBound]) else { return nil }
            topic = String(text[..<open.lowerBound])
            self.partition = partition
            detail = line
        }
    }
    private let rk: OpaquePointer
    private var closed = false
    private let callbacks = Callbacks()

    /// Called, on the polling thread, when a rebalance is about to take partitions away and they
    /// are still assigned: the place to finish and commit work in hand, so that their next owner
    /// does not decide it again. Not called when the partitions were lost (the session expired),
    /// since a commit would fail then. Set it before the first `poll`.
    public var onRevoke: (([TopicPartition]) -> Void)? {
        get { callbacks.onRevoke }
        set { callbacks.onRevoke = newValue }
    }
    /// Called on the poll thread with the partitions this member is given (all of them, or the
    /// increment under cooperative assignment).
    public var onAssign: (([TopicPartition]) -> Void)? {
        get { callbacks.onAssign }
        set { callbacks.onAssign = newValue }
    }

    public init(config: KafkaConfig, topics: [String]) throws {
        var props = config.properties
        props["enable.auto.commit"] = "false"
        props["enable.auto.offset.store"] = "false"
        // Eager by default: librdkafka 2.0.2 (Debian 12) rewinds partitions taken over under
        // cooperative-sticky (librdkafka #4637). Set the property to opt in on newer versions.
        props["partition.assignment.strategy"] = props["partition.assignment.strategy"] ?? "roundrobin"
        props["auto.offset.reset"] = props["auto.offset.reset"] ?? "earliest"
        let conf = try KafkaConfig(props).make()
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(callbacks).toOpaque())
        // librdkafka reports a position the broker no longer has only in its log (a warning with
        // the facility OFFSET): collect those for `takeOffsetResets`, and print every line as its
        // default logger does.
        rd_kafka_conf_set_log_cb(conf) { rk, level, fac, buf in
            guard let rk, let buf else { return }
            let line = String(cString: buf)
            let facility = fac.map { String(cString: $0) } ?? ""
            if facility == "OFFSET", let reset = OffsetReset(logLine: line), let opaque = rd_kafka_opaque(rk) {
                let callbacks = Unmanaged<Callbacks>.fromOpaque(opaque).takeUnretainedValue()
                callbacks.lock.withLock { callbacks.offsetResets.append(reset) }
            }
            var now = timeval()
            gettimeofday(&now, nil)
            let ms = String(format: "%03d", Int(now.tv_usec) / 1000)
            FileHandle.standardError.write(Data("%\(level)|\(now.tv_sec).\(ms)|\(facility)|\(String(cString: rd_kafka_name(rk)))| \(line)\n".utf8))
        }
        rd_kafka_conf_set_offset_commit_cb(conf) { _, err, offsets, opaque in
            guard let opaque else { return }
            var failure: String?
            if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET {
                failure = String(cString: rd_kafka_err2str(err))
            } else if let offsets {
                for i in 0..<Int(offsets.pointee.cnt) where offsets.pointee.elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    let e = offsets.pointee.elems[i]
                    failure = "\(String(cString: e.topic))[\(e.partition)]: \(String(cString: rd_kafka_err2str(e.err)))"
                    break
                }
            }
            guard let failure else { return }
            let callbacks = Unmanaged<Callbacks>.fromOpaque(opaque).takeUnretainedValue()
            callbacks.lock.withLock { callbacks.failures.append(failure) }
        }
        // With a rebalance callback, the application applies assignments itself. Before giving
        // partitions up it lets the owner of `onRevoke` commit what it has finished, so that after
        // a member joins or leaves, the next owner does not decide the batches in flight again
        // (where the broker accepts the commit: Kafka does while it prepares the rebalance,
        // librdkafka's mock cluster does not).
        rd_kafka_conf_set_rebalance_cb(conf) { rk, err, partitions, opaque in
            guard let rk, let opaque else { return }
            let callbacks = Unmanaged<Callbacks>.fromOpaque(opaque).takeUnretainedValue()
            // NULL while the member is between generations (seen when a rebalance follows another).
            let cooperative = rd_kafka_rebalance_protocol(rk).map { String(cString: $0) } == "COOPERATIVE"
            if err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS {
                let list = TopicPartition.list(partitions)
                callbacks.lock.withLock { callbacks.revoked += list }
                if rd_kafka_assignment_lost(rk) == 0, let onRevoke = callbacks.lock.withLock({ callbacks.onRevoke }) { onRevoke(list) }
                if cooperative { rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, partitions)) } else { _ = rd_kafka_assign(rk, nil) }
            } else {
                if cooperative {
                    rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, partitions))
                } else {
                    _ = rd_kafka_assign(rk, err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? partitions : nil)
                }
                if err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS, let onAssign = callbacks.lock.withLock({ callbacks.onAssign }) {
                    onAssign(TopicPartition.list(partitions))
                }
            }
        }
        rk = try newHandle(RD_KAFKA_CONSUMER, conf)
        rd_kafka_poll_set_consumer(rk)
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for t in topics { rd_kafka_topic_partition_list_add(list, t, RD_KAFKA_PARTITION_UA) }
        let err = rd_kafka_subscribe(rk, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "subscribe") }
    }

    /// The partitions assigned to this member now.
    public func assignment() -> [TopicPartition] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(rk, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return TopicPartition.list(list)
    }

    /// Lag of every assigned partition: the high watermark (as last seen in fetch responses, no
    /// broker round trip) minus the consumer's position. Partitions without a position yet are left out.
    public func lag() -> [(topic: String, partition: Int32, lag: Int64)] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(rk, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        guard rd_kafka_position(rk, list) == RD_KAFKA_RESP_ERR_NO_ERROR else { return [] }
        var out: [(String, Int32, Int64)] = []
        for i in 0..<Int(list.pointee.cnt) {
            let p = list.pointee.elems[i]
            var low: Int64 = 0, high: Int64 = 0
            guard p.offset >= 0, rd_kafka_get_watermark_offsets(rk, p.topic, p.partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR,
                  high >= 0 else { continue }
            out.append((String(cString: p.topic), p.partition, max(0, high - p.offset)))
        }
        return out
    }

    /// Up to `max` messages, waiting at most `timeoutMs` for the first. Consumer errors other than
    /// end-of-partition are returned as thrown errors only when fatal.
    public func poll(max: Int, timeoutMs: Int32) throws -> [ConsumedMessage] {
        var out: [ConsumedMessage] = []
        var wait = timeoutMs
        while out.count < max {
            let m = rd_kafka_consumer_poll(rk, wait)
            dropRevoked(&out)
            guard let m else { break }
            defer { rd_kafka_message_destroy(m) }
            wait = 0
            let msg = m.pointee
            if msg.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                if msg.err == RD_KAFKA_RESP_ERR__PARTITION_EOF { continue }
                if msg.err == RD_KAFKA_RESP_ERR__FATAL { throw KafkaError(msg.err, "consumer") }
                continue  // transient: librdkafka retries by itself
            }
            let topic = String(cString: rd_kafka_topic_name(msg.rkt))
            let value = msg.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: msg.len)) } ?? []
            let key = msg.key.map { Array(UnsafeRawBufferPointer(start: $0, count: msg.key_len)) }
            var tsType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
            let ts = rd_kafka_message_timestamp(m, &tsType)
            var headers: [String: [UInt8]] = [:]
            var hdrs: OpaquePointer?
            if rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs {
                var i = 0
                var name: UnsafePointer<CChar>?
                var val: UnsafeRawPointer?
                var size = 0
                while rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                    if let name { headers[String(cString: name)] = val.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? [] }
                    i += 1
                }
            }
            out.append(ConsumedMessage(topic: topic, partition: msg.partition, offset: msg.offset,
                                       timestamp: tsType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : ts,
                                       key: key, value: value, headers: headers))
        }
        return out
    }

    /// A rebalance served by the last `rd_kafka_consumer_poll` took partitions away: messages
    /// taken from them before it are not this member's to decide any more (their next owner reads
    /// them again from the committed offset). Messages returned after it are current.
    private func dropRevoked(_ out: inout [ConsumedMessage]) {
        let revoked = callbacks.lock.withLock { defer { callbacks.revoked.removeAll() }; return callbacks.revoked }
        guard !revoked.isEmpty else { return }
        out.removeAll { m in revoked.contains { $0.partition == m.partition && $0.topic == m.topic } }
    }

    /// Commits, synchronously, the next offset to read for each (topic, partition): pass the
    /// highest finished offset + 1.
    public func commit(_ next: [(topic: String, partition: Int32, offset: Int64)]) throws {
        try commit(next, async: false)
    }

    /// Commits without waiting for the broker; the outcome arrives while polling, and failures are
    /// collected for `takeCommitFailures()`. Commits are sent in order, so a later one covers an
    /// earlier one that failed.
    public func commitAsync(_ next: [(topic: String, partition: Int32, offset: Int64)]) throws {
        try commit(next, async: true)
    }

    private func commit(_ next: [(topic: String, partition: Int32, offset: Int64)], async: Bool) throws {
        guard !next.isEmpty else { return }
        let list = rd_kafka_topic_partition_list_new(Int32(next.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for n in next { rd_kafka_topic_partition_list_add(list, n.topic, n.partition)!.pointee.offset = n.offset }
        let err = rd_kafka_commit(rk, list, async ? 1 : 0)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET { throw KafkaError(err, "commit") }
        guard !async else { return }
        // The call can succeed while single partitions fail (e.g. after losing them in a rebalance).
        for i in 0..<Int(list.pointee.cnt) {
            let e = list.pointee.elems[i].err
            if e != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(e, "commit \(String(cString: list.pointee.elems[i].topic))[\(list.pointee.elems[i].partition)]") }
        }
    }

    /// Positions librdkafka reset because the broker had deleted the records there, since the
    /// last call.
    public func takeOffsetResets() -> [OffsetReset] {
        callbacks.lock.withLock {
            defer { callbacks.offsetResets.removeAll() }
            return callbacks.offsetResets
        }
    }

    /// Failures of asynchronous commits reported since the last call.
    public func takeCommitFailures() -> [String] {
        callbacks.lock.withLock {
            defer { callbacks.failures.removeAll() }
            return callbacks.failures
        }
    }

    /// Leaves the group cleanly (revokes partitions so another member takes them at once).
    public func close() {
        guard !closed else { return }
        closed = true
        _ = rd_kafka_consumer_close(rk)
    }

    deinit {
        close()
        rd_kafka_destroy(rk)
    }
}

/// The Admin API, for `shieldflow topics apply`: describe topics (metadata), create topics, add
/// partitions, describe topic configs. Never deletes anything.
public final class KafkaAdmin: @unchecked Sendable {
    private let rk: OpaquePointer

    public struct TopicInfo: Sendable, Equatable {
        public var partitions: Int
        public var replicationFactor: Int
        public init(partitions: Int, replicationFactor: Int) { self.partitions = partitions; self.replicationFactor = replicationFactor }
    }

    public struct NewTopic: Sendable {
        public var name: String
        public var partitions: Int
        public var replicationFactor: Int
        public var configs: [String: String]
        public init(name: String, partitions: Int, replicationFactor: Int, configs: [String: String]) {
            self.name = name; self.partitions = partitions; self.replicationFactor = replicationFactor; self.configs = configs
        }
    }

    public init(config: KafkaConfig) throws {
        rk = try newHandle(RD_KAFKA_PRODUCER, try config.make())
    }

    deinit { rd_kafka_destroy(rk) }

    /// Every topic the cluster reports, with its partition count and replication factor.
    public func topics(timeoutMs: Int32 = 10_000) throws -> [String: TopicInfo] {
        var md: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(rk, 1, nil, &md, timeoutMs)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let md else { throw KafkaError(err, "metadata") }
        defer { rd_kafka_metadata_destroy(md) }
        var out: [String: TopicInfo] = [:]
        for i in 0..<Int(md.pointee.topic_cnt) {
            let t = md.pointee.topics[i]
            guard t.err == RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
            let rf = t.partition_cnt > 0 ? Int(t.partitions[0].replica_cnt) : 0
            out[String(cString: t.topic)] = TopicInfo(partitions: Int(t.partition_cnt), replicationFactor: rf)
        }
        return out
    }

    /// Runs one admin request and hands its result event to `read`.
    private func request<T>(_ op: rd_kafka_admin_op_t, timeoutMs: Int32, _ send: (OpaquePointer, OpaquePointer) -> Void,
                            _ read: (OpaquePointer) -> T) throws -> T {
        let queue = rd_kafka_queue_new(rk)!
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(rk, op)!
        defer { rd_kafka_AdminOptions_destroy(options) }
        var err = [CChar](repeating: 0, count: 256)
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMs, &err, err.count)
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeoutMs, &err, err.count)
        send(options, queue)
        guard let ev = rd_kafka_queue_poll(queue, timeoutMs + 5_000) else { throw KafkaError(description: "admin request timed out") }
        defer { rd_kafka_event_destroy(ev) }
        let e = rd_kafka_event_error(ev)
        if e != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(description: "admin request failed: \(String(cString: rd_kafka_event_error_string(ev)))")
        }
        return read(ev)
    }

    static func topicResults(_ list: UnsafeMutablePointer<OpaquePointer?>?, _ n: Int) -> [String: String?] {
        var out: [String: String?] = [:]
        for i in 0..<n {
            guard let r = list?[i] else { continue }
            let err = rd_kafka_topic_result_error(r)
            out[String(cString: rd_kafka_topic_result_name(r))] = err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil
                : (rd_kafka_topic_result_error_string(r).map { String(cString: $0) } ?? String(cString: rd_kafka_err2str(err)))
        }
        return out
    }

    /// Creates topics; the result maps each name to nil (created) or the broker's error.
    public func createTopics(_ topics: [NewTopic], timeoutMs: Int32 = 30_000) throws -> [String: String?] {
        var err = [CChar](repeating: 0, count: 256)
        var handles: [OpaquePointer?] = []
        defer { handles.forEach { rd_kafka_NewTopic_destroy($0) } }
        for t in topics {
            guard let nt = rd_kafka_NewTopic_new(t.name, Int32(t.partitions), Int32(t.replicationFactor), &err, err.count) else {
                throw KafkaError(description: "topic \(t.name): \(text(err))")
            }
            handles.append(nt)
            for (k, v) in t.configs.sorted(by: { $0.key < $1.key }) { _ = rd_kafka_NewTopic_set_config(nt, k, v) }
        }
        return try request(RD_KAFKA_ADMIN_OP_CREATETOPICS, timeoutMs: timeoutMs, { options, queue in
            handles.withUnsafeMutableBufferPointer { rd_kafka_CreateTopics(rk, $0.baseAddress, $0.count, options, queue) }
        }, { ev in
            var n = 0
            let res = rd_kafka_event_CreateTopics_result(ev)
            let list = rd_kafka_CreateTopics_result_topics(res, &n)
            return Self.topicResults(UnsafeMutablePointer(mutating: list), n)
        })
    }

    /// Raises topics to a total partition count.
    public func addPartitions(_ totals: [(String, Int)], timeoutMs: Int32 = 30_000) throws -> [String: String?] {
        var err = [CChar](repeating: 0, count: 256)
        var handles: [OpaquePointer?] = []
        defer { handles.forEach { rd_kafka_NewPartitions_destroy($0) } }
        for (name, total) in totals {
            guard let np = rd_kafka_NewPartitions_new(name, total, &err, err.count) else { throw KafkaError(description: "topic \(name): \(text(err))") }
            handles.append(np)
        }
        return try request(RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, timeoutMs: timeoutMs, { options, queue in
            handles.withUnsafeMutableBufferPointer { rd_kafka_CreatePartitions(rk, $0.baseAddress, $0.count, options, queue) }
        }, { ev in
            var n = 0
            let res = rd_kafka_event_CreatePartitions_result(ev)
            let list = rd_kafka_CreatePartitions_result_topics(res, &n)
            return Self.topicResults(UnsafeMutablePointer(mutating: list), n)
        })
    }

    /// The configuration of each topic (name → key → value), or the error for that topic.
    public func topicConfigs(_ names: [String], timeoutMs: Int32 = 30_000) throws -> [String: Result<[String: String], KafkaError>] {
        var handles: [OpaquePointer?] = names.map { rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, $0) }
        defer { handles.forEach { rd_kafka_ConfigResource_destroy($0) } }
        return try request(RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeoutMs: timeoutMs, { options, queue in
            handles.withUnsafeMutableBufferPointer { rd_kafka_DescribeConfigs(rk, $0.baseAddress, $0.count, options, queue) }
        }, { ev in
            var n = 0
            let res = rd_kafka_event_DescribeConfigs_result(ev)
            let list = rd_kafka_DescribeConfigs_result_resources(res, &n)
            var out: [String: Result<[String: String], KafkaError>] = [:]
            for i in 0..<n {
                guard let r = list?[i] else { continue }
                let name = String(cString: rd_kafka_ConfigResource_name(r))
                let e = rd_kafka_ConfigResource_error(r)
                if e != RD_KAFKA_RESP_ERR_NO_ERROR {
                    out[name] = .failure(KafkaError(e, "describe configs"))
                    continue
                }
                var m = 0
                let entries = rd_kafka_ConfigResource_configs(r, &m)
                var configs: [String: String] = [:]
                for j in 0..<m {
                    guard let entry = entries?[j] else { continue }
                    configs[String(cString: rd_kafka_ConfigEntry_name(entry))] = rd_kafka_ConfigEntry_value(entry).map { String(cString: $0) } ?? ""
                }
                out[name] = .success(configs)
            }
            return out
        })
    }
}
