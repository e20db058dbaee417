import ArgumentParser
import CurlAdapter
import Foundation
import ShieldFlowPipeline

struct DatadogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "datadog", abstract: "Datadog assets.", subcommands: [Apply.self])

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or update the shipped dashboard and monitors through the Datadog API (matched by title/name; never deletes).",
            discussion: "Needs DD_API_KEY and DD_APP_KEY; DD_SITE or DD_API_URL pick the endpoint. Prints one JSON line per asset.")

        @Option(name: .long) var dashboard = "deploy/datadog/dashboard.json"
        @Option(name: .long) var monitors = "deploy/datadog/monitors.json"

        func run() throws {
            let env = ProcessInfo.processInfo.environment
            guard let api = env["DD_API_KEY"], let app = env["DD_APP_KEY"] else { throw ValidationError("set DD_API_KEY and DD_APP_KEY") }
            var base = env["DD_API_URL"] ?? "https://api.\(env["DD_SITE"] ?? "datadoghq.com")"
            if base.hasSuffix("/") { base.removeLast() }
            let client = HTTPClient()
            let headers = ["Content-Type: application/json", "DD-API-KEY: \(api)", "DD-APPLICATION-KEY: \(app)"]
            func call(_ method: String, _ path: String, _ body: Any? = nil) throws -> Any? {
                let bytes = try body.map { Array(try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys])) } ?? []
                let r = try client.request(method: method, url: base + path, headers: headers, body: bytes, timeoutMs: 30_000)
                guard (200..<300).contains(r.status) else {
                    throw CLIError("\(method) \(path): HTTP \(r.status): \(String(decoding: r.body.prefix(500), as: UTF8.self))")
                }
                return try? JSONSerialization.jsonObject(with: Data(r.body))
            }
            func load(_ path: String) throws -> Any {
                guard let d = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
                return try JSONSerialization.jsonObject(with: d)
            }
            func report(_ kind: String, _ name: String, _ action: String, _ id: Any?) {
                let line = ["kind": kind, "name": name, "action": action, "id": "\(id ?? "")"]
                print(String(decoding: try! JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]), as: UTF8.self))
            }
            guard let dash = try load(dashboard) as? [String: Any], let title = dash["title"] as? String else { throw ValidationError("\(dashboard): no title") }
            let list = (try call("GET", "/api/v1/dashboard") as? [String: Any])?["dashboards"] as? [[String: Any]] ?? []
            if let existing = list.first(where: { $0["title"] as? String == title }), let id = existing["id"] {
                _ = try call("PUT", "/api/v1/dashboard/\(id)", dash)
                report("dashboard", title, "updated", id)
            } else {
                let created = try call("POST", "/api/v1/dashboard", dash) as? [String: Any]
                report("dashboard", title, "created", created?["id"])
            }
            guard let mons = try load(monitors) as? [[String: Any]] else { throw ValidationError("\(monitors) must be a JSON array of monitors") }
            for m in mons {
                guard let name = m["name"] as? String else { throw ValidationError("\(monitors): a monitor without a name") }
                let q = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name
                let found = (try call("GET", "/api/v1/monitor?name=\(q)") as? [[String: Any]] ?? []).first { $0["name"] as? String == name }
                if let id = found?["id"] {
                    _ = try call("PUT", "/api/v1/monitor/\(id)", m)
                    report("monitor", name, "updated", id)
                } else {
                    let created = try call("POST", "/api/v1/monitor", m) as? [String: Any]
                    report("monitor", name, "created", created?["id"])
                }
            }
        }
    }
}
