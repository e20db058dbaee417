import CurlAdapter
import Foundation
import Logging
import ShieldFlowCore

/// Where and how ShieldFlow talks to Datadog; the names are the ones Datadog users know.
public struct DatadogSettings: Sendable {
    public var apiKey: String?
    public var appKey: String?
    public var site = "datadoghq.com"
    public var apiURL: String
    public var logsURL: String
    public var env: String?
    public var service = "shieldflow"
    public var version = ShieldFlowRelease.version
    public var hostname = ProcessInfo.processInfo.hostName
    /// Metrics through the Agent's DogStatsD (UDP) instead of the series API.
    public var dogstatsd: (host: String, port: Int)?
    public var flushSeconds = 10.0
    public var spoolDirectory: String
    public var spoolMaxBytes = 64 << 20
    /// One incident per session per window; later serious decisions attach to it.
    public var incidentWindowSeconds = 600.0
    /// Also send every decision as a log (the audit stream).
    public var auditLogs = false
    public var timeoutMs = 10_000

    public init(site: String = "datadoghq.com", spoolDirectory: String) {
        self.site = site
        apiURL = "https://api.\(site)"
        logsURL = "https://http-intake.logs.\(site)"
        self.spoolDirectory = spoolDirectory
    }

    /// From the `DD_*` variables and the configuration's `datadog_*` options; nil when neither an
    /// API key nor a DogStatsD agent is configured.
    public static func fromEnvironment(_ env: [String: String], options: [String: String] = [:]) -> DatadogSettings? {
        guard env["DD_API_KEY"] != nil || env["DD_AGENT_HOST"] != nil else { return nil }
        var s = DatadogSettings(site: env["DD_SITE"] ?? "datadoghq.com", spoolDirectory: options["spool"] ?? "/var/lib/shieldflow/spool")
        s.apiKey = env["DD_API_KEY"]
        s.appKey = env["DD_APP_KEY"]
        if let u = env["DD_API_URL"] { s.apiURL = u.hasSuffix("/") ? String(u.dropLast()) : u }
        if let u = env["DD_LOGS_URL"] { s.logsURL = u.hasSuffix("/") ? String(u.dropLast()) : u }
        s.env = env["DD_ENV"]
        if let v = env["DD_SERVICE"] { s.service = v }
        if let v = env["DD_VERSION"] { s.version = v }
        if let h = env["DD_AGENT_HOST"] { s.dogstatsd = (h, Int(env["DD_DOGSTATSD_PORT"] ?? "") ?? 8125) }
        if let f = options["flush_seconds"].flatMap(Double.init), f > 0 { s.flushSeconds = f }
        if let w = options["incident_window_seconds"].flatMap(Double.init), w >= 0 { s.incidentWindowSeconds = w }
        if let m = options["spool_max_bytes"].flatMap(Int.init), m > 0 { s.spoolMaxBytes = m }
        s.auditLogs = options["audit_logs"] == "true"
        if let t = options["timeout_ms"].flatMap(Int.init), t > 0 { s.timeoutMs = t }
        return s
    }

    /// Unified service tagging: `env`, `service`, `version`. Never session, user or event ids.
    public var baseTags: [String] { (env.map { ["env:\($0)"] } ?? []) + ["service:\(service)", "version:\(version)"] }
}


/// What goes to Datadog, built from decisions. Pure functions: tests validate their output against
/// Datadog's own schemas. Nothing here reads a finding's raw value: only rule ids, categories,
/// offsets and the already-redacted excerpts.
public enum DatadogPayloads {
    public static let eventTextLimit = 4000
    public static let logsPerRequest = 1000
    public static let logsBytesPerRequest = 4_500_000
    public static let seriesBytesPerRequest = 2_000_000  // uncompressed; compressed it stays far below 512 kB

