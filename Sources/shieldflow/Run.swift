import ArgumentParser
import Foundation
import KafkaAdapter
import ShieldFlowCore
import ShieldFlowPipeline

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the inspector daemon: consume the input topics, produce decisions, commit after delivery.",
        discussion: "Without --brokers (or SHIELDFLOW_BROKERS) it starts an embedded in-memory cluster and prints its bootstrap servers first.")

    @Option(name: .long, help: "YAML configuration file (see shieldflow.example.yaml); SHIELDFLOW_* variables override it.")
    var config: String?
    @Option(name: .long, help: "Kafka bootstrap servers.") var brokers: String?
    @Option(name: .long) var groupId: String?
    @Option(name: .long) var batchSize: Int?
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
        let inspector = Inspector(engine: engine, trust: InMemoryTrustStore(),
                                  instance: "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)",
                                  version: ShieldFlowVersion.string, maxRecordBytes: conf.maxRecordBytes)
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
