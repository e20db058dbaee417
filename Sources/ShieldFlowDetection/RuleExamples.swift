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
        // The automaton's rows are rounded up to a power of two of byte classes: one keyword
        // character no other keyword uses can double the table and slow every scan (0.6.29's
        // "cc?ss" took 64 classes to 65 and keyword matching from 3.2 to 3.8 ns per byte in one run).
        // The non-ASCII automaton (UTF-8 lead and continuation bytes of many scripts) is at 92.
        for (name, classes, limit) in [("ASCII", engine.matcher.classCountValue, 64), ("non-ASCII", engine.unicodeMatcher.classCountValue, 128)]
        where classes > limit {
            problems.append(RuleProblem(level: .warning, file: "keywords", ruleId: nil,
                                        message: "the \(name) keywords use \(classes) byte classes: above \(limit) the keyword automaton's table doubles; drop the characters only one keyword uses"))
        }
        return problems
    }
}
