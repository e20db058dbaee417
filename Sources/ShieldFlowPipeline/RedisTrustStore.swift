import Foundation
import Logging
import RedisAdapter
import ShieldFlowCore

/// The trust store on Redis. Every update is one server-side script (SCRIPT LOAD + EVALSHA) that
/// reads the score, applies recovery and the delta, clamps, writes with an idle TTL, checks the
/// session's revocation and the tool call's windows, and records the result under the event id, so
/// a replayed event gets the same answer without applying twice. A batch is one pipelined round trip.
///
/// Keys carry the session as a hash tag (`shieldflow:{<session>}:trust`, `…:ev:<event>`,
/// `…:revoked`, `…:win:<limit>`, `…:prompts`), so one script only touches one Redis Cluster slot.
/// Agent and user keys use their own tags (`shieldflow:{agent:<id>}:…`).
public final class RedisTrustStore: TrustStore, @unchecked Sendable {
    public struct Settings: Sendable {
        public var timeoutMs = 500
        /// A session's keys expire after this long without an update.
        public var idleTTLSeconds = 7 * 86_400
        /// How long an event id's result is remembered for replays.
        public var markerTTLSeconds = 86_400
        public init() {}
    }

    public let endpoint: RedisEndpoint
    let policy: TrustPolicy
    let settings: Settings
    let logger: Logger
    /// All connection state lives on this queue: hiredis calls block.
    private let queue = DispatchQueue(label: "shieldflow.redis")
    private var connection: RedisConnection?
    private var backoff = 0.1
    private var nextAttempt = 0.0
    private var shas: (gate: String, count: String)?

    public init(url: String, policy: TrustPolicy = TrustPolicy(), settings: Settings = Settings(),
                logger: Logger = Logger(label: "shieldflow.redis")) throws {
        endpoint = try RedisEndpoint(url: url)
        self.policy = policy
        self.settings = settings
        self.logger = logger
    }

    static let gateScript = """
    local m = redis.call('GET', KEYS[2])
    if m then return m end
    local at = tonumber(ARGV[3])
    local initial = tonumber(ARGV[4])
    local half = tonumber(ARGV[5])
    local h = redis.call('HMGET', KEYS[1], 's', 't')
    local score = initial
    local t = at
    if h[1] then
      score = tonumber(h[1])
      local last = tonumber(h[2])
      local dt = at - last
      if dt > 0 and half > 0 then score = initial - (initial - score) * math.pow(0.5, dt / half) end
      if last > at then t = last end
    end
    local after = math.min(initial, math.max(0, score + tonumber(ARGV[2])))
    redis.call('HSET', KEYS[1], 's', string.format('%.17g', after), 't', string.format('%.17g', t))
    redis.call('EXPIRE', KEYS[1], ARGV[6])
    local revoked = redis.call('EXISTS', KEYS[3])
    local admitted = 0
    local fired = 0
    local current = 0
    if ARGV[8] == '1' and revoked == 0 and after >= tonumber(ARGV[9]) then
      admitted = 1
      for i = 1, #KEYS - 3 do
        local max = tonumber(ARGV[7 + 3 * i])
        local window = tonumber(ARGV[8 + 3 * i])
        local amount = tonumber(ARGV[9 + 3 * i])
        redis.call('ZREMRANGEBYSCORE', KEYS[3 + i], '-inf', '(' .. string.format('%.17g', at - window))
        local sum = 0
        for _, member in ipairs(redis.call('ZRANGE', KEYS[3 + i], 0, -1)) do
          sum = sum + tonumber(string.match(member, '([^|]*)$'))
        end
        if sum + amount > max then
          admitted = 0
          fired = i
          current = sum + amount
          break
        end
      end
      if admitted == 1 then
        for i = 1, #KEYS - 3 do
          redis.call('ZADD', KEYS[3 + i], at, ARGV[1] .. '|' .. ARGV[9 + 3 * i])
          redis.call('EXPIRE', KEYS[3 + i], math.ceil(tonumber(ARGV[8 + 3 * i])) + 1)
        end
      end
    end
    local result = string.format('%.17g|%.17g|%d|%d|%d|%.17g', score, after, revoked, admitted, fired, current)
    redis.call('SET', KEYS[2], result, 'EX', ARGV[7])
    return result
    """

    static let countScript = """
    local at = tonumber(ARGV[2])
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%.17g', at - tonumber(ARGV[3])))
    redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1])
    redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3])) + 1)
    return redis.call('ZCARD', KEYS[1])
    """

    static func sessionKey(_ session: String, _ suffix: String) -> String { "shieldflow:{\(session)}:\(suffix)" }
    /// An event's marker: its applied result, or that it was decided without Redis.
    static func eventKey(_ session: String, _ event: String) -> String { sessionKey(session, "ev:" + event) }
    static func scopeKey(_ scope: CounterScope, _ id: String, _ suffix: String) -> String {
        scope == .session ? sessionKey(id, suffix) : "shieldflow:{\(scope.rawValue):\(id)}:\(suffix)"
    }
    /// Swift's shortest round-trip spelling (Lua's tonumber reads it back exactly); far cheaper than
    /// Foundation's String(format:).
    static func fmt(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : "\(x)" }

