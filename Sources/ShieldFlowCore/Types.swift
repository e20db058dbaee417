/// Where a piece of text sits in an LLM exchange. Rules declare the surfaces they apply to and the
/// verdict policy has one entry per surface.
public enum Surface: String, Codable, Sendable, CaseIterable, Hashable {
    case prompt
    case response
    case toolOutput = "tool_output"
    case toolArgs = "tool_args"

    /// One bit per case, for sets of surfaces tested on the hot path.
    @inlinable public var bit: UInt8 {
        switch self {
        case .prompt: 1
        case .response: 2
        case .toolOutput: 4
        case .toolArgs: 8
        }
    }
}

/// What a finding is about. The first eight are the seed's categories; the rest are ShieldFlow's.
/// PII and secret findings are always `pii` and `secret` (the CLI contract depends on it).
public enum Category: String, Codable, Sendable, CaseIterable, Hashable {
    case injection
    case jailbreak
    case exfiltration
    case codeInjection = "code_injection"
    case obfuscation
    case constraintManipulation = "constraint_manipulation"
    case resourceAbuse = "resource_abuse"
    case fileSystem = "file_system"
    case promptExtraction = "prompt_extraction"
    case pii
    case secret
    case validation

    /// Categories whose findings are values to hide (masking), not intents to stop.
    public var isSensitiveValue: Bool { self == .pii || self == .secret }
}

public enum Severity: String, Codable, Sendable, CaseIterable, Comparable, Hashable {
    case info, low, medium, high, critical

    public var rank: Int {
        switch self {
        case .info: 0
        case .low: 1
        case .medium: 2
        case .high: 3
        case .critical: 4
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// The decision for one text or event. `denyTool` and `review` come from the tool policy and trust
/// gates; the stateless detection verdict only yields the first three.
public enum Action: String, Codable, Sendable, CaseIterable, Hashable {
    case allow
    case allowMasked = "allow_masked"
    case block
    case denyTool = "deny_tool"
    case review
}

/// One detection. `start`/`end` are Unicode scalar offsets into the text exactly as it was given
/// (half-open), whatever normalisation or decoding found it. `excerpt` is redacted: it never holds a
/// value that a PII or secret rule matched.
public struct Finding: Codable, Sendable, Hashable {
    public var ruleId: String
    public var category: Category
    public var severity: Severity
    public var confidence: Double
    public var start: Int
    public var end: Int
    /// Entity type for PII/secrets (`credit_card`, `aws_access_key`, …), otherwise a short kind
    /// such as `instruction_override`.
    public var type: String
    /// How the match was reached when it was not in the plain text: e.g. `["base64"]`, `["nfkc"]`.
    public var via: [String]
    public var excerpt: String

    public init(ruleId: String, category: Category, severity: Severity, confidence: Double,
                start: Int, end: Int, type: String, via: [String] = [], excerpt: String = "") {
        self.ruleId = ruleId
        self.category = category
        self.severity = severity
        self.confidence = confidence
        self.start = start
        self.end = end
        self.type = type
        self.via = via
        self.excerpt = excerpt
    }

    enum CodingKeys: String, CodingKey {
        case ruleId = "rule_id", category, severity, confidence, start, end, type, via, excerpt
    }
}

/// The release, reported in decisions (`inspector.version`) and as Datadog's `version` tag.
public enum ShieldFlowRelease {
    public static let version = "0.6.39"
}
