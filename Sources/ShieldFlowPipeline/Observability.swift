import Foundation
import Logging
import ShieldFlowCore

/// The daemon's metrics, rendered as Prometheus text (exposition format 0.0.4) on `/metrics`.
/// Label values are bounded: actions, kinds, categories, reasons, topics and partitions; never a
/// session, user or event id, and never a value a detector found.
public final class MetricsRegistry: @unchecked Sendable {
    public enum Kind: String, Sendable { case counter, gauge, histogram }
    struct Family { let kind: Kind; let help: String }

    private let lock = NSLock()
    private var families: [String: Family] = [:]
    private var values: [String: [String: Double]] = [:]  // family → rendered labels → value
    private var histograms: [String: [String: (buckets: [Int], sum: Double, count: Int)]] = [:]
    /// Upper bounds of the latency histogram, seconds.
    public static let latencyBuckets: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]

    public init() {
        declare("shieldflow_events_consumed_total", .counter, "Records consumed from the input topics.")
        declare("shieldflow_decisions_total", .counter, "Decisions produced, by action and event kind.")
        declare("shieldflow_findings_total", .counter, "Findings in produced decisions, by category.")
        declare("shieldflow_dead_letters_total", .counter, "Records sent to the dead-letter topic, by reason.")
        declare("shieldflow_batches_total", .counter, "Batches decided, produced and committed.")
        declare("shieldflow_commit_failures_total", .counter, "Offset commits that failed (covered by the next batch's commit).")
        declare("shieldflow_offset_resets_total", .counter, "Times a partition's position was gone from the broker (records deleted before they were read, so never decided), by topic and partition.")
        declare("shieldflow_rebalances_total", .counter, "Rebalances that took partitions away (the batches in hand were committed first).")
        declare("shieldflow_trust_store_failures_total", .counter, "Batches decided without the trust store (fail_mode applied).")
        declare("shieldflow_decision_latency_seconds", .histogram, "Time from consuming a record to its decision, seconds.")
        declare("shieldflow_consumer_lag", .gauge, "Records behind the high watermark, per assigned partition.")
        declare("shieldflow_ready", .gauge, "1 once the daemon has joined its group and polled, 0 while starting or stopping.")
    }

    public func declare(_ name: String, _ kind: Kind, _ help: String) {
        lock.withLock { families[name] = Family(kind: kind, help: help) }
    }

    /// `{k="v",…}` with Prometheus' escapes (backslash, quote, newline). Called for every decision,
    /// so it appends bytes instead of going through Foundation's string search.
    static func render(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        var out: [UInt8] = [0x7B]
        out.reserveCapacity(64)
        for (i, (k, v)) in labels.enumerated() {
            if i > 0 { out.append(0x2C) }
            out.append(contentsOf: k.utf8)
            out.append(0x3D); out.append(0x22)
            for b in v.utf8 {
                switch b {
                case 0x5C: out.append(0x5C); out.append(0x5C)
                case 0x22: out.append(0x5C); out.append(0x22)
                case 0x0A: out.append(0x5C); out.append(0x6E)
                default: out.append(b)
                }
            }
            out.append(0x22)
        }
        out.append(0x7D)
        return String(decoding: out, as: UTF8.self)
    }

    public func increment(_ name: String, _ labels: [(String, String)] = [], by amount: Double = 1) {
        let key = Self.render(labels)
        lock.withLock { values[name, default: [:]][key, default: 0] += amount }
    }

    public func set(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        let key = Self.render(labels)
        lock.withLock { values[name, default: [:]][key] = value }
    }

    /// Replaces every series of a gauge family (partitions come and go with rebalances).
    public func replace(_ name: String, _ series: [([(String, String)], Double)]) {
        var fresh: [String: Double] = [:]
        for (labels, v) in series { fresh[Self.render(labels)] = v }
        lock.withLock { values[name] = fresh }
    }

    public func observe(_ name: String, _ value: Double, _ labels: [(String, String)] = []) {
        observe(name, values: [value], labels)
    }

    /// Several observations under one lock (a batch's latencies).
    public func observe(_ name: String, values: [Double], _ labels: [(String, String)] = []) {
        guard !values.isEmpty else { return }
        let key = Self.render(labels)
        lock.withLock {
            var h = histograms[name, default: [:]][key] ?? (Array(repeating: 0, count: Self.latencyBuckets.count), 0, 0)
            for value in values {
                if let i = Self.latencyBuckets.firstIndex(where: { value <= $0 }) { h.buckets[i] += 1 }
                h.sum += value
            }
            h.count += values.count
            histograms[name, default: [:]][key] = h
        }
    }

    public func value(_ name: String, _ labels: [(String, String)] = []) -> Double? {
        lock.withLock { values[name]?[Self.render(labels)] }
    }

    public func render() -> String {
        lock.withLock {
            var out = ""
            for name in families.keys.sorted() {
                let f = families[name]!
                out += "# HELP \(name) \(f.help)\n# TYPE \(name) \(f.kind.rawValue)\n"
                if f.kind == .histogram {
                    for (labels, h) in (histograms[name] ?? [:]).sorted(by: { $0.key < $1.key }) {
                        let inner = labels.isEmpty ? "" : String(labels.dropFirst().dropLast()) + ","
                        var cumulative = 0
                        for (i, le) in Self.latencyBuckets.enumerated() {
                            cumulative += h.buckets[i]
                            out += "\(name)_bucket{\(inner)le=\"\(le)\"} \(cumulative)\n"
                        }
                        out += "\(name)_bucket{\(inner)le=\"+Inf\"} \(h.count)\n\(name)_sum\(labels) \(h.sum)\n\(name)_count\(labels) \(h.count)\n"
                    }
                } else {
                    for (labels, v) in (values[name] ?? [:]).sorted(by: { $0.key < $1.key }) {
                        out += "\(name)\(labels) \(v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v))\n"
                    }
                }
            }
            return out
        }
    }
}

