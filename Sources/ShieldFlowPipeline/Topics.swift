import Foundation
import KafkaAdapter
import Yams

/// `topics.yaml`: the topics ShieldFlow needs, as data.
public struct TopicSpec: Sendable, Equatable {
    public var name: String
    public var partitions: Int
    public var replicationFactor: Int
    /// Kafka topic configs by their Kafka names (`retention.ms`, `cleanup.policy`, `min.insync.replicas`, …).
    public var configs: [String: String]
}

/// One line of `topics apply`'s report.
public struct TopicReport: Codable, Sendable, Equatable {
    public enum Action: String, Codable, Sendable { case create, addPartitions = "add_partitions", ok, drift, error }
    public var topic: String
    public var action: Action
    public var detail: String
}

public enum TopicsFile {
    public static func parse(_ yaml: String) throws -> [TopicSpec] {
        let any: Any?
        do { any = try Yams.load(yaml: yaml) } catch { throw PolicyFile.Invalid(description: "topics file is not valid YAML: \(error)") }
        guard let root = any as? [String: Any] else { throw PolicyFile.Invalid(description: "topics file must be a mapping with `topics`") }
        try PolicyFile.known(root, ["defaults", "topics"], "topics file")
        let defaults = try root["defaults"].map { try PolicyFile.map($0, "defaults") } ?? [:]
        try PolicyFile.known(defaults, ["partitions", "replication_factor", "configs"], "defaults")
        guard let topics = root["topics"] as? [String: Any], !topics.isEmpty else { throw PolicyFile.Invalid(description: "`topics` must be a non-empty mapping") }
        func configs(_ any: Any?, _ at: String) throws -> [String: String] {
            guard let any else { return [:] }
            return try PolicyFile.map(any, at).mapValues { "\($0)" }
        }
        let baseConfigs = try configs(defaults["configs"], "defaults.configs")
        return try topics.keys.sorted().map { name in
            let t = try PolicyFile.map(topics[name] ?? [:], "topics.\(name)")
            try PolicyFile.known(t, ["partitions", "replication_factor", "configs"], "topics.\(name)")
            let p = try PolicyFile.number(t["partitions"] ?? defaults["partitions"] ?? 6, "topics.\(name).partitions", 1...10_000)
            let rf = try PolicyFile.number(t["replication_factor"] ?? defaults["replication_factor"] ?? 3, "topics.\(name).replication_factor", 1...100)
            return TopicSpec(name: name, partitions: Int(p), replicationFactor: Int(rf),
                             configs: baseConfigs.merging(try configs(t["configs"], "topics.\(name).configs")) { $1 })
        }
    }

    public static func load(path: String) throws -> [TopicSpec] {
        guard let data = FileManager.default.contents(atPath: path) else { throw PolicyFile.Invalid(description: "cannot read \(path)") }
        return try parse(String(decoding: data, as: UTF8.self))
    }

    /// What to do for each declared topic, given what the cluster has. `configs` is nil when the
    /// broker cannot describe them (then config drift is not judged).
    public static func plan(_ specs: [TopicSpec], existing: [String: KafkaAdmin.TopicInfo], configs: [String: [String: String]]?) -> [TopicReport] {
        specs.map { s in
            guard let have = existing[s.name] else {
                return TopicReport(topic: s.name, action: .create, detail: "\(s.partitions) partitions, replication factor \(s.replicationFactor)")
            }
            if have.partitions < s.partitions {
                return TopicReport(topic: s.name, action: .addPartitions, detail: "\(have.partitions) → \(s.partitions) partitions")
            }
            var drift: [String] = []
            if have.partitions > s.partitions { drift.append("\(have.partitions) partitions, declared \(s.partitions) (never shrunk)") }
            if have.replicationFactor != s.replicationFactor { drift.append("replication factor \(have.replicationFactor), declared \(s.replicationFactor)") }
            if let current = configs?[s.name] {
                for (k, v) in s.configs.sorted(by: { $0.key < $1.key }) where current[k] != v {
                    drift.append("\(k)=\(current[k] ?? "unset"), declared \(v)")
                }
            }
            return drift.isEmpty ? TopicReport(topic: s.name, action: .ok, detail: configs == nil ? "configs not checked (broker cannot describe them)" : "")
                : TopicReport(topic: s.name, action: .drift, detail: drift.joined(separator: "; "))
        }
    }

    /// Plans, then creates and grows what the plan says. Returns the report after acting.
    public static func apply(_ specs: [TopicSpec], admin: KafkaAdmin, dryRun: Bool, timeoutMs: Int32 = 30_000) throws -> [TopicReport] {
        let existing = try admin.topics(timeoutMs: timeoutMs)
        let present = specs.map(\.name).filter { existing[$0] != nil }
        var configs: [String: [String: String]]?
        if !present.isEmpty, let described = try? admin.topicConfigs(present, timeoutMs: timeoutMs) {
            configs = described.compactMapValues { try? $0.get() }
            if configs?.isEmpty == true { configs = nil }
        }
        var report = plan(specs, existing: existing, configs: configs)
        guard !dryRun else { return report }
        let toCreate = specs.filter { s in report.contains { $0.topic == s.name && $0.action == .create } }
        if !toCreate.isEmpty {
            let results: [String: String?]
            do {
                results = try admin.createTopics(toCreate.map { KafkaAdmin.NewTopic(name: $0.name, partitions: $0.partitions, replicationFactor: $0.replicationFactor, configs: $0.configs) }, timeoutMs: timeoutMs)
            } catch {
                results = Dictionary(uniqueKeysWithValues: toCreate.map { ($0.name, "\(error)") })
            }
            for (i, r) in report.enumerated() where r.action == .create {
                // Another instance of `topics apply` may have created it first: that is success.
                if case .some(.some(let e)) = results[r.topic], !e.lowercased().contains("already exists") {
                    report[i] = TopicReport(topic: r.topic, action: .error, detail: "create failed: \(e)")
                }
            }
        }
        let toGrow = specs.filter { s in report.contains { $0.topic == s.name && $0.action == .addPartitions } }
        if !toGrow.isEmpty {
            let results: [String: String?]
            do { results = try admin.addPartitions(toGrow.map { ($0.name, $0.partitions) }, timeoutMs: timeoutMs) } catch {
                results = Dictionary(uniqueKeysWithValues: toGrow.map { ($0.name, "\(error)") })
            }
            for (i, r) in report.enumerated() where r.action == .addPartitions {
                if case .some(.some(let e)) = results[r.topic] { report[i] = TopicReport(topic: r.topic, action: .error, detail: "add partitions failed: \(e)") }
            }
        }
        return report
    }
}
