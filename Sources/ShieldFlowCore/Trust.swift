/// Per-session trust arithmetic: a score in 0…100 that findings lower and time (and clean events)
/// restore. Pure; stores apply it.
public struct TrustPolicy: Codable, Sendable, Hashable {
    public var initial: Double = 100
    /// Exponential recovery toward `initial`: half the distance is recovered every half-life.
    public var halfLifeSeconds: Double = 1800
    public var cleanDelta: Double = 1
    /// Delta per category of finding (medium severity and above); a decision applies the sum of its
    /// distinct categories' deltas.
    public var deltas: [Category: Double] = [
        .injection: -40, .jailbreak: -40, .promptExtraction: -30, .constraintManipulation: -30, .codeInjection: -30,
        .fileSystem: -30, .obfuscation: -20, .exfiltration: -20, .resourceAbuse: -10, .pii: -25, .secret: -25,
    ]

    public init() {}

    public func delta(for findings: [Finding]) -> Double {
        let categories = Set(findings.filter { $0.severity >= .medium && $0.category != .validation }.map(\.category))
        guard !categories.isEmpty else { return cleanDelta }
        return max(-100, categories.reduce(0) { $0 + (deltas[$1] ?? 0) })
    }

    public func recovered(_ score: Double, after seconds: Double) -> Double {
        guard seconds > 0, halfLifeSeconds > 0 else { return score }
        return initial - (initial - score) * pow(0.5, seconds / halfLifeSeconds)
    }

    public func apply(_ delta: Double, to score: Double) -> Double { min(initial, max(0, score + delta)) }
}

/// One trust update, idempotent per `eventId`.
public struct TrustUpdate: Sendable, Hashable {
    public var sessionId: String
    public var eventId: String
    public var delta: Double
    /// Seconds since the epoch, from the injectable clock.
    public var at: Double

    public init(sessionId: String, eventId: String, delta: Double, at: Double) {
        self.sessionId = sessionId
        self.eventId = eventId
        self.delta = delta
        self.at = at
    }
}

/// Where trust lives. The pipeline calls it once per batch. A replayed `eventId` returns its first
/// result and changes nothing.
public protocol TrustStore: Sendable {
    func apply(_ updates: [TrustUpdate]) async throws -> [TrustChange]
    func score(session: String, at: Double) async throws -> Double
}

/// The embedded default store: the same semantics as the Redis store, in process memory.
public actor InMemoryTrustStore: TrustStore {
    let policy: TrustPolicy
    var sessions: [String: (score: Double, at: Double)] = [:]
    var applied: [String: TrustChange] = [:]
    /// Insertion order of `applied`, oldest first from `head`; compacted when half is consumed.
    var order: [String] = []
    var head = 0
    let rememberedEvents: Int

    public init(policy: TrustPolicy = TrustPolicy(), rememberedEvents: Int = 1_000_000) {
        self.policy = policy
        self.rememberedEvents = rememberedEvents
    }

    public func apply(_ updates: [TrustUpdate]) -> [TrustChange] {
        updates.map { u in
            let key = u.sessionId + "\u{0}" + u.eventId
            if let done = applied[key] { return done }
            let current = sessions[u.sessionId].map { policy.recovered($0.score, after: u.at - $0.at) } ?? policy.initial
            let after = policy.apply(u.delta, to: current)
            sessions[u.sessionId] = (after, u.at)
            let change = TrustChange(before: (current * 1000).rounded() / 1000, after: (after * 1000).rounded() / 1000)
            applied[key] = change
            order.append(key)
            if order.count - head > rememberedEvents {
                applied[order[head]] = nil
                head += 1
                if head > order.count / 2 { order.removeFirst(head); head = 0 }
            }
            return change
        }
    }

    public func score(session: String, at: Double) -> Double {
        sessions[session].map { policy.recovered($0.score, after: at - $0.at) } ?? policy.initial
    }
}

import Foundation