/// Liveness and readiness as the daemon reports them.
public final class Health: @unchecked Sendable {
    private let lock = NSLock()
    private var ready = false
    private var lastLoop = Date()
    public init() {}
    public func setReady(_ r: Bool) { lock.withLock { ready = r } }
    public func loopTick() { lock.withLock { lastLoop = Date() } }
    public var isReady: Bool { lock.withLock { ready } }
    /// Alive while the loop has turned within `stallSeconds` (a poll waits at most 100 ms; a batch
    /// with a slow broker flush at most 30 s).
    public func isAlive(stallSeconds: Double = 60) -> Bool { lock.withLock { Date().timeIntervalSince(lastLoop) < stallSeconds } }
}

/// A deliberately small HTTP/1.1 server for `/healthz`, `/readyz` and `/metrics`: GET only, one
/// connection at a time on its own thread, `Connection: close`. No framework on the event path.
public final class OpsServer: @unchecked Sendable {
    public let port: Int
    private let fd: Int32
    private let metrics: MetricsRegistry
    private let health: Health
    private let lock = NSLock()
    private var stopped = false

    public init(host: String = "0.0.0.0", port: Int, metrics: MetricsRegistry, health: Health) throws {
        self.metrics = metrics
        self.health = health
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard s >= 0 else { throw PolicyFile.Invalid(description: "socket(): \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &addr.sin_addr)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(s, 16) == 0 else {
            let msg = String(cString: strerror(errno))
            close(s)
            throw PolicyFile.Invalid(description: "cannot listen on \(host):\(port): \(msg)")
        }
        var actual = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        fd = s
    }

    public func start() {
        let t = Thread { [self] in serve() }
        t.name = "shieldflow-http"
        t.start()
    }

    public func stop() {
        lock.withLock { stopped = true }
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    private func serve() {
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 {
                if lock.withLock({ stopped }) { return }
                if errno == EINTR { continue }
                return
            }
            var tv = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            handle(c)
            close(c)
        }
    }

    public typealias PostHandler = @Sendable (_ headers: [String: String], _ body: [UInt8]) -> (status: Int, body: String)
    private var postHandlers: [String: PostHandler] = [:]

    /// Serves `POST path` with `handler` (headers lowercased; bodies up to 64 KiB).
    public func onPost(_ path: String, _ handler: @escaping PostHandler) { lock.withLock { postHandlers[path] = handler } }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "200 OK"
        case 400: "400 Bad Request"
        case 401: "401 Unauthorized"
        case 404: "404 Not Found"
        case 405: "405 Method Not Allowed"
        case 413: "413 Payload Too Large"
        case 503: "503 Service Unavailable"
        default: "\(status) Status"
        }
    }

    private func handle(_ c: Int32) {
        var buf: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        var headerEnd: Int?
        // Read the head (up to 16 KiB), then the body by Content-Length (up to 64 KiB).
        while headerEnd == nil && buf.count < 16_384 {
            let n = chunk.withUnsafeMutableBytes { recv(c, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            buf += chunk[..<n]
            if let r = buf.firstRange(of: [13, 10, 13, 10]) { headerEnd = r.upperBound }
        }
        let head = String(decoding: buf[..<(headerEnd ?? buf.count)], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.isEmpty ? "" : lines.removeFirst()
        var headers: [String: String] = [:]
        for l in lines {
            if let colon = l.firstIndex(of: ":") { headers[l[..<colon].lowercased()] = l[l.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
        }
        let parts = requestLine.split(separator: " ")
        let method = parts.first.map(String.init) ?? ""
        let path = parts.count > 1 ? (parts[1].split(separator: "?").first.map(String.init) ?? "") : ""
        var status = 200, type = "text/plain", body = ""
        if method == "GET" {
            switch path {
            case "/metrics": (type, body) = ("text/plain; version=0.0.4; charset=utf-8", metrics.render())
            case "/healthz": (status, body) = health.isAlive() ? (200, "ok\n") : (503, "loop stalled\n")
            case "/readyz": (status, body) = health.isReady ? (200, "ready\n") : (503, "not ready\n")
            default: (status, body) = (404, "not found\n")
            }
        } else if method == "POST", let handler = lock.withLock({ postHandlers[path] }) {
            let length = Int(headers["content-length"] ?? "0") ?? -1
            if length < 0 || length > 65_536 || headerEnd == nil {
                (status, body) = (length > 65_536 ? 413 : 400, "bad request\n")
            } else {
                var payload = Array(buf[headerEnd!...])
                while payload.count < length {
                    let n = chunk.withUnsafeMutableBytes { recv(c, $0.baseAddress, $0.count, 0) }
                    if n <= 0 { break }
                    payload += chunk[..<n]
                }
                if payload.count < length {
                    (status, body) = (400, "incomplete body\n")
                } else {
                    let r = handler(headers, Array(payload.prefix(length)))
                    (status, type, body) = (r.status, "application/json", r.body)
                }
            }
        } else {
            (status, body) = method == "GET" || method == "POST" ? (404, "not found\n") : (405, "GET or POST only\n")
        }
        let payload = Array(body.utf8)
        let headText = "HTTP/1.1 \(Self.reason(status))\r\nContent-Type: \(type)\r\nContent-Length: \(payload.count)\r\nConnection: close\r\n\r\n"
        for part in [Array(headText.utf8), payload] {
            var sent = 0
            while sent < part.count {
                let n = part[sent...].withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return }
                sent += n
            }
        }
    }
}

/// swift-log handler writing one JSON object per line to standard error:
/// `{"ts":…,"level":…,"msg":…,"logger":…, <metadata>}`.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    static let lock = NSLock()

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    static func json(_ v: Logger.MetadataValue) -> Any {
        switch v {
        case .string(let s): return s
        case .stringConvertible(let c): return (c as? Int).map { $0 as Any } ?? (c as? Double).map { $0 as Any } ?? (c as? Bool).map { $0 as Any } ?? c.description
        case .array(let a): return a.map(json)
        case .dictionary(let d): return d.mapValues(json)
        }
    }

    public func log(event: LogEvent) {
        var o: [String: Any] = [:]
        for (k, v) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) { o[k] = Self.json(v) }
        if let e = event.error { o["error"] = "\(e)" }
        let level = event.level, message = event.message
        o["ts"] = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withInternetDateTime, .withFractionalSeconds])
        o["level"] = level.rawValue
        o["msg"] = message.description
        o["logger"] = label
        guard var data = try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        data.append(0x0A)
        Self.lock.withLock { FileHandle.standardError.write(data) }
    }
}

