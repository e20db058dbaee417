import ArgumentParser
import Dispatch
import Foundation
import ShieldFlowCore
import ShieldFlowDetection
import ShieldFlowPipeline

/// `bench inspect`: the daemon's per-batch work without Kafka (decode, scan, tool policy, one trust
/// store call per batch, decision JSON, metrics) over many events, with the process's RSS sampled as
/// it goes: does the daemon's own state stay flat? The mock broker keeps every record in memory and
/// slows down as partitions grow, so a million events through it is not practical here.
struct InspectBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "The daemon's decision path without Kafka: CPU per event and RSS over many events (in-memory trust store).")

    @Option(name: .long) var events = 1_000_000
    @Option(name: .long) var batchSize = 500
    @Option(name: .long, help: "Distinct sessions in the stream.") var sessions = 997
    @Option(name: .long, help: "Threads deciding a batch's events, as the daemon's `workers`.") var workers = 1
    @OptionGroup var ruleOptions: RuleOptions

    func validate() throws {
        guard events >= 1, batchSize >= 1, sessions >= 1, (1...256).contains(workers) else {
            throw ValidationError("--events, --batch-size, --sessions and --workers must be at least 1 (--workers at most 256)")
        }
    }

    func run() async throws {
        let engine = try ruleOptions.engine()
        let inspector = Inspector(engine: engine, trust: InMemoryTrustStore(), instance: "bench", version: ShieldFlowVersion.string)
        let metrics = MetricsRegistry()
        let pool = Workers(count: workers)
        var samples: [(Int, Int)] = [(0, PipelineBench.rssKiB(getpid()))]
        var bytesOut = 0
        let cpu0 = PipelineBench.cpuSeconds(getpid())
        let t0 = DispatchTime.now().uptimeNanoseconds
        var done = 0
        while done < events {
            let n = min(batchSize, events - done)
            let records = (done..<done + n).map { i -> InputRecord in
                let (topic, value) = PipelineBench.payload(i, tag: "b-", sessions: sessions)
                return InputRecord(source: SourceRecord(topic: topic, partition: Int32(i % 6), offset: Int64(i / 6)), value: value)
            }
            // As the daemon does: each decision serialised, the batch's metrics counted together.
            let inspected = try await inspector.inspectAndSerialize(records, workers: pool)
            var tally = BatchTally(capacity: inspected.outcomes.count)
            for i in inspected.outcomes.indices {
                tally.count(inspected.outcomes[i])
                bytesOut += inspected.values[i].count
            }
            tally.add(to: metrics)
            done += n
            if done % max(batchSize, events / 10) < batchSize || done == events { samples.append((done, PipelineBench.rssKiB(getpid()))) }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        let cpu = PipelineBench.cpuSeconds(getpid()) - cpu0
        let report: [String: Any] = [
            "events": events, "workers": workers, "events_per_s": (Double(events) / seconds).rounded(),
            "cpu_us_per_event": (cpu * 1e6 / Double(events) * 10).rounded() / 10,
            "decision_bytes": bytesOut, "rss_kib": samples.map { [$0.0, $0.1] },
        ]
        print(String(decoding: try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys]), as: UTF8.self))
    }
}
