import ArgumentParser
import Foundation
import ShieldFlowCore
import ShieldFlowDetection

struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Scan text: an argument, standard input, or a JSONL file whose rows have a `text` field.")

    @Argument(help: "Text to scan (default: standard input).")
    var text: String?

    @Option(name: .long, help: "JSONL input; prints one JSON object per row, in order.")
    var input: String?

    @Option(name: .long, help: "Surface: prompt, response, tool_output or tool_args.")
    var surface: Surface = .prompt

    @Option(name: .long, help: "text or json (default: text on a terminal for a single text, json otherwise).")
    var format: OutputFormat?

    @Flag(name: .long, help: "Print the normalised text that keywords and normalised patterns match on (one line per text, JSON-quoted) instead of scanning.")
    var view = false

    @OptionGroup var ruleOptions: RuleOptions

    func run() throws {
        let engine = try ruleOptions.engine()
        let scratch = ScanScratch()
        if let input {
            var bad = 0
            try JSONLReader.forEachLine(path: input) { number, line in
                guard let row = JSONLReader.object(line), let text = row["text"] as? String else {
                    bad += 1
                    warn("\(input):\(number): not a JSON object with a string `text` field")
                    writeLine(#"{"error":"line \#(number): not a JSON object with a string `text` field"}"#)
                    return
                }
                writeLine(view ? Output.quoted(engine.normalizedView(text)) : Output.json(engine.scan(text, surface: surface, scratch: scratch), full: false))
            }
            if bad > 0 { throw ExitCode(2) }
            return
        }
        let body: String
        if let text {
            body = text
        } else {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            guard let s = String(data: data, encoding: .utf8) else {
                if view {
                    warn("standard input is not UTF-8: the view is built from valid UTF-8 only (scan without --view reports it as a finding)")
                    throw ExitCode(2)
                }
                let result = engine.scan(bytes: [UInt8](data), surface: surface, scratch: scratch)
                writeLine(Output.json(result, full: true))
                return
            }
            body = s
        }
        if view { writeLine(Output.quoted(engine.normalizedView(body))); return }
        let result = engine.scan(body, surface: surface, scratch: scratch)
        let fmt = format ?? (isatty(STDOUT_FILENO) != 0 ? .text : .json)
        writeLine(fmt == .json ? Output.json(result, full: true) : Output.human(result, color: isatty(STDOUT_FILENO) != 0))
    }
}

enum Output {
    struct FindingOut: Encodable {
        let rule_id: String, category: String, severity: String, confidence: Double, start: Int, end: Int, type: String
        let via: [String]?, excerpt: String?
    }
    struct ResultOut: Encodable {
        let action: String
        let findings: [FindingOut]
        let masked_text: String?
        let token_health: Double?
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return e
    }()

    /// The CLI contract: `{"action", "findings": [{rule_id, category, severity, confidence, start, end,
    /// type}], "masked_text"}`; `full` adds `via`, the redacted `excerpt` and `token_health`.
    static func json(_ r: ScanResult, full: Bool) -> String {
        let out = ResultOut(
            action: r.action.rawValue,
            findings: r.findings.map {
                FindingOut(rule_id: $0.ruleId, category: $0.category.rawValue, severity: $0.severity.rawValue,
                           confidence: $0.confidence, start: $0.start, end: $0.end, type: $0.type,
                           via: full && !$0.via.isEmpty ? $0.via : nil, excerpt: full ? $0.excerpt : nil)
            },
            masked_text: r.maskedText,
            token_health: full ? (r.tokenHealth * 1000).rounded() / 1000 : nil)
        return String(decoding: try! encoder.encode(out), as: UTF8.self)
    }

    /// A string as one JSON string literal.
    static func quoted(_ s: String) -> String { String(decoding: try! encoder.encode(s), as: UTF8.self) }

    static func human(_ r: ScanResult, color: Bool) -> String {
        func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
        let actionColor = r.action == .block ? "1;31" : r.action == .allowMasked ? "1;33" : "1;32"
        var lines = ["action: " + paint(r.action.rawValue, actionColor)]
        for f in r.findings {
            let sev = f.severity >= .high ? paint(f.severity.rawValue, "31") : f.severity.rawValue
            var line = "  \(f.ruleId)  \(f.category.rawValue)/\(f.type)  \(sev)  conf \(f.confidence)  [\(f.start), \(f.end))"
            if !f.via.isEmpty { line += "  via \(f.via.joined(separator: ","))" }
            lines.append(line)
            lines.append("      " + paint(f.excerpt, "2"))
        }
        if let m = r.maskedText { lines.append("masked: \(m)") }
        return lines.joined(separator: "\n")
    }
}

enum JSONLReader {
    /// Calls `body` with each non-empty line of a JSONL file (1-based line numbers).
    static func forEachLine(path: String, _ body: (Int, Data) throws -> Void) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read \(path)") }
        var number = 0
        var start = data.startIndex
        while start < data.endIndex {
            let end = data[start...].firstIndex(of: 0x0A) ?? data.endIndex
            number += 1
            let line = data[start..<end]
            if !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { try body(number, Data(line)) }
            start = end < data.endIndex ? data.index(after: end) : end
        }
    }

    static func object(_ line: Data) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: line)) as? [String: Any]
    }
}
