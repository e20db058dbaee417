import Foundation
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

    /// On tool output a rule and the learned classifier agreeing block at a confidence where
    /// either alone does not; two rules, or one detector twice, are not two detectors.
    func testToolOutputBlocksWhenARuleAndTheClassifierAgree() {
        let rule = finding(.injection, .high, 0.65, rule: "SF-INJ-X")
        let learned = finding(.injection, .high, 0.62, rule: "SF-ML-v1", type: Finding.learnedType)
        XCTAssertEqual(policy.action(for: [rule], on: .toolOutput), .allow)
        XCTAssertEqual(policy.action(for: [learned], on: .toolOutput), .allow)
        XCTAssertEqual(policy.action(for: [rule, learned], on: .toolOutput), .block)
        XCTAssertEqual(policy.action(for: [learned, rule], on: .toolOutput), .block)
        XCTAssertEqual(policy.action(for: [rule, finding(.jailbreak, .high, 0.65, rule: "SF-JB-X")], on: .toolOutput), .allow)
        XCTAssertEqual(policy.action(for: [learned, learned], on: .toolOutput), .allow)
        // Below the agreement confidence, below block severity, or in a category the surface never
        // blocks on, a rule does not count.
        XCTAssertEqual(policy.action(for: [finding(.injection, .high, 0.55), learned], on: .toolOutput), .allow)
        XCTAssertEqual(policy.action(for: [finding(.injection, .medium, 0.8), learned], on: .toolOutput), .allow)
        XCTAssertEqual(policy.action(for: [finding(.codeInjection, .high, 0.85), learned], on: .toolOutput), .allow)
        XCTAssertEqual(policy.action(for: [finding(.pii, .high, 1), learned], on: .toolOutput), .allowMasked)
        // Surfaces without the setting are unchanged: a model's response is never blocked for injection.
        XCTAssertNil(policy.policy(for: .response).corroboratedConfidence)
        XCTAssertEqual(policy.action(for: [finding(.injection, .high, 0.85), finding(.injection, .high, 0.85, rule: "SF-ML-v1", type: Finding.learnedType)],
                                     on: .response), .allow)
    }

    func testPolicyWithoutTheAgreementSettingDecodes() throws {
        let json = #"{"surfaces":["tool_output",{"block_severity":"high","min_confidence":0.9,"aggregate_threshold":0.97,"never_block":[]}]}"#
        let decoded = try JSONDecoder().decode(VerdictPolicy.self, from: Data(json.utf8))
        XCTAssertNil(decoded.policy(for: .toolOutput).corroboratedConfidence)
        let rule = finding(.injection, .high, 0.65), learned = finding(.injection, .high, 0.65, rule: "SF-ML-v1", type: Finding.learnedType)
        XCTAssertEqual(decoded.action(for: [rule, learned], on: .toolOutput), .allow)
    }

    func testPolicyRoundTripsThroughJSON() throws {
        let data = try JSONEncoder().encode(policy)
        XCTAssertEqual(try JSONDecoder().decode(VerdictPolicy.self, from: data), policy)
    }
}