/// A batch's decisions, findings, dead letters and latencies, counted locally and added to the
/// registry once per batch (one lock per series, not one per event).
public struct BatchTally {
    struct ActionKind: Hashable { let action: Action; let kind: EventKind }
    var decided: [ActionKind: Int] = [:]
    var findings: [Category: Int] = [:]
    var dead: [String: Int] = [:]
    var latencies: [Double] = []

    public init(capacity: Int = 0) { latencies.reserveCapacity(capacity) }

    public mutating func count(_ outcome: Outcome) {
        switch outcome {
        case .decision(let d):
            decided[ActionKind(action: d.action, kind: d.kind), default: 0] += 1
            for f in d.findings { findings[f.category, default: 0] += 1 }
            latencies.append(d.latencyMs / 1000)
        case .deadLetter(let dl):
            dead[dl.reason.rawValue, default: 0] += 1
        }
    }

    public func add(to metrics: MetricsRegistry) {
        for (k, n) in decided { metrics.increment("shieldflow_decisions_total", [("action", k.action.rawValue), ("kind", k.kind.rawValue)], by: Double(n)) }
        for (c, n) in findings { metrics.increment("shieldflow_findings_total", [("category", c.rawValue)], by: Double(n)) }
        for (r, n) in dead { metrics.increment("shieldflow_dead_letters_total", [("reason", r)], by: Double(n)) }
        metrics.observe("shieldflow_decision_latency_seconds", values: latencies)
    }
}
