import Foundation

/// A maximum over a sliding window.
public struct WindowSpec: Sendable, Hashable {
    public var max: Double
    public var windowSeconds: Double
    public init(max: Double, windowSeconds: Double) { self.max = max; self.windowSeconds = windowSeconds }
}

/// The argument checks a tool's calls go through.
public enum ArgumentCheck: String, Sendable, Hashable, CaseIterable {
    /// `..` path segments (also percent-encoded) and well-known secret locations.
    case path
    /// Shell metacharacters (`;`, `|`, `&`, backticks, `$(`, redirections, newlines).
    case shell
    /// URLs: http(s) only, no private, loopback, link-local or cloud-metadata hosts (also in
    /// decimal, hex or octal spellings), and the tool's allow list when it has one.
    case url
}

/// One tool (exact name, or a glob with `*`, MCP `server/tool` names included).
public struct ToolRule: Sendable, Hashable {
    public var name: String
    public var allowed = true
    /// Whether calls have no side effects; the policy's word beats the event's `idempotent` field.
    public var idempotent: Bool?
    /// Nil: inferred from the name (shell-like names get `shell`, fetch-like names `url`; all get `path`).
    public var checks: Set<ArgumentCheck>?
    public var maxCalls: WindowSpec?
    public var maxSpend: WindowSpec?
    /// Hosts a fetch-like tool may reach: `example.com` exactly, `*.example.com` for subdomains.
    public var urlAllow: [String] = []

    public init(name: String) { self.name = name }

    func matches(_ tool: String) -> Bool {
        guard name.contains("*") else { return name == tool }
        return ToolPolicy.glob(name, matches: tool)
    }
}

public struct AgentOverride: Sendable, Hashable {
    public var defaultAllow: Bool?
    public var tools: [ToolRule] = []
    public init() {}
}

/// Tool policy and prompt rate limits: plain data from `policy.yaml`.
public struct ToolPolicy: Sendable, Hashable {
    public var defaultAllow = true
    public var tools: [ToolRule] = []
    public var agents: [String: AgentOverride] = [:]
    /// Prompt rate limits per session, agent and user.
    public var promptLimits: [CounterScope: WindowSpec] = [:]
    /// Below this score, tools that are not idempotent are denied.
    public var denyNonIdempotentBelow: Double = 60
    /// Below this score, every tool call goes to human review.
    public var reviewBelow: Double = 30
    /// What to do when the trust store cannot be reached: closed denies tools, open allows them
    /// (findings still apply). Prompts are judged on findings either way.
    public var failOpen = false

    public init() {}

    /// The rule for a tool: the agent's own rules first, then the global ones; an exact name before a glob.
    public func rule(for tool: String, agent: String?) -> ToolRule? {
        var lists: [[ToolRule]] = []
        if let agent, let o = agents[agent] { lists.append(o.tools) }
        lists.append(tools)
        for list in lists {
            if let exact = list.first(where: { $0.name == tool }) { return exact }
            if let g = list.first(where: { $0.name.contains("*") && $0.matches(tool) }) { return g }
        }
        return nil
    }

    func allowedByDefault(agent: String?) -> Bool {
        if let agent, let d = agents[agent]?.defaultAllow { return d }
        return defaultAllow
    }

    /// What the pipeline asks of the trust store for an event, and a static denial when the call
    /// cannot go ahead whatever the trust.
    public struct Plan: Sendable, Hashable {
        public var denial: PolicyReason?
        public var admission: Admission?
        public var counters: [WindowCounter] = []
        public init(denial: PolicyReason? = nil, admission: Admission? = nil, counters: [WindowCounter] = []) {
            self.denial = denial; self.admission = admission; self.counters = counters
        }
    }

