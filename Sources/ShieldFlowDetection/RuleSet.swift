import Foundation
import PCRE2Adapter
import ShieldFlowCore
import Yams

/// One rule as written in `rules/*.yaml`.
public struct RuleSpec: Codable, Sendable, Hashable {
    public struct Examples: Codable, Sendable, Hashable {
        public var match: [String]?
        public var noMatch: [String]?
        enum CodingKeys: String, CodingKey, CaseIterable { case match, noMatch = "no_match" }
        static let fieldNames = Set(CodingKeys.allCases.map(\.stringValue))
    }

    public var id: String
    public var name: String
    public var category: String
    public var owasp: String
    public var severity: String
    public var confidence: Double
    public var surfaces: [String]
    public var keywords: [String]?
    public var pattern: String?
    public var validator: String?
    /// Entity type for PII/secrets; a short kind for other rules. Defaults to the category.
    public var type: String?
    /// Prefilter for numeric entities: run when the text has a run of at least this many digits
    /// (separators allowed), instead of or besides keywords.
    public var minDigits: Int?
    /// A built-in shape prefilter instead of keywords: `ipv4_shape` (dotted quad) or `ipv6_shape`
    /// (hex groups joined by colons).
    public var prefilter: String?
    /// Keywords that count only as whole words (not inside a longer word): `dan` but not `guidance`.
    public var words: [String]?
    /// Bytes after the last keyword hit that a match may extend to (default 320).
    public var window: Int?
    /// Every match holds one of the rule's keywords, so a match starts no later than the last
    /// keyword hit of its window: the search stops trying start positions there (PCRE2's offset
    /// limit) instead of at the window's end. The default for intent rules (false for PII and
    /// secret rules); `false` lets a match start anywhere in the window after a keyword.
    public var matchHoldsKeyword: Bool?
    /// Match case-sensitively on the original text. Defaults to true for PII and secret rules,
    /// which also match on the original text instead of the normalised view.
    public var caseSensitive: Bool?
    /// The match reads as an attack only when nothing comes before the text in its conversation:
    /// a first message that asks to summarise "the above" can only mean the hidden instructions,
    /// while a later message means the turns before it. Scans of a chat message that follows
    /// earlier turns (`DetectionEngine.scan(_:surface:scratch:followsTurns:)`) skip such rules.
    public var openingOnly: Bool?
    public var examples: Examples?

    /// The fields a rule may have, as written in YAML: any other is reported (a misspelt
    /// `opening_only` or `min_digits` would otherwise be dropped without a word).
    public static let fieldNames = Set(CodingKeys.allCases.map(\.stringValue))

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, name, category, owasp, severity, confidence, surfaces, keywords, pattern, validator, type
        case minDigits = "min_digits", caseSensitive = "case_sensitive", examples, words, window, prefilter
        case matchHoldsKeyword = "match_holds_keyword", openingOnly = "opening_only"
    }
}

/// A problem with a rule, located by file and rule id.
public struct RuleProblem: Error, CustomStringConvertible, Sendable, Hashable {
    public enum Level: String, Sendable { case error, warning }
    public var level: Level
    public var file: String
    public var ruleId: String?
    public var message: String

    public var description: String {
        "\(level.rawValue): \(file)\(ruleId.map { " [\($0)]" } ?? ""): \(message)"
    }
}

/// A rule ready to run: parsed enums, compiled PCRE2 pattern, resolved validator.
public final class CompiledRule: Sendable {
    public let spec: RuleSpec
    public let file: String
    public let category: ShieldFlowCore.Category
    public let severity: Severity
    public let surfaces: Set<Surface>
    /// `surfaces` as a mask of `Surface.bit`: the scan's per-rule test, with no hashing.
    let surfaceBits: UInt8
    /// True when the rule matches on the normalised view (intent rules); false for PII/secrets,
    /// which match the original bytes.
    public let normalized: Bool
    /// For ASCII subjects only (compiled without UTF mode where the pattern allows); UTF mode with
    /// Unicode properties (UCP) for non-ASCII ones.
    let regex: PCRE2Regex
    let unicodeRegex: PCRE2Regex
    let validator: Validator?
    let foldedKeywords: [[UInt8]]
    let wholeWords: [[UInt8]]
    let confidence: Double
    public let id: String
    public let type: String
    /// See `RuleSpec.matchHoldsKeyword`.
    let matchHoldsKeyword: Bool
    /// See `RuleSpec.openingOnly`.
    public let openingOnly: Bool

