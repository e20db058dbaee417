import Foundation
import RedisAdapter
import ShieldFlowCore
import ShieldFlowPipeline
import XCTest

/// One suite, two stores: the in-memory store and the Redis store must give the same answers.
class TrustStoreConformance: XCTestCase {
    /// A fresh store with a half-life of 600 s, and a prefix that keeps this test's sessions apart.
    func makeStore(_ policy: TrustPolicy) throws -> any TrustStore { throw XCTSkip("the abstract suite; its subclasses run it") }
    var prefix = ""

    override func setUpWithError() throws {
        prefix = "t\(UUID().uuidString.prefix(8))-"
    }

    var policy: TrustPolicy {
        var p = TrustPolicy()
        p.halfLifeSeconds = 600
        return p
    }

    func req(_ s: String, _ e: String, _ delta: Double, at: Double = 1000, admission: Admission? = nil, counters: [WindowCounter] = [],
             agent: String? = nil) -> TrustRequest {
        TrustRequest(sessionId: prefix + s, eventId: e, delta: delta, at: at, agentId: agent.map { prefix + $0 }, admission: admission, counters: counters)
    }

    func testSeedDeltasClampAndApplyInOrderWithinABatch() async throws {
        let store = try makeStore(policy)
        let r = try await store.apply([req("s", "1", -25), req("s", "2", -40), req("s", "3", -40), req("s", "4", +1), req("other", "1", -40)])
        XCTAssertEqual(r.map(\.change.after), [75, 35, 0, 1, 60], "PII −25 then injection −40 (35), clamped at 0, +1 for a clean event")
        XCTAssertEqual(r.map(\.change.before), [100, 75, 35, 0, 100])
        let top = try await store.apply([req("fresh", "1", +1)])
        XCTAssertEqual(top[0].change.after, 100, "capped at the initial score")
    }

    func testAnEventDecidedWithoutTheStoreIsReplayedWithoutIt() async throws {
        let store = try makeStore(policy)
        let applied = try await store.apply([req("s", "1", -40)])
        try await store.recordDecidedWithoutTrust([EventRef(sessionId: prefix + "s", eventId: "1"), EventRef(sessionId: prefix + "s", eventId: "2")])
        let r = try await store.apply([req("s", "1", -40), req("s", "2", -40), req("s", "3", -1)])
        XCTAssertEqual(r[0], applied[0], "an event already applied keeps its result")
        XCTAssertTrue(r[1].wasDecidedWithoutTrust, "the replay of an event decided without the store")
        XCTAssertEqual(r[2].change.before, 60, "and its delta was not applied")
        XCTAssertEqual(r[2].change.after, 59)
    }

    func testRecoveryIsExponentialWithTheInjectedClock() async throws {
        let store = try makeStore(policy)
        _ = try await store.apply([req("s", "1", -60, at: 1000)])  // 40
        let later = try await store.apply([req("s", "2", 0, at: 1600)])  // one half-life: 70
        XCTAssertEqual(later[0].change.before!, 70, accuracy: 0.001)
        let state = try await store.state(session: prefix + "s", at: 2200)  // another: 85
        XCTAssertEqual(state.score, 85, accuracy: 0.001)
        let skewed = try await store.apply([req("s", "3", 0, at: 1500)])  // a clock behind: no recovery, no going back
        XCTAssertEqual(skewed[0].change.before!, 70, accuracy: 0.001)
    }

    func testReplayedEventReturnsTheFirstResultAndAppliesNothing() async throws {
        let store = try makeStore(policy)
        let first = try await store.apply([req("s", "e1", -40)])
        _ = try await store.apply([req("s", "e2", -10)])
        let replay = try await store.apply([req("s", "e1", -40, at: 5000), req("s", "e1", -40)])
        XCTAssertEqual(replay[0], first[0])
        XCTAssertEqual(replay[1], first[0])
        let state = try await store.state(session: prefix + "s", at: 1000)
        XCTAssertEqual(state.score, 50, "e1 applied once, e2 once")
    }

    func testAdmissionChecksTrustThenLimitsAndRecordsOnlyAdmittedCalls() async throws {
        let store = try makeStore(policy)
        let calls = { (n: Double) in Admission(minScore: 60, limits: [WindowLimit(name: "calls:x", max: 3, windowSeconds: 60, amount: n)]) }
        var r: [TrustResult] = []
        for i in 0..<4 { r += try await store.apply([req("s", "c\(i)", 0, at: 1000 + Double(i), admission: calls(1))]) }
        XCTAssertEqual(r.map(\.admitted), [true, true, true, false])
        XCTAssertEqual(r[3].exceeded, LimitReport(name: "calls:x", max: 3, windowSeconds: 60, current: 4))
        // The refused call took no slot; after the window the calls are admitted again.
        let afterWindow = try await store.apply([req("s", "c9", 0, at: 1061, admission: calls(1))])
        XCTAssertTrue(afterWindow[0].admitted)
        // Trust gate: a −50 event takes the score to 50 < 60: not admitted, nothing recorded.
        let gated = try await store.apply([req("g", "g1", -50, admission: calls(1))])
        XCTAssertFalse(gated[0].admitted)
        XCTAssertNil(gated[0].exceeded)
        let ok = try await store.apply([req("g", "g2", 0, admission: Admission(minScore: 30, limits: [WindowLimit(name: "calls:x", max: 1, windowSeconds: 60, amount: 1)]))])
        XCTAssertTrue(ok[0].admitted, "the gated call did not use the one slot")
    }

