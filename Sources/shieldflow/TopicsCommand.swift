import ArgumentParser
import Foundation
import KafkaAdapter
import ShieldFlowPipeline

struct Topics: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Declared topics (topics.yaml) against a cluster.", subcommands: [Apply.self])

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create missing topics and add partitions through the Admin API; report drift; never delete. Safe to run twice.",
            discussion: "Prints one JSON line per topic: {topic, action: create|add_partitions|ok|drift|error, detail}. Exit 1 if any action failed.")

        @Option(name: .long, help: "The topics file.") var file = "topics.yaml"
        @Option(name: .long, help: "Kafka bootstrap servers (else SHIELDFLOW_BROKERS).") var brokers: String?
        @Flag(name: .long, help: "Report what would change, change nothing.") var dryRun = false
        @Option(name: .long, help: "Admin request timeout, milliseconds.") var timeoutMs: Int32 = 30_000
        @Option(name: .long, parsing: .singleValue, help: "librdkafka property for the admin client (KEY=VALUE), repeatable (SASL/SSL).")
        var property: [String] = []

        func run() throws {
            guard let brokers = brokers ?? ProcessInfo.processInfo.environment["SHIELDFLOW_BROKERS"] else {
                throw ValidationError("give --brokers HOST:PORT (or SHIELDFLOW_BROKERS)")
            }
            let specs: [TopicSpec]
            do { specs = try TopicsFile.load(path: file) } catch { throw ValidationError("\(file): \(error)") }
            var props = ["bootstrap.servers": brokers]
            for p in property {
                guard let eq = p.firstIndex(of: "=") else { throw ValidationError("--property wants KEY=VALUE, got \(p)") }
                props[String(p[..<eq])] = String(p[p.index(after: eq)...])
            }
            let admin = try KafkaAdmin(config: KafkaConfig(props))
            let report = try TopicsFile.apply(specs, admin: admin, dryRun: dryRun, timeoutMs: timeoutMs)
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            for line in report { print(String(decoding: try enc.encode(line), as: UTF8.self)) }
            if report.contains(where: { $0.action == .error }) { throw ExitCode(1) }
        }
    }
}
