import ArgumentParser
import Foundation
import ShieldFlowCore
import ShieldFlowDetection
import ShieldFlowPipeline

struct Inspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decide records offline: each line of --input is one record value from --topic; prints one decision or dead-letter object per line.",
        discussion: "The same code path the daemon runs per batch, without Kafka: offsets are line numbers (from 0) on partition 0, trust is the in-memory store.")

    @Option(name: .long) var input: String
    @Option(name: .long, help: "Input topic the records came from (decides the event kind).")
    var topic = "shieldflow.prompts.in"
    @Option(name: .long, help: "Records per batch.") var batch = 256
    @OptionGroup var ruleOptions: RuleOptions

    func run() async throws {
        let engine = try ruleOptions.engine()
        let inspector = Inspector(engine: engine, trust: InMemoryTrustStore(), instance: ProcessInfo.processInfo.hostName,
                                  version: ShieldFlowVersion.string)
        guard TopicMap().kind(of: topic) != nil else { throw ValidationError("--topic must be one of the input topics") }
        guard let data = FileManager.default.contents(atPath: input) else { throw CLIError("cannot read \(input)") }
        var records: [InputRecord] = []
        var offset: Int64 = 0
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            if line.isEmpty && offset > 0 && line.startIndex == data.endIndex { break }
            records.append(InputRecord(source: SourceRecord(topic: topic, partition: 0, offset: offset), value: Array(line)))
            offset += 1
        }
        if records.last?.value.isEmpty == true { records.removeLast() }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let scratch = ScanScratch()
        var start = 0
        while start < records.count {
            let slice = Array(records[start..<min(records.count, start + batch)])
            for outcome in try await inspector.inspect(slice, scratch: scratch) {
                switch outcome {
                case .decision(let d): writeLine(String(decoding: d.jsonBytes(), as: UTF8.self))
                case .deadLetter(let d): writeLine(String(decoding: try encoder.encode(d), as: UTF8.self))
                }
            }
            start += batch
        }
    }
}
