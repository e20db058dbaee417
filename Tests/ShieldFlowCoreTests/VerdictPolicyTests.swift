import ShieldFlowCore
import XCTest

final class VerdictPolicyTests: XCTestCase {
    func finding(_ category: ShieldFlowCore.Category, _ severity: Severity, _ confidence: Double, rule: String = "R",
                 start: Int = 0, end: Int = 1, type: String = "t") -> Finding {
        Finding(ruleId: rule, category: category, severity: severity, confidence: confidence, start: start, end: end, type: type)
    }

    let policy = VerdictPolicy.default

    func testNoFindingsAllows() {
        XCTAssertEqual(policy.action(for: [], on: .prompt), .allow)
    }

    func testSingleHighConfidentInjectionBlocksPrompt() {
        XCTAssertEqual(policy.action(for: [finding(.injection, .high, 0.9)], on: .prompt), .block)
    }

    func testLowConfidenceHighSeverityAloneDoesNotBlock() {
        XCTAssertEqual(policy.action(for: [finding(.injection, .high, 0.5)], on: .prompt), .allow)
    }

    func testWeakSignalsFromDistinctRulesAggregateToBlock() {
        let weak = [finding(.injection, .medium, 0.6, rule: "A"), finding(.obfuscation, .high, 0.6, rule: "B"),
                    finding(.jailbreak, .medium, 0.7, rule: "C"), finding(.injection, .high, 0.65, rule: "D")]
        XCTAssertEqual(policy.action(for: weak, on: .prompt), .block)
    }

    func testTheSameRuleRepeatedCountsOnce() {
        let repeated = Array(repeating: finding(.injection, .medium, 0.6, rule: "A"), count: 10)
        XCTAssertEqual(policy.action(for: repeated, on: .prompt), .allow)
    }

    func testPIIIsMaskedNotBlocked() {
        XCTAssertEqual(policy.action(for: [finding(.pii, .critical, 1.0)], on: .prompt), .allowMasked)
        XCTAssertEqual(policy.action(for: [finding(.secret, .critical, 1.0)], on: .response), .allowMasked)
    }

    func testBlockWinsOverMasking() {
        XCTAssertEqual(policy.action(for: [finding(.pii, .high, 1), finding(.injection, .high, 0.95)], on: .prompt), .block)
    }

    func testResponsesBlockOnlyOnCriticalHarm() {
        XCTAssertEqual(policy.action(for: [finding(.injection, .high, 0.95)], on: .response), .allow)
        XCTAssertEqual(policy.action(for: [finding(.exfiltration, .critical, 0.9)], on: .response), .block)
    }

    func testToolOutputNeedsHigherConfidence() {
        XCTAssertEqual(policy.action(for: [finding(.injection, .high, 0.85)], on: .toolOutput), .allow)
        XCTAssertEqual(policy.action(for: [finding(.injection, .high, 0.92)], on: .toolOutput), .block)
    }

    func testPolicyRoundTripsThroughJSON() throws {
        let data = try JSONEncoder().encode(policy)
        XCTAssertEqual(try JSONDecoder().decode(VerdictPolicy.self, from: data), policy)
    }
}
