import Foundation
import ShieldFlowCore
import ShieldFlowDetection

/// The input topics and what each carries.
public struct TopicMap: Sendable {
    public var prompts = "shieldflow.prompts.in"
    public var responses = "shieldflow.responses.in"
    public var tools = "shieldflow.tools.in"
    public var decisions = "shieldflow.decisions"
    public var deadLetter = "shieldflow.deadletter"
    public init() {}

    public func kind(of topic: String) -> EventKind? {
        switch topic {
        case prompts: .prompt
        case responses: .response
        case tools: .toolCall
        default: nil
        }
    }
}

/// One input record as the pipeline sees it (from Kafka or from a file).
public struct InputRecord: Sendable {
    public var source: SourceRecord
    public var value: [UInt8]
    public var traceparent: String?
    public init(source: SourceRecord, value: [UInt8], traceparent: String? = nil) {
        self.source = source
        self.value = value
        self.traceparent = traceparent
    }
}

public enum Outcome: Sendable {
    case decision(DecisionRecord)
    case deadLetter(DeadLetter)
}

/// Decides a batch of records: decode, scan every text field, one trust round trip for the batch,
/// decision records in input order. No Kafka here: the daemon feeds it and produces what it returns.
public struct Inspector: Sendable {
    public let engine: DetectionEngine
    public let topics: TopicMap
    public let trust: any TrustStore
    public let trustPolicy: TrustPolicy
    public let policy: ToolPolicy
    public let info: InspectorInfo
    public let maxRecordBytes: Int
    /// The largest decision record (JSON bytes) the daemon may produce: below the producer's
    /// `message.max.bytes`. A decision over it is cut down (`withinSize`) instead of failing to
    /// produce, which would stop the partition on that record for good.
    public let maxDecisionBytes: Int
    /// Findings listed in one decision at most; the rest are counted in `findings_omitted`.
    public static let maxDecisionFindings = 200
    let clock: @Sendable () -> Double
    /// Called after each batch's trust round trip: nil when it worked, else the error (the batch is
    /// then decided per `fail_mode`).
    let onTrustOutcome: @Sendable ((any Error)?) -> Void
    /// Events decided while the store was unreachable and not yet recorded in it as such.
    let unrecorded = UnrecordedEvents()

    public init(engine: DetectionEngine, trust: any TrustStore, topics: TopicMap = TopicMap(), trustPolicy: TrustPolicy = TrustPolicy(),
                policy: ToolPolicy = ToolPolicy(), instance: String, version: String, maxRecordBytes: Int = EventDecoder.defaultMaxBytes,
                maxDecisionBytes: Int = Inspector.defaultMaxDecisionBytes,
                clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                onTrustOutcome: @escaping @Sendable ((any Error)?) -> Void = { _ in }) {
        self.engine = engine
        self.trust = trust
        self.policy = policy
        self.onTrustOutcome = onTrustOutcome
        self.topics = topics
        self.trustPolicy = trustPolicy
        self.maxRecordBytes = maxRecordBytes
        self.maxDecisionBytes = max(4_096, maxDecisionBytes)
        self.clock = clock
        info = InspectorInfo(instance: instance, version: version, rulesVersion: engine.ruleSet.version,
                             modelVersion: engine.classifier?.classifier.version)
    }

    struct Scanned {
        var event: InspectionEvent
        var source: SourceRecord
        var traceId: String?
        var findings: [DecisionFinding]
        var raw: [Finding]
        var action: Action
        var masked: (field: String, text: String)?
        var tokenHealth: Double?
        var started: UInt64
        var plan: ToolPolicy.Plan
    }

    enum Examined {
        case scanned(Scanned)
        case deadLetter(DeadLetter)
    }

    /// One field of an event to scan: its name in the decision, its text, its surface, and whether
    /// earlier turns of the conversation come before it.
    struct Field {
        var name: String
        var text: String
        var surface: Surface
        var followsTurns = false
    }

