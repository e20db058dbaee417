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
    @Flag(name: .long, help: "Read fault-injection commands from standard input, one per line: `down ID`, `up ID`, `rtt ID MS`, `errors produce|fetch|commit COUNT CODE`; answers `ok` or `error: …`.")
    var control = false

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
        // The warning first: whoever waits for the bootstrap line finds it already written.
        FileHandle.standardError.write(Data("WARNING: in-memory Kafka-protocol cluster, for development only; data is lost on exit\n".utf8))
        FileHandle.standardOutput.write(Data((cluster.bootstrapServers + "\n").utf8))
        let done = DispatchSemaphore(value: 0)
        if control {
            let t = Thread {
                while let line = readLine() {
                    let w = line.split(separator: " ").map(String.init)
                    var answer = "ok"
                    let broker = w.count > 1 ? Int32(w[1]).flatMap { (1...Int32(brokers)).contains($0) ? $0 : nil } : nil
                    switch (w.first, w.count) {
                    case ("down", 2) where broker != nil: cluster.setBroker(broker!, up: false)
                    case ("up", 2) where broker != nil: cluster.setBroker(broker!, up: true)
                    case ("rtt", 3) where broker != nil && Int(w[2]).map({ $0 >= 0 }) == true:
                        cluster.setRoundTrip(broker!, milliseconds: Int(w[2])!)
                    case ("errors", 4):
                        let key: Int16? = ["produce": 0, "fetch": 1, "commit": 8][w[1]]
                        if let key, let n = Int(w[2]), let code = Int32(w[3]) { cluster.failNext(apiKey: key, count: n, errorCode: code) } else { answer = "error: errors produce|fetch|commit COUNT CODE" }
                    default: answer = "error: not a command (down ID | up ID | rtt ID MS | errors produce|fetch|commit COUNT CODE; brokers are 1…\(brokers)): \(line)"
                    }
                    FileHandle.standardOutput.write(Data((answer + "\n").utf8))
                }
            }
            t.start()
        }
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
