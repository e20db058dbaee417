import ArgumentParser
import Foundation
import KafkaAdapter
import Logging
import ServiceLifecycle
import ShieldFlowCore
import ShieldFlowPipeline

/// Logs trust-store failures once per outage (not once per batch), counts them, and logs the recovery.
final class TrustOutcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var failing = 0
    let logger: Logger
    let metrics: MetricsRegistry
    init(logger: Logger, metrics: MetricsRegistry) { self.logger = logger; self.metrics = metrics }

    func record(_ error: (any Error)?) {
        if let error {
            metrics.increment("shieldflow_trust_store_failures_total")
            let n = lock.withLock { failing += 1; return failing }
            if n == 1 || n % 1000 == 0 {
                logger.error("trust store unavailable; deciding per fail_mode", metadata: ["error": "\(error)", "failed_batches": "\(n)"])
            }
        } else {
            let n = lock.withLock { defer { failing = 0 }; return failing }
            if n > 0 { logger.notice("trust store available again", metadata: ["failed_batches": "\(n)"]) }
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
    @Option(name: .long, help: "Threads deciding a batch's events (default: one per core, at most 4).") var workers: Int?
    @Option(name: .long, help: "Trust store: redis://host:port[/db] (else SHIELDFLOW_REDIS_URL, else in process memory).") var redis: String?
    @Option(name: .long, help: "Tool policy, trust gates and prompt rate limits (policy.yaml).") var policy: String?
    @Option(name: .long, help: "Port for /healthz, /readyz and /metrics (0: any free port, -1: off; default 9400).") var httpPort: Int?
    @Option(name: .long, help: .hidden) var relayTo: String?
    @OptionGroup var ruleOptions: RuleOptions

    func run() async throws {
        LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        let logger = Logger(label: "shieldflow")
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
            // The warning goes out before the bootstrap line: whoever waits for that line (scripts,
            // tests) then finds the warning already written.
            logger.warning("no brokers configured: running on an embedded in-memory cluster, for development only",
                           metadata: ["bootstrap": "\(c.bootstrapServers)"])
            FileHandle.standardOutput.write(Data((c.bootstrapServers + "\n").utf8))
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
            do { r = try RedisTrustStore(url: url, policy: trustPolicy, logger: logger) } catch { throw ValidationError("\(error)") }
            store = r
            logger.info("trust store", metadata: ["store": "redis", "redis": "\(r.endpoint)", "fail_mode": "\(conf.failOpen ? "open" : "closed")"])
        } else {
            store = InMemoryTrustStore(policy: trustPolicy)
            logger.info("trust store", metadata: ["store": "memory"])
        }
        let metrics = MetricsRegistry()
        let outcomes = TrustOutcomes(logger: logger, metrics: metrics)
        let inspector = Inspector(engine: engine, trust: store, trustPolicy: trustPolicy, policy: toolPolicy,
                                  instance: "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)",
                                  version: ShieldFlowVersion.string, maxRecordBytes: conf.maxRecordBytes,
                                  maxDecisionBytes: Daemon.producibleBytes(conf.producer),
                                  onTrustOutcome: { outcomes.record($0) })
        var settings = Daemon.Settings(brokers: bootstrap!)
        settings.groupId = groupId ?? conf.groupId
        settings.batchSize = batchSize ?? conf.batchSize
        settings.workers = workers ?? conf.workers ?? Workers.defaultCount
        guard (1...256).contains(settings.workers) else { throw ValidationError("--workers must be in 1...256") }
        settings.consumerProperties = conf.consumer
        if cluster != nil && settings.consumerProperties["fetch.wait.max.ms"] == nil {
            // The embedded (mock) broker holds a fetch that finds no data for the whole
            // fetch.wait.max.ms, even when records arrive meanwhile; a real broker answers as soon
            // as fetch.min.bytes are there. At librdkafka's 500 ms default a decision on the
            // embedded cluster waited up to half a second; 10 ms costs a few idle fetches a second.
            settings.consumerProperties["fetch.wait.max.ms"] = "10"
        }
        settings.producerProperties = conf.producer
        settings.relayTopic = relayTo
        var reporter: DatadogReporter?
        if let dd = DatadogSettings.fromEnvironment(ProcessInfo.processInfo.environment, options: conf.datadog) {
            do { reporter = try DatadogReporter(settings: dd, logger: logger) } catch { throw ValidationError("datadog spool \(dd.spoolDirectory): \(error)") }
            reporter?.start()
            logger.info("datadog", metadata: ["api": "\(dd.apiURL)", "logs": "\(dd.logsURL)", "metrics": "\(dd.dogstatsd == nil ? "agentless" : "dogstatsd")",
                                              "incidents": "\(dd.appKey == nil ? "events" : "incidents api")", "spool": "\(dd.spoolDirectory)",
                                              "spooled": "\(reporter?.spool.depth ?? 0)"])
        }
        let daemon = Daemon(settings: settings, inspector: inspector, logger: logger, metrics: metrics, reporter: reporter)

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        let port = httpPort ?? conf.httpPort
        if port >= 0 {
            let server: OpsServer
            do { server = try OpsServer(port: port, metrics: metrics, health: daemon.health) } catch { throw ValidationError("\(error)") }
            if let secret = conf.webhookSecret {
                let webhook = DatadogWebhook(secret: secret, store: store, logger: logger, metrics: metrics)
                server.onPost("/webhooks/datadog") { webhook.handle(headers: $0, body: $1) }
            }
            logger.info("serving /healthz /readyz /metrics", metadata: ["port": "\(server.port)", "webhook": "\(conf.webhookSecret != nil)"])
            services.append(.init(service: OpsService(server)))
        }
        // Shut down in reverse order: the daemon first (finish the batch, commit, leave the group), then HTTP.
        services.append(.init(service: DaemonService(daemon), successTerminationBehavior: .gracefullyShutdownGroup))
        var groupConfig = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        groupConfig.maximumGracefulShutdownDuration = .seconds(45)
        try await ServiceGroup(configuration: groupConfig).run()
        reporter?.stop(drainSeconds: 5)
        withExtendedLifetime(cluster) {}
    }
}
