import ArgumentParser
import Foundation
import ShieldFlowCore
import ShieldFlowDetection

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure detection quality on labelled JSONL (text, label, kind, tier, spans, source).")

    @Option(name: .long, parsing: .upToNextOption, help: "One or more labelled JSONL files.")
    var input: [String]

    @Option(name: .long, help: "Surface for every row (default: from each row's `kind`).")
    var surface: Surface?

    @Option(name: .long) var format: OutputFormat = .text

    @OptionGroup var ruleOptions: RuleOptions

    static func surface(forKind kind: String?) -> Surface {
        switch kind {
        case "response": .response
        case "tool_output", "document", "code": .toolOutput
        case "tool_args": .toolArgs
        default: .prompt
        }
    }

    func run() throws {
        let both = try ruleOptions.engine()
        // With a classifier, compare rules only, classifier only and both on the same rows.
        let modes: [DetectorMode] = both.classifier == nil ? [.both] : [.rules, .classifier, .both]
        var engines: [DetectorMode: DetectionEngine] = [.both: both]
        for m in modes where m != .both { engines[m] = try ruleOptions.engine(mode: m) }
        let scratch = ScanScratch()
        var reports: [DetectorMode: EvalReport] = [:]
        for file in input {
            try JSONLReader.forEachLine(path: file) { number, line in
                guard let row = JSONLReader.object(line), let text = row["text"] as? String,
                      let label = row["label"] as? String else {
                    warn("\(file):\(number): skipped, not a labelled row"); return
                }
                let surface = self.surface ?? Self.surface(forKind: row["kind"] as? String)
                for m in modes {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    let result = engines[m]!.scan(text, surface: surface, scratch: scratch)
                    let ns = DispatchTime.now().uptimeNanoseconds - t0
                    reports[m, default: EvalReport()].add(row: row, label: label, text: text, result: result, nanoseconds: ns)
                }
            }
        }
        let main = reports[.both] ?? EvalReport()
        if format == .json {
            var obj = main.object()
            if modes.count > 1 { obj["modes"] = Dictionary(uniqueKeysWithValues: modes.map { ($0.rawValue, reports[$0]!.object()) }) }
            let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys, .prettyPrinted])
            writeLine(String(decoding: data, as: UTF8.self))
        } else {
            writeLine(main.text())
            if modes.count > 1 { writeLine("\n" + EvalReport.comparison(modes.map { ($0.rawValue, reports[$0]!) })) }
        }
    }
}

struct EvalReport {
    struct Counts: Codable { var total = 0, blocked = 0, masked = 0 }
    var byLabel: [String: Counts] = [:]
    var byTier: [String: Counts] = [:]
    var bySource: [String: Counts] = [:]
    var spans: [String: (gold: Int, found: Int)] = [:]
    var lookalikes = (total: 0, flagged: 0)
    var bytes = 0
    var latencies: [UInt64] = []

    static let attackLabels: Set<String> = ["injection", "jailbreak"]

    mutating func add(row: [String: Any], label: String, text: String, result: ScanResult, nanoseconds: UInt64) {
        bytes += text.utf8.count
        latencies.append(nanoseconds)
        let blocked = result.action == .block, masked = result.action == .allowMasked
        func bump(_ c: inout Counts) { c.total += 1; if blocked { c.blocked += 1 }; if masked { c.masked += 1 } }
        bump(&byLabel[label, default: Counts()])
        if let tier = row["tier"] as? String { bump(&byTier["\(label)/\(tier)", default: Counts()]) }
        let source = (row["source"] as? String).map { s in
            String(s.split(separator: "@").first ?? Substring(s)).split(separator: "#").first.map(String.init) ?? s
        } ?? "unknown"
        let tierTag = (row["tier"] as? String).map { "/\($0)" } ?? ""
        bump(&bySource["\(label)\(tierTag) \(source)", default: Counts()])

        let sensitive = result.findings.filter { $0.category.isSensitiveValue }
        let goldSpans = (row["spans"] as? [[Any]]) ?? []
        if label == "pii" || label == "secret" {
            for g in goldSpans {
                guard g.count >= 3, let a = g[0] as? Int, let b = g[1] as? Int, let type = g[2] as? String else { continue }
                var entry = spans[type, default: (0, 0)]
                entry.gold += 1
                if sensitive.contains(where: { $0.type == type && $0.start < b && a < $0.end }) { entry.found += 1 }
                spans[type] = entry
            }
        } else if label == "benign" && row["types"] is [Any] && (row["source"] as? String ?? "").hasPrefix("synthetic") {
            lookalikes.total += 1
            if !sensitive.isEmpty { lookalikes.flagged += 1 }
        }
    }

    func pct(_ a: Int, _ b: Int) -> String { b == 0 ? "-" : String(format: "%.1f%%", 100 * Double(a) / Double(b)) }

    var throughput: (mbps: Double, p50: Double, p99: Double) {
        let total = latencies.reduce(0, +)
        let sorted = latencies.sorted()
        func q(_ p: Double) -> Double { sorted.isEmpty ? 0 : Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1000 }
        return (total == 0 ? 0 : Double(bytes) / (Double(total) / 1e9) / 1e6, q(0.5), q(0.99))
    }

