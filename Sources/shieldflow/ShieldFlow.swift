import ArgumentParser
import Foundation
import ShieldFlowCore
import ShieldFlowDetection

@main
struct ShieldFlowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shieldflow",
        abstract: "Runtime intrusion detection for LLM applications.",
        version: ShieldFlowVersion.string,
        subcommands: [Run.self, Scan.self, Eval.self, Inspect.self, DevCluster.self, Topics.self, Rules.self, Trust.self, DatadogCommand.self, Bench.self, Model.self]
    )
}

enum ShieldFlowVersion {
    static let string = ShieldFlowRelease.version
}

/// Options shared by every command that loads rules.
struct RuleOptions: ParsableArguments {
    @Option(name: .long, help: "Rules directory (default: $SHIELDFLOW_RULES, ./rules, or the one next to the binary's checkout).")
    var rules: String?

    func directory() -> String {
        if let rules { return rules }
        if let env = ProcessInfo.processInfo.environment["SHIELDFLOW_RULES"] { return env }
        let fm = FileManager.default
        if fm.fileExists(atPath: "rules") { return "rules" }
        // .build/<config>/shieldflow → checkout root
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = url.appendingPathComponent("rules").path
            if fm.fileExists(atPath: candidate) { return candidate }
            url.deleteLastPathComponent()
        }
        return "rules"
    }

    @Option(name: .long, help: "Learned classifier file, or `off` (default: models/sf-injection.sfm next to the rules).")
    var model: String?

    @Option(name: .long, help: "Classifier probability threshold (default: the model's calibrated one).")
    var modelThreshold: Float?

    @Option(name: .long, help: "Weight of the classifier's findings in the verdict (default 1).")
    var modelWeight: Double = 1

    func classifier() throws -> ClassifierSettings? {
        if model == "off" { return nil }
        let path = model ?? URL(fileURLWithPath: directory()).deletingLastPathComponent()
            .appendingPathComponent("models/sf-injection.sfm").path
        guard model != nil || FileManager.default.fileExists(atPath: path) else {
            // Rules installed apart from the model would otherwise lose the classifier unnoticed.
            FileHandle.standardError.write(Data("shieldflow: warning: no classifier at \(path) (the default, next to the rules); rules only. Pass --model FILE, or --model off to say so.\n".utf8))
            return nil
        }
        do {
            return ClassifierSettings(classifier: try LinearClassifier(contentsOf: path), threshold: modelThreshold, weight: modelWeight)
        } catch {
            throw ValidationError("cannot load the classifier: \(error)")
        }
    }

    func engine(mode: DetectorMode = .both) throws -> DetectionEngine {
        let dir = directory()
        let set = RuleSet.load(directory: dir)
        for p in set.problems where p.level == .warning { FileHandle.standardError.write(Data("\(p)\n".utf8)) }
        do {
            return try DetectionEngine(ruleSet: set, classifier: try classifier(), mode: mode)
        } catch let e as DetectionEngine.InvalidRules {
            throw ValidationError("rules in \(dir) are invalid; fix them or run `shieldflow rules check`:\n\(e)")
        }
    }
}

extension Surface: ExpressibleByArgument {}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

func writeLine(_ s: String) {
    FileHandle.standardOutput.write(Data((s + "\n").utf8))
}

func warn(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}
