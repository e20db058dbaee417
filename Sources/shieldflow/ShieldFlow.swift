import ArgumentParser
import Foundation
import ShieldFlowCore
import ShieldFlowDetection

@main
struct ShieldFlowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shieldflow",
        abstract: "Runtime intrusion detection for LLM applications.",
        version: ShieldFlowVersion.string,
        subcommands: [Scan.self, Eval.self, Rules.self, Bench.self]
    )
}

enum ShieldFlowVersion {
    static let string = "0.1.0"
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

    func engine() throws -> DetectionEngine {
        let dir = directory()
        let set = RuleSet.load(directory: dir)
        for p in set.problems where p.level == .warning { FileHandle.standardError.write(Data("\(p)\n".utf8)) }
        do {
            return try DetectionEngine(ruleSet: set)
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