    /// The fields of an event to scan, with the surface each belongs to.
    static func fields(of e: InspectionEvent) -> [Field] {
        switch e.kind {
        case .prompt:
            var out: [Field] = []
            if let p = e.prompt { out.append(Field(name: "prompt", text: p, surface: .prompt)) }
            var turns = false
            for (i, m) in e.messages.enumerated() {
                // The application's own system messages are trusted; tool results are tool output.
                let surface: Surface? = switch m.role {
                case "system", "developer": nil
                case "tool", "function": .toolOutput
                case "assistant": .response
                default: .prompt
                }
                guard let surface else { continue }
                // "Summarize the above" in a message after other turns refers to them, not to the
                // system prompt: such a message is scanned without the opening-only rules.
                out.append(Field(name: "messages[\(i)].content", text: m.content, surface: surface, followsTurns: turns))
                turns = true
            }
            return out
        case .response:
            return [Field(name: "response", text: e.response ?? "", surface: .response)]
        case .toolCall:
            return [Field(name: "tool.arguments", text: e.toolArguments ?? "", surface: .toolArgs),
                    Field(name: "tool.name", text: e.toolName ?? "", surface: .toolArgs)]
        }
    }

    public func inspect(_ batch: [InputRecord], scratch: ScanScratch = ScanScratch()) async throws -> [Outcome] {
        try await inspect(batch, workers: Workers(scratches: [scratch]))
    }

    /// Decides a batch: decode and scan every record (in parallel over `workers`), one trust round
    /// trip for the batch in input order, then each decision (in parallel again).
    public func inspect(_ batch: [InputRecord], workers: Workers) async throws -> [Outcome] {
        try await inspectAndSerialize(batch, workers: workers).outcomes
    }

    /// What a producer with librdkafka's default `message.max.bytes` can send.
    public static let defaultMaxDecisionBytes = Daemon.producibleBytes([:])

    /// A batch's outcomes, and what the daemon produces for each decision: its JSON and its key
    /// (the session id), made in the same parallel pass as the decision. Dead letters get empty ones.
    public struct Serialized: Sendable {
        public var outcomes: [Outcome]
        public var values: [[UInt8]]
        public var keys: [[UInt8]]
    }