    public func plan(for e: InspectionEvent, findingsBlock: Bool) -> Plan {
        switch e.kind {
        case .prompt:
            var counters: [WindowCounter] = []
            for scope in CounterScope.allCases {
                guard let spec = promptLimits[scope] else { continue }
                let id: String? = switch scope { case .session: e.sessionId; case .agent: e.agentId; case .user: e.userId }
                if let id { counters.append(WindowCounter(scope: scope, id: id, max: spec.max, windowSeconds: spec.windowSeconds)) }
            }
            return Plan(counters: counters)
        case .response:
            return Plan()
        case .toolCall:
            let tool = e.toolName ?? ""
            let rule = rule(for: tool, agent: e.agentId)
            if rule == nil && !allowedByDefault(agent: e.agentId) {
                return Plan(denial: PolicyReason(code: .toolNotAllowed, detail: "`\(tool)` is not in the allow list"))
            }
            if let rule, !rule.allowed {
                return Plan(denial: PolicyReason(code: .toolNotAllowed, detail: "`\(tool)` is denied by policy"))
            }
            if let problem = ArgumentChecker.check(values: e.toolArgumentStrings, tool: tool, rule: rule) {
                return Plan(denial: PolicyReason(code: .argumentCheck, detail: problem))
            }
            if findingsBlock { return Plan() }
            let idempotent = rule?.idempotent ?? e.idempotent ?? false
            var limits: [WindowLimit] = []
            if let c = rule?.maxCalls { limits.append(WindowLimit(name: "calls:\(rule!.name)", max: c.max, windowSeconds: c.windowSeconds, amount: 1)) }
            if let s = rule?.maxSpend, let cost = e.cost, cost > 0 {
                limits.append(WindowLimit(name: "spend:\(rule!.name)", max: s.max, windowSeconds: s.windowSeconds, amount: cost))
            }
            return Plan(admission: Admission(minScore: idempotent ? reviewBelow : denyNonIdempotentBelow, limits: limits))
        }
    }

    /// The final action: findings first, then static denials, then what the store said. `result` is
    /// nil when the store could not be reached.
    public func decide(kind: EventKind, findingsAction: Action, plan: Plan, result: TrustResult?) -> (Action, PolicyReason?) {
        switch kind {
        case .response:
            return (findingsAction, nil)
        case .prompt:
            if findingsAction == .block { return (.block, nil) }
            if let over = result?.exceeded {
                return (.block, PolicyReason(code: .rateLimit, detail: "more than \(Self.fmt(over.max)) prompts per \(over.name.dropFirst("prompts_per_".count)) in \(Self.fmt(over.windowSeconds)) s", limit: over))
            }
            return (findingsAction, nil)
        case .toolCall:
            // Findings and a static denial can both stop a call; the policy reason is reported with them.
            if findingsAction == .block || plan.denial != nil { return (.denyTool, plan.denial) }
            guard let result else {
                return failOpen ? (findingsAction, nil)
                    : (.denyTool, PolicyReason(code: .trustUnavailable, detail: "trust store unreachable (fail_mode: closed)"))
            }
            if result.revoked { return (.denyTool, PolicyReason(code: .revoked, detail: "session or agent is revoked")) }
            let score = result.change.after ?? 0
            if score < reviewBelow {
                return (.review, PolicyReason(code: .trustReview, detail: "trust \(Self.fmt(score)) < \(Self.fmt(reviewBelow)): all tools need review"))
            }
            if !result.admitted {
                if let over = result.exceeded {
                    let spend = over.name.hasPrefix("spend:")
                    return (.denyTool, PolicyReason(code: spend ? .spendLimit : .rateLimit,
                                                    detail: "\(spend ? "spend" : "calls") \(Self.fmt(over.current)) > \(Self.fmt(over.max)) per \(Self.fmt(over.windowSeconds)) s",
                                                    limit: over))
                }
                return (.denyTool, PolicyReason(code: .trustGate, detail: "trust \(Self.fmt(score)) < \(Self.fmt(plan.admission?.minScore ?? denyNonIdempotentBelow)) for a tool that is not idempotent"))
            }
            return (findingsAction, nil)
        }
    }

    static func fmt(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(format: "%.3g", x) }

    /// `*` matches any run of characters (including `/`).
    static func glob(_ pattern: String, matches s: String) -> Bool {
        let p = Array(pattern.utf8), t = Array(s.utf8)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count && p[pi] != UInt8(ascii: "*") && p[pi] == t[ti] { pi += 1; ti += 1 }
            else if pi < p.count && p[pi] == UInt8(ascii: "*") { star = pi; mark = ti; pi += 1 }
            else if star >= 0 { pi = star + 1; mark += 1; ti = mark }
            else { return false }
        }
        while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}

/// Argument checks for tool calls; pure functions over the arguments' string values.
public enum ArgumentChecker {
    static let shellNames: Set<String> = ["shell", "bash", "sh", "zsh", "exec", "execute", "terminal", "command", "cmd",
                                          "powershell", "subprocess", "run_command", "run_shell", "system"]
    static let fetchNames: Set<String> = ["fetch", "http", "https", "request", "browse", "browser", "curl", "wget", "download",
                                          "web", "url", "open_url", "get_url", "scrape", "crawl", "navigate", "webhook"]