    /// The EVALSHA of the gate script for one request (also what `bench trust` hands redis-benchmark).
    func gateCommand(_ r: TrustRequest, sha: String) -> [String] {
        let limits = r.admission?.limits ?? []
        var cmd = ["EVALSHA", sha, String(3 + limits.count), Self.sessionKey(r.sessionId, "trust"),
                   Self.eventKey(r.sessionId, r.eventId), Self.sessionKey(r.sessionId, "revoked")]
        cmd += limits.map { Self.sessionKey(r.sessionId, "win:" + $0.name) }
        cmd += [r.eventId, Self.fmt(r.delta), Self.fmt(r.at), Self.fmt(policy.initial), Self.fmt(policy.halfLifeSeconds),
                String(settings.idleTTLSeconds), String(settings.markerTTLSeconds), r.admission == nil ? "0" : "1",
                Self.fmt(r.admission?.minScore ?? 0)]
        for l in limits { cmd += [Self.fmt(l.max), Self.fmt(l.windowSeconds), Self.fmt(l.amount)] }
        return cmd
    }

    // MARK: connection handling (on `queue` only)

    private func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    private func connected(ignoringBackoff: Bool = false) throws -> RedisConnection {
        if let connection { return connection }
        guard ignoringBackoff || now() >= nextAttempt else {
            throw RedisError(kind: .connection, description: "redis \(endpoint) unreachable; next attempt in \(String(format: "%.1f", nextAttempt - now())) s")
        }
        do {
            let c = try RedisConnection(endpoint, timeoutMs: settings.timeoutMs)
            connection = c
            shas = nil
            if backoff > 0.1 { logger.info("redis reconnected", metadata: ["redis": "\(endpoint)"]) }
            backoff = 0.1
            return c
        } catch {
            nextAttempt = now() + backoff * Double.random(in: 0.8...1.2)
            backoff = min(backoff * 2, 5)
            throw error
        }
    }

    private func loadScripts(_ c: RedisConnection) throws -> (gate: String, count: String) {
        if let shas { return shas }
        let r = try c.pipeline([["SCRIPT", "LOAD", Self.gateScript], ["SCRIPT", "LOAD", Self.countScript]])
        guard let g = r[0].string, let n = r[1].string else { throw RedisError(kind: .server, description: "SCRIPT LOAD failed: \(r)") }
        shas = (g, n)
        return (g, n)
    }

