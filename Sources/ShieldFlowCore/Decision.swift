/// Where a decided record came from: the at-least-once identity of the decision.
public struct SourceRecord: Codable, Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    /// Record timestamp, milliseconds since the epoch, when the broker gave one.
    public var timestamp: Int64?

    public init(topic: String, partition: Int32, offset: Int64, timestamp: Int64? = nil) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
    }

    /// Deterministic id of the decision for this record: a replay after a crash yields the same id.
    public var decisionId: String {
        // FNV-1a over "topic\0partition\0offset" and over "offset\0partition\0topic", each
        // finished with splitmix64 (nearby offsets get unrelated ids). Built without intermediate
        // strings: it runs once per record. The ids never change between versions.
        let prime: UInt64 = 0x100000001b3
        var h: UInt64 = 0xcbf29ce484222325
        var g: UInt64 = 0x84222325cbf29ce4
        @inline(__always) func fnv(_ x: inout UInt64, _ b: UInt8) { x = (x ^ UInt64(b)) &* prime }
        func decimal(_ v: Int64, _ body: (UInt8) -> Void) {
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // up to 20 digits + sign, little-endian bytes
            var n = 0
            var m = v.magnitude
            withUnsafeMutableBytes(of: &digits) { d in
                repeat { d[n] = UInt8(48 + m % 10); m /= 10; n += 1 } while m > 0
                if v < 0 { d[n] = 45; n += 1 }
                while n > 0 { n -= 1; body(d[n]) }
            }
        }
        for b in topic.utf8 { fnv(&h, b) }
        fnv(&h, 0)
        decimal(Int64(partition)) { fnv(&h, $0) }
        fnv(&h, 0)
        decimal(offset) { fnv(&h, $0) }
        decimal(offset) { fnv(&g, $0) }
        fnv(&g, 0)
        decimal(Int64(partition)) { fnv(&g, $0) }
        fnv(&g, 0)
        for b in topic.utf8 { fnv(&g, b) }
        func mix(_ x: UInt64) -> UInt64 {
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let a = mix(h), c = mix(g)
        return String(unsafeUninitializedCapacity: 34) { out in
            let hex: StaticString = "0123456789abcdef"
            out[0] = 0x64; out[1] = 0x2D
            for i in 0..<16 {
                out[2 + i] = hex.utf8Start[Int((a >> UInt64(60 - 4 * i)) & 0xF)]
                out[18 + i] = hex.utf8Start[Int((c >> UInt64(60 - 4 * i)) & 0xF)]
            }
            return 34
        }
    }
}

public struct TrustChange: Codable, Sendable, Hashable {
    /// Nil only when the trust store could not be reached (`unavailable`).
    public var before: Double?
    public var after: Double?
    public var delta: Double
    /// True when the trust store could not be reached and the decision rests on findings alone.
    public var unavailable: Bool?

    public init(before: Double, after: Double) {
        self.before = before
        self.after = after
        self.delta = Self.rounded(after - before)
    }

    init() { delta = 0; unavailable = true }

    /// Scores are reported to three decimals, by both stores alike.
    public static func rounded(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

    /// The trust part of a decision made while the store was unreachable.
    public static let unavailable = TrustChange()
}

/// Why the policy (not a finding) decided: a denied tool, a trust gate, a limit, a revocation, an
/// unreachable trust store.
public struct PolicyReason: Codable, Sendable, Hashable {
    public enum Code: String, Codable, Sendable {
        case toolNotAllowed = "tool_not_allowed"
        case argumentCheck = "argument_check"
        case revoked
        case trustReview = "trust_review"
        case trustGate = "trust_gate"
        case rateLimit = "rate_limit"
        case spendLimit = "spend_limit"
        case trustUnavailable = "trust_unavailable"
    }
    public var code: Code
    public var detail: String
    public var limit: LimitReport?
    public init(code: Code, detail: String, limit: LimitReport? = nil) {
        self.code = code; self.detail = detail; self.limit = limit
    }
}

public struct InspectorInfo: Codable, Sendable, Hashable {
    public var instance: String
    public var version: String
    public var rulesVersion: String
    public var modelVersion: String?

    public init(instance: String, version: String, rulesVersion: String, modelVersion: String? = nil) {
        self.instance = instance
        self.version = version
        self.rulesVersion = rulesVersion
        self.modelVersion = modelVersion
    }

