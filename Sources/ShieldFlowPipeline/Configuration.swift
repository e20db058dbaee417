import Foundation
import ShieldFlowCore
import Yams

/// Daemon configuration: one YAML file, then `SHIELDFLOW_*` environment variables on top, then
/// command-line flags. librdkafka properties pass through unchanged (`kafka.consumer.*`,
/// `kafka.producer.*`, or `kafka.common.*` for both), so SASL/SSL need no code change.
public struct DaemonConfiguration: Sendable, Equatable {
    public var brokers: String?
    public var groupId = "shieldflow-inspectors"
    public var batchSize = 500
    /// Threads deciding a batch's events (`Workers.defaultCount` when nil).
    public var workers: Int?
    public var rulesDirectory: String?
    public var model: String?
    public var maxRecordBytes = EventDecoder.defaultMaxBytes
    /// `redis://host:port[/db]`; nil keeps trust in process memory.
    public var redisURL: String?
    /// What tool calls get when Redis cannot be reached: `closed` denies them, `open` allows them.
    public var failOpen = false
    /// Path of `policy.yaml` (tool policy, trust gates, prompt rate limits).
    public var policy: String?
    /// Port for /healthz, /readyz, /metrics: 0 picks a free port (logged), -1 turns HTTP off.
    public var httpPort = 9400
    /// `datadog_*` settings (spool, flush_seconds, incident_window_seconds, spool_max_bytes, audit_logs);
    /// credentials and site come from the DD_* variables Datadog users know.
    public var datadog: [String: String] = [:]
    /// Shared secret of `POST /webhooks/datadog`; the webhook is off without it.
    public var webhookSecret: String?
    public var consumer: [String: String] = [:]
    public var producer: [String: String] = [:]

    public init() {}

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Flattens nested YAML mappings into dotted keys: `kafka: {consumer: {a.b: 1}}` → `kafka.consumer.a.b`.
    static func flatten(_ node: Node, prefix: String, into out: inout [String: String]) throws {
        switch node {
        case .mapping(let m):
            for (k, v) in m {
                guard let key = k.string else { throw Invalid(description: "configuration keys must be strings") }
                try flatten(v, prefix: prefix.isEmpty ? key : prefix + "." + key, into: &out)
            }
        case .scalar(let s):
            // An empty section (`common:` with only comments under it) is null: nothing to set.
            if s.string.isEmpty || s.string == "~" || s.string == "null" { return }
            out[prefix] = s.string
        case .sequence(let seq):
            out[prefix] = seq.compactMap(\.string).joined(separator: ",")
        default:
            throw Invalid(description: "unsupported value at `\(prefix)`")
        }
    }

    /// Builds the configuration from YAML text (may be empty) and an environment.
    public static func load(yaml: String?, environment: [String: String]) throws -> DaemonConfiguration {
        var flat: [String: String] = [:]
        if let yaml, !yaml.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            let node: Node?
            do { node = try Yams.compose(yaml: yaml) } catch { throw Invalid(description: "configuration is not valid YAML: \(error)") }
            if let node { try flatten(node, prefix: "", into: &flat) }
        }
        // SHIELDFLOW_KAFKA_CONSUMER_SASL_MECHANISM → kafka.consumer.sasl.mechanism; other
        // SHIELDFLOW_X_Y → x_y (the top-level names use underscores).
        // SHIELDFLOW_TEST_* belongs to the test scripts, not to the daemon.
        for (name, value) in environment where name.hasPrefix("SHIELDFLOW_") && !name.hasPrefix("SHIELDFLOW_TEST_") {
            let rest = name.dropFirst("SHIELDFLOW_".count).lowercased()
            for scope in ["kafka_consumer_", "kafka_producer_", "kafka_common_"] where rest.hasPrefix(scope) {
                let section = String(scope.dropLast()).replacingOccurrences(of: "_", with: ".")
                flat[section + "." + rest.dropFirst(scope.count).replacingOccurrences(of: "_", with: ".")] = value
            }
            if !rest.hasPrefix("kafka_") { flat[rest] = value }
        }
        var c = DaemonConfiguration()
        func int(_ key: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let v = flat[key] else { return nil }
            guard let i = Int(v), range.contains(i) else { throw Invalid(description: "`\(key)` must be an integer in \(range), got \(v)") }
            return i
        }
        let known: Set<String> = ["brokers", "group_id", "batch_size", "workers", "rules", "model", "max_record_bytes", "redis_url", "fail_mode", "policy", "assignment", "http_port"]
        let datadogKeys: Set<String> = ["datadog_spool", "datadog_flush_seconds", "datadog_incident_window_seconds", "datadog_spool_max_bytes", "datadog_audit_logs", "datadog_timeout_ms"]
        for key in flat.keys where !known.contains(key) && !datadogKeys.contains(key) && key != "webhook_secret" && !key.hasPrefix("kafka.consumer.") && !key.hasPrefix("kafka.producer.")
            && !key.hasPrefix("kafka.common.") {
            throw Invalid(description: "unknown configuration key `\(key)`")
        }
        c.brokers = flat["brokers"]
        if let g = flat["group_id"] { c.groupId = g }
        c.batchSize = try int("batch_size", 1...100_000) ?? c.batchSize
        c.workers = try int("workers", 1...256)
        c.httpPort = try int("http_port", -1...65535) ?? c.httpPort
        c.maxRecordBytes = try int("max_record_bytes", 1_024...(64 << 20)) ?? c.maxRecordBytes
        c.rulesDirectory = flat["rules"]
        c.model = flat["model"]
        c.policy = flat["policy"]
        c.webhookSecret = flat["webhook_secret"]
        for k in datadogKeys { if let v = flat[k] { c.datadog[String(k.dropFirst("datadog_".count))] = v } }
        if let r = flat["redis_url"] {
            guard r.hasPrefix("redis://") else { throw Invalid(description: "`redis_url` must look like redis://host:port[/db], got \(r)") }
            c.redisURL = r
        }
        switch flat["fail_mode"] {
        case nil, "closed": c.failOpen = false
        case "open": c.failOpen = true
        case let other?: throw Invalid(description: "`fail_mode` must be `closed` or `open`, got \(other)")
        }
        for (k, v) in flat {
            if k.hasPrefix("kafka.common.") { let p = String(k.dropFirst("kafka.common.".count)); c.consumer[p] = v; c.producer[p] = v }
        }
        for (k, v) in flat {
            if k.hasPrefix("kafka.consumer.") { c.consumer[String(k.dropFirst("kafka.consumer.".count))] = v }
            if k.hasPrefix("kafka.producer.") { c.producer[String(k.dropFirst("kafka.producer.".count))] = v }
        }
        // `assignment` (SHIELDFLOW_ASSIGNMENT) is shorthand for the consumer's partition.assignment.strategy.
        if let a = flat["assignment"], c.consumer["partition.assignment.strategy"] == nil { c.consumer["partition.assignment.strategy"] = a }
        return c
    }
}