    /// As `inspect`, with each decision serialised where it is made (a separate pass afterwards
    /// copied every decision record out of its outcome and cost another hand-over to the worker
    /// threads). `inspect` goes through here too: the size bound can change a decision, and both
    /// return the records the daemon produces.
    public func inspectAndSerialize(_ batch: [InputRecord], workers: Workers) async throws -> Serialized {
        var scanned = [Scanned?](repeating: nil, count: batch.count)
        var outcomes = [Outcome?](repeating: nil, count: batch.count)
        scanned.withUnsafeMutableBufferPointer { scannedOut in
            outcomes.withUnsafeMutableBufferPointer { outcomesOut in
                batch.withUnsafeBufferPointer { records in
                    workers.forEachChunk(records.count) { range, scratch in
                        for i in range {
                            examine(records[i], scratch: scratch, into: scannedOut.baseAddress.unsafelyUnwrapped + i,
                                    deadLetter: outcomesOut.baseAddress.unsafelyUnwrapped + i)
                        }
                    }
                }
            }
        }
        // The scanned events, moved (not copied) into a dense array in input order, with the
        // index of each in the batch.
        var events: [Scanned] = []
        var order: [Int] = []
        events.reserveCapacity(batch.count)
        order.reserveCapacity(batch.count)
        for i in scanned.indices {
            if let s = scanned[i].take() { events.append(s); order.append(i) }
        }
        // One trust round trip for the whole batch, in input order (a session's events stay ordered).
        let now = clock()
        var requests: [TrustRequest] = []
        requests.reserveCapacity(events.count)
        for k in events.indices {
            // Read in place: copying a `Scanned` retains every string and array in it.
            requests.append(TrustRequest(sessionId: events[k].event.sessionId, eventId: events[k].event.eventId,
                                         delta: trustPolicy.delta(for: events[k].raw), at: now,
                                         agentId: events[k].event.kind == .toolCall ? events[k].event.agentId : nil,
                                         admission: events[k].plan.admission, counters: events[k].plan.counters))
        }
        var results: [TrustResult]?
        if !requests.isEmpty {
            do {
                // Events decided without the store are recorded first, so that a replay of one of
                // them in this batch is decided as it was the first time.
                try await recordDecidedWithoutTrust()
                results = try await trust.apply(requests)
                onTrustOutcome(nil)
            } catch {
                onTrustOutcome(error)
                results = nil
                unrecorded.add(requests.map { EventRef(sessionId: $0.sessionId, eventId: $0.eventId) })
            }
        }
        var values = [[UInt8]](repeating: [], count: batch.count)
        var keys = [[UInt8]](repeating: [], count: batch.count)
        outcomes.withUnsafeMutableBufferPointer { outcomesOut in
            values.withUnsafeMutableBufferPointer { valuesOut in
                keys.withUnsafeMutableBufferPointer { keysOut in
                    events.withUnsafeBufferPointer { events in
                        workers.forEachChunk(events.count) { range, _ in
                            for k in range {
                                let result = results.map { $0[k] }
                                var d = decide(events[k], result: result?.wasDecidedWithoutTrust == true ? nil : result)
                                var json = d.jsonBytes()
                                if json.count > maxDecisionBytes {
                                    d = Self.withinSize(d, maxBytes: maxDecisionBytes)
                                    json = d.jsonBytes()
                                }
                                valuesOut[order[k]] = json
                                keysOut[order[k]] = Array(d.sessionId.utf8)
                                outcomesOut[order[k]] = .decision(d)
                            }
                        }
                    }
                }
            }
        }
        var all: [Outcome] = []
        all.reserveCapacity(outcomes.count)
        for i in outcomes.indices { all.append(outcomes[i].take().unsafelyUnwrapped) }
        return Serialized(outcomes: all, values: values, keys: keys)
    }

    /// Tells the store which events were decided without it, once it answers again: a replay of
    /// one of them (after a rebalance or a crash) is then decided without trust too, as the first
    /// decision was, instead of applying a delta the first decision said was not applied. Runs
    /// before every batch's round trip; the daemon also calls it when idle.
    public func recordDecidedWithoutTrust() async throws {
        let (pending, mark) = unrecorded.snapshot()
        guard !pending.isEmpty else { return }
        try await trust.recordDecidedWithoutTrust(pending)
        unrecorded.removeRecorded(pending.count, snapshotAt: mark)
    }

    /// Whether events decided without the store wait to be recorded in it.
    public var hasUnrecordedEvents: Bool { unrecorded.count > 0 }

    /// Decodes and scans one record into `scanned`, or its dead letter into `deadLetter` (both
    /// initialised to nil by the caller): written in place, so the scanned event is not copied out
    /// of an enum on its way into the batch.
    func examine(_ record: InputRecord, scratch: ScanScratch, into scanned: UnsafeMutablePointer<Scanned?>,
                 deadLetter: UnsafeMutablePointer<Outcome?>) {
        switch examine(record, scratch: scratch) {
        case .scanned(let s): scanned.pointee = consume s
        case .deadLetter(let d): deadLetter.pointee = .deadLetter(d)
        }
    }