    /// Runs `body` on the store's queue with a live connection; a broken connection is dropped and
    /// retried later with exponential backoff (0.1 s to 5 s, jittered).
    private func withConnection<T: Sendable>(ignoringBackoff: Bool = false,
                                             _ body: @escaping @Sendable (RedisConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<T, any Error>) in
            queue.async {
                cont.resume(with: Result {
                    let c = try self.connected(ignoringBackoff: ignoringBackoff)
                    do {
                        return try body(c)
                    } catch let e as RedisError where e.kind != .server {
                        self.connection = nil
                        self.nextAttempt = self.now() + self.backoff
                        self.backoff = min(self.backoff * 2, 5)
                        throw e
                    }
                })
            }
        }
    }

    // MARK: TrustStore

    public func apply(_ requests: [TrustRequest]) async throws -> [TrustResult] {
        do {
            return try await applyOnce(requests)
        } catch let e as RedisError where e.kind == .timeout {
            // A batch whose replies timed out may still have been applied (a slow fsync, a busy
            // server). Its scripts are idempotent by event id, so it is sent once more on a fresh
            // connection: updates already made come back from their markers, the rest are made.
            // Only if that fails too does the inspector decide per fail_mode, so a slow moment does
            // not leave decisions that say "trust unavailable" for updates Redis did apply.
            logger.warning("redis timed out; repeating the batch once", metadata: ["redis": "\(endpoint)", "events": "\(requests.count)"])
            return try await applyOnce(requests, ignoringBackoff: true)
        }
    }

    private func applyOnce(_ requests: [TrustRequest], ignoringBackoff: Bool = false) async throws -> [TrustResult] {
        try await withConnection(ignoringBackoff: ignoringBackoff) { c in
            var replies = try self.send(requests, c)
            if replies.contains(where: { if case .error(let e) = $0 { e.hasPrefix("NOSCRIPT") } else { false } }) {
                // Redis restarted or flushed its script cache: load again and repeat the batch (results
                // already recorded come back from their markers).
                self.shas = nil
                replies = try self.send(requests, c)
            }
            return try self.parse(requests, replies)
        }
    }

    private func send(_ requests: [TrustRequest], _ c: RedisConnection) throws -> [RedisReply] {
        let sha = try loadScripts(c)
        var commands: [[String]] = []
        commands.reserveCapacity(requests.count * 2)
        for r in requests {
            commands.append(gateCommand(r, sha: sha.gate))
            for k in r.counters {
                commands.append(["EVALSHA", sha.count, "1", Self.scopeKey(k.scope, k.id, "prompts"), r.eventId, Self.fmt(r.at), Self.fmt(k.windowSeconds)])
            }
            if let agent = r.agentId { commands.append(["EXISTS", Self.scopeKey(.agent, agent, "revoked")]) }
        }
        return try c.pipeline(commands)
    }

    private func parse(_ requests: [TrustRequest], _ replies: [RedisReply]) throws -> [TrustResult] {
        var i = 0
        func next() throws -> RedisReply {
            let r = replies[i]
            i += 1
            if case .error(let e) = r { throw RedisError(kind: .server, description: "redis: \(e)") }
            return r
        }
        return try requests.map { r in
            guard let text = try next().string else { throw RedisError(kind: .protocolError, description: "unexpected gate reply") }
            if text == Self.decidedWithoutTrustMarker {
                // A replay of an event decided while Redis was unreachable: its other replies
                // (attempt counters, agent revocation) are read past and do not matter.
                for _ in r.counters { _ = try next() }
                if r.agentId != nil { _ = try next() }
                return .decidedWithoutTrust
            }
            let f = text.split(separator: "|").map(String.init)
            guard f.count == 6, let before = Double(f[0]), let after = Double(f[1]), let fired = Int(f[4]), let current = Double(f[5]) else {
                throw RedisError(kind: .protocolError, description: "unexpected gate reply \(text)")
            }
            var result = TrustResult(change: TrustChange(before: TrustChange.rounded(before), after: TrustChange.rounded(after)),
                                     revoked: f[2] == "1", admitted: f[3] == "1", exceeded: nil)
            if fired > 0, let l = r.admission?.limits[safe: fired - 1] {
                result.exceeded = LimitReport(name: l.name, max: l.max, windowSeconds: l.windowSeconds, current: current)
            }
            for k in r.counters {
                guard case .integer(let n) = try next() else { throw RedisError(kind: .protocolError, description: "unexpected counter reply") }
                if Double(n) > k.max, result.exceeded == nil {
                    result.exceeded = LimitReport(name: k.name, max: k.max, windowSeconds: k.windowSeconds, current: Double(n))
                }
            }
            if r.agentId != nil, case .integer(let revoked) = try next(), revoked == 1 {
                result.revoked = true
                result.admitted = false
            }
            return result
        }
    }

    /// The value of an event's marker when it was decided without Redis. The gate script returns
    /// any existing marker as it is, so a replay gets it back and changes nothing.
    static let decidedWithoutTrustMarker = "u"

    public func recordDecidedWithoutTrust(_ events: [EventRef]) async throws {
        guard !events.isEmpty else { return }
        let ttl = String(settings.markerTTLSeconds)
        let commands = events.map { ["SET", Self.eventKey($0.sessionId, $0.eventId), Self.decidedWithoutTrustMarker, "NX", "EX", ttl] }
        _ = try await withConnection { c in
            for reply in try c.pipeline(commands) {
                if case .error(let e) = reply { throw RedisError(kind: .server, description: "redis: \(e)") }
            }
        }
    }

    public func state(session: String, at: Double) async throws -> SessionState {
        let policy = self.policy
        return try await withConnection { c in
            let r = try c.pipeline([["HMGET", Self.sessionKey(session, "trust"), "s", "t"], ["EXISTS", Self.sessionKey(session, "revoked")]])
            guard case .array(let h) = r[0], h.count == 2, case .integer(let revoked) = r[1] else {
                throw RedisError(kind: .protocolError, description: "unexpected reply \(r)")
            }
            let score = h[0].string.flatMap(Double.init), t = h[1].string.flatMap(Double.init)
            let now = score.map { policy.recovered($0, after: at - (t ?? at)) } ?? policy.initial
            return SessionState(session: session, score: TrustChange.rounded(now), revoked: revoked == 1, updatedAt: t)
        }
    }

    public func setScore(session: String, score: Double, at: Double) async throws {
        let clamped = min(policy.initial, max(0, score)), ttl = String(settings.idleTTLSeconds)
        _ = try await withConnection { c in
            try c.pipeline([["HSET", Self.sessionKey(session, "trust"), "s", Self.fmt(clamped), "t", Self.fmt(at)],
                            ["EXPIRE", Self.sessionKey(session, "trust"), ttl]]).count
        }
    }

    public func reset(session: String) async throws {
        _ = try await withConnection { c in try c.command(["DEL", Self.sessionKey(session, "trust")]).string }
    }

    public func setRevoked(_ target: RevocationTarget, _ revoked: Bool) async throws {
        let key = switch target {
        case .session(let s): Self.sessionKey(s, "revoked")
        case .agent(let a): Self.scopeKey(.agent, a, "revoked")
        }
        _ = try await withConnection { c in try c.command(revoked ? ["SET", key, "1"] : ["DEL", key]).string }
    }

    /// The gate script's SHA and one EVALSHA per request, for comparing with redis-benchmark.
    public func benchmarkCommands(_ requests: [TrustRequest]) async throws -> [[String]] {
        try await withConnection { c in
            let sha = try self.loadScripts(c)
            return requests.map { self.gateCommand($0, sha: sha.gate) }
        }
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