    init(spec: RuleSpec, file: String, category: ShieldFlowCore.Category, severity: Severity, surfaces: Set<Surface>,
         normalized: Bool, regex: PCRE2Regex, unicodeRegex: PCRE2Regex, validator: Validator?,
         foldedKeywords: [[UInt8]], wholeWords: [[UInt8]], matchHoldsKeyword: Bool) {
        self.spec = spec
        self.file = file
        self.category = category
        self.severity = severity
        self.surfaces = surfaces
        surfaceBits = surfaces.reduce(0) { $0 | $1.bit }
        self.normalized = normalized
        self.regex = regex
        self.unicodeRegex = unicodeRegex
        self.validator = validator
        self.foldedKeywords = foldedKeywords
        self.wholeWords = wholeWords
        confidence = spec.confidence
        id = spec.id
        type = spec.type ?? category.rawValue
        self.matchHoldsKeyword = matchHoldsKeyword
        openingOnly = spec.openingOnly ?? false
    }
}

/// Built-in shape prefilters, computed in the engine's single feature pass.
enum Shape: String, CaseIterable, Sendable {
    case ipv4 = "ipv4_shape"
    case ipv6 = "ipv6_shape"
}

/// An immutable, compiled set of rules. Build a new one to reload; swap the engine that holds it.
public struct RuleSet: Sendable {
    public let rules: [CompiledRule]
    public let problems: [RuleProblem]
    /// Content hash of the rule sources: the `rules version` stamped on decisions.
    public let version: String

    public var errors: [RuleProblem] { problems.filter { $0.level == .error } }
    public var warnings: [RuleProblem] { problems.filter { $0.level == .warning } }

    /// How rules are compiled. The defaults are the engine's speed-ups, which keep every finding;
    /// `.asWritten` turns them off, and the tests compare the two.
    public struct CompileOptions: Sendable {
        /// Intent rules search only up to their last keyword hit unless they set
        /// `match_holds_keyword: false`; off: every rule searches its whole window.
        public var keywordBoundedSearch = true
        /// Top-level alternatives that start with `\b` share one test of it (`PatternRewrite`).
        public var factorWordBoundaries = true
        public init(keywordBoundedSearch: Bool = true, factorWordBoundaries: Bool = true) {
            self.keywordBoundedSearch = keywordBoundedSearch
            self.factorWordBoundaries = factorWordBoundaries
        }
        public static let asWritten = CompileOptions(keywordBoundedSearch: false, factorWordBoundaries: false)
    }