    public struct Point: Sendable, Hashable {
        public var metric: String
        public var type: Int  // 1 count, 3 gauge
        public var value: Double
        public var tags: [String]
        public init(metric: String, type: Int, value: Double, tags: [String]) {
            self.metric = metric; self.type = type; self.value = value; self.tags = tags
        }
    }

    static func json(_ o: Any) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8))
    }

    /// `POST /api/v2/series` bodies, split to stay inside the payload limit.
    public static func series(_ points: [Point], timestamp: Int64, interval: Int64, baseTags: [String], host: String) -> [[UInt8]] {
        var bodies: [[UInt8]] = []
        var chunk: [[String: Any]] = []
        var size = 0
        for p in points {
            var s: [String: Any] = ["metric": p.metric, "type": p.type, "points": [["timestamp": timestamp, "value": p.value]],
                                    "tags": baseTags + p.tags, "resources": [["name": host, "type": "host"]]]
            if p.type == 1 { s["interval"] = interval }
            let approx = 200 + p.metric.utf8.count + (baseTags + p.tags).reduce(0) { $0 + $1.utf8.count + 3 }
            if size + approx > seriesBytesPerRequest && !chunk.isEmpty {
                bodies.append(json(["series": chunk]))
                chunk = []
                size = 0
            }
            chunk.append(s)
            size += approx
        }
        if !chunk.isEmpty { bodies.append(json(["series": chunk])) }
        return bodies
    }

    static func truncate(_ s: String, _ limit: Int) -> String {
        guard s.count > limit else { return s }
        return String(s.prefix(limit - 1)) + "…"
    }

    /// The markdown that links a decision back to Kafka and says why.
    static func details(_ d: DecisionRecord) -> String {
        var lines = [
            "**\(d.action.rawValue)** of a \(d.kind.rawValue) event",
            "- decision_id: `\(d.decisionId)`", "- event_id: `\(d.eventId)`", "- session_id: `\(d.sessionId)`",
            "- source: `\(d.source.topic)` partition \(d.source.partition) offset \(d.source.offset)",
        ]
        if let t = d.traceId { lines.append("- trace_id: `\(t)`") }
        if let i = d.incident {
            lines.append("- rules: \(i.ruleIds.joined(separator: ", ")) (confidence \(String(format: "%.2f", i.confidence)))")
        }
        if let p = d.policy { lines.append("- policy: \(p.code.rawValue): \(p.detail)") }
        if let a = d.trust.after { lines.append("- trust: \(d.trust.before.map { String(format: "%.1f", $0) } ?? "?") → \(String(format: "%.1f", a))") }
        for f in d.findings.prefix(5) {
            lines.append("- \(f.ruleId) \(f.category.rawValue)/\(f.severity.rawValue) in `\(f.field)` [\(f.start), \(f.end)): \(f.excerpt.replacingOccurrences(of: "`", with: "'"))")
        }
        return lines.joined(separator: "\n")
    }

    static func aggregationKey(_ session: String, window: Int64) -> String {
        var h: UInt64 = 0xcbf29ce484222325
        for b in "\(session)\u{0}\(window)".utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return "shieldflow-" + String(h, radix: 16)
    }

    /// `POST /api/v1/events`: an `error` event for a new incident window, `warning` for later
    /// decisions that attach to it through the same aggregation key.
    public static func event(_ d: DecisionRecord, aggregationKey: String, attached: Bool, baseTags: [String], host: String) -> [UInt8] {
        let title = truncate("ShieldFlow: \(d.incident?.title ?? "\(d.action.rawValue) \(d.kind.rawValue)")", 100)
        let body = "%%% \n" + details(d) + "\n %%%"
        return json([
            "title": title, "text": truncate(body, eventTextLimit), "alert_type": attached ? "warning" : "error",
            "aggregation_key": aggregationKey, "source_type_name": "shieldflow", "host": host, "priority": "normal",
            "date_happened": (d.source.timestamp ?? Int64(Date().timeIntervalSince1970 * 1000)) / 1000,
            "tags": baseTags + ["action:\(d.action.rawValue)", "kind:\(d.kind.rawValue)", "severity:\(d.incident?.severity.rawValue ?? "high")"],
        ] as [String: Any])
    }

    /// `POST /api/v2/incidents` (needs an application key).
    public static func incident(_ d: DecisionRecord, baseTags: [String]) -> [UInt8] {
        let sev = d.incident?.severity == .critical ? "SEV-1" : "SEV-2"
        return json(["data": [
            "type": "incidents",
            "attributes": [
                "title": truncate("ShieldFlow: \(d.incident?.title ?? d.action.rawValue)", 200),
                "customer_impacted": false,
                "fields": ["severity": ["type": "dropdown", "value": sev],
                           "detection_method": ["type": "dropdown", "value": "monitor"],
                           "services": ["type": "autocomplete", "value": [baseTags.first { $0.hasPrefix("service:") }.map { String($0.dropFirst(8)) } ?? "shieldflow"]]],
                "initial_cells": [["cell_type": "markdown", "content": ["content": truncate(details(d), eventTextLimit)]]],
            ] as [String: Any],
        ] as [String: Any]])
    }

    /// `POST /api/v2/logs`: the decision audit stream (no masked text, no excerpts: ids, actions, rules).
    public static func logs(_ decisions: [DecisionRecord], baseTags: [String], service: String, host: String) -> [[UInt8]] {
        var bodies: [[UInt8]] = []
        var chunk: [[String: Any]] = []
        var size = 0
        for d in decisions {
            var summary: [String: Any] = [
                "decision_id": d.decisionId, "event_id": d.eventId, "session_id": d.sessionId, "kind": d.kind.rawValue,
                "action": d.action.rawValue, "rule_ids": Array(Set(d.findings.map(\.ruleId))).sorted(),
                "categories": Array(Set(d.findings.map(\.category.rawValue))).sorted(),
                "source": ["topic": d.source.topic, "partition": d.source.partition, "offset": d.source.offset],
                "latency_ms": d.latencyMs,
            ]
            if let a = d.trust.after { summary["trust_after"] = a }
            if let t = d.traceId { summary["trace_id"] = t }
            if let p = d.policy { summary["policy"] = p.code.rawValue }
            let message = String(decoding: json(summary), as: UTF8.self)
            let entry: [String: Any] = ["message": message, "ddsource": "shieldflow", "service": service, "hostname": host,
                                        "ddtags": (baseTags + ["action:\(d.action.rawValue)", "kind:\(d.kind.rawValue)"]).joined(separator: ",")]
            let approx = message.utf8.count + 200
            if !chunk.isEmpty && (chunk.count >= logsPerRequest || size + approx > logsBytesPerRequest) {
                bodies.append(json(chunk))
                chunk = []
                size = 0
            }
            chunk.append(entry)
            size += approx
        }
        if !chunk.isEmpty { bodies.append(json(chunk)) }
        return bodies
    }
}

/// A durable, size-capped, ordered on-disk queue of request bodies. Every payload is written here
/// first and deleted once Datadog accepted it, so a crash or an outage loses nothing that fits in
/// the cap; over the cap the oldest payloads are dropped and counted. The directory is read once at
/// start; after that an in-memory index (under a lock) keeps order, sizes and the total, so an
/// append never lists the directory.
public final class Spool: @unchecked Sendable {
    public let directory: URL
    let maxBytes: Int
    private let lock = NSLock()
    private var next: UInt64 = 0
    private var index: [(url: URL, size: Int)] = []
    private var total = 0
    private var droppedCount = 0

    public init(directory: String, maxBytes: Int) throws {
        self.directory = URL(fileURLWithPath: directory)
        self.maxBytes = maxBytes
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: self.directory.appendingPathComponent("rejected"), withIntermediateDirectories: true)
        let names = try FileManager.default.contentsOfDirectory(atPath: self.directory.path).filter { $0.hasSuffix(".body") }.sorted()
        for name in names {
            let url = self.directory.appendingPathComponent(name)
            let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
            index.append((url, size))
            total += size
        }
        // Numbering continues across restarts (also after the spool drained), so arrival order
        // at Datadog follows creation order.
        let persisted = (try? String(contentsOf: self.directory.appendingPathComponent("sequence"), encoding: .utf8)).flatMap { UInt64($0) } ?? 0
        next = max(persisted, index.last.flatMap { UInt64($0.url.lastPathComponent.prefix(20)) } ?? 0) + 1
    }

    /// Spooled payloads, oldest first.
    public func entries() -> [URL] { lock.withLock { index.map(\.url) } }
    public var depth: Int { lock.withLock { index.count } }
    public var dropped: Int { lock.withLock { droppedCount } }

    /// Appends a payload for `endpoint` (series, events, incidents, logs); returns false if it could not be written.
    @discardableResult
    public func append(endpoint: String, body: [UInt8]) -> Bool {
        lock.withLock {
            let seq = String(format: "%020llu", next)
            next += 1
            let url = directory.appendingPathComponent("\(seq).\(endpoint).body")
            let tmp = directory.appendingPathComponent(".\(seq).tmp")
            guard FileManager.default.createFile(atPath: tmp.path, contents: Data(body)),
                  (try? FileManager.default.moveItem(at: tmp, to: url)) != nil else { return false }
            try? String(next - 1).write(to: directory.appendingPathComponent("sequence"), atomically: true, encoding: .utf8)
            index.append((url, body.count))
            total += body.count
            while total > maxBytes, index.count > 1 {
                let oldest = index.removeFirst()
                try? FileManager.default.removeItem(at: oldest.url)
                total -= oldest.size
                droppedCount += 1
            }
            return true
        }
    }

    /// Takes a payload off the queue: delivered (deleted) or rejected (kept aside in `rejected/`).
    public func remove(_ url: URL, rejected: Bool = false) {
        lock.withLock {
            if let i = index.firstIndex(where: { $0.url == url }) {
                total -= index[i].size
                index.remove(at: i)
            }
            if rejected {
                try? FileManager.default.moveItem(at: url, to: directory.appendingPathComponent("rejected").appendingPathComponent(url.lastPathComponent))
            } else {
                try? FileManager.default.removeItem(at: url)
            }
        }
    }
}

/// Aggregates decisions into Datadog metrics, incidents, events and logs; a background thread
/// spools and delivers them. `record` never blocks on the network: the event path only takes a lock.
public final class DatadogReporter: @unchecked Sendable {
    let settings: DatadogSettings
    let logger: Logger
    public let spool: Spool
    private let lock = NSLock()
    private var counts: [DatadogPayloads.Point: Double] = [:]
    private var gauges: [String: (sum: Double, n: Int, min: Double, max: Double)] = [:]
    private var distributions: [String: [Double]] = [:]
    private var audit: [DecisionRecord] = []
    private var windows: [String: Int64] = [:]
    private var lag = 0.0
    private var stopped = false
    private let wake = DispatchSemaphore(value: 0)
    private var thread: Thread?

    public init(settings: DatadogSettings, logger: Logger) throws {
        self.settings = settings
        self.logger = logger
        spool = try Spool(directory: settings.spoolDirectory, maxBytes: settings.spoolMaxBytes)
    }

    /// Counters sent every interval, zero when nothing happened.
    public static let alwaysCounted = ["shieldflow.allows", "shieldflow.masks", "shieldflow.blocks", "shieldflow.tool_denials", "shieldflow.reviews",
                                       "shieldflow.detections", "shieldflow.entropy_spikes", "shieldflow.dead_letters", "shieldflow.trust_unavailable"]

    static func key(_ metric: String, _ tags: [String]) -> DatadogPayloads.Point { .init(metric: metric, type: 1, value: 0, tags: tags) }

    public func record(_ d: DecisionRecord, tokenHealth: Double? = nil) {
        let kind = "kind:\(d.kind.rawValue)"
        let metric: String = switch d.action {
        case .allow: "shieldflow.allows"
        case .allowMasked: "shieldflow.masks"
        case .block: "shieldflow.blocks"
        case .denyTool: "shieldflow.tool_denials"
        case .review: "shieldflow.reviews"
        }
        var serious: [UInt8]?
        var endpoint = "events"
        lock.withLock {
            counts[Self.key(metric, [kind]), default: 0] += 1
            for f in d.findings where f.category != .validation {
                counts[Self.key("shieldflow.detections", ["category:\(f.category.rawValue)", "severity:\(f.severity.rawValue)"]), default: 0] += 1
                // Rule ids are a bounded set (the shipped rules and the model), fine as a tag.
                counts[Self.key("shieldflow.rule_hits", ["rule_id:\(f.ruleId)"]), default: 0] += 1
                if f.ruleId == "SF-EXF-ENTROPY" { counts[Self.key("shieldflow.entropy_spikes", [kind]), default: 0] += 1 }
            }
            if d.trust.unavailable == true { counts[Self.key("shieldflow.trust_unavailable", [kind]), default: 0] += 1 }
            if let a = d.trust.after { observe("shieldflow.trust_score", a) }
            if let h = tokenHealth { observe("shieldflow.token_health", h) }
            observe("shieldflow.decision_latency", d.latencyMs)
            if settings.auditLogs && settings.apiKey != nil { audit.append(d) }
            // Incidents: block, deny_tool and review at high severity, once per session per window.
            if let inc = d.incident, inc.severity >= .high, d.action == .block || d.action == .denyTool || d.action == .review,
               settings.apiKey != nil {
                let now = Int64(Date().timeIntervalSince1970)
                let open = windows[d.sessionId].map { settings.incidentWindowSeconds > 0 && Double(now - $0) < settings.incidentWindowSeconds } ?? false
                if !open {
                    windows[d.sessionId] = now
                    if windows.count > 100_000 { windows = windows.filter { Double(now - $0.value) < settings.incidentWindowSeconds } }
                }
                let aggregation = DatadogPayloads.aggregationKey(d.sessionId, window: windows[d.sessionId] ?? now)
                if !open && settings.appKey != nil {
                    serious = DatadogPayloads.incident(d, baseTags: settings.baseTags)
                    endpoint = "incidents"
                } else {
                    serious = DatadogPayloads.event(d, aggregationKey: aggregation, attached: open, baseTags: settings.baseTags, host: settings.hostname)
                }
            }
        }
        if let serious {
            spool.append(endpoint: endpoint, body: serious)
            wake.signal()
        }
    }

    public func recordDeadLetter(reason: String) {
        lock.withLock { counts[Self.key("shieldflow.dead_letters", ["reason:\(reason)"]), default: 0] += 1 }
    }

    public func setConsumerLag(_ total: Double) { lock.withLock { lag = total } }

    private func observe(_ name: String, _ v: Double) {
        var g = gauges[name] ?? (0, 0, .infinity, -.infinity)
        g.sum += v; g.n += 1; g.min = min(g.min, v); g.max = max(g.max, v)
        gauges[name] = g
        if settings.dogstatsd != nil && (distributions[name]?.count ?? 0) < 2000 { distributions[name, default: []].append(v) }
    }

    /// Takes the interval's aggregates and spools (or, for DogStatsD, sends) them.
    func flushMetrics() {
        let (c, g, dists, logs, lagNow) = lock.withLock {
            defer { counts = [:]; gauges = [:]; distributions = [:]; audit = [] }
            return (counts, gauges, distributions, audit, lag)
        }
        var points = c.map { DatadogPayloads.Point(metric: $0.key.metric, type: 1, value: $0.value, tags: $0.key.tags) }
        // Zeros for quiet intervals, so monitors see data and dashboards draw 0 rather than gaps.
        let present = Set(points.map(\.metric))
        for name in Self.alwaysCounted where !present.contains(name) { points.append(.init(metric: name, type: 1, value: 0, tags: [])) }
        for (name, v) in g where v.n > 0 {
            points.append(.init(metric: name, type: 3, value: v.sum / Double(v.n), tags: []))
            points.append(.init(metric: name + ".min", type: 3, value: v.min, tags: []))
            points.append(.init(metric: name + ".max", type: 3, value: v.max, tags: []))
        }
        points.append(.init(metric: "shieldflow.consumer_lag", type: 3, value: lagNow, tags: []))
        points.append(.init(metric: "shieldflow.spool_depth", type: 3, value: Double(spool.depth), tags: []))
        points.append(.init(metric: "shieldflow.spool_dropped", type: 3, value: Double(spool.dropped), tags: []))
        if let statsd = settings.dogstatsd {
            DogStatsD.send(points: points, distributions: dists, baseTags: settings.baseTags, host: statsd.host, port: statsd.port)
        } else if settings.apiKey != nil {
            for body in DatadogPayloads.series(points.sorted { ($0.metric, $0.tags.joined()) < ($1.metric, $1.tags.joined()) },
                                               timestamp: Int64(Date().timeIntervalSince1970), interval: Int64(settings.flushSeconds),
                                               baseTags: settings.baseTags, host: settings.hostname) {
                spool.append(endpoint: "series", body: body)
            }
        }
        for body in DatadogPayloads.logs(logs, baseTags: settings.baseTags, service: settings.service, host: settings.hostname) {
            spool.append(endpoint: "logs", body: body)
        }
    }

    public func start() {
        let t = Thread { [self] in loop() }
        t.name = "shieldflow-datadog"
        thread = t
        t.start()
    }

    /// Flushes the last interval and tries to deliver for up to `drainSeconds`; what is left stays
    /// in the spool for the next start.
    public func stop(drainSeconds: Double = 5) {
        lock.withLock { stopped = true }
        flushMetrics()
        let client = HTTPClient()
        let deadline = Date().addingTimeInterval(drainSeconds)
        var backoff = 0.5
        while Date() < deadline, spool.depth > 0 {
            if case .retry(let after) = deliver(client) { Thread.sleep(forTimeInterval: min(after ?? backoff, deadline.timeIntervalSinceNow)); backoff *= 2 }
        }
        wake.signal()
    }

    enum Delivery { case drained, retry(after: Double?) }

    private func loop() {
        let client = HTTPClient()
        var nextFlush = Date().addingTimeInterval(settings.flushSeconds)
        var backoff = 1.0
        var notBefore = Date.distantPast
        while !lock.withLock({ stopped }) {
            let wait = min(nextFlush.timeIntervalSinceNow, max(0, notBefore.timeIntervalSinceNow), 1.0)
            _ = wake.wait(timeout: .now() + max(0.01, spool.depth == 0 ? nextFlush.timeIntervalSinceNow : wait))
            if lock.withLock({ stopped }) { return }
            if Date() >= nextFlush {
                flushMetrics()
                nextFlush = Date().addingTimeInterval(settings.flushSeconds)
            }
            guard Date() >= notBefore, settings.apiKey != nil else { continue }
            switch deliver(client) {
            case .drained:
                backoff = 1
            case .retry(let after):
                // Exponential backoff with jitter; a 429's reset header says exactly how long.
                let delay = after ?? backoff * Double.random(in: 0.5...1.5)
                notBefore = Date().addingTimeInterval(delay)
                if after == nil { backoff = min(backoff * 2, 60) }
            }
        }
    }

    func url(for endpoint: String) -> String {
        switch endpoint {
        case "series": settings.apiURL + "/api/v2/series"
        case "incidents": settings.apiURL + "/api/v2/incidents"
        case "logs": settings.logsURL + "/api/v2/logs"
        default: settings.apiURL + "/api/v1/events"
        }
    }

    /// Sends spooled payloads in order until the spool is empty or a request must be retried.
    func deliver(_ client: HTTPClient) -> Delivery {
        for file in spool.entries() {
            let parts = file.lastPathComponent.split(separator: ".")
            guard parts.count == 3, let body = FileManager.default.contents(atPath: file.path) else {
                spool.remove(file)
                continue
            }
            let endpoint = String(parts[1])
            var headers = ["Content-Type: application/json", "DD-API-KEY: \(settings.apiKey ?? "")", "X-ShieldFlow-Sequence: \(parts[0])"]
            var payload = Array(body)
            if endpoint == "incidents", let app = settings.appKey { headers.append("DD-APPLICATION-KEY: \(app)") }
            if endpoint == "series" || endpoint == "logs", let gz = HTTPClient.gzip(payload) {
                payload = gz
                headers.append("Content-Encoding: gzip")
            }
            do {
                let r = try client.post(url: url(for: endpoint), headers: headers, body: payload, timeoutMs: settings.timeoutMs)
                switch r.status {
                case 200..<300:
                    spool.remove(file)
                case 429:
                    let reset = r.headers["x-ratelimit-reset"].flatMap(Double.init) ?? 5
                    logger.warning("datadog rate limit", metadata: ["endpoint": "\(endpoint)", "retry_in_s": "\(reset)"])
                    return .retry(after: max(0.1, reset))
                case 408, 500..<600:
                    logger.warning("datadog unavailable; payload stays spooled", metadata: ["endpoint": "\(endpoint)", "status": "\(r.status)"])
                    return .retry(after: nil)
                default:
                    // A payload Datadog will never take (400, 403, 413): keep it aside, do not block the queue.
                    spool.remove(file, rejected: true)
                    logger.error("datadog rejected a payload; moved to spool/rejected", metadata: ["endpoint": "\(endpoint)", "status": "\(r.status)"])
                }
            } catch {
                logger.warning("datadog unreachable; payload stays spooled", metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
                return .retry(after: nil)
            }
        }
        return .drained
    }
}

/// DogStatsD over UDP to the local Agent: counts `|c`, gauges `|g`, distributions `|d`, several
/// lines per datagram, each datagram under 1,432 bytes.
public enum DogStatsD {
    public static func lines(points: [DatadogPayloads.Point], distributions: [String: [Double]], baseTags: [String]) -> [String] {
        func tags(_ t: [String]) -> String { "|#" + (baseTags + t).joined(separator: ",") }
        var out: [String] = []
        for p in points where !(distributions[p.metric.replacingOccurrences(of: ".min", with: "").replacingOccurrences(of: ".max", with: "")] != nil && p.type == 3) {
            out.append("\(p.metric):\(p.value)|\(p.type == 1 ? "c" : "g")\(tags(p.tags))")
        }
        for (name, values) in distributions.sorted(by: { $0.key < $1.key }) {
            for v in values { out.append("\(name):\(v)|d\(tags([]))") }
        }
        return out
    }

    static func send(points: [DatadogPayloads.Point], distributions: [String: [Double]], baseTags: [String], host: String, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        if inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &addr.sin_addr) != 1 { return }
        var datagram = ""
        func flush() {
            guard !datagram.isEmpty else { return }
            let bytes = Array(datagram.utf8)
            _ = withUnsafePointer(to: &addr) { a in
                a.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            datagram = ""
        }
        for line in lines(points: points, distributions: distributions, baseTags: baseTags) {
            if datagram.utf8.count + line.utf8.count + 1 > 1432 { flush() }
            datagram += datagram.isEmpty ? line : "\n" + line
        }
        flush()
    }
}