    /// Decodes and scans one record (no shared state: runs on any worker).
    func examine(_ record: InputRecord, scratch: ScanScratch) -> Examined {
        let started = DispatchTime.now().uptimeNanoseconds
        guard let kind = topics.kind(of: record.source.topic) else {
            return .deadLetter(DeadLetter(reason: .invalidValue, detail: "unknown input topic \(record.source.topic)", source: record.source))
        }
        let event: InspectionEvent
        switch EventDecoder.decode(record.value, kind: kind, maxBytes: maxRecordBytes) {
        case .failure(let reason):
            return .deadLetter(DeadLetter(reason: reason.code, detail: reason.detail, source: record.source))
        case .success(let e):
            event = e
        }
        var all: [DecisionFinding] = [], raw: [Finding] = []
        var actions: [Action] = []
        var masked: (String, String)?
        var health: Double?
        for field in Self.fields(of: event) {
            if field.surface == .response || field.surface == .toolOutput { health = min(health ?? 1, 1) }
            let r = engine.scan(field.text, surface: field.surface, scratch: scratch, followsTurns: field.followsTurns)
            all += r.findings.map { DecisionFinding($0, field: field.name) }
            raw += r.findings
            actions.append(r.action)
            if field.surface == .response || field.surface == .toolOutput { health = min(health ?? 1, r.tokenHealth) }
            if let m = r.maskedText, masked == nil { masked = (field.name, m) }
        }
        let action: Action = actions.contains(.block) ? .block : actions.contains(.allowMasked) ? .allowMasked : .allow
        let trace = event.traceId ?? record.traceparent.flatMap(Self.traceId(fromTraceparent:))
        return .scanned(Scanned(event: event, source: record.source, traceId: trace, findings: all, raw: raw, action: action,
                                masked: action == .allowMasked ? masked : nil,
                                tokenHealth: health.map { ($0 * 1000).rounded() / 1000 }, started: started,
                                plan: policy.plan(for: event, findingsBlock: action == .block)))
    }

    /// The decision for a scanned event, given its trust result (nil: the store was unavailable).
    func decide(_ s: Scanned, result: TrustResult?) -> DecisionRecord {
        let (action, reason) = policy.decide(kind: s.event.kind, findingsAction: s.action, plan: s.plan, result: result)
        let incident = Self.incident(for: s.raw, kind: s.event.kind, action: action, reason: reason)
        let latency = Double(DispatchTime.now().uptimeNanoseconds - s.started) / 1e6
        let (findings, omitted) = Self.bounded(s.findings)
        return DecisionRecord(
            decisionId: s.source.decisionId, eventId: s.event.eventId, sessionId: s.event.sessionId, kind: s.event.kind,
            action: action, findings: findings, maskedText: action == .allowMasked ? s.masked?.text : nil,
            maskedField: action == .allowMasked ? s.masked?.field : nil,
            trust: result?.change ?? .unavailable, source: s.source, traceId: s.traceId, inspector: info, incident: incident,
            policy: reason, tokenHealth: s.tokenHealth, latencyMs: (latency * 1000).rounded() / 1000, findingsOmitted: omitted)
    }

    /// At most `maxDecisionFindings` findings, in their order: the most severe, then the most
    /// confident, then the earliest. A text full of e-mail addresses (a megabyte holds 65,000)
    /// made a decision of 16 MB, which no broker takes.
    static func bounded(_ findings: [DecisionFinding]) -> ([DecisionFinding], Int?) {
        guard findings.count > maxDecisionFindings else { return (findings, nil) }
        let ranked = findings.indices.sorted { a, b in
            let x = findings[a], y = findings[b]
            if x.severity.rank != y.severity.rank { return x.severity.rank > y.severity.rank }
            if x.confidence != y.confidence { return x.confidence > y.confidence }
            return a < b
        }
        return (ranked.prefix(maxDecisionFindings).sorted().map { findings[$0] }, findings.count - maxDecisionFindings)
    }

