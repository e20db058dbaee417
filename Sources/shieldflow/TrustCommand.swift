import ArgumentParser
import Foundation
import ShieldFlowCore
import ShieldFlowPipeline

/// Operators' view of the Redis trust store.
struct Trust: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read or change a session's trust in Redis; revoke or restore a session's or an agent's tools.",
        subcommands: [Get.self, Set.self, Reset.self, Revoke.self, Unrevoke.self])

    struct StoreOptions: ParsableArguments {
        @Option(name: .long, help: "redis://host:port[/db] (else SHIELDFLOW_REDIS_URL).") var redis: String?
        @Option(name: .long, help: "policy.yaml, for the recovery half-life and the initial score.") var policy: String?

        func store() throws -> RedisTrustStore {
            guard let url = redis ?? ProcessInfo.processInfo.environment["SHIELDFLOW_REDIS_URL"] else {
                throw ValidationError("give --redis redis://host:port (the in-memory store lives inside a running daemon)")
            }
            let trust = try policy.map { try PolicyFile.load(path: $0).0 } ?? TrustPolicy()
            return try RedisTrustStore(url: url, policy: trust)
        }
    }

    static func now() -> Double { Date().timeIntervalSince1970 }

    static func printState(_ store: RedisTrustStore, _ session: String) async throws {
        let state = try await store.state(session: session, at: now())
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        print(String(decoding: try enc.encode(state), as: UTF8.self))
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a session's trust as JSON (score, revoked, updated_at).")
        @Argument var session: String
        @OptionGroup var options: StoreOptions
        func run() async throws { try await printState(try options.store(), session) }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a session's score (0–100); it recovers from there.")
        @Argument var session: String
        @Argument var score: Double
        @OptionGroup var options: StoreOptions
        func validate() throws {
            guard (0...100).contains(score) else { throw ValidationError("score must be in 0…100") }
        }
        func run() async throws {
            let store = try options.store()
            try await store.setScore(session: session, score: score, at: now())
            try await printState(store, session)
        }
    }

    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Forget a session's score (back to the initial score).")
        @Argument var session: String
        @OptionGroup var options: StoreOptions
        func run() async throws {
            let store = try options.store()
            try await store.reset(session: session)
            try await printState(store, session)
        }
    }

    struct Target: ParsableArguments {
        @Argument(help: "The session id.") var session: String?
        @Option(name: .long, help: "An agent id instead of a session: every session of the agent.") var agent: String?
        func validate() throws {
            guard (session == nil) != (agent == nil) else { throw ValidationError("give a SESSION or --agent AGENT") }
        }
        var target: RevocationTarget { agent.map { .agent($0) } ?? .session(session!) }
    }

    static func setRevocation(_ target: Target, _ revoked: Bool, _ options: StoreOptions) async throws {
        let store = try options.store()
        try await store.setRevoked(target.target, revoked)
        if let s = target.session { try await printState(store, s) } else { print(#"{"agent":"\#(target.agent!)","revoked":\#(revoked)}"#) }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deny every tool call of a session or an agent until unrevoked.")
        @OptionGroup var target: Target
        @OptionGroup var options: StoreOptions
        func run() async throws { try await setRevocation(target, true, options) }
    }

    struct Unrevoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Restore a revoked session's or agent's tools.")
        @OptionGroup var target: Target
        @OptionGroup var options: StoreOptions
        func run() async throws { try await setRevocation(target, false, options) }
    }
}

/// Trust updates per second through the daemon's pipelined path, and the same script under
/// redis-benchmark when it is installed.
struct TrustBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust",
        abstract: "Trust updates/s through the pipelined Redis path (and redis-benchmark running the same script).")

    @Option(name: .long) var redis: String
    @Option(name: .long) var events = 200_000
    @Option(name: .long, help: "Requests per pipelined round trip (the daemon sends one per batch).") var batch = 500
    @Option(name: .long) var sessions = 10_000
    @Option(name: .long, help: "Prefix of session and event ids (two runs with the same prefix replay the same events).")
    var prefix = "bench"
    @Option(name: .long, help: "Goes into event ids only: two runs with different --run ids update the same sessions with different events.")
    var run = "r"
    @Option(name: .long, help: "Delta per event; with --at, runs are exactly reproducible.") var delta = -1.0
    @Option(name: .long, help: "Fixed clock (seconds since the epoch) instead of the wall clock.") var at: Double?
    @Flag(name: .long, help: "Also run redis-benchmark with the same EVALSHA.") var compare = false

    func run() async throws {
        let store = try RedisTrustStore(url: redis)
        var done = 0
        let t0 = DispatchTime.now().uptimeNanoseconds
        while done < events {
            let n = min(batch, events - done)
            let now = at ?? Date().timeIntervalSince1970
            let requests = (done..<done + n).map { i in
                TrustRequest(sessionId: "\(prefix)-s\(i % sessions)", eventId: "\(prefix)-\(run)-e\(i)", delta: delta, at: now,
                             admission: i % 4 == 0 ? Admission(minScore: 0, limits: [WindowLimit(name: "calls:bench", max: 1e9, windowSeconds: 60, amount: 1)]) : nil)
            }
            _ = try await store.apply(requests)
            done += n
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        var report: [String: Any] = ["events": events, "batch": batch, "sessions": sessions,
                                     "pipelined_updates_per_s": (Double(events) / seconds).rounded()]
        if compare {
            let sample = try await store.benchmarkCommands([TrustRequest(sessionId: "rb-s__rand_int__", eventId: "rb-e__rand_int__", delta: delta, at: at ?? Date().timeIntervalSince1970)])[0]
            let endpoint = store.endpoint
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["redis-benchmark", "-h", endpoint.host, "-p", String(endpoint.port), "-n", String(events), "-P", String(batch),
                           "-r", "1000000", "-c", "1", "--csv"] + sample
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            // CSV: "test","rps",... ; the second row's second column is requests per second.
            let rows = String(decoding: data, as: UTF8.self).split(separator: "\n")
            if p.terminationStatus == 0, rows.count >= 2 {
                let cols = rows[1].split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
                report["redis_benchmark_updates_per_s"] = cols.count > 1 ? Double(cols[1]) ?? cols[1] : String(rows[1])
                report["redis_benchmark"] = "redis-benchmark -c 1 -P \(batch) EVALSHA <gate script> (same script, same pipelining, one connection)"
            } else {
                report["redis_benchmark"] = "redis-benchmark failed or is not installed (exit \(p.terminationStatus))"
            }
        }
        let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
