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
    /// SQL for a read-only tool: nothing that writes, changes the schema or permissions, or
    /// reaches files, commands or timers (`DROP TABLE`, `INSERT INTO`, `pg_read_file(`, `INTO
    /// OUTFILE`, `SLEEP(`). Only a value that opens like SQL is read as SQL (`SQLCheck`).
    case sql
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
        guard name.utf8.contains(0x2A) else { return name == tool }
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
            if let g = list.first(where: { $0.name.utf8.contains(0x2A) && $0.matches(tool) }) { return g }
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

    /// A number for a reason's text: integers as such, anything else as C's `%.3g` (through
    /// `vsnprintf`: Foundation's `String(format:)` cost more than the decision it explains).
    static func fmt(_ x: Double) -> String {
        if x == x.rounded() && abs(x) < 1e15 { return String(Int(x)) }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { buf in
            let n = withVaList([x]) { vsnprintf(buf.baseAddress!, 32, "%.3g", $0) }
            return String(decoding: UnsafeRawBufferPointer(start: buf.baseAddress!, count: Int(max(0, min(n, 31)))), as: UTF8.self)
        }
    }

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
    static let sqlNames: Set<String> = ["sql", "db", "database", "sqlite", "mysql", "postgres", "postgresql", "psql", "mssql", "tsql", "duckdb",
                                        "run_sql", "sql_query", "query_sql", "execute_sql", "read_query"]

    /// The checks for a tool: the rule's own, else inferred from the name's words.
    public static func checks(for tool: String, rule: ToolRule?) -> Set<ArgumentCheck> {
        let c = checkFlags(for: tool, rule: rule)
        var out: Set<ArgumentCheck> = []
        if c.path { out.insert(.path) }
        if c.shell { out.insert(.shell) }
        if c.url { out.insert(.url) }
        if c.sql { out.insert(.sql) }
        return out
    }

    /// `checks(for:rule:)` as flags: what every tool call asks, without building a set.
    static func checkFlags(for tool: String, rule: ToolRule?) -> (path: Bool, shell: Bool, url: Bool, sql: Bool) {
        if let c = rule?.checks { return (c.contains(.path), c.contains(.shell), c.contains(.url), c.contains(.sql)) }
        // Words of the ASCII-lower-cased name split at `/ _ - . space :`, and the last segment
        // split only at `/ . :` (so `run_command` counts whole). Runs for every tool call: bytes.
        let name = Array(tool.utf8).map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        var shell = false, url = false, sql = false
        func check(_ word: ArraySlice<UInt8>) {
            // Longer than every name: none of them (and needs no string).
            guard !word.isEmpty, word.count < max(shellByLength.count, fetchByLength.count, sqlByLength.count) else { return }
            let w = String(decoding: word, as: UTF8.self)
            if !shell && isShellName(w) { shell = true }
            if !url && isFetchName(w) { url = true }
            if !sql && isName(w, in: sqlByLength) { sql = true }
        }
        var start = 0
        for (i, b) in name.enumerated() where b == 0x2F || b == 0x5F || b == 0x2D || b == 0x2E || b == 0x20 || b == 0x3A {
            check(name[start..<i]); start = i + 1
        }
        check(name[start...])
        let lastStart = (name.lastIndex(where: { $0 == 0x2F || $0 == 0x2E || $0 == 0x3A }) ?? -1) + 1
        check(name[lastStart...])
        return (true, shell, url, sql)
    }

    /// `shellNames`, `fetchNames` and `sqlNames` grouped by length (built once): a tool-name word, looked up
    /// for every tool call, is compared with the one or two names of its length instead of hashed.
    static let shellByLength = byLength(shellNames)
    static let fetchByLength = byLength(fetchNames)
    static let sqlByLength = byLength(sqlNames)

    static func byLength(_ names: Set<String>) -> [[String]] {
        var table = [[String]](repeating: [], count: (names.map(\.utf8.count).max() ?? 0) + 1)
        for name in names.sorted() { table[name.utf8.count].append(name) }
        return table
    }

    static func isShellName(_ w: String) -> Bool { isName(w, in: shellByLength) }
    static func isFetchName(_ w: String) -> Bool { isName(w, in: fetchByLength) }

    @inline(__always) static func isName(_ w: String, in table: [[String]]) -> Bool {
        let n = w.utf8.count
        return n < table.count && table[n].contains(w)
    }

    /// The first problem with a call's arguments (compact JSON), or nil.
    public static func check(arguments: String, tool: String, rule: ToolRule?) -> String? {
        check(values: strings(inJSON: arguments), tool: tool, rule: rule)
    }

    /// The first problem among a call's argument strings (as `EventDecoder` collected them), or nil.
    public static func check(values: [String], tool: String, rule: ToolRule?) -> String? {
        let (path, shell, url, sql) = checkFlags(for: tool, rule: rule)
        for v in values {
            if path, let p = pathProblem(v) { return p }
            if shell, let p = shellProblem(v) { return p }
            if url, let p = urlProblem(v, allow: rule?.urlAllow ?? []) { return p }
            if sql, let p = SQLCheck.problem(v) { return p }
        }
        return nil
    }

    /// Every string leaf (values and keys) of a JSON document, bounded; text that is not JSON is
    /// checked as it is.
    static func strings(inJSON text: String) -> [String] {
        (try? JSONValue.parse(Array(text.utf8)))?.strings() ?? [text]
    }

    static let sensitivePaths = ["/etc/shadow", "/etc/passwd", "/etc/sudoers", "/proc/self/", "/proc/1/", "/.ssh/", "id_rsa", "id_ed25519",
                                 "/root/", "/var/run/secrets", "/run/secrets", ".aws/credentials", ".kube/config", "/.env", ".git-credentials",
                                 ".netrc", ".docker/config.json"]

    static let sensitivePathBytes = sensitivePaths.map { Array($0.utf8) }

    /// A `..` segment or a sensitive path, after ASCII lower-casing, `\` → `/` and decoding of
    /// `%2e`, `%2f`, `%5c` (a path is bytes: only ASCII letters fold). Runs on every argument
    /// string of every tool call, so it works on bytes.
    static func pathProblem(_ v: String) -> String? {
        let raw = Array(v.utf8)
        var decoded: [UInt8] = []
        decoded.reserveCapacity(raw.count)
        var interesting = false
        func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : (b == 0x5C ? 0x2F : b) }
        var i = 0
        while i < raw.count {
            let b = lower(raw[i])
            if b == 0x25 && i + 2 < raw.count {
                // `%2e` / `%2f` / `%5c`, any case.
                let l1 = lower(raw[i + 1]), l2 = lower(raw[i + 2])
                if l1 == 0x32 && l2 == 0x65 { decoded.append(0x2E); interesting = true; i += 3; continue }
                if (l1 == 0x32 && l2 == 0x66) || (l1 == 0x35 && l2 == 0x63) { decoded.append(0x2F); interesting = true; i += 3; continue }
            }
            if b == 0x2F || b == 0x2E || b == 0x5F || b == 0x7E { interesting = true }
            decoded.append(b)
            i += 1
        }
        guard interesting else { return nil }
        // Segments `..` and `...`.
        var segStart = 0
        for i in 0...decoded.count where i == decoded.count || decoded[i] == 0x2F {
            let n = i - segStart
            if (n == 2 || n == 3) && decoded[segStart..<i].allSatisfy({ $0 == 0x2E }) { return "path traversal (`..` segment)" }
            segStart = i + 1
        }
        if raw.count >= 6 && raw[0..<6].map(lower).elementsEqual("~/.ssh".utf8) { return "sensitive path" }
        for needle in sensitivePathBytes where Self.contains(decoded, needle) { return "sensitive path" }
        return nil
    }

    static func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, hay.count >= needle.count else { return false }
        var i = 0
        let last = hay.count - needle.count
        while i <= last {
            if hay[i] == first {
                var k = 1
                while k < needle.count && hay[i + k] == needle[k] { k += 1 }
                if k == needle.count { return true }
            }
            i += 1
        }
        return false
    }

    static func shellProblem(_ v: String) -> String? {
        for c in v.unicodeScalars {
            switch c {
            case ";", "|", "&", "`", ">", "<", "\n", "\r": return "shell metacharacter `\(c == "\n" ? "\\n" : c == "\r" ? "\\r" : String(c))`"
            case "$": if hasSubstitution(v) { return "shell substitution" }
            default: continue
            }
        }
        return nil
    }

    /// `$(` or `${` somewhere in `v`.
    static func hasSubstitution(_ v: String) -> Bool {
        var previous: UInt8 = 0
        return v.utf8.contains { b in
            defer { previous = b }
            return previous == 0x24 && (b == 0x28 || b == 0x7B)
        }
    }

    static func urlProblem(_ v: String, allow: [String]) -> String? {
        // Most argument values hold no URL: two adjacent slashes are required for one.
        var previous: UInt8 = 0
        guard v.utf8.contains(where: { b in
            defer { previous = b }
            return b == 0x2F && previous == 0x2F
        }) else { return nil }
        // An ASCII value (nearly every one) is read as bytes; the scalar walk below is the
        // definition, for the rest (a test holds the two to the same answer).
        if let answer = v.utf8.withContiguousStorageIfAvailable({ b -> String?? in
            b.allSatisfy { $0 < 0x80 } ? .some(asciiURLProblem(b, allow: allow)) : .none
        }), let answer { return answer }
        return scalarURLProblem(v, allow: allow)
    }

    /// `urlProblem` of an ASCII value, on its bytes: the same candidates in the same order, each
    /// checked as soon as it is found (the first problem is the answer either way).
    static func asciiURLProblem(_ u: UnsafeBufferPointer<UInt8>, allow: [String]) -> String? {
        func isSchemeByte(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A) || b == 0x2B || b == 0x2D || b == 0x2E
        }
        func isEnd(_ b: UInt8) -> Bool { b == 0x22 || b == 0x27 || b == 0x3C || b == 0x3E || b == 0x20 || (b >= 0x09 && b <= 0x0D) }
        func findSeparator(from: Int) -> Int? {
            var i = from
            while i + 3 <= u.count {
                if u[i] == 0x3A && u[i + 1] == 0x2F && u[i + 2] == 0x2F { return i }
                i += 1
            }
            return nil
        }
        func problem(_ url: Range<Int>, scheme: Range<Int>?) -> String? {
            if let scheme, !scheme.isEmpty {
                let name = String(decoding: UnsafeBufferPointer(rebasing: u[scheme]), as: UTF8.self).lowercased()
                if name != "http" && name != "https" { return "URL scheme `\(name)` is not allowed" }
            }
            guard let host = asciiHost(u, url) else { return "URL without a host" }
            if let why = privateHost(host) { return "URL to a \(why) address" }
            if !allow.isEmpty && !allow.contains(where: { hostMatches(host, $0.lowercased()) }) { return "URL host `\(host)` is not in the allow list" }
            return nil
        }
        var i = 0
        var any = false
        while let r = findSeparator(from: i) {
            var s = r
            while s > i && isSchemeByte(u[s - 1]) { s -= 1 }
            var e = r + 3
            while e < u.count && !isEnd(u[e]) { e += 1 }
            any = true
            if let p = problem(s..<e, scheme: s..<r) { return p }
            i = e
        }
        if !any && u.count >= 2 && u[0] == 0x2F && u[1] == 0x2F { return problem(0..<u.count, scheme: nil) }
        return nil
    }

    /// `host(of:)` of an ASCII URL's bytes.
    static func asciiHost(_ u: UnsafeBufferPointer<UInt8>, _ url: Range<Int>) -> String? {
        var lo = url.lowerBound, hi = url.upperBound
        var k = lo
        while k + 2 <= hi { if u[k] == 0x2F && u[k + 1] == 0x2F { lo = k + 2; break }; k += 1 }
        if let end = (lo..<hi).first(where: { u[$0] == 0x2F || u[$0] == 0x3F || u[$0] == 0x23 || u[$0] == 0x5C }) { hi = end }
        if let at = (lo..<hi).last(where: { u[$0] == 0x40 }) { lo = at + 1 }
        if lo < hi && u[lo] == 0x5B {
            guard let close = (lo..<hi).first(where: { u[$0] == 0x5D }) else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: u[(lo + 1)..<close]), as: UTF8.self).lowercased()
        }
        if let colon = (lo..<hi).last(where: { u[$0] == 0x3A }) { hi = colon }
        while lo < hi && u[lo] == 0x2E { lo += 1 }
        while lo < hi && u[hi - 1] == 0x2E { hi -= 1 }
        guard lo < hi else { return nil }
        let h = String(decoding: UnsafeBufferPointer(rebasing: u[lo..<hi]), as: UTF8.self)
        return (percentDecoded(h) ?? h).lowercased()
    }

    /// `urlProblem` over the value's Unicode scalars: the definition.
    static func scalarURLProblem(_ v: String, allow: [String]) -> String? {
        let u = Array(v.unicodeScalars)
        var candidates: [ArraySlice<Unicode.Scalar>] = []
        var i = 0
        while let r = find(u, "://", from: i) {
            // Back up to the start of the scheme, then forward to the end of the URL.
            var s = r
            while s > i && isSchemeScalar(u[s - 1]) { s -= 1 }
            var e = r + 3
            while e < u.count && !isURLEnd(u[e]) { e += 1 }
            candidates.append(u[s..<e])
            i = e
        }
        if candidates.isEmpty && u.count >= 2 && u[0] == "/" && u[1] == "/" { candidates.append(u[...]) }
        for url in candidates {
            let scheme = find(url, "://", from: url.startIndex).map { String(String.UnicodeScalarView(url[url.startIndex..<$0])).lowercased() } ?? ""
            if scheme != "http" && scheme != "https" && !scheme.isEmpty { return "URL scheme `\(scheme)` is not allowed" }
            guard let host = host(of: url) else { return "URL without a host" }
            if let why = privateHost(host) { return "URL to a \(why) address" }
            if !allow.isEmpty && !allow.contains(where: { hostMatches(host, $0.lowercased()) }) { return "URL host `\(host)` is not in the allow list" }
        }
        return nil
    }

    /// Letters, marks, digits (any script) and `+ - .`: what may precede `://` in a scheme.
    static func isSchemeScalar(_ c: Unicode.Scalar) -> Bool {
        if c.isASCII {
            let b = UInt8(c.value)
            return (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A) || b == 0x2B || b == 0x2D || b == 0x2E
        }
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    static func isURLEnd(_ c: Unicode.Scalar) -> Bool {
        if c.isASCII {
            // ASCII whitespace is 0x09–0x0D and space; the Unicode property lookup is for the rest.
            return c == "\"" || c == "'" || c == "<" || c == ">" || c == " " || (c.value >= 0x09 && c.value <= 0x0D)
        }
        return c.properties.isWhitespace
    }

    static func find(_ u: ArraySlice<Unicode.Scalar>, _ needle: String, from: Int) -> Int? {
        let n = Array(needle.unicodeScalars)
        var i = from
        while i + n.count <= u.endIndex {
            if u[i] == n[0] && u[i..<i + n.count].elementsEqual(n) { return i }
            i += 1
        }
        return nil
    }

    static func find(_ u: [Unicode.Scalar], _ needle: String, from: Int) -> Int? { find(u[...], needle, from: from) }

    /// The host of `scheme://[user@]host[:port]/…`: percent-decoded, lowercased, brackets and
    /// surrounding dots removed.
    static func host(of url: ArraySlice<Unicode.Scalar>) -> String? {
        var s = url
        if let r = find(s, "//", from: s.startIndex) { s = s[(r + 2)...] }
        if let end = s.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" || $0 == "\\" }) { s = s[..<end] }
        if let at = s.lastIndex(of: "@") { s = s[(at + 1)...] }
        if s.first == "[" {
            guard let close = s.firstIndex(of: "]") else { return nil }
            return String(String.UnicodeScalarView(s[(s.startIndex + 1)..<close])).lowercased()
        }
        if let colon = s.lastIndex(of: ":") { s = s[..<colon] }
        while s.first == "." { s = s.dropFirst() }
        while s.last == "." { s = s.dropLast() }
        guard !s.isEmpty else { return nil }
        let h = String(String.UnicodeScalarView(s))
        return (percentDecoded(h) ?? h).lowercased()
    }

    /// `%XX` sequences decoded; nil when one is malformed or the result is not UTF-8 (as
    /// Foundation's `removingPercentEncoding`).
    static func percentDecoded(_ s: String) -> String? {
        guard s.utf8.contains(0x25) else { return s }
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x41...0x46: c - 0x41 + 10
            case 0x61...0x66: c - 0x61 + 10
            default: nil
            }
        }
        while i < b.count {
            if b[i] == 0x25 {
                guard i + 2 < b.count, let h = hex(b[i + 1]), let l = hex(b[i + 2]) else { return nil }
                out.append(h << 4 | l); i += 3
            } else {
                out.append(b[i]); i += 1
            }
        }
        return String(validating: out, as: UTF8.self)
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
        if host.utf8.contains(0x3A) {
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
        // Every host passes here, nearly all of them names: a byte that no part's number can
        // hold (digits, a–f, x, a sign that `UInt64(_:radix:)` reads, dots) decides at once.
        guard s.utf8.allSatisfy({ b in
            (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x66) || b | 0x20 == 0x78 || b == 0x2E || b == 0x2B || b == 0x2D
        }) else { return nil }
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
