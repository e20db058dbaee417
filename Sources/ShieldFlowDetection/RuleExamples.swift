import ShieldFlowCore

/// Runs every rule's `examples` through a full engine: each `match` example must yield a finding of
/// that rule on the rule's first surface, each `no_match` example must not.
public enum RuleExamples {
    public static func check(engine: DetectionEngine) -> [RuleProblem] {
        var problems: [RuleProblem] = []
        let scratch = ScanScratch()
        for rule in engine.ruleSet.rules {
            let surface = Surface.allCases.first { rule.surfaces.contains($0) }!
            let examples = rule.spec.examples
            if (examples?.match ?? []).isEmpty {
                problems.append(RuleProblem(level: .error, file: rule.file, ruleId: rule.id, message: "no `match` examples"))
            }
            for ex in examples?.match ?? [] where !engine.scan(ex, surface: surface, scratch: scratch).findings.contains(where: { $0.ruleId == rule.id }) {
                problems.append(RuleProblem(level: .error, file: rule.file, ruleId: rule.id, message: "does not match its example: \(ex.debugDescription)"))
            }
            for ex in examples?.noMatch ?? [] where engine.scan(ex, surface: surface, scratch: scratch).findings.contains(where: { $0.ruleId == rule.id }) {
                problems.append(RuleProblem(level: .error, file: rule.file, ruleId: rule.id, message: "matches its no_match example: \(ex.debugDescription)"))
            }
        }
        return problems
    }
}
