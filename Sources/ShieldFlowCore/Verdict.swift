/// How findings on one surface turn into an action. Plain data: loaded from configuration or taken
/// from `VerdictPolicy.default`.
public struct SurfacePolicy: Codable, Sendable, Hashable {
    /// A single finding at or above this severity, with at least `minConfidence`, blocks.
    public var blockSeverity: Severity
    public var minConfidence: Double
    /// Several weaker findings block together when 1 − Π(1 − riskᵢ) reaches this value
    /// (riskᵢ = confidence × severity weight, one term per rule).
    public var aggregateThreshold: Double
    /// Categories that never block on this surface (they are reported, and PII/secrets are masked).
    public var neverBlock: Set<Category>
    /// Two detectors agreeing: a rule's finding and the learned classifier's (`type` "learned"), both
    /// at `blockSeverity` or above and each with at least this confidence, block together. `nil`: no
    /// such rule (the surface's `minConfidence` and aggregate decide alone).
    public var corroboratedConfidence: Double?

    public init(blockSeverity: Severity, minConfidence: Double, aggregateThreshold: Double,
                neverBlock: Set<Category>, corroboratedConfidence: Double? = nil) {
        self.blockSeverity = blockSeverity
        self.minConfidence = minConfidence
        self.aggregateThreshold = aggregateThreshold
        self.neverBlock = neverBlock
        self.corroboratedConfidence = corroboratedConfidence
    }

    /// Whether `finding` counts as one of the two agreeing detectors.
    public func corroborates(_ finding: Finding) -> Bool {
        guard let c = corroboratedConfidence else { return false }
        return finding.severity >= blockSeverity && finding.confidence >= c && !neverBlock.contains(finding.category)
    }

    enum CodingKeys: String, CodingKey {
        case blockSeverity = "block_severity", minConfidence = "min_confidence"
        case aggregateThreshold = "aggregate_threshold", neverBlock = "never_block"
        case corroboratedConfidence = "corroborated_confidence"
    }
}

extension Finding {
    /// The `type` of the learned classifier's findings.
    public static let learnedType = "learned"
    public var isLearned: Bool { type == Finding.learnedType }
    /// The `type` of a response that discloses the model's own system prompt (`SF-LEAK-001`): its
    /// excerpt stops at the match, because the text after it is the disclosed prompt.
    public static let systemPromptLeakType = "system_prompt_leak"
}

public struct VerdictPolicy: Codable, Sendable, Hashable {
    public var surfaces: [Surface: SurfacePolicy]

    public init(surfaces: [Surface: SurfacePolicy]) { self.surfaces = surfaces }

    public static let `default` = VerdictPolicy(surfaces: [
        .prompt: SurfacePolicy(blockSeverity: .high, minConfidence: 0.7, aggregateThreshold: 0.9,
                               neverBlock: [.pii, .secret, .validation]),
        // A tool's output is data, and documents quote instructions: one detector's word blocks only
        // with high confidence, two (a rule and the classifier) at ordinary confidence.
        .toolOutput: SurfacePolicy(blockSeverity: .high, minConfidence: 0.9, aggregateThreshold: 0.97,
                                   neverBlock: [.pii, .secret, .validation, .codeInjection, .fileSystem],
                                   corroboratedConfidence: 0.6),
        // Tool arguments are written by a model, not a person: weaker evidence of code or file abuse
        // is enough to stop the call.
        .toolArgs: SurfacePolicy(blockSeverity: .high, minConfidence: 0.6, aggregateThreshold: 0.85,
                                 neverBlock: [.pii, .validation]),
        // A model's answer is blocked only for what would do harm downstream (exfiltration links,
        // leaked system prompts at critical severity); values are masked.
        .response: SurfacePolicy(blockSeverity: .critical, minConfidence: 0.8, aggregateThreshold: 1.01,
                                 neverBlock: [.pii, .secret, .validation, .codeInjection, .fileSystem,
                                              .injection, .jailbreak]),
    ])

    public func policy(for surface: Surface) -> SurfacePolicy {
        surfaces[surface] ?? VerdictPolicy.default.surfaces[surface]!
    }

    static func weight(_ severity: Severity) -> Double {
        switch severity {
        case .info: 0
        case .low: 0.3
        case .medium: 0.6
        case .high: 0.9
        case .critical: 1
        }
    }

    /// The stateless action for a set of findings on a surface: `block`, else `allow_masked` when a
    /// PII or secret value was found, else `allow`.
    public func action(for findings: [Finding], on surface: Surface) -> Action {
        guard !findings.isEmpty else { return .allow }
        let p = policy(for: surface)
        var remaining = 1.0
        var seen = Set<String>()
        var hasValue = false
        var agreeing: (rule: Bool, learned: Bool) = (false, false)
        for f in findings {
            if f.category.isSensitiveValue { hasValue = true }
            if p.neverBlock.contains(f.category) { continue }
            if f.severity >= p.blockSeverity && f.confidence >= p.minConfidence { return .block }
            if p.corroborates(f) {
                if f.isLearned { agreeing.learned = true } else { agreeing.rule = true }
                if agreeing.rule && agreeing.learned { return .block }
            }
            if seen.insert(f.ruleId).inserted {
                remaining *= 1 - min(1, f.confidence * Self.weight(f.severity))
            }
        }
        if 1 - remaining >= p.aggregateThreshold { return .block }
        return hasValue ? .allowMasked : .allow
    }
}
