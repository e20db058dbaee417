import Foundation
import ShieldFlowCore
import Yams

/// `policy.yaml`: trust arithmetic and gates, tool policy, prompt rate limits. Unknown keys are
/// errors that name the key, so a typo never silently disables a limit.
public enum PolicyFile {
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public static func load(path: String) throws -> (TrustPolicy, ToolPolicy) {
        guard let data = FileManager.default.contents(atPath: path) else { throw Invalid(description: "cannot read \(path)") }
        do {
            return try parse(String(decoding: data, as: UTF8.self))
        } catch let e as Invalid {
            throw Invalid(description: "\(path): \(e.description)")
        }
    }

    public static func parse(_ yaml: String) throws -> (TrustPolicy, ToolPolicy) {
        let any: Any?
        do { any = try Yams.load(yaml: yaml) } catch { throw Invalid(description: "not valid YAML: \(error)") }
        var trust = TrustPolicy(), tools = ToolPolicy()
        guard let any else { return (trust, tools) }
        let root = try map(any, "policy")
        try known(root, ["version", "trust", "tools", "agents", "prompts"], "policy")
        if let t = root["trust"] {
            let m = try map(t, "trust")
            try known(m, ["initial", "half_life_seconds", "clean_delta", "deltas", "deny_non_idempotent_below", "review_below"], "trust")
            if let v = m["initial"] { trust.initial = try number(v, "trust.initial", 1...1_000_000) }
            if let v = m["half_life_seconds"] { trust.halfLifeSeconds = try number(v, "trust.half_life_seconds", 0...1e9) }
            if let v = m["clean_delta"] { trust.cleanDelta = try number(v, "trust.clean_delta", 0...1000) }
            if let v = m["deltas"] {
                for (k, d) in try map(v, "trust.deltas") {
                    guard let c = Category(rawValue: k) else {
                        throw Invalid(description: "trust.deltas: unknown category `\(k)` (known: \(Category.allCases.map(\.rawValue).joined(separator: ", ")))")
                    }
                    trust.deltas[c] = try number(d, "trust.deltas.\(k)", -1000...0)
                }
            }
            if let v = m["deny_non_idempotent_below"] { tools.denyNonIdempotentBelow = try number(v, "trust.deny_non_idempotent_below", 0...1e6) }
            if let v = m["review_below"] { tools.reviewBelow = try number(v, "trust.review_below", 0...1e6) }
        }
        if let t = root["tools"] {
            let m = try map(t, "tools")
            try known(m, ["default", "rules"], "tools")
            if let d = m["default"] { tools.defaultAllow = try allowDeny(d, "tools.default") }
            if let r = m["rules"] { tools.tools = try rules(r, "tools.rules") }
        }
        if let a = root["agents"] {
            for (agent, v) in try map(a, "agents") {
                let m = try map(v, "agents.\(agent)")
                try known(m, ["default", "tools"], "agents.\(agent)")
                var o = AgentOverride()
                if let d = m["default"] { o.defaultAllow = try allowDeny(d, "agents.\(agent).default") }
                if let r = m["tools"] { o.tools = try rules(r, "agents.\(agent).tools") }
                tools.agents[agent] = o
            }
        }
        if let p = root["prompts"] {
            let m = try map(p, "prompts")
            try known(m, ["rate"], "prompts")
            if let r = m["rate"] {
                let rm = try map(r, "prompts.rate")
                try known(rm, CounterScope.allCases.map(\.rawValue), "prompts.rate")
                for scope in CounterScope.allCases {
                    if let w = rm[scope.rawValue] { tools.promptLimits[scope] = try window(w, "prompts.rate.\(scope.rawValue)") }
                }
            }
        }
        return (trust, tools)
    }

    static func rules(_ any: Any, _ at: String) throws -> [ToolRule] {
        guard let list = any as? [Any] else { throw Invalid(description: "`\(at)` must be a list") }
        return try list.enumerated().map { i, item in
            let here = "\(at)[\(i)]"
            let m = try map(item, here)
            try known(m, ["name", "allowed", "idempotent", "checks", "max_calls", "max_spend", "url_allow"], here)
            guard let name = m["name"] as? String, !name.isEmpty else { throw Invalid(description: "`\(here).name` must be a non-empty string") }
            var r = ToolRule(name: name)
            if let v = m["allowed"] { r.allowed = try bool(v, "\(here).allowed") }
            if let v = m["idempotent"] { r.idempotent = try bool(v, "\(here).idempotent") }
            if let v = m["checks"] {
                guard let names = v as? [Any] else { throw Invalid(description: "`\(here).checks` must be a list") }
                r.checks = Set(try names.map { n in
                    guard let s = n as? String, let c = ArgumentCheck(rawValue: s) else {
                        throw Invalid(description: "`\(here).checks`: unknown check `\(n)` (known: \(ArgumentCheck.allCases.map(\.rawValue).joined(separator: ", ")))")
                    }
                    return c
                })
            }
            if let v = m["max_calls"] { r.maxCalls = try window(v, "\(here).max_calls") }
            if let v = m["max_spend"] { r.maxSpend = try window(v, "\(here).max_spend") }
            if let v = m["url_allow"] {
                guard let hosts = v as? [Any] else { throw Invalid(description: "`\(here).url_allow` must be a list of hosts") }
                r.urlAllow = try hosts.map { h in
                    guard let s = h as? String, !s.isEmpty else { throw Invalid(description: "`\(here).url_allow` must be a list of hosts") }
                    return s
                }
            }
            return r
        }
    }

    static func window(_ any: Any, _ at: String) throws -> WindowSpec {
        let m = try map(any, at)
        try known(m, ["max", "window_seconds"], at)
        guard let max = m["max"], let w = m["window_seconds"] else { throw Invalid(description: "`\(at)` needs `max` and `window_seconds`") }
        return WindowSpec(max: try number(max, "\(at).max", 0...1e12), windowSeconds: try number(w, "\(at).window_seconds", 1...31_536_000))
    }

    static func map(_ any: Any, _ at: String) throws -> [String: Any] {
        guard let m = any as? [String: Any] else { throw Invalid(description: "`\(at)` must be a mapping") }
        return m
    }

    static func known(_ m: [String: Any], _ keys: [String], _ at: String) throws {
        if let bad = m.keys.sorted().first(where: { !keys.contains($0) }) {
            throw Invalid(description: "unknown key `\(bad)` in `\(at)` (known: \(keys.joined(separator: ", ")))")
        }
    }

    static func number(_ any: Any, _ at: String, _ range: ClosedRange<Double>) throws -> Double {
        let d: Double? = (any as? Int).map(Double.init) ?? (any as? Double)
        guard let d, range.contains(d) else { throw Invalid(description: "`\(at)` must be a number in \(range.lowerBound)…\(range.upperBound), got \(any)") }
        return d
    }

    static func bool(_ any: Any, _ at: String) throws -> Bool {
        guard let b = any as? Bool else { throw Invalid(description: "`\(at)` must be true or false, got \(any)") }
        return b
    }

    static func allowDeny(_ any: Any, _ at: String) throws -> Bool {
        switch any as? String {
        case "allow": return true
        case "deny": return false
        default: throw Invalid(description: "`\(at)` must be `allow` or `deny`, got \(any)")
        }
    }
}