    func text() -> String {
        var lines: [String] = ["label                  rows   blocked   masked"]
        for (label, c) in byLabel.sorted(by: { $0.key < $1.key }) {
            lines.append("\(label.padding(toLength: 20, withPad: " ", startingAt: 0)) \(String(format: "%6d", c.total))   \(pct(c.blocked, c.total).padding(toLength: 8, withPad: " ", startingAt: 0))  \(pct(c.masked, c.total))")
        }
        if !byTier.isEmpty {
            lines.append("\nattack recall by tier (blocked)")
            for (tier, c) in byTier.sorted(by: { $0.key < $1.key }) { lines.append("  \(tier.padding(toLength: 24, withPad: " ", startingAt: 0)) \(pct(c.blocked, c.total)) of \(c.total)") }
        }
        lines.append("\nby source (blocked / masked)")
        for (s, c) in bySource.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(s.padding(toLength: 60, withPad: " ", startingAt: 0)) \(String(format: "%5d", c.total))  \(pct(c.blocked, c.total).padding(toLength: 7, withPad: " ", startingAt: 0)) \(pct(c.masked, c.total))")
        }
        if !spans.isEmpty {
            lines.append("\nspan recall by entity type")
            var g = 0, f = 0
            for (type, e) in spans.sorted(by: { $0.key < $1.key }) {
                g += e.gold; f += e.found
                lines.append("  \(type.padding(toLength: 18, withPad: " ", startingAt: 0)) \(pct(e.found, e.gold)) of \(e.gold)")
            }
            lines.append("  all                \(pct(f, g)) of \(g)")
            lines.append("  look-alike negatives flagged: \(pct(lookalikes.flagged, lookalikes.total)) of \(lookalikes.total)")
        }
        let t = throughput
        lines.append(String(format: "\nthroughput %.1f MB/s (one core), p50 %.1f µs, p99 %.1f µs per text, %d texts", t.mbps, t.p50, t.p99, latencies.count))
        return lines.joined(separator: "\n")
    }

    /// Headline figures of several detector modes side by side.
    static func comparison(_ reports: [(String, EvalReport)]) -> String {
        var keys = Set<String>()
        for (_, r) in reports { keys.formUnion(r.byTier.keys.map { "blocked " + $0 }); keys.formUnion(r.byLabel.keys.map { "blocked " + $0 }) }
        var lines = ["detectors side by side".padding(toLength: 34, withPad: " ", startingAt: 0) + reports.map { $0.0.padding(toLength: 12, withPad: " ", startingAt: 0) }.joined()]
        for key in keys.sorted() {
            var line = "  " + key.padding(toLength: 32, withPad: " ", startingAt: 0)
            for (_, r) in reports {
                let name = String(key.dropFirst("blocked ".count))
                let c = r.byTier[name] ?? r.byLabel[name] ?? Counts()
                line += r.pct(c.blocked, c.total).padding(toLength: 12, withPad: " ", startingAt: 0)
            }
            lines.append(line)
        }
        var line = "  " + "MB/s (one core)".padding(toLength: 32, withPad: " ", startingAt: 0)
        for (_, r) in reports { line += String(format: "%.1f", r.throughput.mbps).padding(toLength: 12, withPad: " ", startingAt: 0) }
        lines.append(line)
        return lines.joined(separator: "\n")
    }

    func json() -> String {
        let data = try! JSONSerialization.data(withJSONObject: object(), options: [.sortedKeys, .prettyPrinted])
        return String(decoding: data, as: UTF8.self)
    }

    func object() -> [String: Any] {
        let t = throughput
        var obj: [String: Any] = [
            "labels": byLabel.mapValues { ["rows": $0.total, "blocked": $0.blocked, "masked": $0.masked] },
            "tiers": byTier.mapValues { ["rows": $0.total, "blocked": $0.blocked, "recall": $0.total == 0 ? 0 : Double($0.blocked) / Double($0.total)] },
            "sources": bySource.mapValues { ["rows": $0.total, "blocked": $0.blocked, "masked": $0.masked] },
            "throughput": ["mb_per_s": t.mbps, "p50_us": t.p50, "p99_us": t.p99, "texts": latencies.count],
        ]
        if !spans.isEmpty {
            obj["span_recall"] = spans.mapValues { ["gold": $0.gold, "found": $0.found, "recall": $0.gold == 0 ? 0 : Double($0.found) / Double($0.gold)] }
            obj["lookalikes"] = ["rows": lookalikes.total, "flagged": lookalikes.flagged]
        }
        for (label, c) in byLabel {
            if EvalReport.attackLabels.contains(label) { obj["recall_\(label)"] = Double(c.blocked) / Double(max(1, c.total)) }
            if label == "benign" { obj["benign_block_rate"] = Double(c.blocked) / Double(max(1, c.total)); obj["benign_mask_rate"] = Double(c.masked) / Double(max(1, c.total)) }
        }
        return obj
    }
}
