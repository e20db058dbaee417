import Foundation
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
}
