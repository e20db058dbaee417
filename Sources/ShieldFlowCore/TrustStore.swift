/// A sliding-window limit checked and recorded atomically with a tool call's admission
/// (calls: amount 1; spend: amount = the event's cost).
public struct WindowLimit: Sendable, Hashable {
    public var name: String
    public var max: Double
    public var windowSeconds: Double
    public var amount: Double
    public init(name: String, max: Double, windowSeconds: Double, amount: Double) {
        self.name = name; self.max = max; self.windowSeconds = windowSeconds; self.amount = amount
    }
}

public enum CounterScope: String, Codable, Sendable, CaseIterable {
    case session, agent, user
}

/// A sliding-window attempt counter (prompt rate limits): every event counts once, replays do not.
public struct WindowCounter: Sendable, Hashable {
    public var scope: CounterScope
    public var id: String
    public var max: Double
    public var windowSeconds: Double
    public init(scope: CounterScope, id: String, max: Double, windowSeconds: Double) {
        self.scope = scope; self.id = id; self.max = max; self.windowSeconds = windowSeconds
    }
    public var name: String { "prompts_per_\(scope.rawValue)" }
}

/// What a tool call asks of the store: admitted only if the session is not revoked, the score after
/// this event is at least `minScore`, and every limit still fits; then, and only then, the limits
/// record it.
public struct Admission: Sendable, Hashable {
    public var minScore: Double
    public var limits: [WindowLimit]
    public init(minScore: Double, limits: [WindowLimit]) { self.minScore = minScore; self.limits = limits }
}

/// One event's visit to the trust store. Idempotent per (`sessionId`, `eventId`): a replay returns
/// the first result and changes nothing.
public struct TrustRequest: Sendable, Hashable {
    public var sessionId: String
    public var eventId: String
    public var delta: Double
    /// Seconds since the epoch, from the injectable clock.
    public var at: Double
    public var agentId: String?
    public var admission: Admission?
    public var counters: [WindowCounter]

    public init(sessionId: String, eventId: String, delta: Double, at: Double, agentId: String? = nil,
                admission: Admission? = nil, counters: [WindowCounter] = []) {
        self.sessionId = sessionId; self.eventId = eventId; self.delta = delta; self.at = at
        self.agentId = agentId; self.admission = admission; self.counters = counters
    }
}

/// The limit that stopped an event, as reported in its decision.
public struct LimitReport: Codable, Sendable, Hashable {
    public var name: String
    public var max: Double
    public var windowSeconds: Double
    /// The window's total including this event.
    public var current: Double
    public init(name: String, max: Double, windowSeconds: Double, current: Double) {
        self.name = name; self.max = max; self.windowSeconds = windowSeconds; self.current = current
    }
    enum CodingKeys: String, CodingKey { case name, max, windowSeconds = "window_seconds", current }
}

public struct TrustResult: Sendable, Hashable {
    public var change: TrustChange
    /// The session or its agent is revoked.
    public var revoked: Bool
    /// For admission requests: whether the call was admitted (and recorded in its windows).
    public var admitted: Bool
    /// The first limit or counter over its maximum.
    public var exceeded: LimitReport?
    public init(change: TrustChange, revoked: Bool, admitted: Bool, exceeded: LimitReport?) {
        self.change = change; self.revoked = revoked; self.admitted = admitted; self.exceeded = exceeded
    }
    /// A replay of an event first decided while the store was unreachable: decide it without
    /// trust again (see `TrustStore.recordDecidedWithoutTrust`).
    public static let decidedWithoutTrust = TrustResult(change: .unavailable, revoked: false, admitted: false, exceeded: nil)
    public var wasDecidedWithoutTrust: Bool { change.unavailable == true }
}

/// What an operator sees for a session.
public struct SessionState: Codable, Sendable, Hashable {
    public var session: String
    public var score: Double
    public var revoked: Bool
    /// Seconds since the epoch of the last update, nil for a session never seen.
    public var updatedAt: Double?
    public init(session: String, score: Double, revoked: Bool, updatedAt: Double?) {
        self.session = session; self.score = score; self.revoked = revoked; self.updatedAt = updatedAt
    }
    enum CodingKeys: String, CodingKey { case session, score, revoked, updatedAt = "updated_at" }
}

public enum RevocationTarget: Sendable, Hashable {
    case session(String)
    case agent(String)
}

/// Where trust, revocations and windows live. The pipeline calls `apply` once per batch, in input
/// order; stores must give the result of applying the requests one after the other.
public protocol TrustStore: Sendable {
    func apply(_ requests: [TrustRequest]) async throws -> [TrustResult]
    func state(session: String, at: Double) async throws -> SessionState
    func setScore(session: String, score: Double, at: Double) async throws
    func reset(session: String) async throws
    func setRevoked(_ target: RevocationTarget, _ revoked: Bool) async throws
    /// Records that these events were decided without the store (it could not be reached). A
    /// later `apply` of one of them, a replay, returns `TrustResult.decidedWithoutTrust` and
    /// changes no score or window, so the replay is decided as the first decision was. An event
    /// the store has already applied keeps its result.
    func recordDecidedWithoutTrust(_ events: [EventRef]) async throws
}

/// One event of one session, as the trust store keys it.
public struct EventRef: Sendable, Hashable {
    public var sessionId: String
    public var eventId: String
    public init(sessionId: String, eventId: String) { self.sessionId = sessionId; self.eventId = eventId }
}

