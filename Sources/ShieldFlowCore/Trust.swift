/// Per-session trust arithmetic: a score in 0…100 that findings lower and time (and clean events)
/// restore. Pure; stores apply it.
public struct TrustPolicy: Codable, Sendable, Hashable {
    public var initial: Double = 100
    /// Exponential recovery toward `initial`: half the distance is recovered every half-life.
    public var halfLifeSeconds: Double = 1800
    public var cleanDelta: Double = 1
    /// Delta per category of finding (medium severity and above). An event's delta is the worst
    /// attack category's delta plus the worst sensitive-value category's: one prompt that is both an
    /// injection and a prompt extraction is one attack (−40, not −70), while an attack that also
    /// carries PII costs both (−40 − 25).
    public var deltas: [Category: Double] = [
        .injection: -40, .jailbreak: -40, .promptExtraction: -30, .constraintManipulation: -30, .codeInjection: -30,
        .fileSystem: -30, .obfuscation: -20, .exfiltration: -20, .resourceAbuse: -10, .pii: -25, .secret: -25,
    ]

    public init() {}

    public func delta(for findings: [Finding]) -> Double {
        var attack = 0.0, value = 0.0, any = false
        for f in findings where f.severity >= .medium && f.category != .validation {
            any = true
            let d = deltas[f.category] ?? 0
            if f.category.isSensitiveValue { value = min(value, d) } else { attack = min(attack, d) }
        }
        return any ? max(-100, attack + value) : cleanDelta
    }

    public func recovered(_ score: Double, after seconds: Double) -> Double {
        guard seconds > 0, halfLifeSeconds > 0 else { return score }
        return initial - (initial - score) * pow(0.5, seconds / halfLifeSeconds)
    }

    public func apply(_ delta: Double, to score: Double) -> Double { min(initial, max(0, score + delta)) }
}

import Foundation