    func testSpendIsSummedOverTheWindow() async throws {
        let store = try makeStore(policy)
        let spend = { (c: Double) in Admission(minScore: 0, limits: [WindowLimit(name: "spend:pay", max: 100, windowSeconds: 3600, amount: c)]) }
        let r = try await store.apply([req("s", "p1", 0, admission: spend(40)), req("s", "p2", 0, admission: spend(40.5)),
                                       req("s", "p3", 0, admission: spend(30)), req("s", "p4", 0, admission: spend(19.5))])
        XCTAssertEqual(r.map(\.admitted), [true, true, false, true])
        XCTAssertEqual(r[2].exceeded?.current ?? 0, 110.5, accuracy: 1e-9)
    }

    func testRevocationOfSessionOrAgentDeniesUntilUnrevoked() async throws {
        let store = try makeStore(policy)
        let a = Admission(minScore: 0, limits: [])
        try await store.setRevoked(.session(prefix + "s"), true)
        var r = try await store.apply([req("s", "1", 0, admission: a)])
        XCTAssertTrue(r[0].revoked)
        XCTAssertFalse(r[0].admitted)
        try await store.setRevoked(.session(prefix + "s"), false)
        r = try await store.apply([req("s", "2", 0, admission: a)])
        XCTAssertFalse(r[0].revoked)
        XCTAssertTrue(r[0].admitted)
        try await store.setRevoked(.agent(prefix + "bot"), true)
        r = try await store.apply([req("s", "3", 0, admission: a, agent: "bot"), req("s", "4", 0, admission: a, agent: "other")])
        XCTAssertEqual(r.map(\.revoked), [true, false])
        XCTAssertEqual(r.map(\.admitted), [false, true])
        let state = try await store.state(session: prefix + "s", at: 1000)
        XCTAssertFalse(state.revoked, "an agent's revocation is not the session's")
    }

    func testPromptCountersCountEachEventOncePerScope() async throws {
        let store = try makeStore(policy)
        let user = WindowCounter(scope: .user, id: prefix + "u", max: 2, windowSeconds: 60)
        var out: [TrustResult] = []
        for (i, s) in ["s1", "s2", "s3"].enumerated() {
            out += try await store.apply([req(s, "p\(i)", 0, at: 1000 + Double(i), counters: [user])])
        }
        XCTAssertEqual(out.map { $0.exceeded == nil }, [true, true, false], "the user's third prompt in a minute, across sessions")
        XCTAssertEqual(out[2].exceeded?.name, "prompts_per_user")
        let replay = try await store.apply([req("s1", "p0", 0, at: 1003, counters: [user])])
        XCTAssertEqual(replay[0].exceeded?.current, 3, "a replay does not count again")
        let later = try await store.apply([req("s4", "p9", 0, at: 1100, counters: [user])])
        XCTAssertNil(later[0].exceeded, "the window slid past")
    }

    func testOperatorSetAndReset() async throws {
        let store = try makeStore(policy)
        try await store.setScore(session: prefix + "s", score: 20, at: 1000)
        var st = try await store.state(session: prefix + "s", at: 1000)
        XCTAssertEqual(st.score, 20)
        XCTAssertEqual(st.updatedAt, 1000)
        let r = try await store.apply([req("s", "1", 0, at: 1000)])
        XCTAssertEqual(r[0].change.before, 20)
        try await store.reset(session: prefix + "s")
        st = try await store.state(session: prefix + "s", at: 1000)
        XCTAssertEqual(st.score, 100)
        XCTAssertNil(st.updatedAt)
    }
}

final class InMemoryTrustStoreConformanceTests: TrustStoreConformance {
    override func makeStore(_ policy: TrustPolicy) throws -> any TrustStore { InMemoryTrustStore(policy: policy) }