/// The embedded default store: the same semantics as the Redis store, in process memory.
public actor InMemoryTrustStore: TrustStore {
    let policy: TrustPolicy
    var sessions: [String: (score: Double, at: Double)] = [:]
    var revokedSessions: Set<String> = []
    var revokedAgents: Set<String> = []
    /// Sliding windows: key → (time, event id, amount), oldest first.
    var windows: [String: [(at: Double, member: String, amount: Double)]] = [:]
    /// The results of the last `rememberedEvents` events, for replays (memory stays flat, and the
    /// table never rehashes: a rehash of a million markers once stalled a batch for ~0.3 s).
    var applied: ReplayTable<EventRef, TrustResult>

    /// - Parameter rememberedEvents: events whose result is kept for replays. A replay in this
    ///   process comes from a rebalance or a failed commit, a few batches at most; after a restart
    ///   the in-memory store is empty anyway (use Redis for durable trust).
    public init(policy: TrustPolicy = TrustPolicy(), rememberedEvents: Int = 65_536) {
        self.policy = policy
        applied = ReplayTable(capacity: min(max(1, rememberedEvents), 1 << 28))
    }

    func window(_ key: String, at: Double, seconds: Double) -> [(at: Double, member: String, amount: Double)] {
        let live = (windows[key] ?? []).filter { $0.at >= at - seconds }
        windows[key] = live.isEmpty ? nil : live
        return live
    }

    public func apply(_ requests: [TrustRequest]) -> [TrustResult] {
        requests.map { r in
            // Hashed once (the standard library's seeded hash): the look-up and the insert share it.
            let ref = EventRef(sessionId: r.sessionId, eventId: r.eventId)
            let hash = ref.hashValue
            var result: TrustResult
            if let done = applied.value(for: ref, hash: hash) {
                result = done
            } else {
                // Read and written through one lookup (the dictionary's in-place accessor).
                func step(_ stored: inout (score: Double, at: Double)?) -> (current: Double, after: Double) {
                    let current = stored.map { policy.recovered($0.score, after: r.at - $0.at) } ?? policy.initial
                    let after = policy.apply(r.delta, to: current)
                    stored = (after, max(r.at, stored?.at ?? r.at))
                    return (current, after)
                }
                let (current, after) = step(&sessions[r.sessionId])
                let revoked = !revokedSessions.isEmpty && revokedSessions.contains(r.sessionId)
                var admitted = false
                var exceeded: LimitReport?
                if let a = r.admission, !revoked, after >= a.minScore {
                    admitted = true
                    for l in a.limits {
                        let sum = window("\(r.sessionId)\u{0}\(l.name)", at: r.at, seconds: l.windowSeconds).reduce(0) { $0 + $1.amount }
                        if sum + l.amount > l.max {
                            admitted = false
                            exceeded = LimitReport(name: l.name, max: l.max, windowSeconds: l.windowSeconds, current: sum + l.amount)
                            break
                        }
                    }
                    if admitted {
                        for l in a.limits { windows["\(r.sessionId)\u{0}\(l.name)", default: []].append((r.at, r.eventId, l.amount)) }
                    }
                }
                result = TrustResult(change: TrustChange(before: TrustChange.rounded(current), after: TrustChange.rounded(after)),
                                     revoked: revoked, admitted: admitted, exceeded: exceeded)
                applied.insert(ref, hash: hash, result)
            }
            // Attempt counters are idempotent by event id on their own (as sorted-set members in Redis).
            for c in r.counters {
                let k = "\(c.scope.rawValue)\u{0}\(c.id)\u{0}\(c.name)"
                var live = window(k, at: r.at, seconds: c.windowSeconds)
                if !live.contains(where: { $0.member == r.eventId }) {
                    live.append((r.at, r.eventId, 1))
                    windows[k] = live
                }
                if Double(live.count) > c.max, result.exceeded == nil {
                    result.exceeded = LimitReport(name: c.name, max: c.max, windowSeconds: c.windowSeconds, current: Double(live.count))
                }
            }
            // Agent revocation is read at decision time, like the Redis store's separate lookup.
            if let agent = r.agentId, !revokedAgents.isEmpty, revokedAgents.contains(agent) {
                result.revoked = true
                result.admitted = false
            }
            return result
        }
    }

    public func recordDecidedWithoutTrust(_ events: [EventRef]) {
        for e in events {
            let hash = e.hashValue
            if applied.value(for: e, hash: hash) == nil { applied.insert(e, hash: hash, .decidedWithoutTrust) }
        }
    }

    public func state(session: String, at: Double) -> SessionState {
        let s = sessions[session]
        return SessionState(session: session, score: TrustChange.rounded(s.map { policy.recovered($0.score, after: at - $0.at) } ?? policy.initial),
                            revoked: revokedSessions.contains(session), updatedAt: s?.at)
    }

    public func setScore(session: String, score: Double, at: Double) {
        sessions[session] = (min(policy.initial, max(0, score)), at)
    }

    public func reset(session: String) {
        sessions[session] = nil
        for k in windows.keys where k.hasPrefix(session + "\u{0}") { windows[k] = nil }
    }

    public func setRevoked(_ target: RevocationTarget, _ revoked: Bool) {
        switch target {
        case .session(let s): if revoked { revokedSessions.insert(s) } else { revokedSessions.remove(s) }
        case .agent(let a): if revoked { revokedAgents.insert(a) } else { revokedAgents.remove(a) }
        }
    }
}
