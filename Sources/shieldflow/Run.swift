import ArgumentParser
import Foundation
import KafkaAdapter
import ShieldFlowCore
import ShieldFlowPipeline

/// Logs trust-store failures once per outage (not once per batch), and when they end.
final class FailureLog: @unchecked Sendable {
    private let lock = NSLock()
    private var failing = 0
    func record(_ error: any Error) {
        let n = lock.withLock { failing += 1; return failing }
        if n == 1 || n % 1000 == 0 {
            let msg = "\(error)".replacingOccurrences(of: "\"", with: "'")
            warn(#"{"level":"error","msg":"trust store unavailable; deciding per fail_mode","error":"\#(msg)","failed_batches":\#(n)}"#)
        }
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the inspector daemon: consume the input topics, produce decisions, commit after delivery.",
        discussion: "Without --brokers (or SHIELDFLOW_BROKERS) it starts an embedded in-memory cluster and prints its bootstrap servers first.")

    @Option(name: .long, help: "YAML configuration file (see shieldflow.example.yaml); SHIELDFLOW_* variables override it.")
    var config: String?
    @Option(name: .long, help: "Kafka bootstrap servers.") var brokers: String?
    @Option(name: .long) var groupId: String?
    @Option(name: .long) var batchSize: Int?
    @Option(name: .long, help: "Trust store: redis://host:port[/db] (else SHIELDFLOW_REDIS_URL, else in process memory).") var redis: String?
    @Option(name: .long, help: "Tool policy, trust gates and prompt rate limits (policy.yaml).") var policy: String?
    @OptionGroup var ruleOptions: RuleOptions

    func run() async throws {
        var yaml: String?
        if let config {
            guard let data = FileManager.default.contents(atPath: config) else { throw ValidationError("cannot read \(config)") }
            yaml = String(decoding: data, as: UTF8.self)
        }
        let conf: DaemonConfiguration
        do {
            conf = try DaemonConfiguration.load(yaml: yaml, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError("\(error)")
        }
        var cluster: MockCluster?
        var bootstrap = brokers ?? conf.brokers
        if bootstrap == nil {
            let c = try MockCluster(brokers: 3)
            for (name, p) in DevCluster.topics { try c.createTopic(name, partitions: p ?? 6, replicationFactor: 3) }
            cluster = c
            bootstrap = c.bootstrapServers
            FileHandle.standardOutput.write(Data((c.bootstrapServers + "\n").utf8))
            warn(#"{"level":"warning","msg":"no brokers configured: running on an embedded in-memory cluster, for development only","bootstrap":"\#(c.bootstrapServers)"}"#)
        }
        var options = ruleOptions
        options.rules = options.rules ?? conf.rulesDirectory
        options.model = options.model ?? conf.model
        let engine = try options.engine()
        var (trustPolicy, toolPolicy) = (TrustPolicy(), ToolPolicy())
        if let path = policy ?? conf.policy {
            do { (trustPolicy, toolPolicy) = try PolicyFile.load(path: path) } catch { throw ValidationError("\(error)") }
        }
        toolPolicy.failOpen = conf.failOpen
        let store: any TrustStore
        if let url = redis ?? conf.redisURL {
            let r: RedisTrustStore
            do {
                r = try RedisTrustStore(url: url, policy: trustPolicy, log: { warn($0) })
            } catch { throw ValidationError("\(error)") }
            store = r
            warn(#"{"level":"info","msg":"trust store","store":"redis","redis":"\#(r.endpoint.description)","fail_mode":"\#(conf.failOpen ? "open" : "closed")"}"#)
        } else {
            store = InMemoryTrustStore(policy: trustPolicy)
        }
        let failures = FailureLog()
        let inspector = Inspector(engine: engine, trust: store, trustPolicy: trustPolicy, policy: toolPolicy,
                                  instance: "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)",
                                  version: ShieldFlowVersion.string, maxRecordBytes: conf.maxRecordBytes,
                                  onTrustFailure: { failures.record($0) })
        var settings = Daemon.Settings(brokers: bootstrap!)
        settings.groupId = groupId ?? conf.groupId
        settings.batchSize = batchSize ?? conf.batchSize
        settings.consumerProperties = conf.consumer
        settings.producerProperties = conf.producer
        let daemon = Daemon(settings: settings, inspector: inspector, log: { warn($0) })
        // A queue of its own: the daemon's loop blocks in librdkafka calls, and a handler on the
        // shared global queue could wait behind it.
        let signalQueue = DispatchQueue(label: "shieldflow.signals")
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: signalQueue)
            s.setEventHandler { daemon.stop() }
            s.resume()
            sources.append(s)
        }
        try await daemon.run()
        withExtendedLifetime((cluster, sources)) {}
    }
}