    /// The checks for a tool: the rule's own, else inferred from the name's words.
    public static func checks(for tool: String, rule: ToolRule?) -> Set<ArgumentCheck> {
        if let c = rule?.checks { return c }
        let lower = tool.lowercased()
        let words = Set(lower.split(whereSeparator: { "/_-. :".contains($0) }).map(String.init))
        let last = String(lower.split(whereSeparator: { "/.:".contains($0) }).last ?? "")
        var out: Set<ArgumentCheck> = [.path]
        if !words.isDisjoint(with: shellNames) || shellNames.contains(last) { out.insert(.shell) }
        if !words.isDisjoint(with: fetchNames) || fetchNames.contains(last) { out.insert(.url) }
        return out
    }

    /// The first problem with a call's arguments (compact JSON), or nil.
    public static func check(arguments: String, tool: String, rule: ToolRule?) -> String? {
        check(values: strings(inJSON: arguments), tool: tool, rule: rule)
    }

    /// The first problem among a call's argument strings (as `EventDecoder` collected them), or nil.
    public static func check(values: [String], tool: String, rule: ToolRule?) -> String? {
        let checks = checks(for: tool, rule: rule)
        for v in values {
            if checks.contains(.path), let p = pathProblem(v) { return p }
            if checks.contains(.shell), let p = shellProblem(v) { return p }
            if checks.contains(.url), let p = urlProblem(v, allow: rule?.urlAllow ?? []) { return p }
        }
        return nil
    }

