import ArgumentParser
import Foundation
import KafkaAdapter

struct DevCluster: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-cluster",
        abstract: "Run an in-memory Kafka-protocol cluster for development (librdkafka's mock cluster) until SIGTERM.",
        discussion: "The first line on standard output is the bootstrap server list. In-memory, for development: nothing survives a restart.")

    @Option(name: .long) var brokers = 3
    @Option(name: .long, help: "Partitions of each input and decision topic.") var partitions = 6

    static let topics: [(String, Int?)] = [
        ("shieldflow.prompts.in", nil), ("shieldflow.responses.in", nil), ("shieldflow.tools.in", nil),
        ("shieldflow.decisions", nil), ("shieldflow.deadletter", 3),
    ]

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