    enum CodingKeys: String, CodingKey {
        case instance, version, rulesVersion = "rules_version", modelVersion = "model_version"
    }
}

/// A finding as it leaves ShieldFlow: redacted excerpt, no raw value.
public struct DecisionFinding: Codable, Sendable, Hashable {
    public var ruleId: String
    public var category: Category
    public var severity: Severity
    public var confidence: Double
    public var start: Int
    public var end: Int
    public var type: String
    /// Which field of the event the offsets point into (`prompt`, `messages[2].content`, …).
    public var field: String
    public var excerpt: String

    public init(_ f: Finding, field: String) {
        ruleId = f.ruleId; category = f.category; severity = f.severity; confidence = f.confidence
        start = f.start; end = f.end; type = f.type; self.field = field; excerpt = f.excerpt
    }

    public init(ruleId: String, category: Category, severity: Severity, confidence: Double, start: Int, end: Int, type: String,
                field: String, excerpt: String = "") {
        self.ruleId = ruleId; self.category = category; self.severity = severity; self.confidence = confidence
        self.start = start; self.end = end; self.type = type; self.field = field; self.excerpt = excerpt
    }

    enum CodingKeys: String, CodingKey {
        case ruleId = "rule_id", category, severity, confidence, start, end, type, field, excerpt
    }
}

public struct Incident: Codable, Sendable, Hashable {
    public var severity: Severity
    public var title: String
    public var ruleIds: [String]
    public var confidence: Double

    enum CodingKeys: String, CodingKey { case severity, title, ruleIds = "rule_ids", confidence }

    public init(severity: Severity, title: String, ruleIds: [String], confidence: Double) {
        self.severity = severity
        self.title = title
        self.ruleIds = ruleIds
        self.confidence = confidence
    }
}

/// The record ShieldFlow produces to `shieldflow.decisions`, keyed by session id.
public struct DecisionRecord: Codable, Sendable, Hashable {
    public var decisionId: String
    public var eventId: String
    public var sessionId: String
    public var kind: EventKind
    public var action: Action
    public var findings: [DecisionFinding]
    /// Findings left out of `findings` to keep the record within bounds (the most severe are
    /// kept); nil when none were.
    public var findingsOmitted: Int?
    public var maskedText: String?
    public var maskedField: String?
    public var trust: TrustChange
    public var source: SourceRecord
    public var traceId: String?
    public var inspector: InspectorInfo
    public var incident: Incident?
    /// Set when a policy gate, not a finding, made the action.
    public var policy: PolicyReason?
    /// Responses and tool output: 1 − the share of the text in high-entropy dumps (1 = healthy).
    public var tokenHealth: Double?
    public var latencyMs: Double

    enum CodingKeys: String, CodingKey {
        case decisionId = "decision_id", eventId = "event_id", sessionId = "session_id", kind, action, findings, findingsOmitted = "findings_omitted"
        case maskedText = "masked_text", maskedField = "masked_field", trust, source, traceId = "trace_id", inspector
        case incident, policy, tokenHealth = "token_health", latencyMs = "latency_ms"
    }

    public init(decisionId: String, eventId: String, sessionId: String, kind: EventKind, action: Action,
                findings: [DecisionFinding], maskedText: String?, maskedField: String?, trust: TrustChange,
                source: SourceRecord, traceId: String?, inspector: InspectorInfo, incident: Incident?, policy: PolicyReason? = nil,
                tokenHealth: Double? = nil, latencyMs: Double, findingsOmitted: Int? = nil) {
        self.findingsOmitted = findingsOmitted
        self.decisionId = decisionId; self.eventId = eventId; self.sessionId = sessionId; self.kind = kind
        self.action = action; self.findings = findings; self.maskedText = maskedText; self.maskedField = maskedField
        self.trust = trust; self.source = source; self.traceId = traceId; self.inspector = inspector
        self.incident = incident; self.policy = policy; self.tokenHealth = tokenHealth; self.latencyMs = latencyMs
    }
}

/// The record ShieldFlow produces to `shieldflow.deadletter`: the reason and where it came from; the
/// original bytes travel as the record value and headers.
public struct DeadLetter: Codable, Sendable, Hashable {
    public var reason: DeadLetterReason.Code
    public var detail: String
    public var source: SourceRecord

    public init(reason: DeadLetterReason.Code, detail: String, source: SourceRecord) {
        self.reason = reason
        self.detail = detail
        self.source = source
    }
}
