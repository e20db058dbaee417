import ArgumentParser
import Foundation
import KafkaAdapter
import ShieldFlowPipeline

struct DevCluster: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-cluster",
        abstract: "Run an in-memory Kafka-protocol cluster for development (librdkafka's mock cluster) until SIGTERM.",
        discussion: "The first line on standard output is the bootstrap server list. In-memory, for development: nothing survives a restart.")

    @Option(name: .long) var brokers = 3
    @Option(name: .long, help: "Partitions of each input and decision topic.") var partitions = 6

    static let builtIn: [(String, Int?)] = [
        ("shieldflow.prompts.in", nil), ("shieldflow.responses.in", nil), ("shieldflow.tools.in", nil),
        ("shieldflow.decisions", nil), ("shieldflow.deadletter", 3),
    ]

    /// The topics of `topics.yaml` in the working directory (the same declarations `topics apply`
    /// uses), else the built-in list; `nil` partitions take the command's default.
    static var topics: [(String, Int?)] {
        guard FileManager.default.fileExists(atPath: "topics.yaml"), let specs = try? TopicsFile.load(path: "topics.yaml") else { return builtIn }
        return specs.map { ($0.name, $0.partitions) }
    }

    func run() throws {
        let cluster = try MockCluster(brokers: brokers)
        for (name, p) in Self.topics {
            try cluster.createTopic(name, partitions: p ?? partitions, replicationFactor: min(3, brokers))
        }
        FileHandle.standardOutput.write(Data((cluster.bootstrapServers + "\n").utf8))
        FileHandle.standardError.write(Data("WARNING: in-memory Kafka-protocol cluster, for development only; data is lost on exit\n".utf8))
        let done = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { done.signal() }
            s.resume()
            sources.append(s)
        }
        done.wait()
        withExtendedLifetime((cluster, sources)) {}
        FileHandle.standardError.write(Data("dev-cluster: stopped\n".utf8))
    }
}