    // Linux XCTest discovers inherited tests only in classes that declare tests of their own.
    func testOldMarkersAreForgottenInOrderAndRecentOnesKept() async {
        let store = InMemoryTrustStore(rememberedEvents: 3)
        for i in 0..<10 { _ = await store.apply([TrustRequest(sessionId: "s\(i)", eventId: "e\(i)", delta: -10, at: 0)]) }
        // e9 is remembered: replaying it changes nothing.
        let replay = await store.apply([TrustRequest(sessionId: "s9", eventId: "e9", delta: -10, at: 0)])
        XCTAssertEqual(replay[0].change.after, 90)
        // e0 was evicted: it is applied again on its session.
        let old = await store.apply([TrustRequest(sessionId: "s0", eventId: "e0", delta: -10, at: 0)])
        XCTAssertEqual(old[0].change.before, 90)
        XCTAssertEqual(old[0].change.after, 80)
    }
}

/// Runs against the redis-server that `scripts/test` starts (SHIELDFLOW_TEST_REDIS_URL). Without it
/// the suite is skipped, unless SHIELDFLOW_TEST_REQUIRE_REDIS=1 (set by scripts/test), where that is a failure.
final class RedisTrustStoreConformanceTests: TrustStoreConformance {
    static var url: String? { ProcessInfo.processInfo.environment["SHIELDFLOW_TEST_REDIS_URL"] }

    override func setUpWithError() throws {
        try super.setUpWithError()
        if Self.url == nil {
            if ProcessInfo.processInfo.environment["SHIELDFLOW_TEST_REQUIRE_REDIS"] == "1" {
                XCTFail("SHIELDFLOW_TEST_REDIS_URL is not set")
            }
            throw XCTSkip("no redis-server (set SHIELDFLOW_TEST_REDIS_URL)")
        }
    }

    override func makeStore(_ policy: TrustPolicy) throws -> any TrustStore { try RedisTrustStore(url: Self.url!, policy: policy) }

    func testKeysShareTheSessionHashTagAndCarryAnIdleTTL() async throws {
        let store = try RedisTrustStore(url: Self.url!, policy: policy)
        _ = try await store.apply([req("s", "e1", -10, admission: Admission(minScore: 0, limits: [WindowLimit(name: "calls:t", max: 5, windowSeconds: 60, amount: 1)]))])
        let c = try RedisConnection(try RedisEndpoint(url: Self.url!))
        guard case .array(let keys) = try c.command(["KEYS", "shieldflow:{\(prefix)s}:*"]) else { return XCTFail() }
        XCTAssertEqual(Set(keys.compactMap(\.string)), ["shieldflow:{\(prefix)s}:trust", "shieldflow:{\(prefix)s}:ev:e1", "shieldflow:{\(prefix)s}:win:calls:t"])
        for k in keys.compactMap(\.string) {
            guard case .integer(let ttl) = try c.command(["TTL", k]) else { return XCTFail() }
            XCTAssertGreaterThan(ttl, 0, "\(k) expires")
        }
    }

    /// A batch whose replies time out (the server busy for longer than the timeout) is sent once
    /// more: the update Redis made after all is returned from its marker, not applied twice, and
    /// the caller gets results instead of an error.
    func testTimedOutBatchIsRepeatedOnceAndAppliedOnce() async throws {
        var settings = RedisTrustStore.Settings()
        settings.timeoutMs = 400
        let store = try RedisTrustStore(url: Self.url!, policy: policy, settings: settings)
        _ = try await store.apply([req("s", "warm", 0)])
        // A script that keeps the single-threaded server busy for 0.6 s, from another connection.
        let url = Self.url!
        let busy = Thread {
            let c = try? RedisConnection(try RedisEndpoint(url: url), timeoutMs: 5_000)
            _ = try? c?.command(["EVAL", "local s = redis.call('TIME') local t0 = s[1] * 1000000 + s[2] " +
                                 "while true do local t = redis.call('TIME') if t[1] * 1000000 + t[2] - t0 > 600000 then break end end return 1", "0"])
        }
        busy.start()
        try await Task.sleep(nanoseconds: 50_000_000)
        let r = try await store.apply([req("s", "slow", -10)])
        XCTAssertEqual(r[0].change.before, 100)
        XCTAssertEqual(r[0].change.after, 90)
        let again = try await store.apply([req("s", "next", -10)])
        XCTAssertEqual(again[0].change.after, 80, "the timed-out update was applied once")
    }

    func testScriptCacheFlushIsRecoveredAndUnreachableRedisThrows() async throws {
        let store = try RedisTrustStore(url: Self.url!, policy: policy)
        _ = try await store.apply([req("s", "1", -10)])
        let c = try RedisConnection(try RedisEndpoint(url: Self.url!))
        _ = try c.command(["SCRIPT", "FLUSH"])
        let r = try await store.apply([req("s", "2", -10)])
        XCTAssertEqual(r[0].change.after, 80)
        let down = try RedisTrustStore(url: "redis://127.0.0.1:1", policy: policy)
        do {
            _ = try await down.apply([req("s", "3", -10)])
            XCTFail("an unreachable Redis must throw, so the inspector applies fail_mode")
        } catch let e as RedisError {
            XCTAssertEqual(e.kind, .connection)
        }
    }
}