    /// A decision whose JSON is over `maxBytes` (its masked text, at most a megabyte of input
    /// whose short values grew into placeholders or escapes): the masked text goes, and since
    /// the masked form can then not be delivered, `allow_masked` becomes `block` (forwarding the
    /// original would leak what was to be masked). A validation finding says why. Should the
    /// findings still not fit, they go too, counted in `findings_omitted`.
    static func withinSize(_ d: DecisionRecord, maxBytes: Int) -> DecisionRecord {
        var d = d
        let field = d.maskedField ?? ""
        d.maskedText = nil
        d.maskedField = nil
        if d.action == .allowMasked { d.action = .block }
        d.findings.append(DecisionFinding(ruleId: "SF-VAL-DECISION-SIZE", category: .validation, severity: .medium, confidence: 1,
                                          start: 0, end: 0, type: "decision_too_large", field: field))
        if d.jsonBytes().count > maxBytes {
            d.findingsOmitted = (d.findingsOmitted ?? 0) + d.findings.count - 1
            d.findings = [d.findings[d.findings.count - 1]]
        }
        return d
    }

    /// An incident for `block`, `deny_tool` and `review` at high severity: from the findings, or from
    /// the policy reason when no finding explains the action.
    static func incident(for findings: [Finding], kind: EventKind, action: Action, reason: PolicyReason?) -> Incident? {
        guard action == .block || action == .denyTool || action == .review else { return nil }
        let serious = findings.filter { $0.severity >= .high && !$0.category.isSensitiveValue && $0.category != .validation }
        // The title names the most severe finding, a rule before the classifier when they tie.
        func rank(_ f: Finding) -> (Int, Int, Double) { (f.severity.rank, f.ruleId.hasPrefix("SF-ML-") ? 0 : 1, f.confidence) }
        let verb = switch action { case .block: "Blocked"; case .review: "Review"; default: "Denied" }
        if let worst = serious.max(by: { rank($0) < rank($1) }) {
            let ids = Array(Set(serious.map(\.ruleId))).sorted()
            return Incident(severity: worst.severity, title: "\(verb) \(kind.rawValue): \(worst.category.rawValue) (\(worst.ruleId))",
                            ruleIds: ids, confidence: serious.map(\.confidence).max() ?? worst.confidence)
        }
        guard let reason else { return nil }
        let severity: Severity = switch reason.code {
        case .revoked, .trustReview, .argumentCheck: .high
        case .toolNotAllowed, .trustGate, .rateLimit, .spendLimit, .trustUnavailable: .medium
        }
        guard severity >= .high else { return nil }
        return Incident(severity: severity, title: "\(verb) \(kind.rawValue): \(reason.code.rawValue)",
                        ruleIds: ["policy:\(reason.code.rawValue)"], confidence: 1)
    }

    /// The trace id of a W3C `traceparent` header (`00-<32 hex>-<16 hex>-<2 hex>`), or nil.
    public static func traceId(fromTraceparent header: String) -> String? {
        let parts = header.split(separator: "-")
        guard parts.count == 4, parts[1].count == 32, parts[1].allSatisfy(\.isHexDigit), parts[1] != String(repeating: "0", count: 32) else { return nil }
        return String(parts[1]).lowercased()
    }
}

/// Events decided while the trust store was unreachable, oldest first, until the store records
/// them. Bounded: past `capacity` the oldest are forgotten (a replay of one of those would apply
/// its delta).
final class UnrecordedEvents: @unchecked Sendable {
    static let capacity = 100_000
    private let lock = NSLock()
    private var events: [EventRef] = []
    /// How many were ever dropped from the front (by capacity or as recorded).
    private var dropped = 0

    var count: Int { lock.withLock { events.count } }
    func add(_ more: [EventRef]) {
        lock.withLock {
            events += more
            if events.count > Self.capacity {
                dropped += events.count - Self.capacity
                events.removeFirst(events.count - Self.capacity)
            }
        }
    }
    /// The events waiting, and a mark to pass to `removeRecorded`.
    func snapshot() -> ([EventRef], mark: Int) { lock.withLock { (events, dropped) } }
    /// Removes the `n` events of the snapshot taken at `mark` (some may have been forgotten since).
    func removeRecorded(_ n: Int, snapshotAt mark: Int) {
        lock.withLock {
            let gone = min(max(0, n - (dropped - mark)), events.count)
            events.removeFirst(gone)
            dropped += gone
        }
    }
}
