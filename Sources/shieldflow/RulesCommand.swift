import ArgumentParser
import Foundation
import ShieldFlowCore
import ShieldFlowDetection

struct Rules: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List or check the rule set.",
                                                    subcommands: [List.self, Check.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List rules: id, category, severity, surfaces, name.")
        @OptionGroup var ruleOptions: RuleOptions

        func run() throws {
            let set = RuleSet.load(directory: ruleOptions.directory())
            for r in set.rules {
                let surfaces = r.surfaces.map(\.rawValue).sorted().joined(separator: ",")
                writeLine("\(r.id.padding(toLength: 16, withPad: " ", startingAt: 0)) \(r.category.rawValue.padding(toLength: 24, withPad: " ", startingAt: 0)) \(r.severity.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(r.spec.owasp.padding(toLength: 6, withPad: " ", startingAt: 0)) \(surfaces.padding(toLength: 40, withPad: " ", startingAt: 0)) \(r.spec.name)")
            }
            writeLine("\(set.rules.count) rules, version \(set.version)")
            if !set.errors.isEmpty { throw ExitCode(1) }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compile every rule and run its examples; report problems by file and rule id.")
        @OptionGroup var ruleOptions: RuleOptions

        func run() throws {
            let set = RuleSet.load(directory: ruleOptions.directory())
            var problems = set.problems
            if set.errors.isEmpty, let engine = try? DetectionEngine(ruleSet: set) {
                problems += RuleExamples.check(engine: engine)
            }
            for p in problems { writeLine(p.description) }
            let errors = problems.filter { $0.level == .error }.count
            writeLine("\(set.rules.count) rules, \(errors) errors, \(problems.count - errors) warnings")
            if errors > 0 { throw ExitCode(1) }
        }
    }
}
