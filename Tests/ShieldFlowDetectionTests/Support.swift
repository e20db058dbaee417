import Foundation
import PCRE2Adapter
import ShieldFlowCore
@testable import ShieldFlowDetection
import XCTest

enum Fixtures {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let rulesDirectory = repoRoot.appendingPathComponent("rules").path

    /// The shipped rule set, compiled once for all tests.
    static let engine: DetectionEngine = {
        let set = RuleSet.load(directory: rulesDirectory)
        precondition(set.errors.isEmpty, "shipped rules have errors: \(set.errors)")
        return try! DetectionEngine(ruleSet: set)
    }()
}

extension XCTestCase {
    func scan(_ text: String, _ surface: Surface = .prompt) -> ScanResult {
        Fixtures.engine.scan(text, surface: surface)
    }

    /// The text a finding points at, through its Unicode scalar offsets into the original.
    func covered(_ text: String, _ f: Finding) -> String {
        let s = Array(text.unicodeScalars)
        return String(String.UnicodeScalarView(s[max(0, f.start)..<min(s.count, f.end)]))
    }

    func ruleIds(_ r: ScanResult) -> Set<String> { Set(r.findings.map(\.ruleId)) }

    /// `text` is blocked on `surface` and `ruleId` is among its findings.
    func assertBlocked(_ text: String, by ruleId: String, on surface: Surface = .prompt,
                       file: StaticString = #filePath, line: UInt = #line) {
        let r = scan(text, surface)
        XCTAssertEqual(r.action, .block, text, file: file, line: line)
        XCTAssertTrue(ruleIds(r).contains(ruleId), "\(ruleId) missing: \(text) \(ruleIds(r).sorted())", file: file, line: line)
    }

    /// Every match of `regex` in `text`: [start, end, start of the first set group or -1].
    func matchSpans(_ regex: PCRE2Regex, in text: String) -> [[Int]] {
        var out: [[Int]] = []
        var text = text
        _ = text.withUTF8 { buf in
            regex.forEachMatch(in: buf, scratch: PCRE2Scratch()) { m, g in
                out.append([m.lowerBound, m.upperBound, g?.lowerBound ?? -1]); return true
            }
        }
        return out
    }
}