    /// Every string leaf (values and keys) of a JSON document, bounded.
    static func strings(inJSON text: String) -> [String] {
        guard let data = text.data(using: .utf8),
              let any = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return [text] }
        return strings(in: any)
    }

    /// Every string leaf (values and keys) of a decoded JSON value, bounded.
    static func strings(in any: Any) -> [String] {
        var out: [String] = []
        func walk(_ v: Any, depth: Int) {
            guard depth < 64, out.count < 10_000 else { return }
            if let s = v as? String { out.append(s) }
            else if let a = v as? [Any] { a.forEach { walk($0, depth: depth + 1) } }
            else if let o = v as? [String: Any] { for (k, x) in o { out.append(k); walk(x, depth: depth + 1) } }
        }
        walk(any, depth: 0)
        return out
    }

    static let sensitivePaths = ["/etc/shadow", "/etc/passwd", "/etc/sudoers", "/proc/self/", "/proc/1/", "/.ssh/", "id_rsa", "id_ed25519",
                                 "/root/", "/var/run/secrets", "/run/secrets", ".aws/credentials", ".kube/config", "/.env", ".git-credentials",
                                 ".netrc", ".docker/config.json"]

    static func pathProblem(_ v: String) -> String? {
        let lower = v.lowercased().replacingOccurrences(of: "\\", with: "/")
        let decoded = lower.replacingOccurrences(of: "%2e", with: ".").replacingOccurrences(of: "%2f", with: "/").replacingOccurrences(of: "%5c", with: "/")
        let segments = decoded.split(separator: "/", omittingEmptySubsequences: false)
        if segments.contains(where: { $0 == ".." || $0 == "..." }) { return "path traversal (`..` segment)" }
        if lower.hasPrefix("~/.ssh") || sensitivePaths.contains(where: { decoded.contains($0) }) { return "sensitive path" }
        return nil
    }

    static func shellProblem(_ v: String) -> String? {
        for c in v.unicodeScalars {
            switch c {
            case ";", "|", "&", "`", ">", "<", "\n", "\r": return "shell metacharacter `\(c == "\n" ? "\\n" : c == "\r" ? "\\r" : String(c))`"
            case "$": if v.contains("$(") || v.contains("${") { return "shell substitution" }
            default: continue
            }
        }
        return nil
    }

    static func urlProblem(_ v: String, allow: [String]) -> String? {
        var candidates: [Substring] = []
        var rest = v[...]
        while let r = rest.range(of: "://") {
            // Back up to the start of the scheme.
            var s = r.lowerBound
            while s > rest.startIndex, let ch = rest[rest.index(before: s)].unicodeScalars.first,
                  CharacterSet.alphanumerics.contains(ch) || ch == "+" || ch == "-" || ch == "." { s = rest.index(before: s) }
            let e = rest[r.upperBound...].firstIndex(where: { $0.isWhitespace || $0 == "\"" || $0 == "'" || $0 == "<" || $0 == ">" }) ?? rest.endIndex
            candidates.append(rest[s..<e])
            rest = rest[e...]
        }
        if candidates.isEmpty, v.hasPrefix("//") { candidates.append(v[...]) }
        for url in candidates {
            let scheme = url.range(of: "://").map { url[..<$0.lowerBound].lowercased() } ?? ""
            if !["http", "https", ""].contains(scheme) { return "URL scheme `\(scheme)` is not allowed" }
            guard let host = host(of: url) else { return "URL without a host" }
            if let why = privateHost(host) { return "URL to a \(why) address" }
            if !allow.isEmpty && !allow.contains(where: { hostMatches(host, $0.lowercased()) }) { return "URL host `\(host)` is not in the allow list" }
        }
        return nil
    }

    /// The host of `scheme://[user@]host[:port]/…`, lowercased, brackets removed.
    static func host(of url: Substring) -> String? {
        var s = url
        if let r = s.range(of: "//") { s = s[r.upperBound...] }
        if let end = s.firstIndex(where: { "/?#\\".contains($0) }) { s = s[..<end] }
        if let at = s.lastIndex(of: "@") { s = s[s.index(after: at)...] }
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { return nil }
            return String(s[s.index(after: s.startIndex)..<close]).lowercased()
        }
        if let colon = s.lastIndex(of: ":") { s = s[..<colon] }
        let h = s.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        return h.isEmpty ? nil : h.removingPercentEncoding ?? h
    }

    static func hostMatches(_ host: String, _ pattern: String) -> Bool {
        if pattern.hasPrefix("*.") { return host.hasSuffix(String(pattern.dropFirst(1))) }
        return host == pattern
    }

    static let metadataNames: Set<String> = ["localhost", "metadata", "metadata.google.internal", "instance-data", "instance-data.ec2.internal"]

    /// Why a host is not a public destination, or nil.
    public static func privateHost(_ host: String) -> String? {
        if metadataNames.contains(host) || host.hasSuffix(".localhost") || host.hasSuffix(".internal") { return "local or metadata" }
        if let v4 = ipv4(host) { return privateIPv4(v4) }
        if host.contains(":") {
            let h = host.split(separator: "%").first.map(String.init) ?? host
            if h == "::1" || h == "::" || h.hasPrefix("fe8") || h.hasPrefix("fe9") || h.hasPrefix("fea") || h.hasPrefix("feb") { return "loopback or link-local" }
            if h.hasPrefix("fc") || h.hasPrefix("fd") { return "private (unique local)" }
            if h.hasPrefix("::ffff:"), let v4 = ipv4(String(h.dropFirst(7))) { return privateIPv4(v4) }
            if h.hasPrefix("fd00:ec2::254") { return "metadata" }
        }
        return nil
    }

    /// IPv4 in any spelling `inet_aton` accepts: 1–4 parts, each decimal, 0x-hex or 0-octal
    /// (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1` are all 127.0.0.1).
    static func ipv4(_ s: String) -> UInt32? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var nums: [UInt64] = []
        for p in parts {
            let lower = p.lowercased()
            let n: UInt64?
            if lower.hasPrefix("0x") { n = UInt64(lower.dropFirst(2), radix: 16) }
            else if lower.count > 1 && lower.hasPrefix("0") { n = UInt64(lower.dropFirst(), radix: 8) }
            else { n = UInt64(lower) }
            guard let n else { return nil }
            nums.append(n)
        }
        var value: UInt64 = 0
        for (i, n) in nums.enumerated() {
            if i == nums.count - 1 {
                let bits = 8 * (4 - i)
                guard n < (1 << UInt64(bits)) else { return nil }
                value |= n
            } else {
                guard n < 256 else { return nil }
                value |= n << UInt64(8 * (3 - i))
            }
        }
        return UInt32(value)
    }

    static func privateIPv4(_ a: UInt32) -> String? {
        func inNet(_ net: UInt32, _ bits: UInt32) -> Bool { bits == 0 || (a >> (32 - bits)) == (net >> (32 - bits)) }
        if inNet(0x7F00_0000, 8) || inNet(0, 8) { return "loopback" }
        if inNet(0xA9FE_0000, 16) { return a == 0xA9FE_A9FE ? "cloud metadata" : "link-local" }
        if inNet(0x0A00_0000, 8) || inNet(0xAC10_0000, 12) || inNet(0xC0A8_0000, 16) { return "private" }
        if inNet(0x6440_0000, 10) { return "shared (carrier-grade NAT or cloud metadata)" }
        if a >= 0xE000_0000 { return "multicast or reserved" }
        return nil
    }
}
