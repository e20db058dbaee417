import Foundation
import Logging
import ShieldFlowCore

/// `POST /webhooks/datadog`: a Datadog monitor or incident notification revokes tool access for a
/// session or an agent ("cut hands off"). The request carries the shared secret in
/// `X-ShieldFlow-Token` (or `Authorization: Bearer …`), compared in constant time; the body is the
/// webhook's JSON payload: `{"session_id": …}` or `{"agent_id": …}`, with an optional `id`
/// (Datadog's `$ID`) that makes repeated deliveries recognisable. Revoking is idempotent; every
/// call is audited in the log. Un-revoking is for operators (`shieldflow trust unrevoke`).
public final class DatadogWebhook: @unchecked Sendable {
    let secret: [UInt8]
    let store: any TrustStore
    let logger: Logger
    let metrics: MetricsRegistry
    private let lock = NSLock()
    private var seen: [String] = []
    private var seenSet: Set<String> = []

    public init(secret: String, store: any TrustStore, logger: Logger, metrics: MetricsRegistry) {
        self.secret = Array(secret.utf8)
        self.store = store
        self.logger = logger
        self.metrics = metrics
        metrics.declare("shieldflow_webhook_requests_total", .counter, "Webhook calls by result (revoked, duplicate, unauthorized, invalid, failed).")
    }

    /// Equal-length-independent comparison: the time depends only on the supplied token's length.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for i in 0..<a.count { diff |= a[i] ^ (b.isEmpty ? 0 : b[i % b.count]) }
        return diff == 0 && !b.isEmpty
    }

    public func handle(headers: [String: String], body: [UInt8]) -> (status: Int, body: String) {
        func result(_ r: String, _ status: Int, _ json: String) -> (Int, String) {
            metrics.increment("shieldflow_webhook_requests_total", [("result", r)])
            return (status, json)
        }
        let token = headers["x-shieldflow-token"] ?? headers["authorization"].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil } ?? ""
        guard Self.constantTimeEqual(Array(token.utf8), secret) else {
            logger.warning("webhook rejected: bad or missing token")
            return result("unauthorized", 401, #"{"error":"unauthorized"}"#)
        }
        guard let o = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            return result("invalid", 400, #"{"error":"body must be a JSON object"}"#)
        }
        let session = (o["session_id"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        let agent = (o["agent_id"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        guard (session == nil) != (agent == nil) else {
            return result("invalid", 400, #"{"error":"give exactly one of session_id or agent_id"}"#)
        }
        if let action = o["action"] as? String, action != "revoke" {
            return result("invalid", 400, #"{"error":"only action revoke is accepted; un-revoke with shieldflow trust unrevoke"}"#)
        }
        let target: RevocationTarget = session.map { .session($0) } ?? .agent(agent!)
        let delivery = (o["id"] as? String) ?? (o["id"] as? NSNumber)?.stringValue
        var duplicate = false
        if let d = delivery {
            lock.lock()
            if seenSet.contains(d) {
                duplicate = true
            } else {
                seenSet.insert(d)
                seen.append(d)
                if seen.count > 10_000 { seenSet.remove(seen.removeFirst()) }
            }
            lock.unlock()
        }
        // The store is async; the HTTP thread waits for it (bounded by the store's own timeouts).
        let done = DispatchSemaphore(value: 0)
        let failure = FailureBox()
        let store = self.store
        Task {
            do { try await store.setRevoked(target, true) } catch { failure.set("\(error)") }
            done.signal()
        }
        done.wait()
        let what = session == nil ? "agent" : "session"
        let id = session ?? agent!
        if let e = failure.value {
            logger.error("webhook revoke failed", metadata: [what: "\(id)", "delivery_id": "\(delivery ?? "")", "error": "\(e)"])
            return result("failed", 503, #"{"error":"trust store unavailable; retry"}"#)
        }
        logger.notice("webhook revoke", metadata: [what: "\(id)", "delivery_id": "\(delivery ?? "")", "duplicate": "\(duplicate)", "audit": "true"])
        return result(duplicate ? "duplicate" : "revoked", 200, #"{"revoked":"\#(what)","duplicate":\#(duplicate)}"#)
    }

    final class FailureBox: @unchecked Sendable {
        private let lock = NSLock()
        private var v: String?
        var value: String? { lock.withLock { v } }
        func set(_ s: String) { lock.withLock { v = s } }
    }
}