    /// Loads every `*.yaml`/`*.yml` file in `directory` (sorted by name).
    public static func load(directory: String, options: CompileOptions = CompileOptions()) -> RuleSet {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory) else {
            return RuleSet(rules: [], problems: [RuleProblem(level: .error, file: directory, ruleId: nil,
                                                            message: "cannot read rules directory")], version: "none")
        }
        var sources: [(String, String)] = []
        var problems: [RuleProblem] = []
        for name in names.sorted() where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = fm.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                problems.append(RuleProblem(level: .error, file: path, ruleId: nil, message: "unreadable or not UTF-8"))
                continue
            }
            sources.append((path, text))
        }
        if sources.isEmpty && problems.isEmpty {
            problems.append(RuleProblem(level: .error, file: directory, ruleId: nil, message: "no rule files (*.yaml)"))
        }
        let set = compile(sources: sources, options: options)
        return RuleSet(rules: set.rules, problems: problems + set.problems, version: set.version)
    }

    /// Compiles rule files given as (file name, YAML text) pairs.
    public static func compile(sources: [(file: String, yaml: String)], options: CompileOptions = CompileOptions()) -> RuleSet {
        var rules: [CompiledRule] = []
        var problems: [RuleProblem] = []
        var seen: [String: String] = [:]
        var hash: UInt64 = 0xcbf29ce484222325
        for (file, yaml) in sources {
            for b in yaml.utf8 { hash = (hash ^ UInt64(b)) &* 0x100000001b3 }
            let nodes: [Node]
            do {
                guard let root = try Yams.compose(yaml: yaml) else { continue }
                if let seq = root.sequence {
                    nodes = Array(seq)
                } else if let seq = root.mapping?["rules"]?.sequence {
                    nodes = Array(seq)
                } else {
                    problems.append(RuleProblem(level: .error, file: file, ruleId: nil,
                                                message: "expected a list of rules or a mapping with `rules:`"))
                    continue
                }
            } catch {
                problems.append(RuleProblem(level: .error, file: file, ruleId: nil, message: "YAML: \(error)"))
                continue
            }
            for (index, node) in nodes.enumerated() {
                let fallbackId = node.mapping?["id"]?.string ?? "#\(index + 1)"
                let spec: RuleSpec
                do {
                    spec = try YAMLDecoder().decode(RuleSpec.self, from: node)
                } catch {
                    problems.append(RuleProblem(level: .error, file: file, ruleId: fallbackId,
                                                message: "invalid rule: \(describe(error))"))
                    continue
                }
                if let other = seen[spec.id] {
                    problems.append(RuleProblem(level: .error, file: file, ruleId: spec.id, message: "duplicate id (also in \(other))"))
                    continue
                }
                seen[spec.id] = file
                let unknown = (node.mapping?.keys.compactMap(\.string).filter { !RuleSpec.fieldNames.contains($0) } ?? [])
                    + (node.mapping?["examples"]?.mapping?.keys.compactMap(\.string)
                        .filter { !RuleSpec.Examples.fieldNames.contains($0) }.map { "examples.\($0)" } ?? [])
                for key in unknown {
                    problems.append(RuleProblem(level: .warning, file: file, ruleId: spec.id, message: "unknown field `\(key)` (ignored)"))
                }
                switch compileRule(spec, file: file, options: options) {
                case .success(let (rule, warnings)):
                    rules.append(rule)
                    problems.append(contentsOf: warnings)
                case .failure(let p):
                    problems.append(p)
                }
            }
        }
        // Sixteen hex digits always: a hash with leading zero nibbles keeps its width.
        let hex = String(hash, radix: 16)
        return RuleSet(rules: rules, problems: problems, version: String(repeating: "0", count: 16 - hex.count) + hex)
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing field `\(key.stringValue)`"
        case DecodingError.typeMismatch(_, let ctx), DecodingError.valueNotFound(_, let ctx):
            return "wrong type at `\(ctx.codingPath.map(\.stringValue).joined(separator: "."))`"
        case DecodingError.dataCorrupted(let ctx): return ctx.debugDescription
        default: return "\(error)"
        }
    }

    static func compileRule(_ spec: RuleSpec, file: String,
                            options: CompileOptions = CompileOptions()) -> Result<(CompiledRule, [RuleProblem]), RuleProblem> {
        func fail(_ m: String) -> Result<(CompiledRule, [RuleProblem]), RuleProblem> {
            .failure(RuleProblem(level: .error, file: file, ruleId: spec.id, message: m))
        }
        guard let category = ShieldFlowCore.Category(rawValue: spec.category) else {
            return fail("unknown category `\(spec.category)`")
        }
        guard let severity = Severity(rawValue: spec.severity) else { return fail("unknown severity `\(spec.severity)`") }
        guard (0...1).contains(spec.confidence) else { return fail("confidence must be within 0…1") }
        var surfaces = Set<Surface>()
        for s in spec.surfaces {
            guard let surface = Surface(rawValue: s) else { return fail("unknown surface `\(s)`") }
            surfaces.insert(surface)
        }
        guard !surfaces.isEmpty else { return fail("no surfaces") }
        guard let written = spec.pattern, !written.isEmpty else { return fail("a rule needs a `pattern`") }
        // Line breaks and indentation in a multi-line pattern are layout, not part of the regex.
        let pattern = written.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined()
        var validator: Validator?
        if let name = spec.validator {
            guard let v = Validators.all[name] else {
                return fail("unknown validator `\(name)` (known: \(Validators.all.keys.sorted().joined(separator: ", ")))")
            }
            validator = v
        }
        let normalized = !category.isSensitiveValue
        // Intent rules match lower-case text (the view, or a lower-cased copy of ASCII text), so
        // they need no caseless matching; PII and secret rules match the text as given.
        var regexOptions: PCRE2Regex.Options = []
        if !normalized && spec.caseSensitive == false { regexOptions.insert(.caseless) }
        if normalized, let upper = firstUpperCaseLiteral(pattern) {
            return fail("intent patterns match lower-case text: write the literal `\(upper)` in lower case")
        }
        let limited = options.keywordBoundedSearch && (spec.matchHoldsKeyword ?? normalized)
        let regex: PCRE2Regex, unicodeRegex: PCRE2Regex
        do {
            // Intent rules match the NFKC view: normalise the pattern's literals the same way. ASCII
            // is unchanged by NFKC, but some other characters become regex syntax ("…" is "...",
            // "？" is "?"): those are escaped first, so they stay the literals they were written as.
            let asWritten = normalized ? Self.escapingCompatibilitySyntax(pattern).precomposedStringWithCompatibilityMapping : pattern
            let rewritten = options.factorWordBoundaries ? PatternRewrite.factorWordBoundaries(asWritten) : asWritten
            func compile(_ source: String) throws -> (PCRE2Regex, PCRE2Regex) {
                let unicode = try PCRE2Regex(source, options: regexOptions.union(.ucp), startLimit: limited)
                // `regex` only ever searches ASCII text (see `scanLayer`): without UTF mode where the
                // pattern allows it, because PCRE2's JIT code is faster so.
                let ascii = try (try? PCRE2Regex(source, options: regexOptions, asciiSubjects: true, startLimit: limited))
                    ?? PCRE2Regex(source, options: regexOptions, startLimit: limited)
                return (ascii, unicode)
            }
            // A pattern that fails reports its error at the offsets as written.
            (regex, unicodeRegex) = try (try? compile(rewritten)) ?? compile(asWritten)
        } catch {
            return fail("pattern does not compile: \(error)")
        }
        var warnings: [RuleProblem] = []
        if !regex.isJIT {
            warnings.append(RuleProblem(level: .warning, file: file, ruleId: spec.id, message: "pattern is not JIT-compiled"))
        }
        let fold: (String) -> [UInt8] = { collapseWhitespace(normalized ? foldKeyword($0) : Array($0.lowercased().utf8)) }
        let keywords = (spec.keywords ?? []).map(fold)
        let words = (spec.words ?? []).map(fold)
        var listed = Set<[UInt8]>()
        for (written, folded) in zip((spec.keywords ?? []) + (spec.words ?? []), keywords + words) where !listed.insert(folded).inserted {
            warnings.append(RuleProblem(level: .warning, file: file, ruleId: spec.id, message: "keyword `\(written)` is listed twice"))
        }
        if keywords.contains(where: { $0.isEmpty || ($0.count == 1 && Decoders.isAlnum($0[0])) }) {
            warnings.append(RuleProblem(level: .warning, file: file, ruleId: spec.id, message: "an empty or one-letter keyword matches almost everywhere"))
        }
        if !normalized, let wide = (spec.keywords ?? []).first(where: { !$0.allSatisfy(\.isASCII) }) {
            // The original text's keyword pass is ASCII; non-ASCII keywords are looked for in the
            // normalised view, which only intent rules read.
            warnings.append(RuleProblem(level: .warning, file: file, ruleId: spec.id,
                                        message: "keyword `\(wide)` is not ASCII and never fires for a \(category.rawValue) rule, which reads the text as written; use an ASCII stem (\"contrase\" finds \"contraseña\")"))
        }
        if let shape = spec.prefilter, Shape(rawValue: shape) == nil {
            return fail("unknown prefilter `\(shape)` (known: \(Shape.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if keywords.isEmpty && words.isEmpty && spec.minDigits == nil && spec.prefilter == nil {
            warnings.append(RuleProblem(level: .warning, file: file, ruleId: spec.id,
                                        message: "no keywords or min_digits: the pattern runs on every text"))
        }
        let rule = CompiledRule(spec: spec, file: file, category: category, severity: severity, surfaces: surfaces,
                                normalized: normalized, regex: regex, unicodeRegex: unicodeRegex, validator: validator,
                                foldedKeywords: keywords, wholeWords: words, matchHoldsKeyword: limited)
        return .success((rule, warnings))
    }

    /// `pattern` with each non-ASCII character whose NFKC form holds regex syntax ("…" → "...",
    /// "？" → "?", "（" → "(", "］" → "]") replaced by that form, escaped: a backslash before ASCII
    /// punctuation is a literal in a class and out of one. Every other character is left for
    /// NFKC, and so is everything between `\Q` and `\E`, which is literal already.
    static func escapingCompatibilitySyntax(_ pattern: String) -> String {
        let syntax: Set<Unicode.Scalar> = ["\\", ".", "^", "$", "|", "?", "*", "+", "(", ")", "[", "]", "{", "}", "-"]
        guard pattern.unicodeScalars.contains(where: { !$0.isASCII }) else { return pattern }
        var out = String.UnicodeScalarView()
        let scalars = Array(pattern.unicodeScalars)
        var i = 0, quoted = false
        while i < scalars.count {
            let c = scalars[i]
            if c == "\\" && i + 1 < scalars.count {
                // An escape and the character it escapes; `\Q` opens a quoted run, `\E` closes it.
                let next = scalars[i + 1]
                if next == "Q" { quoted = true } else if next == "E" { quoted = false }
                out.append(c); out.append(next)
                i += 2
                continue
            }
            i += 1
            guard !c.isASCII, !quoted else { out.append(c); continue }
            let folded = String(c).precomposedStringWithCompatibilityMapping.unicodeScalars
            guard folded.contains(where: { syntax.contains($0) }) else { out.append(c); continue }
            for f in folded {
                if syntax.contains(f) { out.append("\\") }
                out.append(f)
            }
        }
        return String(out)
    }

    /// The first upper-case ASCII letter used as a literal (not an escape such as `\S`, not inside
    /// `\p{…}` or an inline option group, not a backtracking verb or `(?(DEFINE)`), or nil.
    static func firstUpperCaseLiteral(_ pattern: String) -> Character? {
        let chars = Array(pattern)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "\\" {
                if i + 1 < chars.count, "pPxN".contains(chars[i + 1]), i + 2 < chars.count, chars[i + 2] == "{" {
                    while i < chars.count && chars[i] != "}" { i += 1 }
                }
                i += 2
                continue
            }
            if c == "(" && i + 2 < chars.count && chars[i + 1] == "?" && chars[i + 2] == "<" { i += 3; continue }
            // A group defined once and called by name, `(?(DEFINE)(?<name>…))`, is written in capitals.
            if chars[i...].starts(with: "(?(DEFINE)") { i += 10; continue }
            // Backtracking verbs are written in capitals: (*SKIP), (*FAIL), (*MARK:name).
            if c == "(" && i + 1 < chars.count && chars[i + 1] == "*" {
                while i < chars.count && chars[i] != ")" { i += 1 }
                i += 1
                continue
            }
            if c.isASCII && c.isUppercase { return c }
            i += 1
        }
        return nil
    }

    /// A keyword folded exactly as the normaliser folds text, so it matches the view.
    /// A keyword as the keyword automaton reads text: each run of whitespace is one space (a
    /// keyword written with a tab or two spaces would otherwise never match).
    static func collapseWhitespace(_ keyword: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(keyword.count)
        for b in keyword {
            if !AhoCorasick.isWhitespace(b) { out.append(b) } else if out.last != 0x20 { out.append(0x20) }
        }
        return out
    }

    static func foldKeyword(_ keyword: String) -> [UInt8] {
        var view = NormalizedView()
        var bytes = Array(keyword.utf8)
        bytes.withUnsafeMutableBufferPointer { buf in
            Normalizer.build(UnsafeBufferPointer(buf), into: &view, vocabulary: WordSet([]))
        }
        return view.bytes
    }
}
