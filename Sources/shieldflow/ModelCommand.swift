import ArgumentParser
import Foundation
import ShieldFlowCore
import ShieldFlowDetection

struct Model: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The learned injection/jailbreak classifier.",
                                                    subcommands: [Features.self, Info.self])

    struct Features: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write hashed features of JSONL rows (field `text`) for training, exactly as inference computes them.",
            discussion: "Output, little endian: per row UInt32 row number (0-based), UInt32 window count, then per window UInt32 n and n UInt32 buckets.")
        @Option(name: .long) var input: String
        @Option(name: .long) var out: String
        @Option(name: .long, help: "log2 of the feature dimension.") var bits = 18
        @OptionGroup var ruleOptions: RuleOptions

        func run() throws {
            let engine = try ruleOptions.engine(mode: .rules)
            let featurizer = TextFeaturizer(dimensionBits: bits)
            var data = Data()
            func put(_ v: Int) { var x = UInt32(v).littleEndian; withUnsafeBytes(of: &x) { data.append(contentsOf: $0) } }
            var row = 0
            try JSONLReader.forEachLine(path: input) { number, line in
                guard let text = JSONLReader.object(line)?["text"] as? String else {
                    throw CLIError("\(input):\(number): not a JSON object with a string `text` field")
                }
                let windows = engine.classifierFeatures(text, featurizer: featurizer)
                put(row); put(windows.count)
                for w in windows { put(w.count); for i in w { put(i) } }
                row += 1
            }
            try data.write(to: URL(fileURLWithPath: out))
            writeLine("\(row) rows, \(data.count) bytes")
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the loaded model's version, size and threshold.")
        @OptionGroup var ruleOptions: RuleOptions

        func run() throws {
            guard let s = try ruleOptions.classifier() else { writeLine("no classifier"); return }
            writeLine("version \(s.classifier.version), 2^\(s.classifier.featurizer.dimensionBits) weights, threshold \(s.threshold) (prompts), \(s.toolOutputThreshold) (tool output), weight \(s.weight)")
        }
    }
}
